package io.georep.replicator;

import static org.assertj.core.api.Assertions.assertThat;

import io.georep.testkit.Await;
import io.georep.testkit.EmbeddedKafka;
import io.georep.testkit.EmbeddedRegionDatabase;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * A table without a key ({@code REPLICA IDENTITY FULL}, no primary key or unique index), shaped
 * like {@code pgbench_history} with a nullable {@code char(22)} filler that stays NULL, written
 * concurrently in three regions: inserts of equal rows (duplicates within and across regions),
 * NULLs, updates and deletes of one of several equal rows, and deletes of every copy of a value.
 * After quiescence every region holds the same multiset of rows. Replay with {@code
 * -Dgeorep.seed=<seed>}.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class KeylessTableIT {
  private static final int TRANSACTIONS_PER_REGION = 150;

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
  void concurrentWritesOfEqualRowsAndNulls_convergeToIdenticalMultisets() throws Exception {
    long seed = Long.getLong("georep.seed", System.nanoTime());
    System.out.println("KeylessTableIT seed=" + seed + " (replay: -Dgeorep.seed=" + seed + ")");
    // Rows that exist before the concurrent load: every region gets them before it starts.
    String first = Topology.REGIONS.get(0);
    topology
        .db(first)
        .execute(
            "INSERT INTO history (tid, bid, aid, delta, mtime, filler)"
                + " SELECT 1 + g % 3, 1, g % 2, 0, NULL, NULL FROM generate_series(1, 30) g");
    Await.until(
        "the first rows reach every region",
        Duration.ofMinutes(2),
        () -> {
          for (String region : Topology.REGIONS) {
            if (!topology
                .db(region)
                .rows("SELECT count(*) FROM history")
                .equals(List.of("count=30"))) {
              return false;
            }
          }
          return true;
        });

    Topology.inEveryRegion(
        (region, i) -> write(topology.db(region), new SplittableRandom(seed + i)));

    topology.awaitQuiescence(Duration.ofMinutes(3));
    topology.assertConverged();
    List<String> nulls =
        topology.db(first).rows("SELECT count(*) FROM history WHERE filler IS NULL");
    assertThat(nulls)
        .as("rows with a NULL filler (seed %d)", seed)
        .isNotEqualTo(List.of("count=0"));
    List<String> duplicates =
        topology
            .db(first)
            .rows(
                "SELECT count(*) FROM (SELECT 1 FROM history GROUP BY tid, bid, aid, delta, mtime,"
                    + " filler HAVING count(*) > 1) d");
    assertThat(duplicates)
        .as("values held by several equal rows (seed %d)", seed)
        .isNotEqualTo(List.of("count=0"));
  }

  /** One region's load: few distinct values, so that regions write equal rows at the same time. */
  private static void write(EmbeddedRegionDatabase db, SplittableRandom random)
      throws SQLException {
    try (Connection c = db.connect()) {
      c.setAutoCommit(false);
      for (int t = 0; t < TRANSACTIONS_PER_REGION; t++) {
        int tid = 1 + random.nextInt(3);
        int aid = random.nextInt(2);
        String filler = random.nextInt(3) == 0 ? "x" : null;
        int op = random.nextInt(10);
        String one =
            "(SELECT ctid FROM history WHERE tid = ? AND aid = ? AND filler IS NOT DISTINCT FROM ?"
                + " LIMIT 1)";
        if (op < 5) {
          int copies = 1 + random.nextInt(2);
          try (PreparedStatement s =
              c.prepareStatement(
                  "INSERT INTO history (tid, bid, aid, delta, mtime, filler)"
                      + " SELECT ?, 1, ?, 0, NULL, ? FROM generate_series(1, ?)")) {
            s.setInt(1, tid);
            s.setInt(2, aid);
            s.setString(3, filler);
            s.setInt(4, copies);
            s.executeUpdate();
          }
        } else if (op < 7) {
          try (PreparedStatement s =
              c.prepareStatement("DELETE FROM history WHERE ctid = " + one)) {
            s.setInt(1, tid);
            s.setInt(2, aid);
            s.setString(3, filler);
            s.executeUpdate();
          }
        } else if (op < 9) {
          try (PreparedStatement s =
              c.prepareStatement(
                  "UPDATE history SET delta = delta + 1, filler = NULL WHERE ctid = " + one)) {
            s.setInt(1, tid);
            s.setInt(2, aid);
            s.setString(3, filler);
            s.executeUpdate();
          }
        } else {
          try (Statement s = c.createStatement()) {
            s.executeUpdate("DELETE FROM history WHERE tid = " + tid + " AND delta > 1");
          }
        }
        c.commit();
      }
    }
  }
}
