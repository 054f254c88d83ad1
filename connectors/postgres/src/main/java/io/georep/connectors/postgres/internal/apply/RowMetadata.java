package io.georep.connectors.postgres.internal.apply;

import io.georep.connector.TableSchema;
import io.georep.resolver.ColumnPolicy;
import io.georep.resolver.TablePolicy;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.Collection;
import java.util.function.Function;

/**
 * Writes the rows' replicated states to {@code georep.row_meta}: the state, whether the row shows,
 * its suppression, the {@code xmin} it was synchronised at, its latest write and whether its totals
 * survive a delete ({@code accumulates}, which garbage collection reads).
 */
final class RowMetadata {
  private RowMetadata() {}

  /**
   * Writes the metadata of every row whose state changed ({@link
   * io.georep.apply.ApplyRow#dirty()}): a plain insert for a row without metadata, an upsert
   * otherwise, each kind as one batch.
   *
   * @param connection the apply connection
   * @param rows the transaction's rows
   * @param policies the policy of each table
   * @param xid the apply transaction's xid
   * @param lsn the WAL position at its start
   * @throws SQLException on a database failure
   */
  static void write(
      Connection connection,
      Collection<PostgresRow> rows,
      Function<TableSchema, TablePolicy> policies,
      long xid,
      long lsn)
      throws SQLException {
    String columns =
        "INSERT INTO georep.row_meta (table_schema, table_name, row_key, state, row_exists,"
            + " suppressed, writer_xid32, writer_xid, sync_lsn, last_origin, last_seq,"
            + " last_wall, last_logical, accumulates, updated_at)"
            + " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, now())";
    try (PreparedStatement insert = connection.prepareStatement(columns);
        PreparedStatement upsert =
            connection.prepareStatement(
                columns
                    + " ON CONFLICT (table_schema, table_name, row_key) DO UPDATE SET"
                    + " state = excluded.state, row_exists = excluded.row_exists,"
                    + " suppressed = excluded.suppressed, writer_xid32 = excluded.writer_xid32,"
                    + " writer_xid = excluded.writer_xid, sync_lsn = excluded.sync_lsn,"
                    + " last_origin = excluded.last_origin, last_seq = excluded.last_seq,"
                    + " last_wall = excluded.last_wall, last_logical = excluded.last_logical,"
                    + " accumulates = excluded.accumulates, updated_at = now()")) {
      int inserts = 0;
      int upserts = 0;
      for (PostgresRow h : rows) {
        if (!h.dirty() || h.state() == null) {
          continue;
        }
        PreparedStatement s = h.metaStored ? upsert : insert;
        if (h.metaStored) {
          upserts++;
        } else {
          inserts++;
        }
        h.metaStored = true;
        TablePolicy policy = policies.apply(h.table());
        s.setString(1, h.table().id().schema());
        s.setString(2, h.table().id().name());
        s.setBytes(3, h.keyBytes);
        s.setBytes(4, h.state().toBytes());
        s.setBoolean(5, h.visible(policy).exists());
        s.setBoolean(6, h.suppressed());
        if (h.writerXid32 == null) {
          s.setNull(7, java.sql.Types.BIGINT);
        } else {
          s.setLong(7, h.writerXid32);
        }
        s.setLong(8, xid);
        s.setLong(9, lsn);
        s.setString(10, h.lastDot().origin().name());
        s.setLong(11, h.lastDot().seq());
        s.setLong(12, h.lastTimestamp().wallTimeMillis());
        s.setInt(13, h.lastTimestamp().logical());
        s.setBoolean(14, accumulates(policy));
        s.addBatch();
      }
      if (inserts > 0) {
        insert.executeBatch();
      }
      if (upserts > 0) {
        upsert.executeBatch();
      }
    }
  }

  /** Tells whether the policy has columns whose totals survive a delete. */
  static boolean accumulates(TablePolicy policy) {
    for (int i = 0; i < policy.table().columnCount(); i++) {
      ColumnPolicy p = policy.columnAt(i);
      if (p == null) {
        continue; // a key column
      }
      boolean survivesDelete =
          switch (p.kind()) {
            case COUNTER, G_COUNTER, MAX, MIN, G_SET, TWO_PHASE_SET -> true;
            case REGISTER, OR_SET -> false;
          };
      if (survivesDelete) {
        return true;
      }
    }
    return false;
  }
}
