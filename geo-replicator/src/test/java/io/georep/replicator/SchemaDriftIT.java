package io.georep.replicator;

import static org.assertj.core.api.Assertions.assertThat;

import io.georep.testkit.Await;
import io.georep.testkit.EmbeddedKafka;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A column added by hand in one region while every region writes: the other regions park only that
 * table's changes from it (an alert names the table, the missing column and the fix; nothing halts,
 * other tables keep flowing), and apply them by themselves once the same DDL runs there.
 */
class SchemaDriftIT {
  private static final String FIRST = "eu-west";
  private static final List<String> LATER = List.of("sa-east", "us-east");
  private static final String ADD_NOTE = "ALTER TABLE parents ADD COLUMN note text";

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
  void addColumnInOneRegion_othersParkTheTable_thenCatchUpAfterTheSameDdl() throws Exception {
    topology
        .db(FIRST)
        .execute(
            "INSERT INTO parents (id, name) SELECT g, 'p' || g FROM generate_series(1, 20) g",
            "INSERT INTO items (id, name) SELECT g, 'i' || g FROM generate_series(1, 20) g");
    for (String region : LATER) {
      Await.until(
          region + " has the seed rows",
          Duration.ofMinutes(1),
          () -> topology.count(region, "SELECT count(*) FROM parents") == 20);
    }
    topology.db(FIRST).execute(ADD_NOTE);

    Topology.inEveryRegion(
        (region, index) -> {
          for (int k = 1; k <= 30; k++) {
            int row = k % 20 + 1;
            if (region.equals(FIRST)) {
              topology
                  .db(region)
                  .execute(
                      "UPDATE parents SET note = 'note " + k + "' WHERE id = " + row,
                      "INSERT INTO parents (id, name, note) VALUES ("
                          + (1000 + k)
                          + ", 'from "
                          + region
                          + "', 'new "
                          + k
                          + "')");
            } else {
              topology
                  .db(region)
                  .execute(
                      "UPDATE parents SET name = '"
                          + region
                          + " "
                          + k
                          + "' WHERE id = "
                          + (k % 7 + 1),
                      "INSERT INTO parents (id, name) VALUES ("
                          + ((index + 1) * 1000 + 100 + k)
                          + ", 'from "
                          + region
                          + "')");
            }
            topology
                .db(region)
                .execute("UPDATE items SET qty = qty + 1 WHERE id = " + (k % 20 + 1));
          }
        });
    for (String region : LATER) {
      Await.until(
          region
              + " parks public.parents of "
              + FIRST
              + " with an alert naming the column and the fix",
          Duration.ofMinutes(1),
          () ->
              topology.agent(region).status().alerts().stream()
                  .anyMatch(
                      a ->
                          a.startsWith(
                                  "apply of origin " + FIRST + ": table public.parents parked:")
                              && a.contains("column note of the origin's table is missing here")
                              && a.contains("run the same DDL here")));
      AgentStatus status = topology.agent(region).status();
      for (String origin : Topology.REGIONS) {
        if (!origin.equals(region)) {
          assertThat(status.origins().get(origin).halt()).as(origin + " in " + region).isEmpty();
          assertThat(status.origins().get(origin).state()).isEqualTo("running");
        }
      }
    }
    // The first region merges the others' changes, which lack the column, under its definition.
    for (String origin : LATER) {
      assertThat(topology.agent(FIRST).status().origins().get(origin).halt()).isEmpty();
    }

    for (String region : LATER) {
      topology.db(region).execute(ADD_NOTE);
    }
    topology.awaitQuiescence(Duration.ofMinutes(2));
    topology.assertConverged();
    String notes = "SELECT id, name, note FROM parents ORDER BY id";
    Set<List<String>> distinct = new HashSet<>();
    for (String region : Topology.REGIONS) {
      distinct.add(topology.db(region).rows(notes));
      assertThat(topology.agent(region).status().alerts()).isEmpty();
    }
    assertThat(distinct).hasSize(1);
    for (String region : LATER) {
      assertThat(topology.count(region, "SELECT count(*) FROM parents WHERE note LIKE 'new %'"))
          .isEqualTo(30);
    }
    assertThat(topology.count(FIRST, "SELECT count(*) FROM parents")).isEqualTo(20 + 30 * 3);
  }
}
