package io.georep.replicator;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.georep.testkit.EmbeddedKafka;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code georep verify} against three real regions while every region keeps writing: rows changed
 * in one region behind georep's back (in a session whose replication origin the capture skips, as
 * georep's own applier does) are reported exactly, with each region's values; rows that were only
 * in flight are not (they settle on a re-check); a table without a key that differs is reported as
 * a whole; tables nobody changed behind georep's back are identical.
 */
class VerifyIT {
  private static final ObjectMapper JSON = new ObjectMapper();

  private EmbeddedKafka kafka;
  private Topology topology;
  private final Map<String, Path> configs = new LinkedHashMap<>();

  @BeforeEach
  void start(@TempDir Path dir) throws Exception {
    kafka = EmbeddedKafka.start();
    topology = Topology.start(region -> kafka.bootstrapServers(), s -> s);
    configs.putAll(topology.writeConfigs(dir, kafka.bootstrapServers()));
  }

  @AfterEach
  void stop() throws Exception {
    Topology.closeAll(topology, kafka);
  }

  @Test
  void verify_whileRegionsWrite_reportsExactlyTheRowsChangedBehindGeorepsBack() throws Exception {
    topology
        .db("eu-west")
        .execute(
            "INSERT INTO items (id, name, tags) SELECT g, 'item ' || g, ARRAY['a', 'b'] FROM"
                + " generate_series(1, 300) g",
            "INSERT INTO accounts (id, email, note) SELECT g, 'a' || g || '@example.com', 'n'"
                + " FROM generate_series(1, 50) g",
            "INSERT INTO counters (id) SELECT g FROM generate_series(1, 200) g",
            "INSERT INTO history (tid, bid, aid, delta) SELECT g, 1, 1, g FROM"
                + " generate_series(1, 10) g");
    topology.awaitQuiescence(Duration.ofMinutes(1));

    // Behind georep's back in sa-east: a replication origin named like georep's own, which the
    // capture leaves out (origin = none), as it does the rows georep's applier writes.
    topology
        .db("sa-east")
        .execute(
            "SELECT pg_replication_origin_create('georep_backdoor')",
            "SELECT pg_replication_origin_session_setup('georep_backdoor')",
            "UPDATE items SET name = 'backdoor' WHERE id IN (201, 202, 203)",
            "DELETE FROM items WHERE id = 250",
            "UPDATE accounts SET note = 'backdoor' WHERE id = 7",
            "INSERT INTO history (tid, bid, aid, delta) VALUES (99, 9, 9, 9)",
            "SELECT pg_replication_origin_session_reset()");

    AtomicBoolean writing = new AtomicBoolean(true);
    AtomicLong writes = new AtomicLong();
    List<Thread> writers = new ArrayList<>();
    for (String region : Topology.REGIONS) {
      Thread t =
          new Thread(
              () -> {
                SplittableRandom random = new SplittableRandom(region.hashCode());
                while (writing.get()) {
                  try {
                    topology
                        .db(region)
                        .execute(
                            "UPDATE items SET name = '"
                                + region
                                + " "
                                + random.nextInt(1000)
                                + "' WHERE id = "
                                + (1 + random.nextInt(100)),
                            "UPDATE counters SET n = n + 1 WHERE id = "
                                + (1 + random.nextInt(200)));
                    writes.incrementAndGet();
                    // Rows in flight, not rows written without pause: a row written during every
                    // re-check is reported unsettled, not identical.
                    Thread.sleep(60);
                  } catch (Exception e) {
                    return;
                  }
                }
              },
              "writer-" + region);
      t.start();
      writers.add(t);
    }
    CliResult verify;
    try {
      Thread.sleep(500);
      verify =
          CliResult.georep(
              "verify",
              "-c",
              configs.get("eu-west").toString(),
              "-c",
              configs.get("sa-east").toString(),
              "-c",
              configs.get("us-east").toString(),
              "--chunk-rows",
              "40",
              "--json");
    } finally {
      writing.set(false);
      for (Thread t : writers) {
        t.join(10_000);
      }
    }
    assertThat(writes.get()).as("the regions wrote while verify ran").isPositive();
    assertThat(verify.code()).as(verify.err()).isEqualTo(1);
    assertThat(verify.out()).as(verify.err()).startsWith("{");
    JsonNode report = JSON.readTree(verify.out());
    assertThat(report.get("identical").asBoolean()).isFalse();
    Map<String, JsonNode> byTable = new LinkedHashMap<>();
    for (JsonNode t : report.get("tables")) {
      byTable.put(t.get("table").asText(), t);
    }
    assertThat(keys(byTable.get("public.items")))
        .as(verify.err())
        .containsExactly("[201]", "[202]", "[203]", "[250]");
    assertThat(keys(byTable.get("public.accounts"))).containsExactly("[7]");
    assertThat(byTable.get("public.history").get("status").asText()).isEqualTo("different");
    assertThat(byTable.get("public.counters").get("status").asText()).isEqualTo("identical");
    assertThat(byTable.get("public.items").get("chunks").asInt()).isGreaterThanOrEqualTo(8);
    JsonNode row201 = byTable.get("public.items").get("differences").get(0).get("rows");
    assertThat(row201.get("sa-east").asText()).contains("\"name\": \"backdoor\"");
    assertThat(row201.get("eu-west").asText()).contains("\"name\": \"item 201\"");
    // Each region's row version: the same latest write everywhere (eu-west's insert), although
    // the values differ, which is what a change behind georep's back looks like.
    JsonNode versions201 = byTable.get("public.items").get("differences").get(0).get("versions");
    assertThat(versions201.size()).isEqualTo(3);
    assertThat(versions201.get("sa-east").asText())
        .startsWith("eu-west:")
        .contains(" at ")
        .isEqualTo(versions201.get("eu-west").asText())
        .isEqualTo(versions201.get("us-east").asText());
    JsonNode row250 = byTable.get("public.items").get("differences").get(3).get("rows");
    assertThat(row250.get("sa-east").isNull()).isTrue();
    assertThat(row250.get("us-east").asText()).contains("\"id\": 250");

    // Two regions nobody touched behind georep's back: identical, in text.
    topology.awaitQuiescence(Duration.ofMinutes(1));
    CliResult clean =
        CliResult.georep(
            "verify",
            "-c",
            configs.get("eu-west").toString(),
            "-c",
            configs.get("us-east").toString(),
            "--chunk-rows",
            "40");
    assertThat(clean.code()).as(clean.out() + clean.err()).isZero();
    assertThat(clean.out()).contains("IDENTICAL: ").contains("across eu-west, us-east");
    // Identical tables end at the whole-table digest: one scan, although items spans 8 chunks.
    assertThat(clean.out() + clean.err()).containsPattern("public.items: [0-9,]+ rows in 1 chunks");
    assertThat(clean.err()).contains("common causal point reached in");

    CliResult one =
        CliResult.georep(
            "verify",
            "-c",
            configs.get("eu-west").toString(),
            "-c",
            configs.get("sa-east").toString(),
            "--tables",
            "accounts");
    assertThat(one.code()).isEqualTo(1);
    assertThat(one.out())
        .contains("public.accounts: different: 1 rows differ")
        .contains("key [7]")
        .contains("(last write eu-west:")
        .contains("DIFFERENT: 50 rows in 1 tables");

    CliResult usage = CliResult.georep("verify", "-c", configs.get("eu-west").toString());
    assertThat(usage.code()).isEqualTo(2);
    assertThat(usage.err()).contains("give at least two regions' configurations");
  }

  private static List<String> keys(JsonNode table) {
    assertThat(table).isNotNull();
    List<String> keys = new ArrayList<>();
    for (JsonNode d : table.get("differences")) {
      keys.add(d.get("key").toString().replace("\"", ""));
    }
    return keys;
  }
}
