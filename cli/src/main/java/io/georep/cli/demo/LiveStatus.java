package io.georep.cli.demo;

import io.georep.replicator.AgentStatus;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.LongSupplier;

/**
 * The live status screen of one run: every status interval, the writes so far and their rate, and
 * per region its rows, its lag behind every other region, whether it is cut off, its alerts, and
 * the conflicts detected so far. The lag comes from a {@link LagTracker} that samples the agents'
 * positions far more often than the screen prints.
 *
 * <p>Runs on the run's ticker thread, which alone uses the status connections; {@link
 * #closeConnections()} is called once that thread has ended.
 */
final class LiveStatus {
  private static final long SAMPLE_MILLIS = 100;

  private final List<String> regions;
  private final DemoOptions options;
  private final DemoCluster cluster;
  private final Workload workload;
  private final LongSupplier nanoClock;
  private final Consumer<String> print;

  private final LagTracker lag = new LagTracker();
  private final Map<String, Connection> statusConnections = new HashMap<>();
  private volatile String phase = "load";
  private ScheduledFuture<?> sampling;
  private ScheduledFuture<?> status;
  private long loadStartNanos;
  private long lastTickNanos;
  private long lastTickWrites;

  /**
   * Prepares the screen; nothing is shown before {@link #start}.
   *
   * @param options the regions and the status interval
   * @param cluster the servers and agents to watch
   * @param workload the load whose writes are counted
   * @param nanoClock a monotonic clock in nanoseconds
   * @param print where the status goes
   */
  LiveStatus(
      DemoOptions options,
      DemoCluster cluster,
      Workload workload,
      LongSupplier nanoClock,
      Consumer<String> print) {
    this.regions = options.regionNames();
    this.options = options;
    this.cluster = cluster;
    this.workload = workload;
    this.nanoClock = nanoClock;
    this.print = print;
  }

  /**
   * Starts sampling the lag at once and printing the status every status interval.
   *
   * @param ticker the thread that samples and prints
   * @param loadStartNanos when the load started
   */
  void start(ScheduledExecutorService ticker, long loadStartNanos) {
    this.loadStartNanos = loadStartNanos;
    lastTickNanos = loadStartNanos;
    sampling =
        ticker.scheduleWithFixedDelay(this::sampleQuietly, 0, SAMPLE_MILLIS, TimeUnit.MILLISECONDS);
    status =
        ticker.scheduleAtFixedRate(
            this::tickQuietly,
            options.statusInterval().toMillis(),
            options.statusInterval().toMillis(),
            TimeUnit.MILLISECONDS);
  }

  /** Marks the load as over: the status lines now say the regions are settling. */
  void settling() {
    phase = "settling";
  }

  /** Stops sampling and printing; a tick under way still ends. */
  void stop() {
    status.cancel(false);
    sampling.cancel(false);
  }

  /** Closes the connections that counted rows; call once the ticker thread has ended. */
  void closeConnections() {
    statusConnections.values().forEach(LiveStatus::closeQuietly);
    statusConnections.clear();
  }

  private void sampleQuietly() {
    try {
      sample(cluster.statuses(), nanoClock.getAsLong());
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
      print.accept("  (status unavailable: " + e + ")");
    }
  }

  private void tick() {
    long now = nanoClock.getAsLong();
    Map<String, AgentStatus> st = cluster.statuses();
    sample(st, now);
    long writes = workload.writes();
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
      if (cluster.proxy(region).isCut()) {
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
    print.accept(sb.toString());
  }

  /** Rows of the three sample tables in a region, or "?" if the database does not answer. */
  private String rows(String region) {
    try {
      Connection c = statusConnections.get(region);
      if (c == null || c.isClosed()) {
        c = cluster.database(region).connect();
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

  /**
   * Returns the conflicts the agents detected, per type, summed over the regions.
   *
   * @param statuses every agent's status
   */
  static Map<String, Long> conflictsDetected(Map<String, AgentStatus> statuses) {
    Map<String, Long> byType = new TreeMap<>();
    for (AgentStatus s : statuses.values()) {
      for (Map<String, Long> ofTable : s.conflicts().values()) {
        ofTable.forEach((type, n) -> byType.merge(type, n, Long::sum));
      }
    }
    return byType;
  }
}
