package io.georep.replicator;

import static org.assertj.core.api.Assertions.assertThat;

import io.georep.testkit.Await;
import io.georep.testkit.EmbeddedKafka;
import io.georep.vectorclock.ReplicaId;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A region whose capture starts late (its slot is busy, the server is slow to answer) must not
 * apply other regions' changes before its own initial copy is taken and acknowledged: a row applied
 * before the copy's snapshot would be shipped back by the copy as this region's own insert, and the
 * counter columns of the region that wrote it would be counted twice.
 */
class CopyBeforeApplyIT {
  private static final int ROWS = 30;
  private static final int SLOT_LOCK_CLASS = 0x67657270;

  private EmbeddedKafka kafka;
  private Topology topology;

  @BeforeEach
  void start() throws Exception {
    kafka = EmbeddedKafka.start();
    topology =
        Topology.databasesOnly(
            Topology.Replicated.WORKLOAD,
            region -> kafka.bootstrapServers(),
            s -> s,
            Map.of(
                "eu-west",
                "INSERT INTO items (id, name, qty, tags) SELECT g, 'seed-' || g, g, '{a}'"
                    + " FROM generate_series(1, "
                    + ROWS
                    + ") g"));
  }

  @AfterEach
  void stop() throws Exception {
    Topology.closeAll(topology, kafka);
  }

  @Test
  void aRegionWhoseCaptureStartsLate_appliesNothingBeforeItsOwnCopy() throws Exception {
    topology.startAgent("eu-west");
    topology.startAgent("sa-east");
    Await.until(
        "eu-west ships its initial copy",
        Duration.ofMinutes(1),
        () -> topology.agent("eu-west").shippedSeq() > 0);
    try (Connection blocker = topology.db("us-east").connect()) {
      // The lock every capture of the slot takes first: us-east's capture retries until it is free.
      try (PreparedStatement lock =
          blocker.prepareStatement("SELECT pg_advisory_lock(" + SLOT_LOCK_CLASS + ", ?)")) {
        lock.setInt(1, "georep_us_east".hashCode() & 0x7fffffff);
        lock.execute();
      }
      topology.startAgent("us-east");
      // Its capture found the slot busy at least once: ample time for a receiver to apply.
      Await.until(
          "us-east's capture waits for its slot",
          Duration.ofMinutes(1),
          () ->
              topology
                  .agent("us-east")
                  .status()
                  .capture()
                  .error()
                  .filter(e -> e.contains("in use by another georep capture"))
                  .isPresent());
      assertThat(topology.db("us-east").rows("SELECT id FROM items")).isEmpty();
      Await.until(
          "us-east's apply waits for its own initial copy",
          Duration.ofMinutes(1),
          () ->
              topology.agent("us-east").status().warnings().stream()
                  .anyMatch(w -> w.contains("initial copy")));
      assertThat(topology.agent("us-east").appliedVector().get(ReplicaId.of("eu-west"))).isZero();
    }
    topology.awaitReady(Duration.ofMinutes(1));
    Await.until(
        "us-east applies again",
        Duration.ofMinutes(1),
        () ->
            topology.agent("us-east").status().warnings().stream()
                .noneMatch(w -> w.contains("initial copy")));

    topology.awaitQuiescence(Duration.ofMinutes(2));
    topology.assertConverged();
    for (String region : Topology.REGIONS) {
      assertThat(topology.db(region).rows("SELECT sum(qty) AS s FROM items"))
          .as("%s counts every seeded qty once", region)
          .containsExactly("s=" + (ROWS * (ROWS + 1) / 2));
    }
  }
}
