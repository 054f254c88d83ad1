package io.georep.replicator;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.georep.testkit.Await;
import io.georep.testkit.ChildKafka;
import io.georep.testkit.EmbeddedRegionDatabase;
import io.georep.testkit.LoopbackProxy;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.TestInstance;

/**
 * The fault catalogue at agent level, at random: three regions, each agent a child JVM run by
 * {@code georep run --config}, each database an embedded PostgreSQL, one Kafka broker in a child
 * JVM that every agent reaches only through its region's TCP proxy. Per seed, a schedule of faults
 * over a {@value #WINDOW_SECONDS}-second window while a workload writes in every region: SIGKILL of
 * agents, two-way and one-way partitions and flapping links (phases of 1–5 s) between an agent and
 * Kafka, a hard kill of the broker, a database crash ({@code pg_ctl stop -m immediate}'s SIGQUIT),
 * and one region's database clock skewed (libfaketime) by up to two minutes either way. Then
 * everything heals and the invariants are checked (docs/reliability.md):
 *
 * <ul>
 *   <li>C1 every table has the same digest in every region;
 *   <li>C2 every counter row equals the sum of the committed increments;
 *   <li>C3 every committed transaction's ledger row is in every region (no committed write lost);
 *   <li>C5 every counter delta applied exactly once, the counter table's and every item's {@code
 *       qty} (a counter column of a row-LWW table);
 *   <li>C6 each region's stream holds only its own transactions, one per committed transaction;
 *   <li>C7 no row deleted by a committed transaction exists anywhere ({@code children} resolve with
 *       {@code delete-wins}; parents are never updated);
 *   <li>C8 no child without its parent, no e-mail twice;
 *   <li>C10 converged within {@value #CONVERGE_MINUTES} minutes of the heal;
 *   <li>C11 every agent process's {@code georep_conflicts_total} equals the rows it added to {@code
 *       georep.conflict_log}.
 * </ul>
 *
 * <p>Seeds: {@code -Dgeorep.chaos.seeds=N} runs N random seeds (3 by default); {@code
 * -Dgeorep.chaos.seed=S[,S…]} replays the given ones (same schedule, same workload operations; the
 * interleaving of threads and processes is the machine's). Every seed's line (faults, time to
 * converge, verdict) is printed and appended to {@code target/chaos-results.txt}. Needs Debian's
 * package {@code libfaketime} (installed by {@code .ci/run}); skipped with that name where absent.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ChaosIT {
  static final int WINDOW_SECONDS = 30;
  static final int CONVERGE_MINUTES = 4;
  private static final List<String> REGIONS = Topology.REGIONS;
  private static final long PAUSE_NANOS = 50_000_000L;

  static final String SCHEMA =
      Topology.SCHEMA
          + "CREATE TABLE ledger (region text NOT NULL, n bigint NOT NULL,"
          + " PRIMARY KEY (region, n));\n";

  static final String PUBLICATION =
      Topology.PUBLICATION.replace(
              "  - table: public.children\n",
              "  - table: public.children\n    resolver: delete-wins\n")
          + "  - table: public.ledger\n";

  private static final List<String> SNAPSHOT_QUERIES =
      Stream.concat(
              Topology.SNAPSHOT_QUERIES.stream(),
              Stream.of("SELECT region, n FROM ledger ORDER BY 1, 2"))
          .toList();

  private static final Topology.Replicated REPLICATED =
      new Topology.Replicated(SCHEMA, PUBLICATION, SNAPSHOT_QUERIES);

  private final ObjectMapper json = new ObjectMapper();
  private ChildKafka kafka;
  private final Map<String, LoopbackProxy> proxies = new LinkedHashMap<>();

  @BeforeAll
  void start() throws Exception {
    Assumptions.assumeTrue(
        Files.isReadable(EmbeddedRegionDatabase.LIBFAKETIME),
        "ChaosIT skews a database's clock with libfaketime: install Debian package libfaketime"
            + " (.ci/run does)");
    kafka = ChildKafka.start(REGIONS.size());
    for (int i = 0; i < REGIONS.size(); i++) {
      LoopbackProxy proxy = LoopbackProxy.open(REGIONS.get(i), kafka.advertisedProxyPort(i));
      proxy.forwardTo(kafka.proxiedPort(i));
      proxies.put(REGIONS.get(i), proxy);
    }
  }

  @AfterAll
  void stop() throws Exception {
    List<AutoCloseable> all = new ArrayList<>(proxies.values());
    all.add(kafka);
    Topology.closeAll(all.toArray(AutoCloseable[]::new));
  }

  @TestFactory
  Stream<DynamicTest> randomFaultSchedules_healed_keepEveryInvariant() {
    List<Long> seeds = new ArrayList<>();
    String replay = System.getProperty("georep.chaos.seed");
    if (replay != null && !replay.isBlank()) {
      Matcher m = Pattern.compile("\\d+").matcher(replay);
      while (m.find()) {
        seeds.add(Long.parseLong(m.group()));
      }
    } else {
      SplittableRandom r = new SplittableRandom(System.nanoTime());
      for (int i = 0; i < Integer.getInteger("georep.chaos.seeds", 3); i++) {
        seeds.add(r.nextLong() & Long.MAX_VALUE);
      }
    }
    System.out.println(
        "ChaosIT seeds " + seeds + " (replay one: -Dgeorep.chaos.seed=" + seeds.get(0) + ")");
    return seeds.stream()
        .map(seed -> DynamicTest.dynamicTest("seed " + seed, () -> new Run(seed).execute()));
  }

  /** What can fail. */
  enum Kind {
    AGENT_KILL,
    PARTITION,
    ONE_WAY,
    FLAP,
    BROKER_KILL,
    DB_CRASH,
    CLOCK_SKEW
  }

  /**
   * One fault of a schedule.
   *
   * @param kind what fails
   * @param target the region (or "broker")
   * @param atMillis when, from the window's start
   * @param forMillis how long until it heals (for CLOCK_SKEW: until the window's end)
   * @param detail the one-way direction, the flapping phases, the clock offset in seconds
   */
  record Fault(Kind kind, String target, long atMillis, long forMillis, List<Long> detail) {
    @Override
    public String toString() {
      String what =
          switch (kind) {
            case AGENT_KILL -> "SIGKILL agent " + target;
            case PARTITION -> "cut " + target + "<->kafka";
            case ONE_WAY ->
                "one-way " + target + (detail.get(0) == 0 ? "->kafka" : "<-kafka") + " blocked";
            case FLAP -> "flap " + target + "<->kafka " + detail + "ms";
            case BROKER_KILL -> "SIGKILL broker";
            case DB_CRASH -> "crash db " + target;
            case CLOCK_SKEW ->
                "clock of " + target + " " + (detail.get(0) >= 0 ? "+" : "") + detail.get(0) + "s";
          };
      return String.format("%.1fs %s for %.1fs", atMillis / 1000.0, what, forMillis / 1000.0);
    }
  }

  /**
   * The schedule of a seed: every kind of fault at least once, agent kills and partitions more
   * often; faults of one resource (an agent, a link, a database, the broker) never overlap, faults
   * of different ones do.
   *
   * @param r the seed's random source
   * @param skewed the region whose clock is skewed
   */
  static List<Fault> plan(SplittableRandom r, String skewed) {
    long window = WINDOW_SECONDS * 1000L;
    List<Kind> kinds = new ArrayList<>(List.of(Kind.values()));
    for (int i = r.nextInt(3); i > 0; i--) {
      kinds.add(Kind.AGENT_KILL);
    }
    for (Kind k : List.of(Kind.PARTITION, Kind.ONE_WAY, Kind.FLAP)) {
      if (r.nextBoolean()) {
        kinds.add(k);
      }
    }
    Map<String, List<long[]>> busy = new LinkedHashMap<>();
    List<Fault> faults = new ArrayList<>();
    for (Kind kind : kinds) {
      String target =
          switch (kind) {
            case BROKER_KILL -> "broker";
            case CLOCK_SKEW -> skewed;
            default -> REGIONS.get(r.nextInt(REGIONS.size()));
          };
      long length;
      List<Long> detail = new ArrayList<>();
      switch (kind) {
        case AGENT_KILL, DB_CRASH -> length = between(r, 1_000, 5_000);
        case PARTITION -> length = between(r, 2_000, 10_000);
        case ONE_WAY -> {
          length = between(r, 2_000, 10_000);
          detail.add((long) r.nextInt(2));
        }
        case FLAP -> {
          length = 0;
          for (int phases = 2 + 2 * r.nextInt(3); phases > 0; phases--) {
            long phase = between(r, 1_000, 5_000);
            detail.add(phase);
            length += phase;
          }
        }
        case BROKER_KILL -> length = between(r, 2_000, 6_000);
        case CLOCK_SKEW -> {
          long seconds = between(r, 10, 120);
          detail.add(r.nextBoolean() ? seconds : -seconds);
          length = 0;
        }
        default -> throw new IllegalStateException(kind.toString());
      }
      String resource =
          switch (kind) {
            case PARTITION, ONE_WAY, FLAP -> "link " + target;
            default -> kind + " " + target;
          };
      for (int attempt = 0; attempt < 20; attempt++) {
        long at =
            kind == Kind.CLOCK_SKEW
                ? between(r, 1_000, window / 2)
                : between(r, 1_000, Math.max(1_001, window - length - 500));
        long end = kind == Kind.CLOCK_SKEW ? window : at + length;
        List<long[]> taken = busy.computeIfAbsent(resource, k -> new ArrayList<>());
        if (taken.stream().noneMatch(t -> at < t[1] + 1_000 && t[0] < end + 1_000)) {
          taken.add(new long[] {at, end});
          faults.add(new Fault(kind, target, at, end - at, List.copyOf(detail)));
          break;
        }
      }
    }
    faults.sort(Comparator.comparingLong(Fault::atMillis));
    return faults;
  }

  private static long between(SplittableRandom r, long min, long max) {
    return min + r.nextLong(max - min + 1);
  }

  /** One seed: its own databases, topics, agents and workload on the shared broker. */
  private final class Run {
    private final long seed;
    private final SplittableRandom random;
    private final String skewed;
    private final List<Fault> faults;
    private final String prefix;
    private final Path dir;
    private final Path clockFile;
    private final Map<String, EmbeddedRegionDatabase> databases = new LinkedHashMap<>();
    private final Map<String, AgentProcess> agents = new LinkedHashMap<>();
    private final Map<String, Long> conflictLogBase = new LinkedHashMap<>();
    private final List<Throwable> faultFailures = new CopyOnWriteArrayList<>();
    private final Map<Integer, AtomicLong> increments = Workload.newIncrements();
    private final List<Workload> workloads = new ArrayList<>();
    private Topology topology;

    Run(long seed) throws IOException {
      this.seed = seed;
      this.random = new SplittableRandom(seed);
      this.skewed = REGIONS.get(random.nextInt(REGIONS.size()));
      this.faults = plan(random.split(), skewed);
      this.prefix = "chaos-" + Long.toHexString(seed);
      this.dir = Files.createTempDirectory("georep-chaos-");
      this.clockFile = dir.resolve("clock");
    }

    void execute() throws Exception {
      System.out.println("ChaosIT seed=" + seed + " (replay: -Dgeorep.chaos.seed=" + seed + ")");
      faults.forEach(f -> System.out.println("  planned: " + f));
      long healedAt = 0;
      String verdict = "FAILED";
      double converged = -1;
      long began = System.nanoTime();
      double setup = -1;
      double checks = -1;
      try {
        startRegions();
        setup = (System.nanoTime() - began) / 1e9;
        healedAt = underWorkload();
        converged = awaitConverged(healedAt);
        long checking = System.nanoTime();
        check();
        checks = (System.nanoTime() - checking) / 1e9;
        verdict = "CONVERGED, C1-C11 hold";
      } catch (Throwable t) {
        keepLogs();
        if (Boolean.getBoolean("georep.chaos.keep")) {
          for (Map.Entry<String, EmbeddedRegionDatabase> e : databases.entrySet()) {
            System.out.println(
                "ChaosIT seed="
                    + seed
                    + ": data of "
                    + e.getKey()
                    + " kept in "
                    + e.getValue().stopKeepingData());
          }
          databases.clear();
          topology = null;
        }
        throw t;
      } finally {
        String line =
            String.format(
                "seed=%d skewed=%s faults=%d setup=%.0fs faulted=%.0fs converged=%s checks=%.0fs"
                    + " total=%.0fs verdict=%s kept-by-later-write=%d schedule=%s",
                seed,
                skewed,
                faults.size(),
                setup,
                healedAt == 0 ? -1 : (healedAt - began) / 1e9 - setup,
                converged < 0 ? "-" : String.format("%.1fs", converged),
                checks,
                (System.nanoTime() - began) / 1e9,
                verdict,
                keptByLaterWrite,
                faults);
        System.out.println("ChaosIT " + line);
        Files.writeString(
            Path.of("target", "chaos-results.txt"),
            line + System.lineSeparator(),
            java.nio.file.StandardOpenOption.CREATE,
            java.nio.file.StandardOpenOption.APPEND);
        close();
      }
    }

    private void startRegions() throws Exception {
      Files.writeString(clockFile, "+0\n");
      Path publication = Files.writeString(dir.resolve("chaos.yaml"), PUBLICATION);
      ExecutorService pool = Executors.newFixedThreadPool(REGIONS.size());
      try {
        Map<String, Future<EmbeddedRegionDatabase>> started = new LinkedHashMap<>();
        for (String region : REGIONS) {
          started.put(
              region,
              pool.submit(
                  () -> {
                    EmbeddedRegionDatabase db =
                        region.equals(skewed)
                            ? EmbeddedRegionDatabase.builder().clockFile(clockFile).start()
                            : EmbeddedRegionDatabase.start();
                    db.execute(SCHEMA);
                    return db;
                  }));
        }
        // Every server that started is kept (and closed with the run) even when another failed.
        Exception failure = null;
        for (Map.Entry<String, Future<EmbeddedRegionDatabase>> e : started.entrySet()) {
          try {
            databases.put(e.getKey(), e.getValue().get(2, TimeUnit.MINUTES));
          } catch (Exception startFailed) {
            failure = failure == null ? startFailed : failure;
          }
        }
        if (failure != null) {
          throw failure;
        }
      } finally {
        pool.shutdownNow();
      }
      topology = Topology.over(REPLICATED, databases);
      for (int i = 0; i < REGIONS.size(); i++) {
        String region = REGIONS.get(i);
        Path config =
            Files.writeString(
                dir.resolve(region + ".yaml"),
                """
                region: %s
                database: {url: '%s', user: postgres}
                publications: ['%s']
                kafka: {bootstrap.servers: '127.0.0.1:%d'}
                regions: [eu-west, sa-east, us-east]
                topics: {prefix: %s, replication.factor: 1, retention: 1d}
                control: {heartbeat.interval: 200ms, region.timeout: 5s, gc.interval: 2s}
                apply: {retry.min: 20ms, retry.max: 1s}
                http: {host: 127.0.0.1, port: 0}
                """
                    .formatted(
                        region,
                        databases.get(region).jdbcUrl(),
                        publication,
                        kafka.advertisedProxyPort(i),
                        prefix));
        AgentProcess agent = new AgentProcess(region, config, dir, "256m");
        agents.put(region, agent);
        startAgent(region);
      }
      Await.until(
          "every agent is ready",
          Duration.ofMinutes(2),
          () -> agents.values().stream().allMatch(AgentProcess::ready));
      databases
          .get(REGIONS.get(0))
          .execute("INSERT INTO counters (id, n) VALUES (1,0),(2,0),(3,0),(4,0),(5,0)");
      Await.until(
          "the counter rows reach every region",
          Duration.ofMinutes(2),
          () -> {
            for (EmbeddedRegionDatabase db : databases.values()) {
              if (db.rows("SELECT id FROM counters").size() != Workload.COUNTERS) {
                return false;
              }
            }
            return true;
          });
    }

    /** Notes the conflict log's high-water mark (for C11), then starts the agent's process. */
    private void startAgent(String region) throws Exception {
      EmbeddedRegionDatabase db = databases.get(region);
      Await.until(
          "the database of " + region + " is up to start its agent",
          Duration.ofMinutes(1),
          () -> {
            try {
              conflictLogBase.put(region, conflictLogHighWater(db));
              return true;
            } catch (SQLException down) {
              return false;
            }
          });
      agents.get(region).start();
    }

    private long conflictLogHighWater(EmbeddedRegionDatabase db) throws SQLException {
      try {
        String max = db.rows("SELECT coalesce(max(id), 0) AS m FROM georep.conflict_log").get(0);
        return Long.parseLong(max.substring(max.indexOf('=') + 1));
      } catch (SQLException e) {
        if ("42P01".equals(e.getSQLState()) || "3F000".equals(e.getSQLState())) {
          return 0; // before the agent's first start: no schema georep yet
        }
        throw e;
      }
    }

    /** Runs the workload through the fault window; returns when everything is healed. */
    private long underWorkload() throws Exception {
      AtomicBoolean stop = new AtomicBoolean();
      ExecutorService pool = Executors.newFixedThreadPool(REGIONS.size());
      List<Future<?>> runs = new ArrayList<>();
      try {
        for (int i = 0; i < REGIONS.size(); i++) {
          String region = REGIONS.get(i);
          Workload w =
              new Workload(region, i, random.nextLong(), databases.get(region), increments)
                  .withLedger();
          workloads.add(w);
          runs.add(w.submit(pool, stop, PAUSE_NANOS));
        }
        Await.until(
            "the workload is under way",
            Duration.ofMinutes(1),
            () -> workloads.stream().allMatch(w -> w.changingTransactions.get() >= 10));
        inject();
        heal();
        long healedAt = System.nanoTime();
        stop.set(true);
        for (Future<?> run : runs) {
          run.get(2, TimeUnit.MINUTES);
        }
        return healedAt;
      } finally {
        stop.set(true);
        pool.shutdownNow();
      }
    }

    /** Runs the schedule: every fault and its healing at their times. */
    private void inject() throws Exception {
      ScheduledExecutorService timeline = Executors.newScheduledThreadPool(8);
      List<Future<?>> steps = new ArrayList<>();
      try {
        for (Fault f : faults) {
          steps.add(timeline.schedule(() -> step(f, true), f.atMillis(), TimeUnit.MILLISECONDS));
          if (f.kind() == Kind.FLAP) {
            long t = f.atMillis();
            for (int i = 0; i < f.detail().size(); i++) {
              boolean cut = i % 2 == 0;
              steps.add(timeline.schedule(() -> flap(f.target(), cut), t, TimeUnit.MILLISECONDS));
              t += f.detail().get(i);
            }
          }
          if (f.kind() != Kind.CLOCK_SKEW) {
            steps.add(
                timeline.schedule(
                    () -> step(f, false), f.atMillis() + f.forMillis(), TimeUnit.MILLISECONDS));
          }
        }
        Thread.sleep(WINDOW_SECONDS * 1000L);
        for (Future<?> s : steps) {
          s.get(3, TimeUnit.MINUTES);
        }
      } finally {
        timeline.shutdownNow();
      }
      if (!faultFailures.isEmpty()) {
        AssertionError e =
            new AssertionError("injecting or healing a fault failed (seed " + seed + ")");
        faultFailures.forEach(e::addSuppressed);
        throw e;
      }
    }

    private Void flap(String region, boolean cut) {
      if (cut) {
        proxies.get(region).cut();
      } else {
        proxies.get(region).heal();
      }
      return null;
    }

    /** Done when a fault's injection finished: its healing waits for it (a slow crash, a kill). */
    private final java.util.IdentityHashMap<Fault, java.util.concurrent.CompletableFuture<Void>>
        injected = new java.util.IdentityHashMap<>();

    private synchronized java.util.concurrent.CompletableFuture<Void> injected(Fault f) {
      return injected.computeIfAbsent(f, x -> new java.util.concurrent.CompletableFuture<>());
    }

    /** Injects ({@code inject}) or heals a fault; a failure is kept for the verdict. */
    private Void step(Fault f, boolean inject) {
      try {
        if (!inject) {
          injected(f).get(2, TimeUnit.MINUTES);
        }
        stepNow(f, inject);
      } catch (Exception e) {
        faultFailures.add(e);
      } finally {
        if (inject) {
          injected(f).complete(null);
        }
      }
      return null;
    }

    private void stepNow(Fault f, boolean inject) {
      try {
        LoopbackProxy proxy = proxies.get(f.target());
        switch (f.kind()) {
          case AGENT_KILL -> {
            if (inject) {
              agents.get(f.target()).kill();
            } else {
              startAgent(f.target());
            }
          }
          case PARTITION -> {
            if (inject) {
              proxy.cut();
            } else {
              proxy.heal();
            }
          }
          case ONE_WAY -> {
            if (inject) {
              proxy.block(
                  f.detail().get(0) == 0
                      ? LoopbackProxy.Direction.TO_TARGET
                      : LoopbackProxy.Direction.FROM_TARGET);
            } else {
              proxy.heal();
            }
          }
          case FLAP -> {
            if (!inject) {
              proxy.heal();
            }
          }
          case BROKER_KILL -> {
            if (inject) {
              kafka.kill();
            } else {
              kafka.restart();
            }
          }
          case DB_CRASH -> {
            EmbeddedRegionDatabase db = databases.get(f.target());
            if (inject) {
              db.crash();
            } else {
              db.startAgain();
            }
          }
          case CLOCK_SKEW -> {
            long seconds = f.detail().get(0);
            Files.writeString(clockFile, (seconds >= 0 ? "+" : "") + seconds + "s\n");
          }
          default -> throw new IllegalStateException(f.toString());
        }
      } catch (Throwable t) {
        System.out.println(
            "ChaosIT seed=" + seed + ": " + (inject ? "" : "healing ") + f + " failed: " + t);
        faultFailures.add(t);
      }
    }

    /** Heals whatever is still broken: links, clock, broker, databases, agents. */
    private void heal() throws Exception {
      proxies.values().forEach(LoopbackProxy::heal);
      Files.writeString(clockFile, "+0\n");
      if (!kafka.isAlive()) {
        kafka.restart();
      }
      for (String region : REGIONS) {
        if (!agents.get(region).isAlive()) {
          System.out.println(
              "ChaosIT seed="
                  + seed
                  + ": the agent of "
                  + region
                  + " had exited; "
                  + "its log ends with:\n"
                  + agents.get(region).tail(30));
          throw new AssertionError(
              "the agent of " + region + " exited by itself (seed " + seed + ")");
        }
      }
    }

    /**
     * Waits for markers written now in every region and equal digests; returns the seconds taken.
     */
    private double awaitConverged(long healedAt) throws Exception {
      for (Workload w : workloads) {
        w.resolveInDoubt();
      }
      int round = (int) (seed & 0x3fffffff);
      for (String region : REGIONS) {
        Topology.writeMarker(databases.get(region), region, round);
      }
      try {
        Await.until(
            "C10: every region has every marker, has applied every shipped transaction, and every"
                + " table's digest is equal, within "
                + CONVERGE_MINUTES
                + " minutes of the heal",
            Duration.ofMinutes(CONVERGE_MINUTES)
                .minus(Duration.ofNanos(System.nanoTime() - healedAt)),
            () -> {
              if (System.nanoTime() - lastProgress > 10_000_000_000L) {
                lastProgress = System.nanoTime();
                progress(healedAt);
              }
              return markersEverywhere(round) && appliedEverywhere() && topology.digestsEqual();
            });
      } catch (AssertionError e) {
        diagnose();
        throw e;
      }
      return (System.nanoTime() - healedAt) / 1e9;
    }

    private long lastProgress = System.nanoTime();

    /** Prints, while converging, what each agent still has to apply and its capture's state. */
    private void progress(long healedAt) {
      StringBuilder line =
          new StringBuilder(
              String.format(
                  "ChaosIT seed=%d converging, %.0fs after the heal:",
                  seed, (System.nanoTime() - healedAt) / 1e9));
      for (String region : REGIONS) {
        try {
          JsonNode status = json.readTree(agents.get(region).get("/api/status").body());
          line.append(' ')
              .append(region)
              .append("[capture ")
              .append(status.path("capture").path("state").asText());
          for (String origin : REGIONS) {
            JsonNode o = status.path("origins").path(origin);
            if (!o.isMissingNode()) {
              line.append(", ")
                  .append(origin)
                  .append(" lag ")
                  .append(o.path("lagTransactions").asLong())
                  .append(" tx ")
                  .append(o.path("state").asText());
            }
          }
          line.append(']');
        } catch (Exception e) {
          line.append(' ').append(region).append("[unreachable: ").append(e).append(']');
        }
      }
      System.out.println(line);
    }

    private boolean markersEverywhere(int round) throws SQLException {
      for (EmbeddedRegionDatabase db : databases.values()) {
        if (db.rows("SELECT 1 FROM markers WHERE v = " + round).size() != REGIONS.size()) {
          return false;
        }
      }
      return true;
    }

    private boolean appliedEverywhere() throws Exception {
      Map<String, JsonNode> status = new LinkedHashMap<>();
      for (String region : REGIONS) {
        status.put(region, json.readTree(agents.get(region).get("/api/status").body()));
      }
      for (String region : REGIONS) {
        for (String origin : REGIONS) {
          if (!origin.equals(region)
              && status.get(region).path("origins").path(origin).path("appliedSeq").asLong()
                  < status.get(origin).path("capture").path("shippedSeq").asLong()) {
            return false;
          }
        }
      }
      return true;
    }

    private void check() throws Exception {
      topology.assertConverged(); // C1
      for (String region : REGIONS) {
        EmbeddedRegionDatabase db = databases.get(region);
        for (int id = 1; id <= Workload.COUNTERS; id++) {
          assertThat(db.rows("SELECT n FROM counters WHERE id = " + id))
              .as("C2: counter %d in %s (seed %d)", id, region, seed)
              .containsExactly("n=" + increments.get(id).get());
        }
        for (String row : db.rows("SELECT id, qty FROM items ORDER BY id")) {
          int id = Integer.parseInt(row.substring(3, row.indexOf(',')));
          AtomicLong sum = increments.get(-id);
          assertThat(row)
              .as("C5: qty of item %d in %s, every delta once (seed %d)", id, region, seed)
              .isEqualTo("id=" + id + ",qty=" + (sum == null ? 0 : sum.get()));
        }
        Set<String> ledger = new HashSet<>(db.rows("SELECT region, n FROM ledger"));
        // The rows of parents and children, as "table:id" like Workload.deleted.
        Set<String> present = new HashSet<>();
        for (String table : List.of("parents", "children")) {
          for (String row : db.rows("SELECT id FROM " + table)) {
            present.add(table + ":" + row.substring("id=".length()));
          }
        }
        for (Workload w : workloads) {
          for (long n : w.committed) {
            String entry = "region=" + REGIONS.get(workloads.indexOf(w)) + ",n=" + n;
            assertThat(ledger)
                .as("C3: committed transaction %s is in %s (seed %d)", entry, region, seed)
                .contains(entry);
          }
          for (String deleted : w.deleted) {
            if (!present.contains(deleted)) {
              continue;
            }
            int colon = deleted.indexOf(':');
            String table = deleted.substring(0, colon);
            String id = deleted.substring(colon + 1);
            // Still there: only a write with a later HLC than a delete of the row may have kept it
            // (last-writer-wins), and that conflict is in the log. A delete that causally followed
            // the write can meet it as concurrent (its region applied the write above its applied
            // watermark); with the writer's clock beyond the skew bound, the write's HLC is the
            // later one (docs/reliability.md).
            assertThat(laterWriteBeatADelete(db, table, id))
                .as(
                    "C7: %s deleted by a committed transaction is in %s, and no write with a later"
                        + " HLC than a delete of it is logged (seed %d)",
                    deleted, region, seed)
                .isTrue();
            if (region.equals(REGIONS.get(0))) {
              keptByLaterWrite++;
            }
          }
        }
        assertThat(
                db.rows(
                    "SELECT c.id, c.parent_id FROM children c"
                        + " LEFT JOIN parents p ON p.id = c.parent_id WHERE p.id IS NULL"))
            .as("C8: children without a parent in %s (seed %d)", region, seed)
            .isEmpty();
        assertThat(db.rows("SELECT email FROM accounts GROUP BY email HAVING count(*) > 1"))
            .as("C8: e-mails held twice in %s (seed %d)", region, seed)
            .isEmpty();
      }
      for (int i = 0; i < REGIONS.size(); i++) {
        String region = REGIONS.get(i);
        long committed =
            Long.parseLong(
                databases
                    .get(region)
                    .rows("SELECT count(*) AS c FROM ledger WHERE region = '" + region + "'")
                    .get(0)
                    .substring(2));
        // The counters' seeding (first region), every committed workload transaction, the marker.
        long expected = (i == 0 ? 1 : 0) + committed + 1;
        assertThat(Topology.distinctShippedSeqs(kafka.bootstrapServers(), prefix, region))
            .as("C6: transactions in the stream of %s (seed %d)", region, seed)
            .hasSize((int) expected);
      }
      for (String region : REGIONS) {
        long logged =
            Long.parseLong(
                databases
                    .get(region)
                    .rows(
                        "SELECT count(*) AS c FROM georep.conflict_log WHERE id > "
                            + conflictLogBase.get(region))
                    .get(0)
                    .substring(2));
        String scrape = agents.get(region).get("/metrics").body();
        Matcher m = Pattern.compile("(?m)^georep_conflicts_total\\{[^}]*} (\\S+)$").matcher(scrape);
        double counted = 0;
        while (m.find()) {
          counted += Double.parseDouble(m.group(1));
        }
        assertThat((long) counted)
            .as("C11: conflicts counted by %s's agent = rows it logged (seed %d)", region, seed)
            .isEqualTo(logged);
      }
    }

    /** Rows deleted by a committed transaction that a write with a later HLC kept (C7). */
    private int keptByLaterWrite;

    /** Whether the conflict log holds a delete of the row that lost to a write with a later HLC. */
    private boolean laterWriteBeatADelete(EmbeddedRegionDatabase db, String table, String id)
        throws Exception {
      try (java.sql.Connection c = db.connect();
          java.sql.PreparedStatement q =
              c.prepareStatement(
                  "SELECT local::text, remote::text FROM georep.conflict_log"
                      + " WHERE table_name = ? AND row_key = ?::jsonb"
                      + " AND type IN ('delete-update', 'update-delete')")) {
        q.setString(1, table);
        q.setString(2, "[" + id + "]");
        try (java.sql.ResultSet rs = q.executeQuery()) {
          while (rs.next()) {
            JsonNode local = json.readTree(rs.getString(1));
            JsonNode remote = json.readTree(rs.getString(2));
            boolean localIsDelete = local.path("tombstone").asBoolean();
            JsonNode delete = localIsDelete ? local : remote;
            JsonNode write = localIsDelete ? remote : local;
            if (!write.path("tombstone").asBoolean() && later(write, delete)) {
              return true;
            }
          }
        }
      }
      return false;
    }

    /** HLC order of two logged versions: wall time, logical counter, then origin. */
    private boolean later(JsonNode a, JsonNode b) {
      Comparator<JsonNode> order =
          Comparator.<JsonNode>comparingLong(v -> v.path("hlc").path("wall").asLong())
              .thenComparingLong(v -> v.path("hlc").path("logical").asLong())
              .thenComparing(v -> v.path("origin").asText());
      return order.compare(a, b) > 0;
    }

    private void diagnose() {
      for (String region : REGIONS) {
        try {
          System.out.println(
              "status of " + region + ": " + agents.get(region).get("/api/status").body());
        } catch (Exception e) {
          System.out.println("status of " + region + ": " + e);
        }
      }
    }

    /** Keeps the agents' logs of a failed seed in target/chaos-<seed>/. */
    private void keepLogs() {
      try {
        Path keep = Files.createDirectories(Path.of("target", "chaos-" + seed));
        try (var files = Files.list(dir)) {
          for (Path f :
              files
                  .filter(p -> p.toString().endsWith(".log") || p.toString().endsWith(".out"))
                  .toList()) {
            Files.copy(
                f,
                keep.resolve(f.getFileName()),
                java.nio.file.StandardCopyOption.REPLACE_EXISTING);
          }
        }
        System.out.println(
            "ChaosIT seed=" + seed + ": agents' logs kept in " + keep.toAbsolutePath());
      } catch (IOException e) {
        System.out.println("cannot keep the logs: " + e);
      }
    }

    private void close() throws Exception {
      List<AutoCloseable> all = new ArrayList<>(agents.values());
      all.add(topology);
      if (topology == null) {
        all.addAll(databases.values());
      }
      proxies.values().forEach(LoopbackProxy::heal);
      try {
        Topology.closeAll(all.toArray(AutoCloseable[]::new));
      } finally {
        try (var files = Files.walk(dir)) {
          files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
      }
    }
  }
}
