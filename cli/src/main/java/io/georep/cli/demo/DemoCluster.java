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
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.LongSupplier;

/**
 * The servers and agents of one run: a data directory; per region an embedded PostgreSQL server
 * with the sample schema, a {@link LoopbackProxy} to Kafka and a georep agent; and one in-process
 * Kafka broker with a listener per region. Starts them (the servers in parallel) and stops them.
 *
 * <p>Thread-safe: {@link #refuseNew()} and {@link #stop} may run in another thread while a start is
 * under way; a server or agent that finishes starting after {@link #refuseNew()} is closed at once,
 * and its start ends with a {@link CancellationException}.
 */
final class DemoCluster {
  private static final Duration READY_TIMEOUT = Duration.ofMinutes(2);

  private final DemoOptions options;
  private final List<String> regions;
  private final LongSupplier nanoClock;
  private final ExecutorService workers;
  private final Consumer<String> print;

  private final Object lock = new Object();
  private boolean closed;
  private Path dataDirectory;
  private final Map<String, LoopbackProxy> proxies = new ConcurrentHashMap<>();
  private final Map<String, EmbeddedRegionDatabase> databases = new ConcurrentHashMap<>();
  private volatile EmbeddedKafka kafka;
  private final Map<String, Agent> agents = new ConcurrentHashMap<>();

  /**
   * Prepares the cluster; nothing starts before {@link #startServers}.
   *
   * @param options the regions, the proxies' latency, whether to keep the data directory
   * @param nanoClock a monotonic clock in nanoseconds
   * @param workers starts the servers in parallel
   * @param print where the progress goes
   */
  DemoCluster(
      DemoOptions options,
      LongSupplier nanoClock,
      ExecutorService workers,
      Consumer<String> print) {
    this.options = options;
    this.regions = options.regionNames();
    this.nanoClock = nanoClock;
    this.workers = workers;
    this.print = print;
  }

  private double secondsSince(long nanos) {
    return (nanoClock.getAsLong() - nanos) / 1e9;
  }

  // ---- start ----------------------------------------------------------------------------------

  /**
   * Creates the data directory and the proxies, starts the databases (with the sample schema) and
   * the broker in parallel, and points every proxy at its region's broker listener.
   *
   * @param startNanos when the run started, for the progress lines
   * @throws IllegalStateException if a server cannot start, naming it and why
   * @throws InterruptedException if interrupted while waiting for the servers
   */
  void startServers(long startNanos) throws InterruptedException {
    try {
      dataDirectory = Files.createTempDirectory("georep-demo-");
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create the demo's data directory: " + e, e);
    }
    print.accept(
        "data directory "
            + dataDirectory
            + (options.keep() ? " (kept at exit: --keep)" : " (deleted at exit; --keep keeps it)"));
    print.accept(
        "starting " + regions.size() + " PostgreSQL servers and a Kafka broker in parallel ...");
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
                print.accept(
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
              print.accept(
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

  /**
   * Starts an agent in every region, one after the other, and prints its HTTP endpoints.
   *
   * @param publication what every agent replicates
   */
  void startAgents(Publication publication) {
    print.accept("agents (HTTP on loopback):");
    for (String region : regions) {
      Agent agent = Agent.start(settings(region, publication));
      register(agents, region, agent);
      String base = "http://127.0.0.1:" + agent.httpPort();
      print.accept(
          String.format(
              Locale.ROOT,
              "  %-9s dashboard %s/  %s/metrics  %s/health  %s/api/status",
              region,
              base,
              base,
              base,
              base));
    }
  }

  /**
   * Waits until every agent is ready.
   *
   * @param startNanos when the run started, for the progress line
   * @param stop ends the wait when the run is being stopped
   * @throws IllegalStateException if an agent is not ready in time, with every agent's state
   * @throws InterruptedException if interrupted while waiting
   */
  void awaitReady(long startNanos, StopSignal stop) throws InterruptedException {
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
      stop.pause(Duration.ofMillis(100));
    }
    print.accept(String.format(Locale.ROOT, "agents ready after %.1f s", secondsSince(startNanos)));
  }

  // ---- use ------------------------------------------------------------------------------------

  /** Returns a region's database; it has started. */
  EmbeddedRegionDatabase database(String region) {
    return databases.get(region);
  }

  /** Returns every region's database; they have started. */
  Map<String, EmbeddedRegionDatabase> databases() {
    return databases;
  }

  /** Returns a region's agent; it has started. */
  Agent agent(String region) {
    return agents.get(region);
  }

  /** Returns a region's proxy to Kafka; it is open. */
  LoopbackProxy proxy(String region) {
    return proxies.get(region);
  }

  /** Returns every agent's status, in region order. */
  Map<String, AgentStatus> statuses() {
    Map<String, AgentStatus> m = new LinkedHashMap<>();
    for (String region : regions) {
      m.put(region, agents.get(region).status());
    }
    return m;
  }

  /** Reconnects every region cut off from Kafka. */
  void healAll() {
    proxies.values().forEach(LoopbackProxy::heal);
  }

  // ---- stop -----------------------------------------------------------------------------------

  /** From now on, a server or agent that finishes starting is closed at once. Idempotent. */
  void refuseNew() {
    synchronized (lock) {
      closed = true;
    }
  }

  /**
   * Stops the agents, the proxies, the broker and the databases, and deletes the data directory
   * unless the options keep it; call {@link #refuseNew()} first.
   *
   * @param failures receives what did not stop cleanly
   * @return what became of the data directory, for the closing line ("; data directory deleted"),
   *     empty if none was created
   */
  String stop(List<String> failures) {
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
    if (dataDirectory == null) {
      return "";
    }
    if (options.keep()) {
      return "; data kept in " + dataDirectory;
    }
    try {
      Directories.deleteRecursively(dataDirectory);
      return "; data directory deleted";
    } catch (UncheckedIOException e) {
      failures.add("data directory: " + e.getMessage());
      return "";
    }
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
