package io.georep.connectors.postgres;

import io.georep.connector.TableId;
import io.georep.connector.spi.ApplyException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * Sets up interleaved sequences, one of georep's key strategies for multi-master tables with
 * generated integer keys: with {@code n} regions, region {@code i} (0-based) generates {@code i+1,
 * i+1+n, i+1+2n, …}, so two regions never generate the same key. (The other strategy is UUID keys;
 * see {@code docs/apply.md}.)
 *
 * <p>{@link #configure} sets every sequence owned by the given tables' columns ({@code serial},
 * {@code bigserial} and identity columns) to {@code INCREMENT BY n} and restarts it at the next
 * value of the region's residue class above its last value. Idempotent: a sequence that already
 * increments by {@code n} and sits in the region's class is left alone. Run it once per region with
 * that region's index, before applications write; changing the region count later needs it run
 * again in every region. Stateless.
 */
public final class InterleavedSequences {

  /**
   * One sequence that was changed.
   *
   * @param sequence the sequence's qualified name
   * @param increment its new increment (the region count)
   * @param restart the next value it will return
   */
  public record Change(String sequence, long increment, long restart) {}

  private InterleavedSequences() {}

  /**
   * Interleaves the sequences owned by the tables' columns.
   *
   * @param connection a connection; its transaction mode is left as it is
   * @param regionIndex this region's index, 0 to {@code regionCount - 1}
   * @param regionCount the number of regions, 1 to 1000
   * @param tables the tables; never null
   * @return the sequences changed (empty when all were set up already)
   * @throws IllegalArgumentException if the index or count is out of range
   * @throws ApplyException if a table does not exist, or a sequence cannot reach the region's next
   *     value (its maximum is too small)
   * @throws SQLException if the database fails
   */
  public static List<Change> configure(
      Connection connection, int regionIndex, int regionCount, List<TableId> tables)
      throws SQLException {
    Objects.requireNonNull(connection, "connection");
    Objects.requireNonNull(tables, "tables");
    if (regionCount < 1 || regionCount > 1000) {
      throw new IllegalArgumentException("regionCount must be 1 to 1000, got " + regionCount);
    }
    if (regionIndex < 0 || regionIndex >= regionCount) {
      throw new IllegalArgumentException(
          "regionIndex must be 0 to " + (regionCount - 1) + ", got " + regionIndex);
    }
    List<Change> changes = new ArrayList<>();
    for (TableId table : tables) {
      try (PreparedStatement exists =
          connection.prepareStatement(
              "SELECT 1 FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
                  + " WHERE n.nspname = ? AND c.relname = ?")) {
        exists.setString(1, table.schema());
        exists.setString(2, table.name());
        try (ResultSet rs = exists.executeQuery()) {
          if (!rs.next()) {
            throw new ApplyException(
                "cannot interleave the sequences of table "
                    + table
                    + ": it does not exist; create it first");
          }
        }
      }
      try (PreparedStatement owned =
          connection.prepareStatement(
              "SELECT quote_ident(sn.nspname) || '.' || quote_ident(s.relname), q.seqincrement,"
                  + " q.seqstart, q.seqmax, pg_sequence_last_value(s.oid)"
                  + " FROM pg_depend d JOIN pg_class s ON s.oid = d.objid AND s.relkind = 'S'"
                  + " JOIN pg_namespace sn ON sn.oid = s.relnamespace"
                  + " JOIN pg_sequence q ON q.seqrelid = s.oid"
                  + " WHERE d.classid = 'pg_class'::regclass AND d.deptype IN ('a', 'i')"
                  + " AND d.refobjid = (quote_ident(?) || '.' || quote_ident(?))::regclass"
                  + " ORDER BY 1")) {
        owned.setString(1, table.schema());
        owned.setString(2, table.name());
        try (ResultSet rs = owned.executeQuery()) {
          while (rs.next()) {
            String name = rs.getString(1);
            long increment = rs.getLong(2);
            long start = rs.getLong(3);
            long max = rs.getLong(4);
            long last = rs.getLong(5);
            boolean used = !rs.wasNull();
            long residue = regionIndex + 1L;
            long current = used ? last : start - 1;
            if (increment == regionCount
                && Math.floorMod(used ? last : start, regionCount) == residue % regionCount) {
              continue;
            }
            long base = Math.max(current, 0);
            long next = base - Math.floorMod(base, regionCount) + residue;
            if (next <= base) {
              next += regionCount;
            }
            if (next > max) {
              throw new ApplyException(
                  "cannot interleave sequence "
                      + name
                      + " of "
                      + table
                      + ": the next value of region "
                      + regionIndex
                      + " would be "
                      + next
                      + ", above its maximum "
                      + max
                      + "; widen the column to bigint and ALTER SEQUENCE … MAXVALUE");
            }
            changes.add(new Change(name, regionCount, next));
          }
        }
      }
    }
    try (Statement s = connection.createStatement()) {
      for (Change c : changes) {
        s.execute(
            "ALTER SEQUENCE "
                + c.sequence()
                + " INCREMENT BY "
                + c.increment()
                + " START WITH "
                + c.restart()
                + " RESTART WITH "
                + c.restart());
      }
    }
    return changes;
  }
}
