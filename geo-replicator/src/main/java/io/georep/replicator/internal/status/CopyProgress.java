package io.georep.replicator.internal.status;

import io.georep.connector.TableId;
import io.georep.connector.spi.CopyProgressListener;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The progress of the initial copy a new replication slot starts with: logged (one INFO line per
 * table when it starts and when it is done, and at most one every {@link #LOG_INTERVAL_MILLIS} in
 * between) and kept for {@code /api/status} and {@code georep status}. Thread-safe: the capture
 * thread reports, the HTTP threads read.
 */
public final class CopyProgress implements CopyProgressListener {
  private static final Logger LOG = LoggerFactory.getLogger(CopyProgress.class);

  /** The shortest interval between two progress lines of the same table. */
  static final long LOG_INTERVAL_MILLIS = 5_000;

  /**
   * The progress of one table.
   *
   * @param rowsCopied rows read so far
   * @param estimatedRows the server's estimate when the copy started, or -1 if unknown
   * @param done whether the table is complete
   * @param rowsAtStart rows already copied at the table's first report (a resumed copy)
   * @param startedAtMillis wall time of the table's first report
   * @param updatedAtMillis wall time of its latest report
   */
  public record Table(
      long rowsCopied,
      long estimatedRows,
      boolean done,
      long rowsAtStart,
      long startedAtMillis,
      long updatedAtMillis) {
    /**
     * Returns the percentage done, as far as the estimate tells.
     *
     * @return 0 to 100, 100 when done; -1 if unknown
     */
    public int percent() {
      if (done) {
        return 100;
      }
      if (estimatedRows <= 0) {
        return -1;
      }
      return (int) Math.min(99, rowsCopied * 100 / estimatedRows);
    }

    /**
     * Returns the rows read per second since the table's first report (in this process: a resumed
     * copy's earlier rows do not count).
     *
     * @return the rate; 0 until a second report
     */
    public double rowsPerSecond() {
      long elapsed = updatedAtMillis - startedAtMillis;
      return elapsed <= 0 ? 0 : (rowsCopied - rowsAtStart) * 1000.0 / elapsed;
    }

    /**
     * Returns the seconds left at the current rate, as far as the estimate tells.
     *
     * @return 0 when done; -1 if unknown (no estimate, no rate yet, or the estimate is passed)
     */
    public long etaSeconds() {
      if (done) {
        return 0;
      }
      double rate = rowsPerSecond();
      if (estimatedRows <= rowsCopied || rate <= 0) {
        return -1;
      }
      return (long) Math.ceil((estimatedRows - rowsCopied) / rate);
    }
  }

  private final LongSupplier clock;
  private final Map<String, Table> tables = new LinkedHashMap<>();
  private final Map<String, Long> lastLogged = new LinkedHashMap<>();
  private volatile boolean settled;

  /**
   * Creates an empty progress.
   *
   * @param clock the wall clock in milliseconds, for spacing the log lines
   */
  public CopyProgress(LongSupplier clock) {
    this.clock = clock;
  }

  @Override
  public void onProgress(TableId table, long rowsCopied, long estimatedRows, boolean done) {
    String name = table.toString();
    long at = clock.getAsLong();
    boolean log;
    int completed;
    int known;
    Table now;
    synchronized (this) {
      Table earlier = tables.get(name);
      now =
          new Table(
              rowsCopied,
              estimatedRows,
              done,
              earlier == null ? rowsCopied : earlier.rowsAtStart(),
              earlier == null ? at : earlier.startedAtMillis(),
              at);
      Table before = tables.put(name, now);
      Long last = lastLogged.get(name);
      log = before == null || done || last == null || at - last >= LOG_INTERVAL_MILLIS;
      if (log) {
        lastLogged.put(name, at);
      }
      completed = (int) tables.values().stream().filter(Table::done).count();
      known = tables.size();
    }
    if (!log) {
      return;
    }
    if (done) {
      LOG.info(
          "initial copy: {} done, {} rows{} ({} tables done so far)",
          name,
          String.format(Locale.ROOT, "%,d", rowsCopied),
          now.rowsPerSecond() > 0
              ? String.format(Locale.ROOT, " at %,.0f rows/s", now.rowsPerSecond())
              : "",
          completed);
    } else {
      LOG.info(
          "initial copy: {} {} rows{}{}{} (table {} of the copy)",
          name,
          String.format(Locale.ROOT, "%,d", rowsCopied),
          now.percent() < 0
              ? ""
              : String.format(Locale.ROOT, " of about %,d (%d%%)", estimatedRows, now.percent()),
          now.rowsPerSecond() > 0
              ? String.format(Locale.ROOT, ", %,.0f rows/s", now.rowsPerSecond())
              : "",
          now.etaSeconds() < 0 ? "" : ", about " + duration(now.etaSeconds()) + " left",
          known);
    }
  }

  @Override
  public void onCopySettled() {
    if (!settled) {
      settled = true;
      if (!tablesEmpty()) {
        LOG.info("initial copy complete: applying the other regions' changes");
      }
    }
  }

  /**
   * Whether this region's capture has no initial copy left to do (see {@link
   * CopyProgressListener#onCopySettled}). Until then the apply waits: a row applied from another
   * region before the copy's snapshot would be copied back to it as this region's own insert, and
   * counted twice there. Never goes back to false.
   *
   * @return true once settled
   */
  public boolean settled() {
    return settled;
  }

  private synchronized boolean tablesEmpty() {
    return tables.isEmpty();
  }

  /**
   * Renders seconds as {@code 1h 02m}, {@code 3m 05s} or {@code 42s}.
   *
   * @param seconds the seconds, at least 0
   * @return the text
   */
  public static String duration(long seconds) {
    if (seconds >= 3600) {
      return String.format(Locale.ROOT, "%dh %02dm", seconds / 3600, seconds % 3600 / 60);
    }
    if (seconds >= 60) {
      return String.format(Locale.ROOT, "%dm %02ds", seconds / 60, seconds % 60);
    }
    return seconds + "s";
  }

  /**
   * Returns the progress of every table the copy has reached, in copy order.
   *
   * @return table name to progress; empty if no copy ran since start
   */
  public synchronized Map<String, Table> tables() {
    return Collections.unmodifiableMap(new LinkedHashMap<>(tables));
  }
}
