package io.georep.connectors.postgres.internal.apply;

import io.georep.connector.ColumnSchema;
import io.georep.connector.TableId;
import io.georep.connector.TableSchema;
import io.georep.connectors.postgres.ApplyException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The generated statements of one table (for one captured schema) and the constraint facts the
 * applier needs: its primary-key constraint, its other unique constraints with their columns, and
 * whether it has foreign keys and whether all of them are deferrable. Built once per schema and
 * cached by the applier; statement texts for column subsets are cached here. Thread-safe.
 */
public final class TableSql {
  private final TableSchema table;
  private final String quoted;
  private final String keyPredicate;
  private final String selectRows;
  private final String delete;
  private final String primaryKey;
  private final Map<String, List<String>> uniques;
  private final boolean hasForeignKeys;
  private final boolean foreignKeysDeferrable;
  private final Map<List<String>, String> inserts = new ConcurrentHashMap<>();
  private final Map<List<String>, String> updates = new ConcurrentHashMap<>();
  private final Map<List<String>, String> batchedInserts = new ConcurrentHashMap<>();
  private final Map<List<String>, String> batchedUpdates = new ConcurrentHashMap<>();

  private TableSql(
      TableSchema table,
      String primaryKey,
      Map<String, List<String>> uniques,
      boolean hasForeignKeys,
      boolean foreignKeysDeferrable) {
    this.table = table;
    this.quoted = table.id().quoted();
    this.primaryKey = primaryKey;
    this.uniques = uniques;
    this.hasForeignKeys = hasForeignKeys;
    this.foreignKeysDeferrable = foreignKeysDeferrable;
    List<String> key = new ArrayList<>();
    for (ColumnSchema c : table.keyColumns()) {
      key.add(TableId.quote(c.name()) + " = ?::" + cast(c));
    }
    this.keyPredicate = String.join(" AND ", key);
    // Many rows at once: the keys come as one text array per key column, joined by position.
    StringBuilder many = new StringBuilder("SELECT u.ord, t.xmin::text::bigint");
    for (ColumnSchema c : table.columns()) {
      many.append(", t.").append(TableId.quote(c.name())).append("::text");
    }
    List<String> arrays = new ArrayList<>();
    List<String> names = new ArrayList<>();
    List<String> join = new ArrayList<>();
    List<ColumnSchema> keyColumns = table.keyColumns();
    for (int k = 0; k < keyColumns.size(); k++) {
      ColumnSchema c = keyColumns.get(k);
      arrays.add("?::text[]");
      names.add("k" + k);
      join.add("t." + TableId.quote(c.name()) + " = u.k" + k + "::" + cast(c));
    }
    this.selectRows =
        many.append(" FROM ")
                .append(quoted)
                .append(" t JOIN unnest(")
                .append(String.join(", ", arrays))
                .append(") WITH ORDINALITY AS u(")
                .append(String.join(", ", names))
                .append(", ord) ON ")
                .append(String.join(" AND ", join))
            + " FOR UPDATE OF t";
    this.delete = "DELETE FROM " + quoted + " WHERE " + keyPredicate;
  }

  /**
   * Reads the table's constraints from the catalog and builds its statements.
   *
   * @param connection a connection
   * @param table the schema the changes were captured under
   * @return the statements
   * @throws SQLException if the catalog cannot be read
   * @throws ApplyException if the table does not exist
   */
  public static TableSql load(Connection connection, TableSchema table) throws SQLException {
    String primaryKey = null;
    Map<String, List<String>> uniques = new LinkedHashMap<>();
    boolean fks = false;
    boolean deferrable = true;
    boolean exists = false;
    try (PreparedStatement query =
        connection.prepareStatement(
            "SELECT con.conname, con.contype::text, con.condeferrable,"
                + " ARRAY(SELECT a.attname::text FROM unnest(con.conkey) WITH ORDINALITY k(n, o)"
                + "   JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.n"
                + "   ORDER BY k.o)"
                + " FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
                + " LEFT JOIN pg_constraint con ON con.conrelid = c.oid"
                + "   AND con.contype IN ('p', 'u', 'f')"
                + " WHERE n.nspname = ? AND c.relname = ?")) {
      query.setString(1, table.id().schema());
      query.setString(2, table.id().name());
      try (ResultSet rs = query.executeQuery()) {
        while (rs.next()) {
          exists = true;
          String name = rs.getString(1);
          if (name == null) {
            continue;
          }
          String type = rs.getString(2);
          List<String> columns = List.of((String[]) rs.getArray(4).getArray());
          switch (type) {
            case "p" -> primaryKey = name;
            case "u" -> uniques.put(name, columns);
            default -> {
              fks = true;
              deferrable &= rs.getBoolean(3);
            }
          }
        }
      }
    }
    // Unique indexes that are not constraints clash the same way.
    try (PreparedStatement query =
        connection.prepareStatement(
            "SELECT ic.relname, ARRAY(SELECT a.attname::text FROM unnest(i.indkey)"
                + "   WITH ORDINALITY k(n, o) JOIN pg_attribute a ON a.attrelid = i.indrelid"
                + "   AND a.attnum = k.n ORDER BY k.o)"
                + " FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid"
                + " JOIN pg_class c ON c.oid = i.indrelid"
                + " JOIN pg_namespace n ON n.oid = c.relnamespace"
                + " WHERE n.nspname = ? AND c.relname = ? AND i.indisunique AND NOT i.indisprimary"
                + " AND NOT EXISTS (SELECT 1 FROM pg_constraint con WHERE con.conindid ="
                + " i.indexrelid) AND i.indexprs IS NULL")) {
      query.setString(1, table.id().schema());
      query.setString(2, table.id().name());
      try (ResultSet rs = query.executeQuery()) {
        while (rs.next()) {
          uniques.put(rs.getString(1), List.of((String[]) rs.getArray(2).getArray()));
        }
      }
    }
    if (!exists) {
      throw new ApplyException(
          "table "
              + table.id()
              + " does not exist in the target database; create it with the same definition as"
              + " in the origin region (georep replicates no DDL) before applying its changes");
    }
    return new TableSql(table, primaryKey, Map.copyOf(uniques), fks, deferrable);
  }

  /** Returns the schema the statements were built for. */
  public TableSchema table() {
    return table;
  }

  /**
   * Returns {@code SELECT ord, xmin, every column as text … FOR UPDATE} of many rows: one {@code
   * text[]} parameter per key column (the keys' text forms, in key-column order), joined by
   * position; {@code ord} is the 1-based position of the row's key in the arrays. Rows that do not
   * exist are simply absent from the result.
   */
  public String selectRows() {
    return selectRows;
  }

  /** Returns the key-column predicate with one parameter per key column, in key order. */
  public String keyPredicate() {
    return keyPredicate;
  }

  /** Returns the delete by key. */
  public String delete() {
    return delete;
  }

  /**
   * Returns an insert of the given columns (key columns included), parameters in that order,
   * returning the new row's {@code xmin} (a subtransaction's xid when run inside a savepoint).
   *
   * @param columns column names
   * @return the statement text
   */
  public String insert(List<String> columns) {
    return inserts.computeIfAbsent(
        List.copyOf(columns),
        cols -> {
          List<String> names = new ArrayList<>();
          List<String> params = new ArrayList<>();
          for (String c : cols) {
            names.add(TableId.quote(c));
            params.add("?::" + cast(table.column(table.indexOf(c))));
          }
          return "INSERT INTO "
              + quoted
              + " ("
              + String.join(", ", names)
              + ") VALUES ("
              + String.join(", ", params)
              + ") RETURNING xmin::text::bigint";
        });
  }

  /**
   * Returns an insert of the given columns like {@link #insert}, but returning nothing, for JDBC
   * batches (the applier knows the new row's {@code xmin} when no savepoint is open: its own xid).
   *
   * @param columns column names
   * @return the statement text
   */
  public String insertBatched(List<String> columns) {
    return batchedInserts.computeIfAbsent(
        List.copyOf(columns), cols -> withoutReturning(insert(cols)));
  }

  /**
   * Returns an update of the given non-key columns like {@link #update}, but returning nothing, for
   * JDBC batches.
   *
   * @param columns column names
   * @return the statement text
   */
  public String updateBatched(List<String> columns) {
    return batchedUpdates.computeIfAbsent(
        List.copyOf(columns), cols -> withoutReturning(update(cols)));
  }

  private static String withoutReturning(String statement) {
    return statement.substring(0, statement.lastIndexOf(" RETURNING "));
  }

  /**
   * Returns an update of the given non-key columns by key: the column parameters, then the key's;
   * returns the new row version's {@code xmin}.
   *
   * @param columns column names
   * @return the statement text
   */
  public String update(List<String> columns) {
    return updates.computeIfAbsent(
        List.copyOf(columns),
        cols -> {
          List<String> sets = new ArrayList<>();
          for (String c : cols) {
            sets.add(TableId.quote(c) + " = ?::" + cast(table.column(table.indexOf(c))));
          }
          return "UPDATE "
              + quoted
              + " SET "
              + String.join(", ", sets)
              + " WHERE "
              + keyPredicate
              + " RETURNING xmin::text::bigint";
        });
  }

  /**
   * Returns a query for the key of another row holding the given unique values: the unique columns'
   * parameters, then the current row's key parameters.
   *
   * @param uniqueColumns the unique key's columns
   * @return the statement text
   */
  public String selectClash(List<String> uniqueColumns) {
    List<String> where = new ArrayList<>();
    for (String c : uniqueColumns) {
      where.add(TableId.quote(c) + " = ?::" + cast(table.column(table.indexOf(c))));
    }
    List<String> keys = new ArrayList<>();
    for (ColumnSchema c : table.keyColumns()) {
      keys.add(TableId.quote(c.name()) + "::text");
    }
    return "SELECT "
        + String.join(", ", keys)
        + " FROM "
        + quoted
        + " WHERE "
        + String.join(" AND ", where)
        + " AND NOT ("
        + keyPredicate
        + ") LIMIT 1 FOR UPDATE";
  }

  /** Returns the primary-key constraint's name, or null. */
  public String primaryKey() {
    return primaryKey;
  }

  /** Returns the other unique constraints and indexes by name, with their columns. */
  public Map<String, List<String>> uniques() {
    return uniques;
  }

  /** Tells whether the table has foreign keys. */
  public boolean hasForeignKeys() {
    return hasForeignKeys;
  }

  /** Tells whether every foreign key of the table is deferrable. */
  public boolean foreignKeysDeferrable() {
    return foreignKeysDeferrable;
  }

  static String cast(ColumnSchema c) {
    String name = c.type().typeName();
    return name.matches("[a-z_][a-z0-9_]*") ? name : TableId.quote(name);
  }
}
