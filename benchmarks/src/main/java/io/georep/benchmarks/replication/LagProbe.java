package io.georep.benchmarks.replication;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.Arrays;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;

/**
 * Replication lag at a fixed offered rate: a writer commits transactions of generated rows into
 * {@code lag_events} at the source on a fixed schedule (transaction {@code k} at {@code t0 + k ·
 * rowsPerTransaction / rate}; a late writer does not skip, it catches up), and records the time
 * each commit returned. A poller at the target reads {@code max(id)} every 2 ms; transaction {@code
 * k} is visible when the target's {@code max(id)} reaches its last key (both systems apply one
 * table's transactions in the source's commit order; the final row count is checked), and its lag
 * is the start of that poll minus its commit time. Both times come from one clock in one JVM. The
 * first {@code warmup} seconds are not counted.
 */
final class LagProbe {
  /**
   * The outcome.
   *
   * @param offeredRowsPerSecond the rate asked for
   * @param achievedRowsPerSecond the rate the writer reached
   * @param transactions transactions measured (after the warm-up)
   * @param p50Millis median lag
   * @param p99Millis 99th percentile lag
   * @param maxMillis largest lag
   * @param commitP50Millis median of the target's commit time minus the source's (both servers'
   *     {@code track_commit_timestamp}, same clock): the lag without the poller's share
   * @param commitP99Millis 99th percentile of the same
   * @param caughtUp whether every transaction became visible before the deadline
   */
  record Result(
      double offeredRowsPerSecond,
      double achievedRowsPerSecond,
      int transactions,
      double p50Millis,
      double p99Millis,
      double maxMillis,
      double commitP50Millis,
      double commitP99Millis,
      boolean caughtUp) {}

  private LagProbe() {}

  /**
   * Runs the probe.
   *
   * @param source a connection to the source
   * @param target a connection to the target
   * @param rowsPerTransaction rows per transaction
   * @param rowsPerSecond the offered rate
   * @param seconds how long to write
   * @param warmupSeconds the first part not measured
   * @param firstId the first key
   * @param seed the rows' seed
   * @return the result
   * @throws Exception on a database failure
   */
  static Result run(
      Connection source,
      Connection target,
      int rowsPerTransaction,
      double rowsPerSecond,
      double seconds,
      double warmupSeconds,
      long firstId,
      long seed)
      throws Exception {
    int transactions = (int) Math.max(1, Math.round(seconds * rowsPerSecond / rowsPerTransaction));
    long intervalNanos = Math.round(rowsPerTransaction * 1e9 / rowsPerSecond);
    long[] commitNanos = new long[transactions];
    long[] visibleNanos = new long[transactions];
    long lastKey = firstId + (long) transactions * rowsPerTransaction - 1;
    Poller poller = new Poller(target, firstId, rowsPerTransaction, commitNanos, visibleNanos);
    Thread pollThread = new Thread(poller, "lag-poller");
    pollThread.start();
    SplittableRandom random = new SplittableRandom(seed);
    long start;
    long end;
    try (PreparedStatement insert =
        source.prepareStatement("INSERT INTO lag_events " + BenchRow.INSERT_COLUMNS)) {
      source.setAutoCommit(rowsPerTransaction == 1);
      start = System.nanoTime();
      long id = firstId;
      for (int k = 0; k < transactions; k++) {
        long due = start + k * intervalNanos;
        long wait = due - System.nanoTime();
        if (wait > 0) {
          LockSupport.parkNanos(wait);
        }
        if (rowsPerTransaction == 1) {
          BenchRow.generate(id++, random).bind(insert);
          insert.executeUpdate();
        } else {
          for (int i = 0; i < rowsPerTransaction; i++) {
            BenchRow.generate(id++, random).bind(insert);
            insert.addBatch();
          }
          insert.executeBatch();
          source.commit();
        }
        commitNanos[k] = System.nanoTime();
        poller.committed = k + 1;
      }
      end = System.nanoTime();
    } finally {
      source.setAutoCommit(true);
    }
    long deadline = System.nanoTime() + 300_000_000_000L;
    while (poller.visibleUpTo < lastKey && System.nanoTime() < deadline && poller.error() == null) {
      Thread.sleep(10);
    }
    poller.stop = true;
    pollThread.join();
    if (poller.error() != null) {
      throw poller.error();
    }
    boolean caughtUp = poller.visibleUpTo >= lastKey;
    long measuredFrom = start + Math.round(warmupSeconds * 1e9);
    double[] lags = new double[transactions];
    int n = 0;
    for (int k = 0; k < transactions; k++) {
      if (commitNanos[k] < measuredFrom) {
        continue;
      }
      long visible = visibleNanos[k] == 0 ? System.nanoTime() : visibleNanos[k];
      lags[n++] = (visible - commitNanos[k]) / 1e6;
    }
    if (n == 0) {
      throw new IllegalArgumentException(
          "no transaction after the warm-up: lengthen the lag run or shorten its warm-up");
    }
    double[] sorted = Arrays.copyOf(lags, n);
    Arrays.sort(sorted);
    double achieved = (double) transactions * rowsPerTransaction / ((end - start) / 1e9);
    // The same transactions' commit-to-commit lag, from the servers' commit timestamps.
    int skipped = transactions - n;
    long from = firstId + (long) skipped * rowsPerTransaction;
    java.util.Map<Long, Long> sourceCommits = commitMicros(source, from, lastKey);
    java.util.Map<Long, Long> targetCommits = commitMicros(target, from, lastKey);
    double[] commitLags = new double[n];
    int m = 0;
    for (int k = skipped; k < transactions; k++) {
      long key = firstId + (long) (k + 1) * rowsPerTransaction - 1;
      Long s = sourceCommits.get(key);
      Long t = targetCommits.get(key);
      if (s != null && t != null) {
        commitLags[m++] = (t - s) / 1e3;
      }
    }
    double[] commitSorted = Arrays.copyOf(commitLags, m);
    Arrays.sort(commitSorted);
    return new Result(
        rowsPerSecond,
        achieved,
        n,
        percentile(sorted, 0.50),
        percentile(sorted, 0.99),
        sorted[n - 1],
        m == 0 ? Double.NaN : percentile(commitSorted, 0.50),
        m == 0 ? Double.NaN : percentile(commitSorted, 0.99),
        caughtUp);
  }

  /** Returns the commit time (µs since the epoch) of each row of a key range. */
  private static java.util.Map<Long, Long> commitMicros(Connection c, long from, long to)
      throws SQLException {
    java.util.Map<Long, Long> out = new java.util.HashMap<>();
    try (PreparedStatement q =
        c.prepareStatement(
            "SELECT id, (extract(epoch FROM pg_xact_commit_timestamp(xmin)) * 1000000)::bigint"
                + " FROM lag_events WHERE id BETWEEN ? AND ?")) {
      q.setLong(1, from);
      q.setLong(2, to);
      try (var rs = q.executeQuery()) {
        while (rs.next()) {
          out.put(rs.getLong(1), rs.getLong(2));
        }
      }
    }
    return out;
  }

  private static double percentile(double[] sorted, double q) {
    int i = (int) Math.ceil(q * sorted.length) - 1;
    return sorted[Math.max(0, Math.min(sorted.length - 1, i))];
  }

  /** Polls the target's highest visible key. */
  private static final class Poller implements Runnable {
    private final Connection target;
    private final long firstId;
    private final int rowsPerTransaction;
    private final long[] commitNanos;
    private final long[] visibleNanos;
    private final AtomicReference<Exception> error = new AtomicReference<>();
    volatile int committed;
    volatile long visibleUpTo;
    volatile boolean stop;

    Poller(
        Connection target,
        long firstId,
        int rowsPerTransaction,
        long[] commitNanos,
        long[] visibleNanos) {
      this.target = target;
      this.firstId = firstId;
      this.rowsPerTransaction = rowsPerTransaction;
      this.commitNanos = commitNanos;
      this.visibleNanos = visibleNanos;
      this.visibleUpTo = firstId - 1;
    }

    Exception error() {
      return error.get();
    }

    @Override
    public void run() {
      int next = 0;
      try (PreparedStatement max =
          target.prepareStatement("SELECT coalesce(max(id), 0) FROM lag_events")) {
        while (!stop) {
          long polled = System.nanoTime();
          long top;
          try (var rs = max.executeQuery()) {
            rs.next();
            top = rs.getLong(1);
          }
          int committedNow = committed;
          while (next < committedNow
              && firstId + (long) (next + 1) * rowsPerTransaction - 1 <= top) {
            // Visible no later than this poll's snapshot, and not before its commit returned.
            visibleNanos[next] = Math.max(polled, commitNanos[next]);
            next++;
          }
          visibleUpTo = top;
          LockSupport.parkNanos(2_000_000);
        }
      } catch (SQLException e) {
        error.set(e);
      }
    }
  }
}
