package io.georep.replicator;

import static org.assertj.core.api.Assertions.assertThat;

import io.georep.testkit.Await;
import io.georep.testkit.EmbeddedKafka;
import io.georep.testkit.EmbeddedRegionDatabase;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * Starting next to a database that already holds rows: eu-west's agent copies them to the other
 * regions (the initial copy), and afterwards every region updates those rows concurrently. The
 * copied rows carry no stamp (their writers predate the capture), so the agent's fold of the copy
 * must recognise them as the copied versions; otherwise every remote write to such a row would wait
 * forever for a fold that never comes, and the regions would not converge. The same holds for rows
 * an application writes inside savepoints, whose xmin is a subtransaction's xid.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ExistingRowsIT {
  private static final int ROWS = 40;

  private EmbeddedKafka kafka;
  private Topology topology;

  @BeforeAll
  void start() throws Exception {
    kafka = EmbeddedKafka.start();
    topology =
        Topology.start(
            region -> kafka.bootstrapServers(),
            s -> s,
            Map.of(
                "eu-west",
                "INSERT INTO items (id, name, qty, tags) SELECT g, 'seed-' || g, g, '{a}'"
                    + " FROM generate_series(1, "
                    + ROWS
                    + ") g;"
                    + " INSERT INTO accounts (id, email) SELECT g, 'user' || g || '@example.com'"
                    + " FROM generate_series(1, "
                    + ROWS
                    + ") g"));
  }

  @AfterAll
  void stop() throws Exception {
    Topology.closeAll(topology, kafka);
  }

  @Test
  void rowsPredatingTheAgents_areCopied_andLaterWritesToThemConverge() throws Exception {
    for (String region : Topology.REGIONS) {
      Await.until(
          region + " holds the copied rows",
          Duration.ofMinutes(1),
          () ->
              topology.db(region).rows("SELECT id FROM items WHERE id <= " + ROWS).size() == ROWS
                  && topology.db(region).rows("SELECT id FROM accounts").size() == ROWS);
    }

    for (String region : Topology.REGIONS) {
      topology
          .db(region)
          .execute(
              "UPDATE items SET name = '" + region + "', qty = qty + 1 WHERE id % 2 = 0",
              "UPDATE items SET tags = tags || '{" + region + "}' WHERE id % 3 = 0",
              "UPDATE accounts SET note = '" + region + "' WHERE id <= 10",
              "DELETE FROM items WHERE id = " + (Topology.REGIONS.indexOf(region) + 1));
    }

    topology.awaitQuiescence(Duration.ofMinutes(2));
    topology.assertConverged();
    assertThat(
            topology
                .db("us-east")
                .rows("SELECT sum(qty) AS s FROM items WHERE id > 3 AND id <= " + ROWS))
        .containsExactly("s=" + expectedQty());
  }

  @Test
  void rowsWrittenInsideApplicationSavepoints_areFolded_andLaterWritesToThemConverge()
      throws Exception {
    // Rows written inside a savepoint carry the subtransaction's xid as xmin, not the xid of the
    // transaction the capture stamped. The fold must still recognise them as that transaction's
    // versions, or every remote write to them would wait forever.
    topology
        .db("eu-west")
        .execute(
            "BEGIN",
            "INSERT INTO items (id, name, qty, tags) VALUES (1001, 'saved', 1, '{s}')",
            "SAVEPOINT inner_write",
            "INSERT INTO items (id, name, qty, tags) VALUES (1002, 'inner', 2, '{s}')",
            "UPDATE items SET name = 'inner-updated' WHERE id = 1001",
            "RELEASE SAVEPOINT inner_write",
            "SAVEPOINT undone",
            "UPDATE items SET name = 'rolled-back' WHERE id = 1002",
            "ROLLBACK TO SAVEPOINT undone",
            "UPDATE items SET qty = qty + 10 WHERE id = 1002",
            "COMMIT");
    topology.awaitQuiescence(Duration.ofMinutes(2));
    // Only the other regions write them again: eu-west's versions stay the subtransactions'.
    for (String region : List.of("sa-east", "us-east")) {
      topology
          .db(region)
          .execute(
              "UPDATE items SET qty = qty + 1, name = '"
                  + region
                  + "' WHERE id BETWEEN 1001 AND 1002");
    }
    topology.awaitQuiescence(Duration.ofMinutes(2));
    topology.assertConverged();
    assertThat(
            topology
                .db("eu-west")
                .rows("SELECT id, qty FROM items WHERE id BETWEEN 1001 AND 1002 ORDER BY id"))
        .containsExactly("id=1001,qty=" + (1 + 2), "id=1002,qty=" + (12 + 2));
  }

  @Test
  void transactionShippedButNotFolded_whenTheAgentStops_isFoldedAfterItsRestart() throws Exception {
    EmbeddedRegionDatabase eu = topology.db("eu-west");
    eu.execute("INSERT INTO items (id, name, qty, tags) VALUES (2001, 'before', 1, '{f}')");
    topology.awaitQuiescence(Duration.ofMinutes(2));
    try (Connection blocker = eu.connect()) {
      // Holds the row metadata of items, so the fold of the next local write cannot finish (it
      // retries) while the write is captured and Kafka acknowledges it.
      blocker.setAutoCommit(false);
      try (Statement s = blocker.createStatement()) {
        s.execute("SELECT 1 FROM georep.row_meta WHERE table_name = 'items' FOR UPDATE");
      }
      // Counted in the topic, transactions with changes only: a causal tick may ship meanwhile.
      int shipped =
          Topology.distinctShippedSeqs(kafka.bootstrapServers(), "georep", "eu-west").size();
      eu.execute("UPDATE items SET name = 'shipped, not folded' WHERE id = 2001");
      Await.until(
          "eu-west ships the update",
          Duration.ofMinutes(1),
          () ->
              Topology.distinctShippedSeqs(kafka.bootstrapServers(), "georep", "eu-west").size()
                  > shipped);
      topology.stopAgent("eu-west");
      blocker.rollback();
    }
    topology.startAgent("eu-west");
    topology.awaitReady(Duration.ofMinutes(1));
    // A remote write to the row applies in eu-west only once the update is folded there.
    topology.db("sa-east").execute("UPDATE items SET qty = qty + 5 WHERE id = 2001");
    topology.awaitQuiescence(Duration.ofMinutes(2));
    topology.assertConverged();
    assertThat(eu.rows("SELECT name, qty FROM items WHERE id = 2001"))
        .containsExactly("name=shipped, not folded,qty=6");
  }

  /** Seeds 4..ROWS, plus one increment per region on every even id. */
  private static long expectedQty() {
    long sum = 0;
    for (int id = 4; id <= ROWS; id++) {
      sum += id + (id % 2 == 0 ? Topology.REGIONS.size() : 0);
    }
    return sum;
  }
}
