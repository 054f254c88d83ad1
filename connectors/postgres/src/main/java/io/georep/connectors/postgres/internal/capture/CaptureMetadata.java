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

  /** A stamp: the identity and clock of a captured local transaction. */
  public record Stamp(
      long xid32, long seq, HybridTimestamp timestamp, VersionVector causalContext) {}

  /** The persisted capture state of a slot. */
  public record State(long confirmedLsn, VersionVector appliedVector, long acknowledgedSeq) {}

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
        "SELECT xid32, seq, hlc_wall, hlc_logical, causal_context FROM georep.xid_stamp"
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
        "SELECT xid32, seq, hlc_wall, hlc_logical, causal_context FROM georep.xid_stamp"
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
        return Optional.of(
            new Stamp(
                rs.getLong(1),
                rs.getLong(2),
                new HybridTimestamp(rs.getLong(3), rs.getInt(4), origin),
                VersionVector.fromBytes(rs.getBytes(5))));
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
    if (stamps.isEmpty()) {
      return;
    }
    try {
      connection.setAutoCommit(false);
      try (Statement statement = connection.createStatement();
          PreparedStatement insert =
              connection.prepareStatement(
                  "INSERT INTO georep.xid_stamp (origin, seq, xid, xid32, hlc_wall, hlc_logical,"
                      + " causal_context) VALUES (?, ?, ?, ?, ?, ?, ?)"
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
            "SELECT confirmed_lsn, applied_vector, acknowledged_seq FROM georep.capture_state"
                + " WHERE slot_name = ?")) {
      query.setString(1, slot);
      try (ResultSet rs = query.executeQuery()) {
        return rs.next()
            ? Optional.of(
                new State(rs.getLong(1), VersionVector.fromBytes(rs.getBytes(2)), rs.getLong(3)))
            : Optional.empty();
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
    try (PreparedStatement upsert =
        connection.prepareStatement(
            "INSERT INTO georep.capture_state (slot_name, origin, confirmed_lsn, applied_vector,"
                + " acknowledged_seq, updated_at) VALUES (?, ?, ?, ?, ?, now())"
                + " ON CONFLICT (slot_name) DO UPDATE SET confirmed_lsn = excluded.confirmed_lsn,"
                + " applied_vector = excluded.applied_vector,"
                + " acknowledged_seq = excluded.acknowledged_seq, updated_at = now()")) {
      upsert.setString(1, slot);
      upsert.setString(2, origin.name());
      upsert.setLong(3, state.confirmedLsn());
      upsert.setBytes(4, state.appliedVector().toBytes());
      upsert.setLong(5, state.acknowledgedSeq());
      upsert.executeUpdate();
    } catch (SQLException e) {
      throw unavailable("write the capture state", e);
    }
  }

  private static CaptureUnavailableException unavailable(String what, SQLException e) {
    return new CaptureUnavailableException(
        "cannot " + what + " in schema georep (" + e.getMessage() + "); capture will retry", e);
  }
}
