package io.georep.replicator;

import static org.assertj.core.api.Assertions.assertThat;

import io.georep.testkit.Await;
import io.georep.testkit.EmbeddedKafka;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Garbage collection while regions only read: eu-west inserts and deletes rows of a table without
 * accumulating columns (whose tombstones are kept for good), sa-east and us-east never write. Each
 * region's stable frontier takes every other region's part from the context of that region's latest
 * transaction; without the causal ticks the reading regions write (an empty transaction when they
 * shipped nothing but applied something), no region would ever have a frontier, and the tombstones
 * of the deleted rows would stay in every region for good.
 */
class IdleRegionGarbageIT {
  private static final List<String> READERS = List.of("sa-east", "us-east");

  private EmbeddedKafka kafka;
  private Topology topology;

  @BeforeEach
  void start() throws Exception {
    kafka = EmbeddedKafka.start();
    topology = Topology.start(region -> kafka.bootstrapServers(), s -> s);
  }

  @AfterEach
  void stop() throws Exception {
    Topology.closeAll(topology, kafka);
  }

  @Test
  void readersNeverWrite_tombstonesAreCollectedEverywhere() throws Exception {
    topology
        .db("eu-west")
        .execute(
            "INSERT INTO parents (id, name) SELECT g, 'row-' || g FROM generate_series(1, 50) g",
            "DELETE FROM parents WHERE id <= 20");
    for (String reader : READERS) {
      Await.until(
          reader + " applies eu-west's rows and deletes",
          Duration.ofMinutes(1),
          () -> topology.count(reader, "SELECT count(*) FROM parents") == 30);
    }
    for (String region : Topology.REGIONS) {
      Await.until(
          region + " collects the 20 tombstones",
          Duration.ofMinutes(2),
          () ->
              topology.count(
                      region,
                      "SELECT count(*) FROM georep.row_meta"
                          + " WHERE table_name = 'parents' AND NOT row_exists")
                  == 0);
    }
    for (String reader : READERS) {
      // The readers wrote nothing but ticks: no row of theirs was captured.
      assertThat(topology.count(reader, "SELECT count(*) FROM parents")).isEqualTo(30);
      assertThat(topology.agent(reader).status().capture().transactionsShipped()).isPositive();
    }
    assertThat(topology.db("eu-west").rows("SELECT min(id), max(id) FROM parents"))
        .containsExactly("min=21,max=50");
  }
}
