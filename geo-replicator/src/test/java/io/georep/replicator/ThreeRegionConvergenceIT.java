package io.georep.replicator;

import static org.assertj.core.api.Assertions.assertThat;

import io.georep.testkit.Await;
import io.georep.testkit.EmbeddedKafka;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * Three regions (three PostgreSQL databases, three agents, one real Kafka broker) run concurrent
 * seeded random workloads; after quiescence every region holds identical rows, counters equal the
 * sum of all increments, no transaction was echoed, and conflicts were counted. Replay a run with
 * {@code -Dgeorep.seed=<seed>}.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ThreeRegionConvergenceIT {
  private static final int TRANSACTIONS_PER_REGION = 400;

  private EmbeddedKafka kafka;
  private Topology topology;

  @BeforeAll
  void start() throws Exception {
    kafka = EmbeddedKafka.start();
    topology = Topology.start(region -> kafka.bootstrapServers(), s -> s);
  }

  @AfterAll
  void stop() throws Exception {
    Topology.closeAll(topology, kafka);
  }

  @Test
  void concurrentRandomWorkloads_converge() throws Exception {
    long seed = Long.getLong("georep.seed", System.nanoTime());
    System.out.println(
        "ThreeRegionConvergenceIT seed=" + seed + " (replay: -Dgeorep.seed=" + seed + ")");
    Map<Integer, AtomicLong> increments = Workload.newIncrements();
    Map<String, Long> captured = seedCounters();
    List<Workload> workloads = new ArrayList<>();
    for (int i = 0; i < Topology.REGIONS.size(); i++) {
      String region = Topology.REGIONS.get(i);
      workloads.add(new Workload(region, i, seed + i, topology.db(region), increments));
    }
    Topology.inEveryRegion((region, i) -> workloads.get(i).run(TRANSACTIONS_PER_REGION));

    topology.awaitQuiescence(Duration.ofMinutes(3));

    topology.assertConverged();
    for (String region : Topology.REGIONS) {
      for (int id = 1; id <= Workload.COUNTERS; id++) {
        assertThat(topology.db(region).rows("SELECT n FROM counters WHERE id = " + id))
            .as("counter %d in %s (seed %d)", id, region, seed)
            .containsExactly("n=" + increments.get(id).get());
        AtomicLong grown = increments.get(Workload.G_COUNTER_KEYS + id);
        assertThat(topology.db(region).rows("SELECT g FROM counters WHERE id = " + id))
            .as("g-counter %d in %s (seed %d)", id, region, seed)
            .containsExactly("g=" + (grown == null ? 0 : grown.get()));
      }
    }
    // No echo: each region's stream holds exactly the transactions its applications committed
    // (the counters' seeding, the workload's changing transactions, the quiescence marker).
    for (int i = 0; i < Topology.REGIONS.size(); i++) {
      String region = Topology.REGIONS.get(i);
      long expected = captured.get(region) + workloads.get(i).changingTransactions.get() + 1;
      assertThat(distinctShippedSeqs(region))
          .as("transactions in the stream of %s (seed %d)", region, seed)
          .hasSize((int) expected);
    }
    long conflicts = 0;
    double scraped = 0;
    for (Agent agent : topology.agents.values()) {
      for (Map<String, Long> byType : agent.status().conflicts().values()) {
        conflicts += byType.values().stream().mapToLong(Long::longValue).sum();
      }
      String scrape = agent.scrapeMetrics();
      assertThat(scrape).contains("georep_transactions_applied_total");
      java.util.regex.Matcher m =
          java.util.regex.Pattern.compile("(?m)^georep_conflicts_total\\{[^}]*} (\\S+)$")
              .matcher(scrape);
      while (m.find()) {
        scraped += Double.parseDouble(m.group(1));
      }
    }
    System.out.println("ThreeRegionConvergenceIT conflicts counted: " + conflicts);
    assertThat(conflicts).as("conflicts counted (seed %d)", seed).isPositive();
    assertThat((long) scraped)
        .as("georep_conflicts_total on /metrics agrees with the status (seed %d)", seed)
        .isEqualTo(conflicts);
  }

  /** Creates the counter rows in one region and waits until every region has them. */
  private Map<String, Long> seedCounters() throws Exception {
    StringBuilder values = new StringBuilder();
    for (int id = 1; id <= Workload.COUNTERS; id++) {
      values.append(id == 1 ? "" : ", ").append('(').append(id).append(", 0)");
    }
    String first = Topology.REGIONS.get(0);
    topology.db(first).execute("INSERT INTO counters (id, n) VALUES " + values);
    Await.until(
        "the counter rows reach every region",
        Duration.ofMinutes(2),
        () -> {
          for (String region : Topology.REGIONS) {
            if (topology.db(region).rows("SELECT id FROM counters").size() != Workload.COUNTERS) {
              return false;
            }
          }
          return true;
        });
    Map<String, Long> captured = new HashMap<>();
    for (String region : Topology.REGIONS) {
      captured.put(region, region.equals(first) ? 1L : 0L);
    }
    return captured;
  }

  private Set<Long> distinctShippedSeqs(String region) {
    return Topology.distinctShippedSeqs(kafka.bootstrapServers(), "georep", region);
  }
}
