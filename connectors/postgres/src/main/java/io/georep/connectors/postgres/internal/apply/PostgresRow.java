package io.georep.connectors.postgres.internal.apply;

import io.georep.apply.ApplyRow;
import io.georep.connector.RowKey;
import io.georep.connector.TableSchema;
import io.georep.connector.Value;
import io.georep.resolver.RowState;
import io.georep.vectorclock.Dot;
import io.georep.vectorclock.HybridTimestamp;
import io.georep.vectorclock.ReplicaId;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.Map;
import java.util.Optional;

/**
 * A row locked by a {@link PostgresRowStore}, with what PostgreSQL needs to tell a local write from
 * the applier's own: the table row's {@code xmin} and the one the applier last synchronised.
 */
final class PostgresRow extends ApplyRow {
  final byte[] keyBytes;

  /** The {@code xmin} the applier last synchronised the row at; null: none (or absent). */
  Long writerXid32;

  /**
   * Whether the row has a {@code row_meta} row: read, or written by this transaction. A row without
   * one gets a plain insert — no other writer of metadata can add it while the row's lock is held —
   * which costs the server less than an upsert's speculative insertion.
   */
  boolean metaStored;

  long syncLsn;
  long xmin;

  PostgresRow(TableSchema table, RowKey key, byte[] keyBytes) {
    super(table, key);
    this.keyBytes = keyBytes;
  }

  void loadMeta(ResultSet rs, int from, boolean ownMeta) throws SQLException {
    metaStored = true;
    RowState state = RowState.fromBytes(rs.getBytes(from));
    boolean suppressed = rs.getBoolean(from + 1);
    long w = rs.getLong(from + 2);
    writerXid32 = rs.wasNull() ? null : w;
    syncLsn = rs.getLong(from + 3);
    ReplicaId origin = ReplicaId.of(rs.getString(from + 4));
    load(
        state,
        suppressed,
        new Dot(origin, rs.getLong(from + 5)),
        new HybridTimestamp(rs.getLong(from + 6), rs.getInt(from + 7), origin),
        ownMeta);
  }

  /** Whether the table row is the version the applier last synchronised. */
  boolean synchronised() {
    return writerXid32 != null && writerXid32 == xmin;
  }

  void loadRow(long xmin, Map<String, Value> values) {
    this.xmin = xmin;
    loadValues(Optional.of(values));
  }
}
