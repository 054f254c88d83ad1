package io.georep.connectors.postgres.internal.capture;

import io.georep.connectors.postgres.CaptureUnavailableException;
import io.georep.vectorclock.HybridTimestamp;
import io.georep.vectorclock.ReplicaId;
import io.georep.vectorclock.VersionVector;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import java.util.Optional;

/**
 * The capture's rows in the {@code georep} metadata schema: xid stamps ({@code georep.xid_stamp})
 * and the confirmed position with its applied vector ({@code georep.capture_state}), over a regular
 * connection owned by the capture thread.
 *
 * <p>Stamps of one hand-off batch are inserted in one transaction, which commits (durably: {@code
 * synchronous_commit} is forced on for it) before any of them is handed on, so a shipped
 * transaction always has its stamp. The full 64-bit xid is reconstructed from the 32-bit xid
 * pgoutput sends and the current xid horizon: the captured transaction committed before, so its
 * full xid is the one within 2^31 below the next xid.
 */
public final class CaptureMetadata {

  /**
   * A stamp: the identity and clock of a captured local transaction.
   *
   * @param xid32 the transaction's 32-bit xid
   * @param seq its commit LSN
   * @param timestamp its HLC
   * @param causalContext its causal context
   * @param horizon its horizon (stored only where it differs from the context)
   */
  public record Stamp(
      long xid32,
      long seq,
      HybridTimestamp timestamp,
      VersionVector causalContext,
      VersionVector horizon) {}

  /**
   * The persisted capture state of a slot.
   *
   * @param confirmedLsn the confirmed position
   * @param appliedVector the applied vector there
   * @param appliedHigh the highest applied seq per remote origin there (covers the vector)
   * @param acknowledgedSeq the highest acknowledged local seq
   */
  public record State(
      long confirmedLsn,
      VersionVector appliedVector,
      VersionVector appliedHigh,
      long acknowledgedSeq) {}

  /**
   * The initial copy a slot started with.
   *
   * @param seq the copy transaction's seq
   * @param done whether the stream has acknowledged it
   */
  public record Copy(long seq, boolean done) {}

  private final Connection connection;
  private final ReplicaId origin;

  /**
   * Creates the store.
   *
   * @param connection a regular connection in auto-commit mode; owned by the caller
   * @param origin the local region
   */
  public CaptureMetadata(Connection connection, ReplicaId origin) {
    this.connection = connection;
    this.origin = origin;
  }

  /**
   * Returns the newest stamp of the local origin, if any.
   *
   * @return the stamp
   */
  public Optional<Stamp> newest() {
    return query(
        "SELECT xid32, seq, hlc_wall, hlc_logical, causal_context, horizon FROM georep.xid_stamp"
            + " WHERE origin = ? ORDER BY seq DESC LIMIT 1",
        -1);
  }

  /**
   * Returns the stamp of a local transaction, if it was stamped before.
   *
   * @param seq the transaction's commit LSN
   * @return the stamp
   */
  public Optional<Stamp> find(long seq) {
    return query(
        "SELECT xid32, seq, hlc_wall, hlc_logical, causal_context, horizon FROM georep.xid_stamp"
            + " WHERE origin = ? AND seq = ?",
        seq);
  }

  private Optional<Stamp> query(String sql, long seq) {
    try (PreparedStatement query = connection.prepareStatement(sql)) {
      query.setString(1, origin.name());
      if (seq >= 0) {
        query.setLong(2, seq);
      }
      try (ResultSet rs = query.executeQuery()) {
        if (!rs.next()) {
          return Optional.empty();
        }
        VersionVector context = VersionVector.fromBytes(rs.getBytes(5));
        return Optional.of(
            new Stamp(
                rs.getLong(1),
                rs.getLong(2),
                new HybridTimestamp(rs.getLong(3), rs.getInt(4), origin),
                context,
                vectorOr(rs.getBytes(6), context)));
      }
    } catch (SQLException e) {
      throw unavailable("read xid stamps", e);
    }
  }

  /**
   * Inserts stamps durably, in one transaction.
   *
   * @param stamps the stamps; not yet stored
   */
  public void insert(List<Stamp> stamps) {
    insert(stamps, java.util.Set.of());
  }

  /**
   * Inserts stamps durably, in one transaction, marking those of initial-copy chunks.
   *
   * @param stamps the stamps; not yet stored
   * @param copyChunks the seqs of the stamps that belong to chunks of the initial copy
   */
  public void insert(List<Stamp> stamps, java.util.Set<Long> copyChunks) {
    if (stamps.isEmpty()) {
      return;
    }
    try {
      connection.setAutoCommit(false);
      try (Statement statement = connection.createStatement();
          PreparedStatement insert =
              connection.prepareStatement(
                  "INSERT INTO georep.xid_stamp (origin, seq, xid, xid32, hlc_wall, hlc_logical,"
                      + " causal_context, horizon, copy_chunk) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
                      + " ON CONFLICT (origin, seq) DO NOTHING")) {
        statement.execute("SET LOCAL synchronous_commit = on");
        long next;
        try (ResultSet rs =
            statement.executeQuery(
                "SELECT pg_snapshot_xmax(pg_current_snapshot())::text::bigint")) {
          rs.next();
          next = rs.getLong(1);
        }
        for (Stamp stamp : stamps) {
          insert.setString(1, origin.name());
          insert.setLong(2, stamp.seq());
          insert.setLong(3, fullXid(stamp.xid32(), next));
          insert.setLong(4, stamp.xid32());
          insert.setLong(5, stamp.timestamp().wallTimeMillis());
          insert.setInt(6, stamp.timestamp().logical());
          insert.setBytes(7, stamp.causalContext().toBytes());
          insert.setBytes(8, bytesUnless(stamp.horizon(), stamp.causalContext()));
          insert.setBoolean(9, copyChunks.contains(stamp.seq()));
          insert.addBatch();
        }
        insert.executeBatch();
        connection.commit();
      } catch (SQLException e) {
        connection.rollback();
        throw e;
      } finally {
        connection.setAutoCommit(true);
      }
    } catch (SQLException e) {
      throw unavailable("write xid stamps", e);
    }
  }

  /**
   * A stored vector, or {@code fallback} where the column is NULL (stored only when it differs).
   */
  private static VersionVector vectorOr(byte[] bytes, VersionVector fallback) {
    return bytes == null ? fallback : VersionVector.fromBytes(bytes);
  }

  /** The bytes to store for {@code vector}: NULL when it equals {@code same}. */
  private static byte[] bytesUnless(VersionVector vector, VersionVector same) {
    return vector.equals(same) ? null : vector.toBytes();
  }

  /**
   * Returns the full 64-bit xid of a 32-bit xid that is below {@code next} and within 2^31 of it.
   *
   * @param xid32 the 32-bit xid, as an unsigned value
   * @param next the next full xid
   * @return the full xid
   */
  static long fullXid(long xid32, long next) {
    long candidate = (next & ~0xFFFFFFFFL) | (xid32 & 0xFFFFFFFFL);
    return candidate >= next ? candidate - (1L << 32) : candidate;
  }

  /**
   * Returns the persisted state of a slot.
   *
   * @param slot the slot name
   * @return the state, or empty for a new slot
   */
  public Optional<State> state(String slot) {
    try (PreparedStatement query =
        connection.prepareStatement(
            "SELECT confirmed_lsn, applied_vector, acknowledged_seq, applied_high"
                + " FROM georep.capture_state"
                + " WHERE slot_name = ?")) {
      query.setString(1, slot);
      try (ResultSet rs = query.executeQuery()) {
        if (!rs.next()) {
          return Optional.empty();
        }
        VersionVector vector = VersionVector.fromBytes(rs.getBytes(2));
        return Optional.of(
            new State(
                rs.getLong(1),
                vector,
                vectorOr(rs.getBytes(4), vector).join(vector),
                rs.getLong(3)));
      }
    } catch (SQLException e) {
      throw unavailable("read the capture state", e);
    }
  }

  /**
   * Stores the state of a slot durably.
   *
   * @param slot the slot name
   * @param state the state
   */
  public void save(String slot, State state) {
    save(slot, state, java.util.Map.of());
  }

  /**
   * Stores the state of a slot and the initial copy's placed chunks in force there, in one
   * transaction, so a restart resumes the stream and the copy's frontier from the same position.
   *
   * @param slot the slot name
   * @param state the state
   * @param placed the tables whose placed chunk changed since the last save
   */
  public void save(
      String slot,
      State state,
      java.util.Map<io.georep.connector.TableId, CopyFrontier.Entry> placed) {
    if (placed.isEmpty()) {
      saveState(slot, state);
      return;
    }
    try {
      connection.setAutoCommit(false);
      try (PreparedStatement update =
          connection.prepareStatement(
              "UPDATE georep.initial_copy_table SET placed_chunk = ?, placed_key = ?::text[],"
                  + " placed_done = ?, updated_at = now()"
                  + " WHERE slot_name = ? AND table_schema = ? AND table_name = ?")) {
        saveState(slot, state);
        for (var entry : placed.entrySet()) {
          CopyFrontier.Entry e = entry.getValue();
          update.setLong(1, e.chunkNo());
          update.setArray(
              2,
              e.keyTexts() == null
                  ? null
                  : connection.createArrayOf("text", e.keyTexts().toArray()));
          update.setBoolean(3, e.done());
          update.setString(4, slot);
          update.setString(5, entry.getKey().schema());
          update.setString(6, entry.getKey().name());
          update.addBatch();
        }
        update.executeBatch();
        connection.commit();
      } catch (SQLException | RuntimeException e) {
        connection.rollback();
        throw e;
      } finally {
        connection.setAutoCommit(true);
      }
    } catch (SQLException e) {
      throw unavailable("write the capture state and the copy's placed chunks", e);
    }
  }

  /**
   * One table of the initial copy as stored.
   *
   * @param table the table
   * @param estimatedRows the estimate at the start (-1 unknown)
   * @param chunked whether it is read in key-range chunks (false: in one)
   * @param readChunk the last chunk committed by the reader
   * @param readKey the key of the last row read, in text form; null if none
   * @param rowsCopied rows read in committed chunks
   * @param readDone whether the reader committed the table's last chunk
   * @param placedChunk the last chunk the capture placed and had acknowledged
   * @param placedKey its last key in text form; null if none
   * @param placedDone whether the table's last chunk is placed and acknowledged
   */
  public record CopyTable(
      io.georep.connector.TableId table,
      long estimatedRows,
      boolean chunked,
      long readChunk,
      List<String> readKey,
      long rowsCopied,
      boolean readDone,
      long placedChunk,
      List<String> placedKey,
      boolean placedDone) {}

  /**
   * Returns the tables of a slot's initial copy, in copy order.
   *
   * @param slot the slot name
   * @return the tables
   */
  public List<CopyTable> copyTables(String slot) {
    List<CopyTable> out = new java.util.ArrayList<>();
    try (PreparedStatement query =
        connection.prepareStatement(
            "SELECT table_schema, table_name, estimated_rows, chunked, read_chunk, read_key,"
                + " rows_copied, done, placed_chunk, placed_key, placed_done"
                + " FROM georep.initial_copy_table WHERE slot_name = ?"
                + " ORDER BY estimated_rows DESC, table_schema, table_name")) {
      query.setString(1, slot);
      try (ResultSet rs = query.executeQuery()) {
        while (rs.next()) {
          out.add(
              new CopyTable(
                  io.georep.connector.TableId.of(rs.getString(1), rs.getString(2)),
                  rs.getLong(3),
                  rs.getBoolean(4),
                  rs.getLong(5),
                  texts(rs.getArray(6)),
                  rs.getLong(7),
                  rs.getBoolean(8),
                  rs.getLong(9),
                  texts(rs.getArray(10)),
                  rs.getBoolean(11)));
        }
      }
    } catch (SQLException e) {
      throw unavailable("read the initial copy's tables", e);
    }
    return out;
  }

  private static List<String> texts(java.sql.Array array) throws SQLException {
    return array == null ? null : java.util.Arrays.asList((String[]) array.getArray());
  }

  private void saveState(String slot, State state) {
    try (PreparedStatement upsert =
        connection.prepareStatement(
            "INSERT INTO georep.capture_state (slot_name, origin, confirmed_lsn, applied_vector,"
                + " acknowledged_seq, applied_high, updated_at) VALUES (?, ?, ?, ?, ?, ?, now())"
                + " ON CONFLICT (slot_name) DO UPDATE SET confirmed_lsn = excluded.confirmed_lsn,"
                + " applied_vector = excluded.applied_vector, applied_high = excluded.applied_high,"
                + " acknowledged_seq = excluded.acknowledged_seq, updated_at = now()")) {
      upsert.setString(1, slot);
      upsert.setString(2, origin.name());
      upsert.setLong(3, state.confirmedLsn());
      upsert.setBytes(4, state.appliedVector().toBytes());
      upsert.setLong(5, state.acknowledgedSeq());
      upsert.setBytes(6, bytesUnless(state.appliedHigh(), state.appliedVector()));
      upsert.executeUpdate();
    } catch (SQLException e) {
      throw unavailable("write the capture state", e);
    }
  }

  /**
   * Returns the initial copy recorded for a slot.
   *
   * @param slot the slot name
   * @return the copy, or empty if the slot started without one
   */
  public Optional<Copy> copy(String slot) {
    try (PreparedStatement query =
        connection.prepareStatement(
            "SELECT seq, status FROM georep.initial_copy WHERE slot_name = ?")) {
      query.setString(1, slot);
      try (ResultSet rs = query.executeQuery()) {
        return rs.next()
            ? Optional.of(new Copy(rs.getLong(1), "done".equals(rs.getString(2))))
            : Optional.empty();
      }
    } catch (SQLException e) {
      throw unavailable("read the initial copy state", e);
    }
  }

  /**
   * Records, durably, that a slot starts with an initial copy, replacing an earlier record.
   *
   * @param slot the slot name
   * @param seq the copy transaction's seq
   * @param consistentLsn the slot's consistent point
   * @param snapshot the copy snapshot, as {@code pg_current_snapshot()} shows it
   * @param timestamp the copy transaction's HLC
   * @param tables the copied tables with their estimated row counts (-1 unknown), in copy order
   */
  public void beginCopy(
      String slot,
      long seq,
      long consistentLsn,
      String snapshot,
      HybridTimestamp timestamp,
      java.util.Map<io.georep.connector.TableId, Long> tables) {
    try {
      connection.setAutoCommit(false);
      try (PreparedStatement delete =
              connection.prepareStatement("DELETE FROM georep.initial_copy WHERE slot_name = ?");
          PreparedStatement insert =
              connection.prepareStatement(
                  "INSERT INTO georep.initial_copy (slot_name, origin, seq, consistent_lsn,"
                      + " snapshot, hlc_wall, hlc_logical, status)"
                      + " VALUES (?, ?, ?, ?, ?::pg_snapshot, ?, ?, 'copying')");
          PreparedStatement table =
              connection.prepareStatement(
                  "INSERT INTO georep.initial_copy_table (slot_name, table_schema, table_name,"
                      + " estimated_rows) VALUES (?, ?, ?, ?)")) {
        delete.setString(1, slot);
        delete.executeUpdate();
        insert.setString(1, slot);
        insert.setString(2, origin.name());
        insert.setLong(3, seq);
        insert.setLong(4, consistentLsn);
        insert.setString(5, snapshot);
        insert.setLong(6, timestamp.wallTimeMillis());
        insert.setInt(7, timestamp.logical());
        insert.executeUpdate();
        for (var entry : tables.entrySet()) {
          table.setString(1, slot);
          table.setString(2, entry.getKey().schema());
          table.setString(3, entry.getKey().name());
          table.setLong(4, entry.getValue());
          table.addBatch();
        }
        table.executeBatch();
        connection.commit();
      } catch (SQLException e) {
        connection.rollback();
        throw e;
      } finally {
        connection.setAutoCommit(true);
      }
    } catch (SQLException e) {
      throw unavailable("record the initial copy", e);
    }
  }

  /**
   * Marks a slot's initial copy done (acknowledged downstream), or forgets it.
   *
   * @param slot the slot name
   * @param forget true to delete the record (the copy is abandoned), false to mark it done
   */
  public void finishCopy(String slot, boolean forget) {
    try (PreparedStatement update =
        connection.prepareStatement(
            forget
                ? "DELETE FROM georep.initial_copy WHERE slot_name = ?"
                : "UPDATE georep.initial_copy SET status = 'done', finished_at = now()"
                    + " WHERE slot_name = ?")) {
      update.setString(1, slot);
      update.executeUpdate();
    } catch (SQLException e) {
      throw unavailable("record the end of the initial copy", e);
    }
  }

  private static CaptureUnavailableException unavailable(String what, SQLException e) {
    return new CaptureUnavailableException(
        "cannot " + what + " in schema georep (" + e.getMessage() + "); capture will retry", e);
  }
}
