package io.georep.benchmarks.replication;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Smoke test of the replication benchmark harness at tiny sizes: both systems set up, every
 * workload replicated and verified (the harness compares every table's rows at both ends after each
 * workload and fails otherwise), figures produced for both. No timing is asserted: this checks the
 * harness, not the systems' speed.
 */
class ReplicationBenchmarkIT {

  @Test
  void tinyRun_bothSystems_produceFiguresForEveryWorkload() {
    Report report =
        ReplicationBenchmark.run(
            "--rows=1000",
            "--rows-per-transaction=100",
            "--tables=4",
            "--single-transactions=200",
            "--warmup-rows=0",
            "--lag=oltp,bulk",
            "--lag-seconds=1.5",
            "--lag-warmup-seconds=0.5",
            "--catch-up-timeout-seconds=60");

    for (String workload : List.of("a", "b", "c", "d")) {
      for (String system : List.of("native", "georep")) {
        Report.WorkloadFigures f = report.find(workload, system).orElseThrow();
        assertThat(f.changes()).as("changes of (%s) %s", workload, system).isPositive();
        assertThat(f.rowsPerSecond()).as("rows/s of (%s) %s", workload, system).isPositive();
        assertThat(f.bytes()).as("bytes of (%s) %s", workload, system).isPositive();
        assertThat(f.postgresCpuSeconds()).isNotNaN();
      }
      assertThat(report.find(workload, "georep").orElseThrow().agentCpuSeconds()).isPositive();
      assertThat(report.find(workload, "georep").orElseThrow().heapPeakBytes()).isPositive();
    }
    assertThat(report.find("a", "native").orElseThrow().changes()).isEqualTo(1000);
    assertThat(report.find("b", "georep").orElseThrow().changes()).isEqualTo(1000);
    assertThat(report.find("d", "georep").orElseThrow().transactions()).isEqualTo(200);
    for (String probe : List.of("oltp", "bulk")) {
      for (String system : List.of("native", "georep")) {
        LagProbe.Result r = report.findLag(probe, system).orElseThrow().result();
        assertThat(r.caughtUp()).as("lag probe %s of %s caught up", probe, system).isTrue();
        assertThat(r.transactions()).isPositive();
        assertThat(r.p99Millis()).isGreaterThanOrEqualTo(r.p50Millis());
      }
    }
    assertThat(report.markdown()).contains("| (a) ", "| (d) ", "oltp (1 row per transaction)");
  }
}
