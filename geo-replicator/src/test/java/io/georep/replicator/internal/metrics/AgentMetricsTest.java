package io.georep.replicator.internal.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import io.georep.connector.RowChange;
import io.georep.connector.RowKey;
import io.georep.connector.TableId;
import io.georep.connector.Value;
import io.georep.replicator.internal.status.AgentState;
import io.georep.replicator.internal.status.Heartbeat;
import io.georep.resolver.Conflict;
import io.georep.resolver.ConflictType;
import io.georep.resolver.spi.Version;
import io.georep.vectorclock.Dot;
import io.georep.vectorclock.HybridTimestamp;
import io.georep.vectorclock.ReplicaId;
import io.georep.vectorclock.VersionVector;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** The meters against {@code docs/metrics.md}: names, tags, and presence before any traffic. */
class AgentMetricsTest {
  private static final Pattern DOC_ROW = Pattern.compile("(?m)^\\| `(georep_[a-z_]+)` \\|");

  /** The meter names the table of {@code docs/metrics.md} lists. */
  static List<String> documentedNames() throws IOException {
    Matcher m = DOC_ROW.matcher(Files.readString(Path.of("..", "docs", "metrics.md")));
    List<String> names = new ArrayList<>();
    while (m.find()) {
      names.add(m.group(1));
    }
    return names;
  }

  private static AgentMetrics metrics() {
    AgentState state = new AgentState(() -> 1_000L);
    AgentMetrics metrics = new AgentMetrics(ReplicaId.of("eu-west"), () -> 1_000L, state);
    metrics.registerOrigin(
        ReplicaId.of("us-east"),
        state.origin(ReplicaId.of("us-east")),
        () -> 1L,
        Duration.ofSeconds(15));
    metrics.queue("ship", "eu-west", state.shipQueue);
    metrics.queue("gate", "all", new AtomicLong());
    metrics.queue("ready", "all", new AtomicLong());
    return metrics;
  }

  private static boolean exposes(String scrape, String name) {
    return Pattern.compile("(?m)^" + name + "(_bucket|_count|_sum|_max)?[{ ]")
        .matcher(scrape)
        .find();
  }

  @Test
  void scrape_beforeAnyTraffic_showsEveryDocumentedMeterButConflicts() throws IOException {
    String scrape = metrics().scrape();

    assertThat(documentedNames()).hasSizeGreaterThan(15);
    assertThat(documentedNames())
        .filteredOn(name -> !name.equals("georep_conflicts_total"))
        .filteredOn(name -> !exposes(scrape, name))
        .as("documented meters missing from a scrape before any traffic")
        .isEmpty();
    assertThat(scrape)
        .contains("georep_transactions_applied_total{origin=\"us-east\",region=\"eu-west\"} 0.0")
        .contains("georep_restarts_total{component=\"receiver-us-east\",region=\"eu-west\"} 0.0");
  }

  @Test
  void latency_recorded_showsSloBucketsQuantilesAndJvmMeters() {
    AgentMetrics metrics = metrics();
    ReplicaId us = ReplicaId.of("us-east");

    metrics.visible(us, 80, 30_000_000L);
    metrics.visible(us, 1_500, 2_000_000_000L);
    metrics.visible(us, -40, 1_000_000L); // the origin's clock ahead: counts as 0
    metrics.shipLatency(20);

    String scrape = metrics.scrape();
    assertThat(scrape)
        .contains(
            "georep_replication_latency_seconds_bucket{origin=\"us-east\",region=\"eu-west\","
                + "le=\"0.1\"} 2")
        .contains(
            "georep_replication_latency_seconds_bucket{origin=\"us-east\",region=\"eu-west\","
                + "le=\"2.0\"} 3")
        .contains(
            "georep_replication_latency_seconds_count{origin=\"us-east\",region=\"eu-west\"} 3")
        .contains(
            "georep_apply_latency_seconds_bucket{origin=\"us-east\",region=\"eu-west\","
                + "le=\"0.05\"} 2")
        .contains(
            "georep_ship_latency_seconds_bucket{origin=\"eu-west\",region=\"eu-west\","
                + "le=\"0.05\"} 1")
        .contains("jvm_memory_used_bytes{")
        .contains("jvm_threads_live_threads{")
        .contains("process_cpu_usage{");
    metrics.close();
  }

  @Test
  void clockSkew_clampedTimestamp_countsItAndKeepsTheLargestSkew() {
    AgentMetrics metrics = metrics();
    ReplicaId us = ReplicaId.of("us-east");

    metrics.clockSkew(us, 600_000, true);
    metrics.clockSkew(us, -200, false);
    metrics.clockSkew(us, 1_500, false);

    assertThat(metrics.scrape())
        .contains("georep_clock_skew_clamped_total{origin=\"us-east\",region=\"eu-west\"} 1.0")
        .contains("georep_clock_skew_max_seconds{origin=\"us-east\",region=\"eu-west\"} 600.0");
  }

  @Test
  void scrape_exposesOnlyDocumentedMeters() throws IOException {
    AgentMetrics metrics = metrics();
    metrics.conflicts(List.of(conflict()));
    List<String> documented = documentedNames();

    Matcher m =
        Pattern.compile("(?m)^(georep_[a-z_]+?)(_bucket|_count|_sum|_max)?[{ ]")
            .matcher(metrics.scrape());
    List<String> undocumented = new ArrayList<>();
    while (m.find()) {
      String name = m.group(1);
      if (!documented.contains(name)) {
        undocumented.add(m.group(0));
      }
    }
    assertThat(undocumented).as("meters not in docs/metrics.md").isEmpty();
  }

  private static Version version(String origin, long seq) {
    return new Version(
        Dot.of(origin, seq),
        new HybridTimestamp(seq, 0, ReplicaId.of(origin)),
        RowChange.Kind.UPDATE,
        Map.of("name", new Value.Text(origin)));
  }

  private static Conflict conflict() {
    return new Conflict(
        ConflictType.UPDATE_UPDATE_SAME_COLUMNS,
        TableId.of("public", "items"),
        RowKey.of(new Value.Int4(1)),
        version("eu-west", 10),
        version("us-east", 20),
        Conflict.Winner.REMOTE,
        "lww",
        List.of("name"),
        Optional.empty());
  }

  private static double gauge(AgentMetrics metrics, String name) {
    return metrics.registry().get(name).tag("origin", "us-east").gauge().value();
  }

  @Test
  void replicationLag_originReportsTransactionsNeverReceived_growsWithTheirAge() {
    AtomicLong now = new AtomicLong(100_000);
    AgentState state = new AgentState(now::get);
    AgentMetrics metrics = new AgentMetrics(ReplicaId.of("eu-west"), now::get, state);
    AgentState.OriginState us = state.origin(ReplicaId.of("us-east"));
    metrics.registerOrigin(ReplicaId.of("us-east"), us, now::get, Duration.ofSeconds(15));
    us.appliedSeq.set(100);

    state.heard(
        new Heartbeat(ReplicaId.of("us-east"), VersionVector.empty(), 200, 200, 101_000, 100_500),
        101_000,
        true);
    now.set(110_000);

    // Nothing of seq 200 was received here (the receiver cannot read the stream): the lag still
    // reads the age of that transaction, and grows.
    assertThat(us.pending.get()).isZero();
    assertThat(gauge(metrics, "georep.replication.lag.seconds")).isEqualTo(9.5);
    assertThat(gauge(metrics, "georep.region.up")).isEqualTo(1.0);

    us.appliedSeq.set(200);

    assertThat(gauge(metrics, "georep.replication.lag.seconds")).isZero();
  }

  @Test
  void regionUp_noHeartbeatWithinTimeout_isDown_andSilenceIsLag() {
    AtomicLong now = new AtomicLong(100_000);
    AgentState state = new AgentState(now::get);
    AgentMetrics metrics = new AgentMetrics(ReplicaId.of("eu-west"), now::get, state);
    AgentState.OriginState us = state.origin(ReplicaId.of("us-east"));
    metrics.registerOrigin(ReplicaId.of("us-east"), us, now::get, Duration.ofSeconds(15));
    state.heard(
        new Heartbeat(ReplicaId.of("us-east"), VersionVector.empty(), 0, 0, 100_000, 0),
        100_000,
        true);

    now.set(130_000);

    assertThat(gauge(metrics, "georep.region.up")).isZero();
    assertThat(gauge(metrics, "georep.replication.lag.seconds")).isEqualTo(30.0);
  }

  @Test
  void captureGauges_followTheCaptureState() {
    AgentState state = new AgentState(() -> 0L);
    AgentMetrics metrics = new AgentMetrics(ReplicaId.of("eu-west"), () -> 0L, state);

    state.captureState.set(AgentState.StreamState.RUNNING);
    assertThat(metrics.registry().get("georep.capture.running").gauge().value()).isEqualTo(1.0);
    assertThat(metrics.registry().get("georep.capture.halted").gauge().value()).isZero();

    state.captureState.set(AgentState.StreamState.HALTED);
    assertThat(metrics.registry().get("georep.capture.running").gauge().value()).isZero();
    assertThat(metrics.registry().get("georep.capture.halted").gauge().value()).isEqualTo(1.0);
  }

  @Test
  void conflicts_areCountedByTableTypeAndResolver() {
    AgentMetrics metrics = metrics();

    metrics.conflicts(List.of(conflict(), conflict()));

    assertThat(metrics.scrape())
        .contains(
            "georep_conflicts_total{region=\"eu-west\",resolver=\"lww\",table=\"public.items\","
                + "type=\"update-update-same-columns\"} 2.0");
    assertThat(metrics.conflictCounts())
        .containsEntry("public.items", Map.of("update-update-same-columns", 2L));
  }

  @Test
  void queue_registeredAgainAfterARestart_readsTheNewDepth() {
    AgentMetrics metrics = metrics();
    AtomicLong restarted = new AtomicLong(7);

    metrics.queue("gate", "all", restarted);

    assertThat(metrics.scrape())
        .contains("georep_queue_depth{origin=\"all\",queue=\"gate\",region=\"eu-west\"} 7.0");
  }

  @Test
  void wire_compressionRatio_isUncompressedOverFrameBytes() {
    AgentMetrics metrics = metrics();

    metrics.shipped(3, 30, 1_000, 4_000);

    assertThat(metrics.scrape())
        .contains(
            "georep_wire_compression_ratio{direction=\"sent\",origin=\"eu-west\",region=\"eu-west\"}"
                + " 4.0")
        .contains(
            "georep_wire_bytes_total{direction=\"sent\",origin=\"eu-west\",region=\"eu-west\"}"
                + " 1000.0")
        .contains("georep_transactions_shipped_total{origin=\"eu-west\",region=\"eu-west\"} 3.0");
  }

  @Test
  void fragments_shippedAndDropped_countedPerOrigin() {
    AgentMetrics metrics = metrics();

    metrics.fragmentShipped();
    metrics.fragmentShipped();
    metrics.fragmentsDropped(ReplicaId.of("us-east"), 3);

    assertThat(metrics.scrape())
        .contains("georep_fragments_shipped_total{origin=\"eu-west\",region=\"eu-west\"} 2.0")
        .contains("georep_fragments_dropped_total{origin=\"us-east\",region=\"eu-west\"} 3.0");
  }

  @Test
  void applyWaitingForInitialCopy_isOneUntilTheCopySettles() {
    AgentState state = new AgentState(() -> 1_000L);
    AgentMetrics metrics = new AgentMetrics(ReplicaId.of("eu-west"), () -> 1_000L, state);
    assertThat(metrics.scrape())
        .contains("georep_apply_waiting_for_initial_copy{region=\"eu-west\"} 1.0");
    state.copyProgress.onCopySettled();
    assertThat(metrics.scrape())
        .contains("georep_apply_waiting_for_initial_copy{region=\"eu-west\"} 0.0");
  }
}
