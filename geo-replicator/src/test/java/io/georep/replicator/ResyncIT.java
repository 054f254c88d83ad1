package io.georep.replicator;

import static org.assertj.core.api.Assertions.assertThat;

import io.georep.testkit.Await;
import io.georep.testkit.EmbeddedKafka;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code georep resync} against three real regions: a corrupt frame in us-east's stream halts its
 * apply in eu-west and sa-east while every region keeps writing; each halted region is re-seeded
 * from us-east with its agent stopped and resumes; then every region is identical and every counter
 * equals the increments the applications made (nothing lost, nothing counted twice). A running
 * agent and unshipped local writes stop the resync; asked to, it discards them everywhere. A region
 * whose slot was lost is re-seeded from a region that was itself re-seeded, and its agent resumes
 * from the slot resync created, without an initial copy.
 */
class ResyncIT {
  private EmbeddedKafka kafka;
  private Topology topology;
  private final Map<String, Path> configs = new LinkedHashMap<>();
  private static final long T0 = System.nanoTime();
  private final java.util.Queue<String> events = new java.util.concurrent.ConcurrentLinkedQueue<>();

  private void event(String what) {
    events.add((System.nanoTime() - T0) / 1_000_000 + "ms " + what);
  }

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
  void regionsHaltedByAPoisonRecord_areBroughtBackByResync_andEveryRegionIsIdentical()
      throws Exception {
    topology
        .db("us-east")
        .execute(
            "INSERT INTO items (id, name, tags) SELECT g, 'item ' || g, ARRAY['a']"
                + " FROM generate_series(1, 200) g",
            "INSERT INTO counters (id) SELECT g FROM generate_series(1, 100) g",
            "INSERT INTO parents (id, name) SELECT g, 'p' || g FROM generate_series(1, 50) g",
            "INSERT INTO children (id, parent_id, v) SELECT g, 1 + g % 50, 'c'"
                + " FROM generate_series(1, 100) g",
            "INSERT INTO history (tid, bid, aid, delta) SELECT g % 3, 1, g, NULL"
                + " FROM generate_series(1, 30) g");
    topology.awaitQuiescence(Duration.ofMinutes(1));

    Writers writers = new Writers();
    writers.start();
    Topology.writeCorruptFrame(kafka.bootstrapServers(), "georep.us-east.changes");
    event("poison");
    for (String region : List.of("eu-west", "sa-east")) {
      Await.until(
          region + " halts us-east",
          Duration.ofMinutes(1),
          () -> topology.agent(region).status().origins().get("us-east").halt().isPresent());
    }
    // us-east keeps writing: none of it reaches the halted regions.
    topology.db("us-east").execute("INSERT INTO items (id, name) VALUES (500, 'after poison')");
    Thread.sleep(1500);
    assertThat(topology.count("eu-west", "SELECT count(*) FROM items WHERE id = 500")).isZero();

    // A running agent stops the resync.
    CliResult running = resync("eu-west");
    assertThat(running.code()).as(running.err()).isEqualTo(1);
    assertThat(running.err()).contains("eu-west's agent is running").contains("stop it first");

    // eu-west: stopped once everything it wrote is shipped, re-seeded, started again.
    stopShipped("eu-west", writers);
    event("resync eu-west start");
    CliResult euWest = resync("eu-west");
    event("resync eu-west end");
    System.out.println("diagnosis: eu-west resync: " + euWest.err() + euWest.out());
    assertThat(euWest.code()).as(euWest.out() + euWest.err()).isZero();
    assertThat(euWest.out()).contains("RESYNCED: eu-west from us-east");
    assertThat(euWest.err()).contains("copied public.items: ").contains("copied public.history");
    topology.startAgent("eu-west");
    event("started eu-west");
    writers.paused.remove("eu-west");
    Await.until(
        "eu-west applies what us-east wrote after the poison record",
        Duration.ofMinutes(1),
        () -> topology.count("eu-west", "SELECT count(*) FROM items WHERE id = 500") == 1);

    // sa-east: a local write its capture never shipped stops the resync; discarded when asked.
    stopShipped("sa-east", writers);
    topology.db("sa-east").execute("INSERT INTO parents (id, name) VALUES (900, 'unshipped')");
    CliResult refused = resync("sa-east");
    assertThat(refused.code()).as(refused.err()).isEqualTo(1);
    assertThat(refused.err())
        .contains("sa-east has 1 local transactions (1 row changes")
        .contains("--discard-unshipped");
    event("resync sa-east start");
    CliResult saEast = resync("sa-east", "--discard-unshipped");
    event("resync sa-east end");
    System.out.println("diagnosis: sa-east resync: " + saEast.err() + saEast.out());
    assertThat(saEast.code()).as(saEast.out() + saEast.err()).isZero();
    assertThat(saEast.out()).contains("discarded 1 unshipped local transactions");
    topology.startAgent("sa-east");
    event("started sa-east");
    writers.paused.remove("sa-east");

    // eu-west again, after its slot was lost, from sa-east (itself re-seeded): resync creates the
    // slot, so the agent resumes from it instead of starting an initial copy.
    stopShipped("eu-west", writers);
    String copiesSql = "SELECT slot_name, started_at FROM georep.initial_copy ORDER BY 1, 2";
    List<String> copies = topology.db("eu-west").rows(copiesSql);
    topology
        .db("eu-west")
        .execute("SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots");
    event("resync eu-west after a lost slot start");
    CliResult lostSlot =
        CliResult.georep(
            "resync",
            "eu-west",
            "--from",
            "sa-east",
            "-c",
            configs.get("eu-west").toString(),
            "-c",
            configs.get("sa-east").toString());
    event("resync eu-west after a lost slot end");
    System.out.println(
        "diagnosis: eu-west resync after a lost slot: " + lostSlot.err() + lostSlot.out());
    assertThat(lostSlot.code()).as(lostSlot.out() + lostSlot.err()).isZero();
    assertThat(lostSlot.err()).contains("had no slot").contains("created it");
    topology.startAgent("eu-west");
    writers.paused.remove("eu-west");

    Thread.sleep(2000);
    writers.stop();
    topology.awaitQuiescence(Duration.ofMinutes(2));
    assertThat(topology.db("eu-west").rows(copiesSql))
        .as("eu-west's agent resumed from the slot resync created, without an initial copy")
        .containsExactlyElementsOf(copies);
    try {
      topology.assertConverged();
    } catch (AssertionError e) {
      for (String region : Topology.REGIONS) {
        System.out.println(
            "diagnosis: "
                + region
                + " sum(qty)="
                + topology.count(region, "SELECT sum(qty) FROM items")
                + " sum(n)="
                + topology.count(region, "SELECT sum(n) FROM counters")
                + " expected "
                + writers.increments.get());
      }
      Map<String, List<String>> byRegion = new LinkedHashMap<>();
      for (String region : Topology.REGIONS) {
        byRegion.put(region, topology.db(region).rows("SELECT id, qty FROM items ORDER BY id"));
      }
      List<String> first = byRegion.get("us-east");
      for (int i = 0; i < first.size(); i++) {
        int row = i;
        if (byRegion.values().stream().anyMatch(l -> !l.get(row).equals(first.get(row)))) {
          int id = Integer.parseInt(first.get(row).replaceAll("id=(\\d+),.*", "$1"));
          byRegion.forEach((r, l) -> System.out.println("diagnosis: " + r + " " + l.get(row)));
          for (String w : writers.log) {
            if (w.endsWith(" item " + id)) {
              System.out.println("diagnosis: write " + w);
            }
          }
        }
      }
      events.forEach(ev -> System.out.println("diagnosis: event " + ev));
      throw e;
    }
    CliResult verify = CliResult.georep(args("verify"));
    assertThat(verify.code()).as(verify.out() + verify.err()).isZero();
    for (String region : Topology.REGIONS) {
      assertThat(topology.agent(region).status().origins().values())
          .allMatch(o -> o.halt().isEmpty());
      assertThat(topology.count(region, "SELECT sum(n) FROM counters"))
          .as("counter n in %s: every increment counted once", region)
          .isEqualTo(writers.increments.get());
      assertThat(topology.count(region, "SELECT sum(qty) FROM items"))
          .as("counter qty in %s", region)
          .isEqualTo(writers.increments.get());
      assertThat(topology.count(region, "SELECT count(*) FROM parents WHERE id = 900"))
          .as("the discarded write in %s", region)
          .isZero();
    }
  }

  /** Pauses a region's writer, waits until its capture confirmed everything, stops its agent. */
  private void stopShipped(String region, Writers writers) throws Exception {
    writers.paused.put(region, true);
    Thread.sleep(200);
    Topology.writeMarker(topology.db(region), region, 77);
    String lsn = topology.db(region).rows("SELECT pg_current_wal_lsn() AS l").get(0).substring(2);
    Await.until(
        region + "'s capture confirms its last write",
        Duration.ofMinutes(1),
        () ->
            topology
                .db(region)
                .rows(
                    "SELECT confirmed_flush_lsn >= '"
                        + lsn
                        + "'::pg_lsn AS ok FROM pg_replication_slots WHERE slot_name LIKE 'georep%'")
                .contains("ok=t"));
    event("stop " + region);
    topology.stopAgent(region);
  }

  private CliResult resync(String region, String... more) {
    List<String> all =
        new ArrayList<>(
            List.of(
                "resync",
                region,
                "--from",
                "us-east",
                "-c",
                configs.get(region).toString(),
                "-c",
                configs.get("us-east").toString()));
    all.addAll(List.of(more));
    return CliResult.georep(all.toArray(String[]::new));
  }

  private String[] args(String command) {
    List<String> all = new ArrayList<>(List.of(command));
    for (String region : Topology.REGIONS) {
      all.add("-c");
      all.add(configs.get(region).toString());
    }
    return all.toArray(String[]::new);
  }

  /** An application in every region: increments counters and renames items, unless paused. */
  private final class Writers {
    final AtomicBoolean writing = new AtomicBoolean(true);
    final AtomicLong increments = new AtomicLong();
    final Map<String, Boolean> paused = new ConcurrentHashMap<>();
    final List<Thread> threads = new ArrayList<>();
    final java.util.Queue<String> log = new java.util.concurrent.ConcurrentLinkedQueue<>();

    void start() {
      for (String region : Topology.REGIONS) {
        Thread t =
            new Thread(
                () -> {
                  SplittableRandom random = new SplittableRandom(region.hashCode());
                  while (writing.get()) {
                    try {
                      int item = 1 + random.nextInt(200);
                      if (!paused.containsKey(region)) {
                        topology
                            .db(region)
                            .execute(
                                "UPDATE items SET name = '"
                                    + region
                                    + " "
                                    + random.nextInt(1000)
                                    + "', qty = qty + 1 WHERE id = "
                                    + item,
                                "UPDATE counters SET n = n + 1 WHERE id = "
                                    + (1 + random.nextInt(100)));
                        increments.incrementAndGet();
                        log.add(
                            (System.nanoTime() - T0) / 1_000_000
                                + "ms "
                                + region
                                + " item "
                                + item);
                      }
                      Thread.sleep(50);
                    } catch (Exception e) {
                      throw new IllegalStateException("writer in " + region + " failed", e);
                    }
                  }
                },
                "writer-" + region);
        t.start();
        threads.add(t);
      }
    }

    void stop() throws InterruptedException {
      writing.set(false);
      for (Thread t : threads) {
        t.join();
      }
    }
  }
}
