package io.georep.connectors.postgres.internal.apply;

import io.georep.connector.spi.ApplyRetryException;
import io.georep.vectorclock.ReplicaId;
import io.georep.vectorclock.VersionVector;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The {@code georep.apply_progress} rows one apply transaction reads and advances: per origin, the
 * watermark (every seq up to it applied), the above-set of seqs applied beyond it out of order
 * ({@link AboveSet}), and the stream offset of the watermark.
 *
 * <p>An in-order apply locks its origin's row at first use and moves the watermark to the seq. A
 * positioned (out-of-order) apply reads the row unlocked and merges its seqs into it under the
 * row's lock only in {@link #write}, in origin order, so parallel workers hold the rows just until
 * commit and cannot deadlock on them.
 *
 * <p>Concurrency: one instance per database transaction, confined to its thread.
 */
final class ProgressRows {
  private final Connection connection;
  private final Map<ReplicaId, Progress> progress = new TreeMap<>();

  /**
   * An origin's progress row. Locked at first use for in-order applies; read unlocked and locked
   * only in {@link #write} for positioned (out-of-order) applies, so parallel workers do not
   * serialise on it for the whole apply.
   */
  private static final class Progress {
    long watermark;
    long offset = -1;
    List<AboveSet.Entry> above;
    boolean locked;
    boolean changed;
    final List<AboveSet.Entry> pending = new ArrayList<>();
  }

  private Progress progress(ReplicaId origin, boolean lock) throws SQLException {
    Progress p = progress.get(origin);
    if (p == null) {
      p = new Progress();
      progress.put(origin, p);
      read(origin, p, lock);
    } else if (lock && !p.locked) {
      read(origin, p, true);
    }
    return p;
  }

  private void read(ReplicaId origin, Progress p, boolean lock) throws SQLException {
    if (lock) {
      try (PreparedStatement insert =
          connection.prepareStatement(
              "INSERT INTO georep.apply_progress (origin) VALUES (?) ON CONFLICT DO NOTHING")) {
        insert.setString(1, origin.name());
        insert.executeUpdate();
      }
    }
    try (PreparedStatement select =
        connection.prepareStatement(
            "SELECT watermark, above, watermark_offset FROM georep.apply_progress"
                + " WHERE origin = ?"
                + (lock ? " FOR UPDATE" : ""))) {
      select.setString(1, origin.name());
      try (ResultSet rs = select.executeQuery()) {
        if (rs.next()) {
          p.watermark = rs.getLong(1);
          p.above = AboveSet.decode(rs.getBytes(2));
          long offset = rs.getLong(3);
          p.offset = rs.wasNull() ? -1 : offset;
        } else {
          p.watermark = 0;
          p.above = new ArrayList<>();
          p.offset = -1;
        }
      }
    }
    p.locked = lock;
  }

  /**
   * Merges the positioned applies of one origin into its progress row, read again under its lock: a
   * transaction applied meanwhile by another applier aborts this one as retriable (the retry skips
   * it as a duplicate); the watermark absorbs the entries that continue the prefix.
   */
  private void mergePending(ReplicaId origin, Progress p) throws SQLException {
    read(origin, p, true);
    for (AboveSet.Entry e : p.pending) {
      if (e.seq() <= p.watermark || AboveSet.contains(p.above, e.seq())) {
        throw new ApplyRetryException(
            ApplyRetryException.Reason.CONCURRENCY,
            "transaction "
                + origin
                + ":"
                + e.seq()
                + " was applied concurrently by another applier; the apply is retried and skips"
                + " it",
            null);
      }
    }
    p.above.addAll(p.pending);
    long[] moved = AboveSet.absorb(p.watermark, p.offset, p.above);
    p.watermark = moved[0];
    p.offset = moved[1];
    if (p.above.size() > AboveSet.MAX_SIZE) {
      throw new ApplyRetryException(
          ApplyRetryException.Reason.CONCURRENCY,
          "origin "
              + origin
              + " has "
              + p.above.size()
              + " transactions applied above its watermark "
              + p.watermark
              + ", more than the bound of "
              + AboveSet.MAX_SIZE
              + "; the apply waits for the prefix to complete",
          null);
    }
    p.pending.clear();
  }

  ProgressRows(Connection connection) {
    this.connection = connection;
  }

  /**
   * Tells whether a transaction is applied already (or by an earlier apply of this transaction).
   *
   * @param origin its origin
   * @param seq its seq
   * @param lock whether to lock the origin's row now (in-order applies)
   * @return true if applied
   * @throws SQLException on a database failure
   */
  boolean applied(ReplicaId origin, long seq, boolean lock) throws SQLException {
    Progress p = progress(origin, lock);
    return seq <= p.watermark
        || AboveSet.contains(p.above, seq)
        || AboveSet.contains(p.pending, seq);
  }

  /**
   * Records an applied transaction, after {@link #applied} said it was not.
   *
   * @param origin its origin
   * @param seq its seq
   * @param inOrder whether the origin is applied in seq order: the watermark simply becomes the
   *     seq, and entries left above it by earlier out-of-order applies join the prefix if they
   *     continue it
   * @param previousSeq the seq of its predecessor in the origin's stream (out of order)
   * @param offset the stream offset of the batch that carried it, or -1 if unknown
   */
  void record(ReplicaId origin, long seq, boolean inOrder, long previousSeq, long offset) {
    Progress p = progress.get(origin);
    if (inOrder) {
      long[] moved = AboveSet.absorb(Math.max(p.watermark, seq), p.offset, p.above);
      p.watermark = moved[0];
      p.offset = moved[1];
    } else {
      // Out of order: merged into the progress row under its lock in write().
      p.pending.add(new AboveSet.Entry(seq, previousSeq, offset));
    }
    p.changed = true;
  }

  /**
   * Writes the changed rows: positioned applies are merged under each row's lock first.
   *
   * @throws SQLException on a database failure; {@link ApplyRetryException} when another applier
   *     applied one of the transactions meanwhile, or an origin's above-set is full
   */
  void write() throws SQLException {
    for (Map.Entry<ReplicaId, Progress> e : progress.entrySet()) {
      if (!e.getValue().pending.isEmpty()) {
        mergePending(e.getKey(), e.getValue());
      }
    }
    try (PreparedStatement update =
        connection.prepareStatement(
            "UPDATE georep.apply_progress SET watermark = ?, above = ?, watermark_offset = ?,"
                + " high = ?, updated_at = now() WHERE origin = ?")) {
      for (Map.Entry<ReplicaId, Progress> e : progress.entrySet()) {
        Progress p = e.getValue();
        if (p.changed) {
          update.setLong(1, p.watermark);
          update.setBytes(2, AboveSet.encode(p.above));
          if (p.offset < 0) {
            update.setNull(3, java.sql.Types.BIGINT);
          } else {
            update.setLong(3, p.offset);
          }
          long high = p.watermark;
          for (AboveSet.Entry entry : p.above) {
            high = Math.max(high, entry.seq());
          }
          update.setLong(4, high);
          update.setString(5, e.getKey().name());
          update.addBatch();
        }
      }
      update.executeBatch();
    }
  }

  /**
   * Returns the origins' watermarks as this transaction leaves them.
   *
   * @return the watermark of each origin read, those above zero
   */
  VersionVector watermarks() {
    VersionVector watermark = VersionVector.empty();
    for (Map.Entry<ReplicaId, Progress> e : progress.entrySet()) {
      if (e.getValue().watermark > 0) {
        watermark = watermark.advance(e.getKey(), e.getValue().watermark);
      }
    }
    return watermark;
  }
}
