package io.georep.connectors.postgres.internal.capture;

import io.georep.connector.TableId;
import io.georep.connectors.postgres.CaptureException;
import io.georep.connectors.postgres.internal.pgoutput.PgOutputMessage;
import io.georep.publication.Publication;
import io.georep.publication.TableName;
import io.georep.publication.TableRule;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/** Catalog reads the initial copy shares between its readers and the capture. */
public final class CopyTables {

  /** Key types whose order {@link CopyFrontier#compare} reproduces (text only under C). */
  private static final Set<String> ORDERED =
      Set.of("int2", "int4", "int8", "numeric", "date", "timestamp", "timestamptz", "uuid", "bool");

  private static final Set<String> TEXT = Set.of("text", "varchar");

  private CopyTables() {}

  /**
   * How a table's key is read in chunks.
   *
   * @param columns the key columns, quoted, in key order
   * @param casts each key column's type as {@code format_type} prints it, for binding its text
   */
  public record KeyPlan(List<String> columns, List<String> casts) {}

  /**
   * Returns the published tables, each once, in configuration order.
   *
   * @param publications the publications
   * @return the tables
   */
  public static List<TableName> tables(List<Publication> publications) {
    List<TableName> tables = new ArrayList<>();
    for (Publication publication : publications) {
      for (TableRule rule : publication.tables()) {
        if (!tables.contains(rule.table())) {
          tables.add(rule.table());
        }
      }
    }
    return tables;
  }

  /**
   * Builds the {@code Relation} message pgoutput would send for a table, from the catalog, so that
   * copied rows (read in the same column order) convert like streamed inserts.
   *
   * @param connection a regular connection
   * @param table the table
   * @return the message
   * @throws SQLException if the database fails
   * @throws CaptureException if the table does not exist
   */
  public static PgOutputMessage.Relation relation(Connection connection, TableId table)
      throws SQLException {
    int oid = 0;
    char identity = 'd';
    List<PgOutputMessage.RelationColumn> columns = new ArrayList<>();
    try (PreparedStatement query =
        connection.prepareStatement(
            "SELECT c.oid, c.relreplident, a.attname, a.atttypid, a.atttypmod,"
                + " coalesce(a.attnum = ANY (i.indkey), false)"
                + " FROM pg_catalog.pg_class c"
                + " JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace"
                + " JOIN pg_catalog.pg_attribute a ON a.attrelid = c.oid"
                + " AND a.attnum > 0 AND NOT a.attisdropped AND a.attgenerated = ''"
                + " LEFT JOIN pg_catalog.pg_index i ON i.indrelid = c.oid"
                + " AND CASE c.relreplident WHEN 'i' THEN i.indisreplident ELSE i.indisprimary END"
                + " WHERE n.nspname = ? AND c.relname = ? ORDER BY a.attnum")) {
      query.setString(1, table.schema());
      query.setString(2, table.name());
      try (ResultSet rs = query.executeQuery()) {
        while (rs.next()) {
          oid = (int) rs.getLong(1);
          identity = rs.getString(2).charAt(0);
          columns.add(
              new PgOutputMessage.RelationColumn(
                  rs.getBoolean(6), rs.getString(3), (int) rs.getLong(4), rs.getInt(5)));
        }
      }
    }
    if (columns.isEmpty()) {
      throw new CaptureException(
          "published table "
              + table
              + " does not exist or has no column; the initial copy cannot read it");
    }
    return new PgOutputMessage.Relation(0, oid, table.schema(), table.name(), identity, columns);
  }

  /**
   * Returns how to read a table in key-range chunks, or null if it is read in one chunk: it has no
   * key, or a key column's order is not one the capture reproduces (a type other than integers,
   * numeric, date and time types, uuid and boolean; text or varchar under a collation other than C
   * or POSIX).
   *
   * @param connection a regular connection
   * @param relationOid the table's oid
   * @param keyColumns the key columns as the capture's converter defines the key
   * @return the plan, or null
   * @throws SQLException if the database fails
   */
  public static KeyPlan keyPlan(Connection connection, int relationOid, List<String> keyColumns)
      throws SQLException {
    if (keyColumns.isEmpty()) {
      return null;
    }
    List<String> quoted = new ArrayList<>();
    List<String> casts = new ArrayList<>();
    try (PreparedStatement query =
        connection.prepareStatement(
            "SELECT t.typname, format_type(a.atttypid, a.atttypmod),"
                + " coalesce(co.collname, ''),"
                + " (SELECT datcollate FROM pg_catalog.pg_database"
                + " WHERE datname = current_database())"
                + " FROM pg_catalog.pg_attribute a"
                + " JOIN pg_catalog.pg_type t ON t.oid = a.atttypid"
                + " LEFT JOIN pg_catalog.pg_collation co ON co.oid = a.attcollation"
                + " WHERE a.attrelid = ? AND a.attname = ?")) {
      for (String column : keyColumns) {
        query.setLong(1, Integer.toUnsignedLong(relationOid));
        query.setString(2, column);
        try (ResultSet rs = query.executeQuery()) {
          if (!rs.next()) {
            return null;
          }
          String type = rs.getString(1);
          String collation = rs.getString(3);
          if ("default".equals(collation)) {
            collation = rs.getString(4);
          }
          boolean ordered =
              ORDERED.contains(type)
                  || (TEXT.contains(type) && ("C".equals(collation) || "POSIX".equals(collation)));
          if (!ordered) {
            return null;
          }
          quoted.add(TableId.quote(column));
          casts.add(rs.getString(2));
        }
      }
    }
    return new KeyPlan(quoted, casts);
  }
}
