package io.georep.connectors.postgres.internal.apply;

import io.georep.connector.spi.GarbageCollecting.Collected;
import io.georep.resolver.RowMultiset;
import io.georep.resolver.RowState;
import io.georep.vectorclock.ReplicaId;
import io.georep.vectorclock.VersionVector;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.Map;

/**
 * Garbage collection of the {@code georep} metadata, inside a transaction the caller commits:
 * tombstones, removed copies of keyless rows and apply stamps below the causally stable frontier,
 * local stamps no one needs any more, and conflict log entries past their retention. The safety
 * arguments are in {@code docs/apply.md} ("Tombstones and garbage collection").
 */
public final class MetadataCollection {
  private static final int CONFLICT_LOG_BATCH = 5_000;

  private MetadataCollection() {}

  /**
   * Removes what the causally stable frontier makes useless (see {@link
   * io.georep.connectors.postgres.PostgresChangeApplier#collectGarbage}).
   *
   * @param c a connection in manual-commit mode; the caller commits
   * @param stableFrontier the causally stable frontier
   * @param region the local region
   * @param agentFolds whether the agent folds local writes (local stamps are collected only then)
   * @return what was removed
   * @throws SQLException on a database failure
   */
  public static Collected collect(
      Connection c, VersionVector stableFrontier, ReplicaId region, boolean agentFolds)
      throws SQLException {
    int tombstones = 0;
    int stamps = 0;
    try (PreparedStatement select =
            c.prepareStatement(
                "SELECT table_schema, table_name, row_key, state FROM georep.row_meta"
                    + " WHERE NOT row_exists AND NOT accumulates FOR UPDATE SKIP LOCKED");
        PreparedStatement delete =
            c.prepareStatement(
                "DELETE FROM georep.row_meta WHERE table_schema = ? AND table_name = ?"
                    + " AND row_key = ?")) {
      try (ResultSet rs = select.executeQuery()) {
        while (rs.next()) {
          RowState state = RowState.fromBytes(rs.getBytes(4));
          if (stableFrontier.covers(state.history())) {
            delete.setString(1, rs.getString(1));
            delete.setString(2, rs.getString(2));
            delete.setBytes(3, rs.getBytes(3));
            delete.addBatch();
            tombstones++;
          }
        }
      }
      if (tombstones > 0) {
        delete.executeBatch();
      }
    }
    tombstones += pruneKeyless(c, stableFrontier);
    int localStamps = 0;
    if (agentFolds) {
      try (PreparedStatement delete = c.prepareStatement(LOCAL_STAMPS_GC)) {
        delete.setString(1, region.name());
        delete.setString(2, region.name());
        localStamps = delete.executeUpdate();
      }
    }
    try (PreparedStatement delete =
        c.prepareStatement("DELETE FROM georep.xid_stamp WHERE origin = ? AND seq <= ?")) {
      for (Map.Entry<ReplicaId, Long> e : stableFrontier.entries().entrySet()) {
        if (!e.getKey().equals(region)) {
          delete.setString(1, e.getKey().name());
          delete.setLong(2, e.getValue());
          stamps += delete.executeUpdate();
        }
      }
    }
    return new Collected(tombstones, stamps, localStamps);
  }

  /**
   * Drops the removed copies of keyless tables' rows whose removal is causally stable ({@link
   * RowMultiset#prune}), and the metadata of values left without any copy.
   *
   * @return the number of copies dropped
   */
  private static int pruneKeyless(Connection c, VersionVector stableFrontier) throws SQLException {
    int dropped = 0;
    try (PreparedStatement select =
            c.prepareStatement(
                "SELECT table_schema, table_name, row_key, state FROM georep.keyless_meta"
                    + " WHERE removed > 0 FOR UPDATE SKIP LOCKED");
        PreparedStatement update =
            c.prepareStatement(
                "UPDATE georep.keyless_meta SET state = ?, live = ?, removed = ?,"
                    + " updated_at = now() WHERE table_schema = ? AND table_name = ? AND row_key = ?");
        PreparedStatement delete =
            c.prepareStatement(
                "DELETE FROM georep.keyless_meta WHERE table_schema = ? AND table_name = ?"
                    + " AND row_key = ?")) {
      int updates = 0;
      int deletes = 0;
      try (ResultSet rs = select.executeQuery()) {
        while (rs.next()) {
          RowMultiset state = RowMultiset.fromBytes(rs.getBytes(4));
          RowMultiset pruned = state.prune(stableFrontier);
          if (pruned.equals(state)) {
            continue;
          }
          dropped += state.copies().size() - pruned.copies().size();
          if (pruned.isEmpty()) {
            delete.setString(1, rs.getString(1));
            delete.setString(2, rs.getString(2));
            delete.setBytes(3, rs.getBytes(3));
            delete.addBatch();
            deletes++;
          } else {
            int live = pruned.liveCount();
            update.setBytes(1, pruned.toBytes());
            update.setInt(2, live);
            update.setInt(3, pruned.copies().size() - live);
            update.setString(4, rs.getString(1));
            update.setString(5, rs.getString(2));
            update.setBytes(6, rs.getBytes(3));
            update.addBatch();
            updates++;
          }
        }
      }
      if (updates > 0) {
        update.executeBatch();
      }
      if (deletes > 0) {
        delete.executeBatch();
      }
    }
    return dropped;
  }

  /**
   * The rule for local stamps (the argument is in {@code docs/apply.md}, "Tombstones and garbage
   * collection"). A local stamp is read (1) by the capture, to re-emit a transaction it captures
   * again after a crash, which it does only above the acknowledged seq of {@code capture_state} (a
   * slot that went back after a server crash sends older ones again; the capture skips them), and
   * to seed its clock and seq from the newest stamp; (2) by appliers and folds, to find the dot of
   * a row whose {@code xmin} is a local transaction not yet folded into {@code row_meta}. When the
   * agent folds local writes, the slot passes a transaction only after Kafka acknowledged it and it
   * was folded, and the capture records that as {@code capture_state.acknowledged_seq}: below it a
   * transaction is never captured again and every row it wrote is synchronised in {@code row_meta}
   * (its {@code xmin} matches {@code writer_xid32}, so no one looks the stamp up). The lowest
   * acknowledged seq over the local origin's slots is taken (a stale slot's row only keeps more),
   * and the stamp at that seq itself is kept, so the newest acknowledged stamp always remains as
   * the seed. Without the agent's folding, a row may keep a local {@code xmin} unfolded
   * indefinitely, so no local stamp is ever removed. The causally stable frontier plays no part:
   * other regions never read this database's stamps.
   */
  private static final String LOCAL_STAMPS_GC =
      "DELETE FROM georep.xid_stamp WHERE origin = ? AND seq < (SELECT min(acknowledged_seq)"
          + " FROM georep.capture_state WHERE origin = ?)";

  /**
   * Removes conflict log entries detected before a time, oldest first, in batches of {@value
   * #CONFLICT_LOG_BATCH} rows, each committed, so that no long transaction holds the table.
   *
   * <p>Batches walk the primary key from the oldest entry (ids grow with insertion, as detection
   * times do), so a pass costs what it removes plus one batch, not a scan of the whole log.
   *
   * @param c a connection in manual-commit mode
   * @param detectedBefore entries detected before this instant are removed
   * @return how many entries were removed
   * @throws SQLException on a database failure
   */
  public static int pruneConflictLog(Connection c, Instant detectedBefore) throws SQLException {
    int removed = 0;
    try (PreparedStatement delete =
        c.prepareStatement(
            "DELETE FROM georep.conflict_log WHERE id IN (SELECT id FROM georep.conflict_log"
                + " ORDER BY id LIMIT "
                + CONFLICT_LOG_BATCH
                + ") AND detected_at < ?")) {
      delete.setTimestamp(1, Timestamp.from(detectedBefore));
      while (true) {
        int n = delete.executeUpdate();
        c.commit();
        removed += n;
        if (n < CONFLICT_LOG_BATCH) {
          return removed;
        }
      }
    }
  }
}
