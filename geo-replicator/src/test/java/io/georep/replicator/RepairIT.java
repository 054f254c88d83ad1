package io.georep.replicator;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.georep.testkit.EmbeddedKafka;
import java.nio.file.Files;
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
 * {@code georep repair} against three real regions while every region keeps writing: rows changed
 * behind georep's back in one region (updated, deleted, inserted; ordinary, counter, g-counter,
 * or-set and 2p-set columns) are reported by verify, a dry run changes nothing, {@code repair
 * --from} a healthy region restores exactly them, and verify is then clean with every counter equal
 * to the increments the applications made. The changed region cannot be the source.
 */
class RepairIT {
  private static final ObjectMapper JSON = new ObjectMapper();

  private EmbeddedKafka kafka;
  private Topology topology;
  private final Map<String, Path> configs = new LinkedHashMap<>();
  private Path dir;

  @BeforeEach
  void start(@TempDir Path dir) throws Exception {
    this.dir = dir;
    kafka = EmbeddedKafka.start();
    topology = Topology.start(region -> kafka.bootstrapServers(), s -> s);
    configs.putAll(topology.writeConfigs(dir, kafka.bootstrapServers()));
  }

  @AfterEach
  void stop() throws Exception {
    Topology.closeAll(topology, kafka);
  }

  @Test
  void repair_fromAHealthyRegion_restoresExactlyTheRowsChangedBehindGeorepsBack() throws Exception {
    topology
        .db("eu-west")
        .execute(
            "INSERT INTO items (id, name, tags, once) SELECT g, 'item ' || g, ARRAY['a', 'b'],"
                + " ARRAY['o'] FROM generate_series(1, 300) g",
            "INSERT INTO accounts (id, email, note) SELECT g, 'a' || g || '@example.com', 'n'"
                + " FROM generate_series(1, 50) g",
            "INSERT INTO counters (id) SELECT g FROM generate_series(1, 200) g");
    topology.awaitQuiescence(Duration.ofMinutes(1));

    // Behind georep's back in sa-east, in a session whose replication origin the capture skips.
    topology
        .db("sa-east")
        .execute(
            "SELECT pg_replication_origin_create('georep_backdoor')",
            "SELECT pg_replication_origin_session_setup('georep_backdoor')",
            "UPDATE items SET name = 'backdoor' WHERE id = 201",
            "UPDATE items SET qty = qty + 7, tags = array_append(tags, 'x'), once = '{}'"
                + " WHERE id = 202",
            "DELETE FROM items WHERE id = 250",
            "INSERT INTO items (id, name) VALUES (999, 'ghost')",
            "UPDATE counters SET n = n + 5, g = g + 3 WHERE id = 150",
            "UPDATE accounts SET note = 'backdoor' WHERE id = 7",
            "SELECT pg_replication_origin_session_reset()");

    AtomicBoolean writing = new AtomicBoolean(true);
    AtomicLong increments = new AtomicLong();
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
                                + "', qty = qty + 1 WHERE id = "
                                + (1 + random.nextInt(100)),
                            "UPDATE counters SET n = n + 1 WHERE id = "
                                + (1 + random.nextInt(100)));
                    increments.incrementAndGet();
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
    CliResult dryRun;
    CliResult wrongSource;
    CliResult repair;
    Path report = dir.resolve("verify.json");
    try {
      Thread.sleep(500);
      verify = CliResult.georep(args("verify", "--chunk-rows", "40", "--json"));
      assertThat(verify.code()).as(verify.err()).isEqualTo(1);
      Files.writeString(report, verify.out());
      JsonNode found = JSON.readTree(verify.out());
      Map<String, List<String>> keys = new LinkedHashMap<>();
      for (JsonNode t : found.get("tables")) {
        List<String> k = new ArrayList<>();
        t.get("differences").forEach(d -> k.add(d.get("key").toString().replace("\"", "")));
        keys.put(t.get("table").asText(), k);
      }
      assertThat(keys.get("public.items"))
          .as(verify.err())
          .containsExactly("[201]", "[202]", "[250]", "[999]");
      assertThat(keys.get("public.counters")).containsExactly("[150]");
      assertThat(keys.get("public.accounts")).containsExactly("[7]");

      dryRun = CliResult.georep(args("repair", "--from", "eu-west", "--report", report.toString()));
      wrongSource =
          CliResult.georep(
              args("repair", "--from", "sa-east", "--tables", "items", "--keys", "201,3"));
      repair =
          CliResult.georep(
              args("repair", "--from", "eu-west", "--report", report.toString(), "--apply"));
    } finally {
      writing.set(false);
      for (Thread t : writers) {
        t.join(10_000);
      }
    }
    assertThat(increments.get()).as("the regions wrote while verify and repair ran").isPositive();

    assertThat(dryRun.code()).as(dryRun.out() + dryRun.err()).isZero();
    assertThat(dryRun.out())
        .contains("public.items key [201]: would repair")
        .contains("public.counters key [150]: would repair")
        .contains("DRY RUN: 6 rows from eu-west; run again with --apply");
    assertThat(wrongSource.code()).as(wrongSource.out() + wrongSource.err()).isEqualTo(1);
    assertThat(wrongSource.out())
        .contains("public.items key [201]: source changed")
        .contains("repair sa-east from another region first")
        .contains("public.items key [3]: ");

    assertThat(repair.code()).as(repair.out() + repair.err()).isZero();
    assertThat(repair.out())
        .contains("public.items key [202]: repaired")
        .contains("public.items key [999]: repaired")
        .contains("public.accounts key [7]: repaired")
        .contains("REPAIRED: 6 rows from eu-west");

    topology.awaitQuiescence(Duration.ofMinutes(1));
    CliResult clean = CliResult.georep(args("verify"));
    assertThat(clean.code()).as(clean.out() + clean.err()).isZero();
    assertThat(clean.out()).contains("IDENTICAL: ");
    for (String region : Topology.REGIONS) {
      assertThat(topology.count(region, "SELECT sum(n) FROM counters"))
          .as("counter n in %s: every increment counted once, the backdoor's +5 gone", region)
          .isEqualTo(increments.get());
      assertThat(topology.count(region, "SELECT sum(qty) FROM items"))
          .as("counter qty in %s", region)
          .isEqualTo(increments.get());
      assertThat(topology.count(region, "SELECT sum(g) FROM counters")).isZero();
      assertThat(topology.count(region, "SELECT count(*) FROM items WHERE id = 999")).isZero();
    }
    assertThat(
            topology.count(
                "sa-east",
                "SELECT count(*) FROM georep.conflict_log WHERE type = 'repair'"
                    + " AND resolver = 'repair'"))
        .as("each restored row is logged as a repair")
        .isEqualTo(6);
    assertThat(
            topology.count(
                "eu-west", "SELECT count(*) FROM georep.conflict_log WHERE type = 'repair'"))
        .isZero();
  }

  private String[] args(String command, String... more) {
    List<String> all = new ArrayList<>(List.of(command));
    for (String region : Topology.REGIONS) {
      all.add("-c");
      all.add(configs.get(region).toString());
    }
    all.addAll(List.of(more));
    return all.toArray(String[]::new);
  }
}
