package io.georep.cli.demo;

import io.georep.publication.Publication;
import io.georep.replicator.Agent;
import io.georep.replicator.AgentSettings;
import io.georep.replicator.AgentStatus;
import io.georep.testkit.Directories;
import io.georep.testkit.EmbeddedKafka;
import io.georep.testkit.EmbeddedRegionDatabase;
import io.georep.testkit.LoopbackProxy;
import io.georep.vectorclock.ReplicaId;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.function.LongSupplier;

/**
 * One run of {@code georep demo}: several regions on this machine, each an embedded PostgreSQL
 * server with the sample schema and a georep agent, all streams on one in-process Kafka broker; a
 * write load in every region that conflicts on purpose; a live status; faults on a schedule; and at
 * the end a comparison of every table across regions.
 *
 * <p>Lifecycle: {@link #run()} starts everything (the servers in parallel), runs the load, waits
 * until every region has applied everything, compares, and returns the {@link DemoResult}; {@link
 * #close()} stops the load, the agents, the proxies, the broker and the databases, and deletes the
 * data directory unless {@link DemoOptions#keep()}. {@code close()} may be called from another
 * thread while {@code run()} is under way (a Ctrl-C): {@code run()} then ends with a {@link
 * CancellationException}.
 *
 * <p>Every agent reaches the broker through its own {@link LoopbackProxy}, on a broker listener
 * that advertises the proxy's port; a {@code cut} fault closes that proxy, so the region is really
 * partitioned from Kafka — its local writes go on, its stream stops, and after the heal it catches
 * up.
 *
 * <p>About 1,100 lines: one run's orchestration (servers, broker, proxies, agents, load, faults,
 * live status, verdict) sharing the run's state. The load ({@code RegionLoad}), the schema ({@code
 * DemoSchema}), the proxies and the table comparison ({@code TableComparison}) already live apart;
 * the next seams are the live status screen and the fault schedule, each a class of its own once
 * they grow further.
 */
public final class Demo implements AutoCloseable {
  private static final Duration READY_TIMEOUT = Duration.ofMinutes(2);
  private static final Duration SEED_TIMEOUT = Duration.ofMinutes(1);
  private static final long SAMPLE_MILLIS = 100;

  private final DemoOptions options;
  private final PrintWriter out;
  private final LongSupplier nanoClock;
  private final List<String> regions;

  private final Object lock = new Object();
  private final CountDownLatch closedSignal = new CountDownLatch(1);
  private final CountDownLatch closeDone = new CountDownLatch(1);
  private final AtomicBoolean started = new AtomicBoolean();
  private volatile boolean closing;
  private boolean closed;

  private Path dataDirectory;
  private final Map<String, LoopbackProxy> proxies = new ConcurrentHashMap<>();
  private final Map<String, EmbeddedRegionDatabase> databases = new ConcurrentHashMap<>();
  private volatile EmbeddedKafka kafka;
  private final Map<String, Agent> agents = new ConcurrentHashMap<>();
  private final ExecutorService workers = Executors.newCachedThreadPool(Demo::daemon);
  private final ScheduledExecutorService ticker =
      Executors.newSingleThreadScheduledExecutor(Demo::daemon);

  private final List<RegionLoad> loads = new ArrayList<>();
  private final List<String> loadProblems = new ArrayList<>();
  private final List<Future<?>> loadRuns = new ArrayList<>();
  private volatile boolean stopLoad;
  private final AtomicLongArray increments = new AtomicLongArray(DemoSchema.SEEDED_ACCOUNTS + 1);
  private final LagTracker lag = new LagTracker();
  private final Map<String, Connection> statusConnections = new HashMap<>();
  private volatile String phase = "load";
  private ScheduledFuture<?> sampling;
  private ScheduledFuture<?> status;
  private long startNanos;
  private long loadStartNanos;
  private long lastTickNanos;
  private long lastTickWrites;

  /**
   * Prepares a run; nothing starts before {@link #run()}.
   *
   * @param options what to run
   * @param out where the progress, live status and verdict go
   * @param nanoClock a monotonic clock in nanoseconds ({@code System::nanoTime})
   */
  public Demo(DemoOptions options, PrintWriter out, LongSupplier nanoClock) {
    this.options = options;
    this.out = out;
    this.nanoClock = nanoClock;
    this.regions = options.regionNames();
  }

  private static Thread daemon(Runnable r) {
    Thread t = new Thread(r, "georep-demo");
    t.setDaemon(true);
    return t;
  }

  /**
   * Runs the demo and returns its outcome; also prints it.
   *
   * @return the outcome
   * @throws CancellationException if {@link #close()} was called meanwhile
   * @throws IllegalStateException if a server or an agent cannot start, naming it and why, or if
   *     the demo already ran
   */
  public DemoResult run() {
    if (started.getAndSet(true)) {
      throw new IllegalStateException("a demo runs once; create a new Demo to run again");
    }
    startNanos = nanoClock.getAsLong();
    try {
      printHeader();
      Publication publication = DemoSchema.publication();
      startServers();
      validate(publication);
      startAgents(publication);
      awaitReady();
      Optional<Duration> first = seed();
      runLoad();
      List<String> problems = new ArrayList<>(loadProblems);
      settle(problems);
      status.cancel(false);
      sampling.cancel(false);
      ticker.shutdown();
      awaitTicker();
      return verify(problems, first);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw cancelled(e);
    } catch (SQLException | RuntimeException e) {
      if (closing) {
        throw cancelled(e);
      }
      if (e instanceof SQLException) {
        throw new IllegalStateException("a database query of the demo failed: " + e, e);
      }
      throw (RuntimeException) e;
    }
  }

  private static CancellationException cancelled(Exception cause) {
    CancellationException c = new CancellationException("the demo was stopped");
    c.initCause(cause);
    return c;
  }

  private void print(String s) {
    if (closing) {
      return;
    }
    synchronized (out) {
      out.println(s);
      out.flush();
    }
  }

  private void printHeader() {
    print(
        "georep demo: "
            + regions.size()
            + " regions ("
            + String.join(", ", regions)
            + "), "
            + options.rate()
            + " writes/s per region for "
            + Durations.format(options.duration())
            + ", seed "
            + options.seed()
            + " (replay the same choices with --seed "
            + options.seed()
            + ")");
    print(
        options.latency().isZero()
            ? "each agent reaches Kafka through a loopback proxy without added latency (--latency)"
            : "each agent reaches Kafka through a loopback proxy that adds "
                + Durations.format(options.latency())
                + " each way (--latency), as between distant regions");
    for (Fault f : options.faults()) {
      print(
          "fault: "
              + f
              + " — "
              + f.region()
              + " is cut off from Kafka "
              + Durations.format(f.start())
              + " into the load, for "
              + Durations.format(f.length()));
    }
  }

  private double secondsSince(long nanos) {
    return (nanoClock.getAsLong() - nanos) / 1e9;
  }

  // ---- start ----------------------------------------------------------------------------------

  private void startServers() throws InterruptedException {
    try {
      dataDirectory = Files.createTempDirectory("georep-demo-");
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create the demo's data directory: " + e, e);
    }
    print(
        "data directory "
            + dataDirectory
            + (options.keep() ? " (kept at exit: --keep)" : " (deleted at exit; --keep keeps it)"));
    print("starting " + regions.size() + " PostgreSQL servers and a Kafka broker in parallel ...");
    for (String region : regions) {
      LoopbackProxy proxy = LoopbackProxy.open(region);
      proxy.latency(options.latency());
      register(proxies, region, proxy);
    }
    String ddl = DemoSchema.ddl();
    List<Future<?>> started = new ArrayList<>();
    for (String region : regions) {
      started.add(
          workers.submit(
              () -> {
                EmbeddedRegionDatabase db =
                    EmbeddedRegionDatabase.builder()
                        .dataDirectory(dataDirectory.resolve("postgres-" + region))
                        .start();
                register(databases, region, db);
                try {
                  db.execute(ddl);
                } catch (SQLException e) {
                  throw new IllegalStateException(
                      "cannot create the sample schema in " + region + ": " + e.getMessage(), e);
                }
                print(
                    String.format(
                        Locale.ROOT,
                        "  %-9s PostgreSQL ready  %-44s (%.1f s)",
                        region,
                        db.jdbcUrl(),
                        secondsSince(startNanos)));
                return null;
              }));
    }
    started.add(
        workers.submit(
            () -> {
              EmbeddedKafka.Builder b =
                  EmbeddedKafka.builder().directory(dataDirectory.resolve("kafka"));
              for (String region : regions) {
                b.advertisedListener(listenerName(region), proxies.get(region).port());
              }
              EmbeddedKafka k = b.start();
              synchronized (lock) {
                if (closed) {
                  k.close();
                  throw new CancellationException("stopped");
                }
                kafka = k;
              }
              print(
                  String.format(
                      Locale.ROOT,
                      "  %-9s Kafka broker ready %-43s (%.1f s)",
                      "kafka",
                      k.bootstrapServers() + " (KRaft, in-process)",
                      secondsSince(startNanos)));
              return null;
            }));
    awaitAll(started);
    for (String region : regions) {
      proxies.get(region).forwardTo(kafka.listenerPort(listenerName(region)));
    }
  }

  private static String listenerName(String region) {
    return region.toUpperCase(Locale.ROOT).replace('-', '_');
  }

  private <T extends AutoCloseable> void register(Map<String, T> map, String region, T resource) {
    synchronized (lock) {
      if (closed) {
        try {
          resource.close();
        } catch (Exception e) {
          // Stopped while starting: the resource is being discarded anyway.
        }
        throw new CancellationException("stopped");
      }
      map.put(region, resource);
    }
  }

  private static void awaitAll(List<Future<?>> futures) throws InterruptedException {
    RuntimeException failure = null;
    for (Future<?> f : futures) {
      try {
        f.get();
      } catch (ExecutionException e) {
        Throwable cause = e.getCause();
        RuntimeException r =
            cause instanceof RuntimeException re
                ? re
                : new IllegalStateException(String.valueOf(cause.getMessage()), cause);
        if (failure == null) {
          failure = r;
        } else {
          failure.addSuppressed(r);
        }
      }
    }
    if (failure != null) {
      throw failure;
    }
  }

  private void validate(Publication publication) throws SQLException {
    try (Connection c = databases.get(regions.get(0)).connect()) {
      DemoSchema.validate(publication, c);
    }
    print(
        "publication "
            + DemoSchema.PUBLICATION_FILE
            + " is valid against the schema (accounts: counter balance; profiles: column-lww"
            + " fields, or-set tags; orders: lww, FK to accounts)");
  }

  private AgentSettings settings(String region, Publication publication) {
    List<AgentSettings.Region> all = new ArrayList<>();
    for (String r : regions) {
      // Every stream this agent reads or writes goes through its own proxy.
      all.add(AgentSettings.Region.of(r, proxies.get(region).address()));
    }
    return AgentSettings.of(
            ReplicaId.of(region),
            new AgentSettings.Database(
                databases.get(region).jdbcUrl(), EmbeddedRegionDatabase.USER, "", null),
            List.of(publication),
            all)
        .withHttp(new AgentSettings.Http(true, "127.0.0.1", 0))
        .withTopics(new AgentSettings.Topics("georep", 1, 1, Duration.ofDays(1), 8 << 20))
        .withControl(
            new AgentSettings.Control(
                Duration.ofMillis(500), Duration.ofSeconds(5), Duration.ofSeconds(30)))
        .withApply(
            new AgentSettings.Apply(
                4, 20, 2_000, 16L << 20, Duration.ofMillis(20), Duration.ofSeconds(1)));
  }

  private void startAgents(Publication publication) {
    print("agents (HTTP on loopback):");
    for (String region : regions) {
      Agent agent = Agent.start(settings(region, publication));
      register(agents, region, agent);
      String base = "http://127.0.0.1:" + agent.httpPort();
      print(
          String.format(
              Locale.ROOT,
              "  %-9s %s/metrics  %s/health  %s/api/status",
              region,
              base,
              base,
              base));
    }
  }

  private void awaitReady() throws InterruptedException {
    long deadline = nanoClock.getAsLong() + READY_TIMEOUT.toNanos();
    while (!agents.values().stream().allMatch(a -> a.status().ready())) {
      if (nanoClock.getAsLong() > deadline) {
        StringBuilder sb = new StringBuilder("the agents are not ready after ");
        sb.append(Durations.format(READY_TIMEOUT)).append(':');
        for (Map.Entry<String, Agent> e : agents.entrySet()) {
          AgentStatus s = e.getValue().status();
          sb.append("\n  ")
              .append(e.getKey())
              .append(": capture ")
              .append(s.capture().state())
              .append(s.capture().error().map(x -> " (" + x + ")").orElse(""));
          s.origins()
              .forEach(
                  (o, st) -> sb.append(", apply of ").append(o).append(' ').append(st.state()));
          s.alerts().forEach(a -> sb.append("\n    ALERT ").append(a));
        }
        throw new IllegalStateException(sb.toString());
      }
      pause(Duration.ofMillis(100));
    }
    print(String.format(Locale.ROOT, "agents ready after %.1f s", secondsSince(startNanos)));
  }

  /** Waits, returning early when the demo is being closed. */
  private void pause(Duration d) throws InterruptedException {
    if (closedSignal.await(d.toNanos(), TimeUnit.NANOSECONDS)) {
      throw new CancellationException("stopped");
    }
  }

  /**
   * Creates the seeded accounts and profiles in the first region and waits until every region has
   * them; returns when the first of them became visible in another region.
   */
  private Optional<Duration> seed() throws SQLException, InterruptedException {
    String first = regions.get(0);
    databases.get(first).execute(DemoSchema.seedSql());
    Optional<Duration> firstChange = Optional.empty();
    long deadline = nanoClock.getAsLong() + SEED_TIMEOUT.toNanos();
    Set<String> complete = new HashSet<>(Set.of(first));
    while (complete.size() < regions.size()) {
      for (String region : regions) {
        if (complete.contains(region)) {
          continue;
        }
        long[] counts = seededCounts(region);
        if (firstChange.isEmpty() && counts[0] + counts[1] > 0) {
          long elapsed = nanoClock.getAsLong() - startNanos;
          firstChange = Optional.of(Duration.ofNanos(elapsed));
          print(
              String.format(
                  Locale.ROOT,
                  "first replicated change %.1f s after start: a write in %s is visible in %s",
                  elapsed / 1e9,
                  first,
                  region));
        }
        if (counts[0] == DemoSchema.SEEDED_ACCOUNTS && counts[1] == DemoSchema.PROFILES) {
          complete.add(region);
        }
      }
      if (complete.size() < regions.size()) {
        if (nanoClock.getAsLong() > deadline) {
          throw new IllegalStateException(
              "the seeded rows written in "
                  + first
                  + " did not reach "
                  + regions.stream().filter(r -> !complete.contains(r)).toList()
                  + " within "
                  + Durations.format(SEED_TIMEOUT)
                  + "; agent status: "
                  + agents.get(first).status());
        }
        pause(Duration.ofMillis(20));
      }
    }
    return firstChange;
  }

  private long[] seededCounts(String region) throws SQLException {
    try (Connection c = databases.get(region).connect();
        Statement s = c.createStatement();
        ResultSet rs =
            s.executeQuery(
                "SELECT (SELECT count(*) FROM accounts WHERE id <= "
                    + DemoSchema.SEEDED_ACCOUNTS
                    + "), (SELECT count(*) FROM profiles)")) {
      rs.next();
      return new long[] {rs.getLong(1), rs.getLong(2)};
    }
  }

  // ---- load, faults, status --------------------------------------------------------------------

  private void runLoad() throws InterruptedException {
    loadStartNanos = nanoClock.getAsLong();
    lastTickNanos = loadStartNanos;
    for (int i = 0; i < regions.size(); i++) {
      String region = regions.get(i);
      EmbeddedRegionDatabase db = databases.get(region);
      RegionLoad load =
          new RegionLoad(
              region,
              i,
              db::connect,
              options.seed() * 31 + i,
              options.rate(),
              nanoClock,
              loadStartNanos,
              () -> stopLoad,
              increments);
      loads.add(load);
    }
    for (RegionLoad load : loads) {
      loadRuns.add(workers.submit(load));
    }
    print(
        "write load started in every region; live status every "
            + Durations.format(options.statusInterval())
            + " (lag ← origin: how far this region is behind the origin's writes); Ctrl-C stops"
            + " everything");
    sampling =
        ticker.scheduleWithFixedDelay(this::sampleQuietly, 0, SAMPLE_MILLIS, TimeUnit.MILLISECONDS);
    status =
        ticker.scheduleAtFixedRate(
            this::tickQuietly,
            options.statusInterval().toMillis(),
            options.statusInterval().toMillis(),
            TimeUnit.MILLISECONDS);

    List<long[]> events = new ArrayList<>(); // {at nanos, fault index, 1 cut / 0 heal}
    for (int i = 0; i < options.faults().size(); i++) {
      Fault f = options.faults().get(i);
      events.add(new long[] {f.start().toNanos(), i, 1});
      events.add(new long[] {f.end().toNanos(), i, 0});
    }
    events.sort(Comparator.comparingLong((long[] e) -> e[0]).thenComparingLong(e -> e[2]));
    long end = options.duration().toNanos();
    int next = 0;
    while (true) {
      long now = nanoClock.getAsLong() - loadStartNanos;
      while (next < events.size() && events.get(next)[0] <= now) {
        long[] e = events.get(next++);
        Fault f = options.faults().get((int) e[1]);
        if (e[2] == 1) {
          proxies.get(f.region()).cut();
          print(
              "!! "
                  + f.region()
                  + " cut off from Kafka for "
                  + Durations.format(f.length())
                  + " ("
                  + f
                  + "); its writes go on locally");
        } else {
          proxies.get(f.region()).heal();
          print("!! " + f.region() + " reconnected to Kafka; watch it catch up");
        }
      }
      Optional<String> failed = loadFailure();
      if (now >= end || failed.isPresent()) {
        failed.ifPresent(
            f -> {
              print("!! " + f + "; stopping the load");
              loadProblems.add(f);
            });
        break;
      }
      long until = next < events.size() ? Math.min(events.get(next)[0], end) : end;
      pause(Duration.ofNanos(Math.max(1_000_000, Math.min(until - now, 200_000_000))));
    }
    stopLoad = true;
    for (Future<?> run : loadRuns) {
      try {
        run.get();
      } catch (ExecutionException e) {
        throw new IllegalStateException("the write load failed: " + e.getCause(), e.getCause());
      }
    }
    for (LoopbackProxy p : proxies.values()) {
      p.heal();
    }
    phase = "settling";
    print(
        String.format(
            Locale.ROOT,
            "load stopped after %.1f s: %,d writes committed, %,d rolled back (deadlock with the"
                + " apply); waiting for every region to apply everything (at most %s)",
            secondsSince(loadStartNanos),
            totalWrites(),
            loads.stream().mapToLong(RegionLoad::rejected).sum(),
            Durations.format(options.quiescenceTimeout())));
  }

  private Optional<String> loadFailure() {
    for (int i = 0; i < loads.size(); i++) {
      Exception e = loads.get(i).failure();
      if (e != null) {
        return Optional.of("the write load of " + regions.get(i) + " failed: " + e);
      }
    }
    return Optional.empty();
  }

  private long totalWrites() {
    return loads.stream().mapToLong(RegionLoad::writes).sum();
  }

  private Map<String, AgentStatus> statuses() {
    Map<String, AgentStatus> m = new LinkedHashMap<>();
    for (String region : regions) {
      m.put(region, agents.get(region).status());
    }
    return m;
  }

  private void sampleQuietly() {
    try {
      sample(statuses(), nanoClock.getAsLong());
    } catch (RuntimeException e) {
      // The status line, which samples too, prints a failure that persists; a sample missed
      // while the agents stop changes nothing.
    }
  }

  private void sample(Map<String, AgentStatus> st, long now) {
    for (String origin : regions) {
      lag.sample(origin, st.get(origin).capture().capturedSeq(), now);
      long min = Long.MAX_VALUE;
      for (String region : regions) {
        if (!region.equals(origin)) {
          AgentStatus.OriginStatus o = st.get(region).origins().get(origin);
          min = Math.min(min, o == null ? 0 : o.appliedSeq());
        }
      }
      lag.prune(origin, min);
    }
  }

  private void tickQuietly() {
    try {
      tick();
    } catch (RuntimeException e) {
      print("  (status unavailable: " + e + ")");
    }
  }

  private void tick() {
    long now = nanoClock.getAsLong();
    Map<String, AgentStatus> st = statuses();
    sample(st, now);
    long writes = totalWrites();
    double rate = (writes - lastTickWrites) / Math.max(1e-3, (now - lastTickNanos) / 1e9);
    lastTickWrites = writes;
    lastTickNanos = now;
    StringBuilder sb = new StringBuilder();
    sb.append(
        String.format(
            Locale.ROOT,
            "[%4.0fs %s] %,d writes (%.0f/s)",
            (now - loadStartNanos) / 1e9,
            phase,
            writes,
            rate));
    sb.append('\n');
    for (String region : regions) {
      AgentStatus s = st.get(region);
      sb.append(String.format(Locale.ROOT, "  %-9s %6s rows  lag", region, rows(region)));
      for (String origin : regions) {
        if (origin.equals(region)) {
          continue;
        }
        AgentStatus.OriginStatus o = s.origins().get(origin);
        double behind = lag.lagSeconds(origin, o == null ? 0 : o.appliedSeq(), now);
        sb.append(String.format(Locale.ROOT, "  ← %s %5.1fs", origin, behind));
      }
      if (proxies.get(region).isCut()) {
        sb.append("   [cut off from Kafka]");
      }
      if (!s.alerts().isEmpty()) {
        sb.append("   ALERT ").append(String.join("; ", s.alerts()));
      }
      sb.append('\n');
    }
    Map<String, Long> conflicts = conflictsDetected(st);
    StringBuilder line = new StringBuilder("  conflicts");
    if (conflicts.isEmpty()) {
      line.append(" none yet");
    }
    for (Map.Entry<String, Long> e : conflicts.entrySet()) {
      String part = String.format(Locale.ROOT, " %s %,d", e.getKey(), e.getValue());
      if (line.length() + part.length() > 100) {
        sb.append(line).append('\n');
        line = new StringBuilder("           ");
      }
      line.append(part);
    }
    sb.append(line);
    print(sb.toString());
  }

  /** Rows of the three sample tables in a region, or "?" if the database does not answer. */
  private String rows(String region) {
    try {
      Connection c = statusConnections.get(region);
      if (c == null || c.isClosed()) {
        c = databases.get(region).connect();
        statusConnections.put(region, c);
      }
      try (Statement s = c.createStatement();
          ResultSet rs =
              s.executeQuery(
                  "SELECT (SELECT count(*) FROM accounts) + (SELECT count(*) FROM profiles)"
                      + " + (SELECT count(*) FROM orders)")) {
        rs.next();
        return String.format(Locale.ROOT, "%,d", rs.getLong(1));
      }
    } catch (SQLException e) {
      Connection c = statusConnections.remove(region);
      closeQuietly(c);
      return "?";
    }
  }

  private static void closeQuietly(Connection c) {
    if (c == null) {
      return;
    }
    try {
      c.close();
    } catch (SQLException e) {
      // The connection is being discarded.
    }
  }

  private static Map<String, Long> conflictsDetected(Map<String, AgentStatus> st) {
    Map<String, Long> byType = new TreeMap<>();
    for (AgentStatus s : st.values()) {
      for (Map<String, Long> ofTable : s.conflicts().values()) {
        ofTable.forEach((type, n) -> byType.merge(type, n, Long::sum));
      }
    }
    return byType;
  }

  private void awaitTicker() throws InterruptedException {
    ticker.awaitTermination(10, TimeUnit.SECONDS);
    statusConnections.values().forEach(Demo::closeQuietly);
    statusConnections.clear();
  }

  // ---- settle and compare ----------------------------------------------------------------------

  /**
   * Waits until every region has applied everything every other region wrote: each region writes a
   * checkpoint row after its load stopped; once every region has every checkpoint, everything
   * written before them was shipped (capture is in commit order), and once every applied watermark
   * covers every region's shipped position, it was applied.
   */
  private boolean settle(List<String> problems) throws SQLException, InterruptedException {
    long round = options.seed() ^ nanoClock.getAsLong();
    for (String region : regions) {
      databases
          .get(region)
          .execute(
              "INSERT INTO checkpoints (region, round) VALUES ('"
                  + region
                  + "', "
                  + round
                  + ") ON CONFLICT (region) DO UPDATE SET round = excluded.round");
    }
    long settleStart = nanoClock.getAsLong();
    long deadline = settleStart + options.quiescenceTimeout().toNanos();
    while (!checkpointsEverywhere(round) || !appliedEverything()) {
      if (nanoClock.getAsLong() > deadline) {
        problems.add(
            "not every region applied everything within "
                + Durations.format(options.quiescenceTimeout())
                + " (--quiescence-timeout): "
                + behind());
        return false;
      }
      pause(Duration.ofMillis(100));
    }
    print(
        String.format(
            Locale.ROOT,
            "every region applied everything %.1f s after the load stopped",
            secondsSince(settleStart)));
    return true;
  }

  private boolean checkpointsEverywhere(long round) throws SQLException {
    for (String region : regions) {
      try (Connection c = databases.get(region).connect();
          Statement s = c.createStatement();
          ResultSet rs =
              s.executeQuery("SELECT count(*) FROM checkpoints WHERE round = " + round)) {
        rs.next();
        if (rs.getLong(1) != regions.size()) {
          return false;
        }
      }
    }
    return true;
  }

  private boolean appliedEverything() {
    for (String region : regions) {
      for (String origin : regions) {
        if (!origin.equals(region)
            && agents.get(region).appliedVector().get(ReplicaId.of(origin))
                < agents.get(origin).shippedSeq()) {
          return false;
        }
      }
    }
    return true;
  }

  private String behind() {
    List<String> parts = new ArrayList<>();
    for (String region : regions) {
      for (String origin : regions) {
        if (origin.equals(region)) {
          continue;
        }
        long applied = agents.get(region).appliedVector().get(ReplicaId.of(origin));
        long shipped = agents.get(origin).shippedSeq();
        if (applied < shipped) {
          parts.add(region + " applied " + origin + " up to seq " + applied + " of " + shipped);
        }
      }
      parts.addAll(
          agents.get(region).status().alerts().stream().map(a -> region + ": " + a).toList());
    }
    return parts.isEmpty()
        ? "the checkpoint rows did not reach every region"
        : String.join("; ", parts);
  }

  private DemoResult verify(List<String> problems, Optional<Duration> firstChange)
      throws SQLException {
    Map<String, Long> rows = new LinkedHashMap<>();
    for (Map.Entry<String, String> table : DemoSchema.SNAPSHOTS.entrySet()) {
      new TableComparison(regions, databases)
          .compare(table.getKey(), table.getValue(), rows, problems);
    }
    long incrementSum = compareBalances(problems);
    for (String region : regions) {
      for (String alert : agents.get(region).status().alerts()) {
        problems.add(region + " has an alert: " + alert);
      }
    }
    Map<String, Long> detected = conflictsDetected(statuses());
    Map<String, Long> resolved = conflictsResolved();
    DemoResult.Verdict verdict =
        problems.isEmpty() ? DemoResult.Verdict.CONVERGED : DemoResult.Verdict.DIVERGED;
    long rejected = loads.stream().mapToLong(RegionLoad::rejected).sum();
    DemoResult result =
        new DemoResult(
            verdict,
            problems,
            detected,
            resolved,
            firstChange,
            totalWrites(),
            rejected,
            rows,
            options.seed());
    printVerdict(result, incrementSum);
    return result;
  }

  /** Checks every seeded balance against the sum of the load's increments; returns that sum. */
  private long compareBalances(List<String> problems) throws SQLException {
    long sum = 0;
    for (int id = 1; id <= DemoSchema.SEEDED_ACCOUNTS; id++) {
      sum += increments.get(id);
    }
    for (String region : regions) {
      try (Connection c = databases.get(region).connect();
          Statement s = c.createStatement();
          ResultSet rs =
              s.executeQuery(
                  "SELECT id, balance FROM accounts WHERE id <= "
                      + DemoSchema.SEEDED_ACCOUNTS
                      + " ORDER BY id")) {
        while (rs.next()) {
          int id = rs.getInt(1);
          long expected = increments.get(id);
          if (rs.getLong(2) != expected) {
            problems.add(
                "account "
                    + id
                    + " has balance "
                    + rs.getLong(2)
                    + " in "
                    + region
                    + ", but the increments committed in all regions sum to "
                    + expected);
          }
        }
      }
    }
    return sum;
  }

  /** Distinct conflicts per type over every region's conflict log. */
  private Map<String, Long> conflictsResolved() throws SQLException {
    Map<String, Set<String>> ids = new TreeMap<>();
    for (String region : regions) {
      try (Connection c = databases.get(region).connect();
          Statement s = c.createStatement();
          ResultSet rs =
              s.executeQuery("SELECT DISTINCT type, conflict_id FROM georep.conflict_log")) {
        while (rs.next()) {
          ids.computeIfAbsent(rs.getString(1), t -> new HashSet<>()).add(rs.getString(2));
        }
      }
    }
    Map<String, Long> counts = new TreeMap<>();
    ids.forEach((type, set) -> counts.put(type, (long) set.size()));
    return counts;
  }

  private void printVerdict(DemoResult r, long incrementSum) {
    StringBuilder sb = new StringBuilder();
    if (r.converged()) {
      List<String> tables = new ArrayList<>();
      r.rows().forEach((t, n) -> tables.add(t + " " + n));
      sb.append("verdict: CONVERGED — ")
          .append(regions.size())
          .append(" regions hold identical rows (")
          .append(String.join(", ", tables))
          .append("); every balance equals the sum of the increments committed in all regions (")
          .append(String.format(Locale.ROOT, "%,d", incrementSum))
          .append(" in total)");
    } else {
      sb.append("verdict: DIVERGED");
      for (String p : r.problems()) {
        sb.append("\n  - ").append(p);
      }
    }
    sb.append(
        "\nconflicts by type: distinct conflicts in the conflict logs, each resolved with a winner"
            + " (detections summed over regions in brackets)");
    Set<String> types = new java.util.TreeSet<>(r.conflictsResolved().keySet());
    types.addAll(r.conflictsDetected().keySet());
    if (types.isEmpty()) {
      sb.append("\n  none");
    }
    for (String type : types) {
      sb.append(
          String.format(
              Locale.ROOT,
              "\n  %-32s %,7d  (%,d)",
              type,
              r.conflictsResolved().getOrDefault(type, 0L),
              r.conflictsDetected().getOrDefault(type, 0L)));
    }
    sb.append(
        String.format(
            Locale.ROOT, "\nwrites: %,d committed, %,d rolled back", r.writes(), r.rejected()));
    sb.append(
        r.firstReplicatedChange()
            .map(
                d ->
                    String.format(
                        Locale.ROOT,
                        "\nfirst replicated change: %.1f s after start",
                        d.toMillis() / 1000.0))
            .orElse("\nfirst replicated change: none"));
    print(sb.toString());
  }

  // ---- stop -----------------------------------------------------------------------------------

  /**
   * Stops everything this run started — the load, the agents, the proxies, the broker, the
   * databases — and deletes the data directory unless the options keep it. Idempotent; safe to call
   * from another thread (a shutdown hook) while {@link #run()} is under way.
   */
  @Override
  public void close() {
    synchronized (lock) {
      if (closed) {
        awaitClosed();
        return;
      }
      closed = true;
    }
    try {
      stopEverything();
    } finally {
      closeDone.countDown();
    }
  }

  /** Waits for a close under way in another thread (a shutdown hook must not return early). */
  private void awaitClosed() {
    try {
      closeDone.await(3, TimeUnit.MINUTES);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private void stopEverything() {
    stopLoad = true;
    boolean interrupted = closing;
    closing = true;
    closedSignal.countDown();
    List<String> failures = new ArrayList<>();
    // A region still cut off would make its agent wait for Kafka while it stops.
    proxies.values().forEach(LoopbackProxy::heal);
    ticker.shutdownNow();
    workers.shutdownNow();
    try {
      workers.awaitTermination(10, TimeUnit.SECONDS);
      ticker.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    statusConnections.values().forEach(Demo::closeQuietly);
    // Agents stop in parallel: each waits for its streams to end.
    closeInParallel(agents, "agent of ", "georep-demo-stop-", failures);
    proxies.values().forEach(LoopbackProxy::close);
    if (kafka != null) {
      try {
        kafka.close();
      } catch (RuntimeException e) {
        failures.add("Kafka broker: " + e);
      }
    }
    closeInParallel(databases, "PostgreSQL of ", "georep-demo-stop-pg-", failures);
    String data = "";
    if (dataDirectory != null) {
      if (options.keep()) {
        data = "; data kept in " + dataDirectory;
      } else {
        try {
          Directories.deleteRecursively(dataDirectory);
          data = "; data directory deleted";
        } catch (UncheckedIOException e) {
          failures.add("data directory: " + e.getMessage());
        }
      }
    }
    synchronized (out) {
      for (String f : failures) {
        out.println("could not stop cleanly: " + f);
      }
      out.println(
          (interrupted ? "stopped early" : "stopped")
              + ": agents, Kafka broker and databases"
              + data);
      out.flush();
    }
  }

  /** Marks the run as interrupted before {@link #close()}, so that it stops printing at once. */
  void interrupt() {
    closing = true;
  }

  /**
   * Closes each region's resource on a thread of its own and waits for all; a failure is recorded
   * in {@code failures} as "{@code label}region: error".
   */
  private static void closeInParallel(
      Map<String, ? extends AutoCloseable> byRegion,
      String label,
      String threadPrefix,
      List<String> failures) {
    List<Thread> stopping = new ArrayList<>();
    for (Map.Entry<String, ? extends AutoCloseable> e : byRegion.entrySet()) {
      Thread t =
          new Thread(
              () -> {
                try {
                  e.getValue().close();
                } catch (Exception x) {
                  synchronized (failures) {
                    failures.add(label + e.getKey() + ": " + x);
                  }
                }
              },
              threadPrefix + e.getKey());
      t.start();
      stopping.add(t);
    }
    join(stopping);
  }

  private static void join(List<Thread> threads) {
    for (Thread t : threads) {
      try {
        t.join(TimeUnit.SECONDS.toMillis(90));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
    }
  }
}
