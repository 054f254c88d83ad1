package io.georep.replicator;

import static org.assertj.core.api.Assertions.assertThat;

import io.georep.testkit.Await;
import io.georep.testkit.EmbeddedKafka;
import io.georep.testkit.EmbeddedRegionDatabase;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * TRUNCATE in one region while another writes the same tables concurrently: every region removes
 * the rows the truncating region had seen, keeps the rows inserted concurrently elsewhere, resolves
 * a concurrent update of a removed row as a delete-update conflict, deletes a child inserted
 * concurrently under a parent that a {@code TRUNCATE … CASCADE} removed, and ends identical — on
 * keyed, keyless and foreign-key tables.
 */
class TruncateIT {
  private static final Topology.Replicated TRUNCATING =
      new Topology.Replicated(
          Topology.SCHEMA,
          Topology.PUBLICATION.replace(
              "operations: [insert, update, delete]",
              "operations: [insert, update, delete, truncate]"),
          Topology.SNAPSHOT_QUERIES);

  private EmbeddedKafka kafka;
  private Topology topology;

  @BeforeEach
  void start() throws Exception {
    kafka = EmbeddedKafka.start();
    topology = Topology.start(TRUNCATING, region -> kafka.bootstrapServers(), s -> s, Map.of());
  }

  @AfterEach
  void stop() throws Exception {
    Topology.closeAll(topology, kafka);
  }

  @Test
  void truncateConcurrentWithWritesElsewhere_removesWhatItSaw_keepsTheRest_andConverges()
      throws Exception {
    assertThat(TRUNCATING.publication()).contains("truncate");
    topology
        .db("eu-west")
        .execute(
            "INSERT INTO items (id, name, qty, tags) SELECT g, 'seed-' || g, g, '{a}'"
                + " FROM generate_series(1, 20) g",
            "INSERT INTO parents SELECT g, 'p' || g FROM generate_series(1, 5) g",
            "INSERT INTO children SELECT g, 1 + g % 5, 'c' || g FROM generate_series(1, 10) g",
            "INSERT INTO history (tid, bid, aid, delta, filler) VALUES"
                + " (1, 1, 1, 5, NULL), (1, 1, 1, 5, NULL), (2, 1, 3, -1, 'x')");
    topology.awaitQuiescence(Duration.ofMinutes(2));

    // sa-east writes while it cannot see the truncate: its writes are concurrent with it.
    topology.stopAgent("sa-east");
    topology
        .db("sa-east")
        .execute(
            "INSERT INTO items (id, name, qty, tags) SELECT g, 'sa-' || g, 1, '{sa}'"
                + " FROM generate_series(101, 105) g",
            "UPDATE items SET name = 'sa-updated', qty = qty + 1 WHERE id <= 3",
            "INSERT INTO children VALUES (50, 2, 'sa-child')",
            "INSERT INTO history (tid, bid, aid, delta, filler) VALUES (9, 9, 9, 9, 'sa')");
    topology.db("eu-west").execute("TRUNCATE items", "TRUNCATE parents, history CASCADE");
    Await.until(
        "us-east applies the truncate",
        Duration.ofMinutes(1),
        () -> topology.db("us-east").rows("SELECT id FROM parents").isEmpty());
    // Written after us-east saw the truncate: survives everywhere.
    topology
        .db("us-east")
        .execute("INSERT INTO items (id, name, qty, tags) VALUES (200, 'us-after', 7, '{us}')");
    topology.startAgent("sa-east");
    topology.awaitReady(Duration.ofMinutes(1));

    topology.awaitQuiescence(Duration.ofMinutes(2));
    topology.assertConverged();
    for (String region : Topology.REGIONS) {
      EmbeddedRegionDatabase db = topology.db(region);
      // Rows 1..3 were updated concurrently in sa-east; the truncate's delete is later and wins
      // under lww. The other seeded rows are gone; sa-east's inserts and us-east's later one stay.
      assertThat(db.rows("SELECT id FROM items ORDER BY id"))
          .as(region)
          .containsExactly("id=101", "id=102", "id=103", "id=104", "id=105", "id=200");
      assertThat(db.rows("SELECT id FROM parents")).as(region).isEmpty();
      // The child inserted under parent 2 concurrently with its removal goes with it.
      assertThat(db.rows("SELECT id FROM children")).as(region).isEmpty();
      assertThat(db.rows("SELECT tid, trim(filler) AS filler FROM history"))
          .as(region)
          .containsExactly("tid=9,filler=sa");
    }
    // A truncate-and-reload job: one transaction empties the table and fills it again, partly
    // under keys that exist elsewhere as tombstones or rows.
    topology
        .db("us-east")
        .execute(
            "BEGIN",
            "TRUNCATE items",
            "INSERT INTO items (id, name, qty, tags) SELECT g, 'reload-' || g, 0, '{r}'"
                + " FROM generate_series(1, 30) g",
            "COMMIT");
    topology.awaitQuiescence(Duration.ofMinutes(2));
    topology.assertConverged();
    for (String region : Topology.REGIONS) {
      assertThat(topology.db(region).rows("SELECT count(*) AS n, min(name) AS m FROM items"))
          .as(region)
          .containsExactly("n=30,m=reload-1");
    }

    List<String> types = new ArrayList<>();
    for (String region : Topology.REGIONS) {
      types.addAll(
          topology
              .db(region)
              .rows(
                  "SELECT DISTINCT type FROM georep.conflict_log WHERE table_name IN"
                      + " ('items', 'children') ORDER BY type"));
    }
    assertThat(types)
        .as("the truncate met concurrent writes: logged as conflicts")
        .anySatisfy(t -> assertThat(t).isIn("type=update-delete", "type=delete-update"))
        .contains("type=parent-deleted");
  }

  @Test
  void repeatedTruncatesOfAKeylessTable_whileTwoRegionsInsert_converge() throws Exception {
    long seed = Long.getLong("georep.seed", System.nanoTime());
    System.out.println("TruncateIT seed=" + seed + " (replay: -Dgeorep.seed=" + seed + ")");
    int perRegion = 150;
    Topology.inEveryRegion(
        (region, index) -> {
          SplittableRandom random = new SplittableRandom(seed + index);
          EmbeddedRegionDatabase db = topology.db(region);
          for (int i = 0; i < perRegion; i++) {
            if (region.equals("eu-west") && i % 30 == 29) {
              db.execute("TRUNCATE history");
            } else {
              // Equal rows and NULLs: a multiset; some rows are equal across the regions.
              db.execute(
                  "INSERT INTO history (tid, bid, aid, delta, filler) VALUES ("
                      + random.nextInt(3)
                      + ", 1, "
                      + (random.nextBoolean() ? "NULL" : "1")
                      + ", "
                      + i % 5
                      + ", NULL)");
            }
          }
        });
    topology.awaitQuiescence(Duration.ofMinutes(2));
    topology.assertConverged();
    long left =
        Long.parseLong(
            topology.db("eu-west").rows("SELECT count(*) AS n FROM history").get(0).substring(2));
    assertThat(left).as("seed %d", seed).isBetween(0L, 3L * perRegion);
  }
}
