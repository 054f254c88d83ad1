package io.georep.connectors.postgres.internal.apply;

import io.georep.apply.LocalStamp;
import io.georep.connector.spi.ApplyRetryException;
import io.georep.vectorclock.Dot;
import io.georep.vectorclock.HybridTimestamp;
import io.georep.vectorclock.ReplicaId;
import io.georep.vectorclock.VersionVector;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.function.Supplier;

/**
 * How an apply transaction on PostgreSQL tells the local writes in a row from its own: by the table
 * row's {@code xmin} and the capture's stamps ({@code georep.xid_stamp}).
 *
 * <h2>Design</h2>
 *
 * <p>The metadata records the table row's {@code xmin} when the applier last synchronised it
 * ({@code writer_xid32}). A different {@code xmin}, or a row without metadata, means an application
 * in this region wrote it since: its dot, HLC and causal context come from the capture's stamp for
 * that xid. A row that is gone while its state says it exists was deleted locally; the delete is
 * attributed to the newest local stamp committed after the last synchronisation (whose context
 * contains the deleter's). Without a stamp it polls up to {@code stampWait} and then aborts with a
 * retriable {@link ApplyRetryException.Reason#STAMP_PENDING}: a guess could claim "dominated" and
 * silently lose the local write.
 *
 * <p>Concurrency: one instance per database transaction, confined to its thread.
 */
final class LocalWrites {
  private final Connection connection;
  private final ReplicaId region;
  private final Duration stampWait;
  private final Supplier<String> position;
  private final Supplier<Dot> currentDot;

  /** Whether the server records commit timestamps; read when first needed. */
  private Boolean commitTimestamps;

  /** Whether an xmin has a stamp, per xmin looked up by {@link #subtransactionOf}. */
  private final Map<Long, Boolean> stampedXmins = new HashMap<>();

  /**
   * {@link #writtenAfter}'s answers for the chunk being folded, per {@code xmin}: a chunk's rows
   * mostly share the few {@code xmin}s of the transactions that loaded the table, so a chunk of
   * 10,000 rows asks the database a few times, not 10,000 times.
   */
  private final Map<Long, Boolean> writtenAfterChunk = new HashMap<>();

  private long writtenAfterSeq = -1;

  LocalWrites(
      Connection connection,
      ReplicaId region,
      Duration stampWait,
      Supplier<String> position,
      Supplier<Dot> currentDot) {
    this.connection = connection;
    this.region = region;
    this.stampWait = stampWait;
    this.position = position;
    this.currentDot = currentDot;
  }

  /**
   * Names the local transaction that wrote (present row) or deleted (absent row) a row since the
   * applier last synchronised it: by {@code xmin} for a present row, else the newest local stamp
   * after the row's last synchronisation; polls until {@code stampWait}.
   *
   * @param h the row
   * @param xid the apply transaction's xid (64-bit)
   * @return the stamp
   * @throws SQLException on a database failure; {@link ApplyRetryException} without a stamp
   */
  LocalStamp stampOf(PostgresRow h, long xid) throws SQLException {
    boolean byXmin = h.values().isPresent();
    String sql =
        byXmin
            ? "SELECT seq, hlc_wall, hlc_logical, causal_context FROM georep.xid_stamp"
                + " WHERE xid32 = ? AND origin = ? AND xid > ? ORDER BY xid DESC LIMIT 1"
            : "SELECT seq, hlc_wall, hlc_logical, causal_context FROM georep.xid_stamp"
                + " WHERE seq > ? AND origin = ? ORDER BY seq DESC LIMIT 1";
    long deadline = System.nanoTime() + stampWait.toNanos();
    long pauseMillis = 2;
    while (true) {
      try (PreparedStatement query = connection.prepareStatement(sql)) {
        query.setLong(1, byXmin ? h.xmin : h.syncLsn);
        query.setString(2, region.name());
        if (byXmin) {
          query.setLong(3, xid - (1L << 31));
        }
        try (ResultSet rs = query.executeQuery()) {
          if (rs.next()) {
            Dot dot = new Dot(region, rs.getLong(1));
            if (h.state() == null || !h.state().covers(dot)) {
              return new LocalStamp(
                  dot,
                  new HybridTimestamp(rs.getLong(2), rs.getInt(3), region),
                  VersionVector.fromBytes(rs.getBytes(4)));
            }
          }
        }
      }
      if (System.nanoTime() > deadline) {
        throw new ApplyRetryException(
            ApplyRetryException.Reason.STAMP_PENDING,
            "row "
                + h.key().values()
                + " of "
                + h.table().id()
                + (byXmin
                    ? " was written by local transaction xid " + h.xmin
                    : " was deleted by a local transaction")
                + " that the capture has not stamped yet (waited "
                + stampWait.toMillis()
                + " ms, at "
                + position.get()
                + "); the local write must be identified before a remote change is merged, or it"
                + " could be silently overwritten. Make sure the capture (PostgresChangeSource) of"
                + " region "
                + region
                + " runs on this database; the apply is retried",
            null);
      }
      try {
        Thread.sleep(pauseMillis);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new ApplyRetryException(
            ApplyRetryException.Reason.UNAVAILABLE, "interrupted waiting for a stamp", e);
      }
      pauseMillis = Math.min(50, pauseMillis * 2);
    }
  }

  /**
   * Tells whether a present table row shows a folded local transaction's write: for the initial
   * copy ({@code xid32} = {@link ApplyTransaction#INITIAL_COPY}) a row whose {@code xmin} has no
   * stamp, for a chunk of the chunked copy one not written by a later local transaction, else a row
   * whose {@code xmin} is the transaction's (or one of its subtransactions), or a row still
   * synchronised.
   *
   * @param h the row
   * @param xid32 as {@link ApplyTransaction#foldLocal}
   * @param seq the folded transaction's seq
   * @return true if it shows it
   * @throws SQLException on a database failure
   */
  boolean shows(PostgresRow h, long xid32, long seq) throws SQLException {
    if (xid32 == ApplyTransaction.INITIAL_COPY) {
      return !stamped(h.xmin);
    }
    if (xid32 >= ApplyTransaction.COPY_CHUNK) {
      return !writtenAfter(h.xmin, seq);
    }
    return h.xmin == xid32 || h.synchronised() || subtransactionOf(h.xmin, xid32);
  }

  /**
   * Whether a row version's {@code xmin} is a subtransaction of the local transaction {@code top}
   * (the application wrote the row inside a savepoint): it has no stamp of its own and committed at
   * the very instant {@code top} did. PostgreSQL records one commit timestamp for a transaction and
   * all its subtransactions, and two transactions that wrote the same row cannot commit at the same
   * microsecond, as the second waits for the first's commit. Needs {@code track_commit_timestamp};
   * without it such rows are never recognised, and remote writes to them wait (docs/apply.md).
   */
  private boolean subtransactionOf(long xmin, long top) throws SQLException {
    if (commitTimestamps == null) {
      try (Statement q = connection.createStatement();
          ResultSet rs = q.executeQuery("SELECT current_setting('track_commit_timestamp')::bool")) {
        commitTimestamps = rs.next() && rs.getBoolean(1);
      }
    }
    if (!commitTimestamps) {
      return false;
    }
    // Usually the xmin is a later local transaction of the same fold: stamped, looked up once.
    Boolean isStamped = stampedXmins.get(xmin);
    if (isStamped == null) {
      isStamped = stamped(xmin);
      stampedXmins.put(xmin, isStamped);
    }
    if (isStamped) {
      return false;
    }
    try (PreparedStatement q =
        connection.prepareStatement(
            "SELECT pg_xact_commit_timestamp(?::text::xid)"
                + " = pg_xact_commit_timestamp(?::text::xid)")) {
      q.setString(1, Long.toString(xmin));
      q.setString(2, Long.toString(top));
      try (ResultSet rs = q.executeQuery()) {
        // NULL (a commit time no longer or never recorded) reads as false.
        return rs.next() && rs.getBoolean(1);
      }
    }
  }

  /**
   * Whether a row version was written by a local transaction that committed after a chunk of the
   * initial copy (a greater seq). The chunk read the table under a {@code SHARE} lock, so any other
   * version it finds is the one it copied: written before the capture started (no stamp), or by a
   * local transaction before the chunk, whose change to this row the capture did not ship because
   * the chunk carries it.
   */
  private boolean writtenAfter(long xmin, long chunkSeq) throws SQLException {
    if (writtenAfterSeq != chunkSeq) {
      writtenAfterChunk.clear();
      writtenAfterSeq = chunkSeq;
    }
    Boolean known = writtenAfterChunk.get(xmin);
    if (known != null) {
      return known;
    }
    boolean after = stampedAfter(xmin, chunkSeq);
    writtenAfterChunk.put(xmin, after);
    return after;
  }

  private boolean stampedAfter(long xmin, long chunkSeq) throws SQLException {
    try (PreparedStatement q =
        connection.prepareStatement(
            "SELECT 1 FROM georep.xid_stamp WHERE xid32 = ? AND origin = ? AND seq > ? LIMIT 1")) {
      q.setLong(1, xmin);
      q.setString(2, currentDot.get().origin().name());
      q.setLong(3, chunkSeq);
      try (ResultSet rs = q.executeQuery()) {
        return rs.next();
      }
    }
  }

  /** Whether a stamp (of a local or an apply transaction) has the given low 32 xid bits. */
  private boolean stamped(long xmin) throws SQLException {
    try (PreparedStatement q =
        connection.prepareStatement("SELECT 1 FROM georep.xid_stamp WHERE xid32 = ? LIMIT 1")) {
      q.setLong(1, xmin);
      try (ResultSet rs = q.executeQuery()) {
        return rs.next();
      }
    }
  }
}
