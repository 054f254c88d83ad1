package io.georep.connectors.postgres.internal.apply;

import io.georep.apply.ForeignKey;
import io.georep.connector.ColumnSchema;
import io.georep.connector.ColumnType;
import io.georep.connector.TableId;
import io.georep.connector.TableSchema;
import io.georep.connector.spi.ApplyException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
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
  private final Map<String, UniqueIndex> uniqueIndexes;
  private final List<ForeignKey> references;
  private final List<ForeignKey> referencedBy;
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
      Map<String, UniqueIndex> uniqueIndexes,
      List<ForeignKey> references,
      List<ForeignKey> referencedBy,
      boolean hasForeignKeys,
      boolean foreignKeysDeferrable) {
    this.table = table;
    this.uniqueIndexes = uniqueIndexes;
    this.references = references;
    this.referencedBy = referencedBy;
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
      many.append(", t.").append(TableId.quote(c.name()));
      // char(n) as its output function writes it, padded, as the capture receives it: its cast to
      // text drops the trailing blanks, so every row read back differed from the merged one and
      // was written again (a fold of the initial copy updated every row of pgbench_accounts).
      if (!c.type().typeName().equals("bpchar")) {
        many.append("::text");
      }
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
    // Unique indexes that are not constraints clash the same way, including partial ones (a clash
    // is only with rows satisfying the predicate) and ones on expressions (the clash is of the
    // expressions' values): each key column as pg_get_indexdef prints it, a column name or an
    // expression over the table's columns.
    Map<String, UniqueIndex> indexes = new LinkedHashMap<>();
    for (Map.Entry<String, List<String>> u : uniques.entrySet()) {
      List<String> expressions = new ArrayList<>();
      for (String c : u.getValue()) {
        expressions.add(TableId.quote(c));
      }
      indexes.put(u.getKey(), new UniqueIndex(u.getValue(), expressions, null));
    }
    try (PreparedStatement query =
        connection.prepareStatement(
            "SELECT ic.relname, i.indexprs IS NULL,"
                + " ARRAY(SELECT a.attname::text FROM unnest(i.indkey::int2[])"
                + "   WITH ORDINALITY k(n, o) JOIN pg_attribute a ON a.attrelid = i.indrelid"
                + "   AND a.attnum = k.n WHERE k.o <= i.indnkeyatts ORDER BY k.o),"
                + " ARRAY(SELECT pg_get_indexdef(i.indexrelid, k, true)"
                + "   FROM generate_series(1, i.indnkeyatts) k ORDER BY k),"
                + " pg_get_expr(i.indpred, i.indrelid, true),"
                + " ARRAY(SELECT a.attname::text FROM pg_attribute a WHERE a.attrelid = i.indrelid"
                + "   AND a.attnum > 0 AND NOT a.attisdropped AND (a.attnum = ANY(i.indkey::int2[])"
                + "   OR EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass"
                + "   AND d.objid = i.indexrelid AND d.refclassid = 'pg_class'::regclass"
                + "   AND d.refobjid = i.indrelid AND d.refobjsubid = a.attnum)) ORDER BY a.attnum)"
                + " FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid"
                + " JOIN pg_class c ON c.oid = i.indrelid"
                + " JOIN pg_namespace n ON n.oid = c.relnamespace"
                + " WHERE n.nspname = ? AND c.relname = ? AND i.indisunique AND NOT i.indisprimary"
                + " AND NOT EXISTS (SELECT 1 FROM pg_constraint con WHERE con.conindid ="
                + " i.indexrelid)")) {
      query.setString(1, table.id().schema());
      query.setString(2, table.id().name());
      try (ResultSet rs = query.executeQuery()) {
        while (rs.next()) {
          boolean plain = rs.getBoolean(2);
          List<String> expressions = List.of((String[]) rs.getArray(4).getArray());
          String predicate = rs.getString(5);
          // The columns a clash is about: the key columns of a plain index, else every column the
          // expressions and the predicate read.
          List<String> columns =
              List.of(
                  (String[])
                      (plain && predicate == null ? rs.getArray(3) : rs.getArray(6)).getArray());
          if (plain) {
            List<String> quoted = new ArrayList<>();
            for (String c : List.of((String[]) rs.getArray(3).getArray())) {
              quoted.add(TableId.quote(c));
            }
            expressions = quoted;
          }
          uniques.put(rs.getString(1), columns);
          indexes.put(rs.getString(1), new UniqueIndex(columns, expressions, predicate));
        }
      }
    }
    List<ForeignKey> references = new ArrayList<>();
    List<ForeignKey> referencedBy = new ArrayList<>();
    try (PreparedStatement query =
        connection.prepareStatement(
            "SELECT con.conname, cn.nspname, cc.relname,"
                + " ARRAY(SELECT a.attname::text FROM unnest(con.conkey) WITH ORDINALITY k(n, o)"
                + "   JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.n"
                + "   ORDER BY k.o),"
                + " pn.nspname, pc.relname,"
                + " ARRAY(SELECT a.attname::text FROM unnest(con.confkey) WITH ORDINALITY k(n, o)"
                + "   JOIN pg_attribute a ON a.attrelid = con.confrelid AND a.attnum = k.n"
                + "   ORDER BY k.o),"
                + " con.confdeltype::text"
                + " FROM pg_constraint con"
                + " JOIN pg_class cc ON cc.oid = con.conrelid"
                + " JOIN pg_namespace cn ON cn.oid = cc.relnamespace"
                + " JOIN pg_class pc ON pc.oid = con.confrelid"
                + " JOIN pg_namespace pn ON pn.oid = pc.relnamespace"
                + " WHERE con.contype = 'f' AND ((cn.nspname = ? AND cc.relname = ?)"
                + " OR (pn.nspname = ? AND pc.relname = ?)) ORDER BY con.conname")) {
      query.setString(1, table.id().schema());
      query.setString(2, table.id().name());
      query.setString(3, table.id().schema());
      query.setString(4, table.id().name());
      try (ResultSet rs = query.executeQuery()) {
        while (rs.next()) {
          ForeignKey fk =
              new ForeignKey(
                  rs.getString(1),
                  TableId.of(rs.getString(2), rs.getString(3)),
                  List.of((String[]) rs.getArray(4).getArray()),
                  TableId.of(rs.getString(5), rs.getString(6)),
                  List.of((String[]) rs.getArray(7).getArray()),
                  rs.getString(8).charAt(0));
          if (fk.child().equals(table.id())) {
            references.add(fk);
          }
          if (fk.parent().equals(table.id())) {
            referencedBy.add(fk);
          }
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
    return new TableSql(
        table,
        primaryKey,
        Map.copyOf(uniques),
        Map.copyOf(indexes),
        List.copyOf(references),
        List.copyOf(referencedBy),
        fks,
        deferrable);
  }

  /**
   * Describes a table from the local catalog as the capture would (column types by base type name,
   * the primary key or the replica identity index as the key), for a table the applier must touch
   * though no change of it has arrived: the child table of a cascaded parent delete.
   *
   * @param connection a connection
   * @param id the table
   * @return the schema, or empty if the table does not exist or has no key
   * @throws SQLException if the catalog cannot be read
   */
  public static Optional<TableSchema> describe(Connection connection, TableId id)
      throws SQLException {
    List<ColumnSchema> columns = new ArrayList<>();
    boolean keyed = false;
    try (PreparedStatement query =
        connection.prepareStatement(
            "SELECT a.attname, coalesce(b.typname, t.typname), a.attnotnull,"
                // indkey is an int2vector, subscripted from 0: as text, then a 1-based array.
                + " coalesce(array_position((SELECT string_to_array(i.indkey::text, ' ')::int2[]"
                + "   FROM pg_index i"
                + "   WHERE i.indrelid = c.oid AND (i.indisprimary OR i.indisreplident)"
                + "   ORDER BY i.indisprimary DESC LIMIT 1), a.attnum), 0)"
                + " FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid"
                + " JOIN pg_namespace n ON n.oid = c.relnamespace"
                + " JOIN pg_type t ON t.oid = a.atttypid"
                + " LEFT JOIN pg_type b ON t.typtype = 'd' AND b.oid = t.typbasetype"
                + " WHERE n.nspname = ? AND c.relname = ? AND a.attnum > 0"
                + " AND NOT a.attisdropped ORDER BY a.attnum")) {
      query.setString(1, id.schema());
      query.setString(2, id.name());
      try (ResultSet rs = query.executeQuery()) {
        while (rs.next()) {
          int keyPosition = rs.getInt(4);
          keyed |= keyPosition > 0;
          columns.add(
              new ColumnSchema(
                  rs.getString(1),
                  ColumnType.of(rs.getString(2)),
                  keyPosition == 0 && !rs.getBoolean(3),
                  keyPosition));
        }
      }
    }
    return keyed ? Optional.of(TableSchema.of(id, columns)) : Optional.empty();
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
   * A unique constraint or index other than the primary key.
   *
   * @param columns the columns a clash is about: the key columns, or for an index on expressions or
   *     with a predicate every column they read
   * @param expressions each key column of the index: a quoted column name or an expression over the
   *     table's columns, as {@code pg_get_indexdef} prints it
   * @param predicate the predicate of a partial index, as {@code pg_get_expr} prints it, or null
   */
  record UniqueIndex(List<String> columns, List<String> expressions, String predicate) {
    UniqueIndex {
      columns = List.copyOf(columns);
      expressions = List.copyOf(expressions);
    }
  }

  /**
   * Returns a query for the key of another row that clashes with a new row on a unique constraint
   * or index: one parameter per table column (the new row's values, in table order), then the new
   * row's key parameters. The index's key expressions are evaluated on the new row by PostgreSQL
   * itself (over a one-row subquery that names the new values like the table's columns), so an
   * expression index ({@code lower(email)}) finds its clash; a partial index's predicate restricts
   * the candidates to the rows the index holds, so a row outside it is never taken for the clash.
   *
   * @param constraint the violated constraint or index, one of {@link #uniques()}
   * @return the statement text
   */
  public String selectClash(String constraint) {
    UniqueIndex index = uniqueIndexes.get(constraint);
    if (index == null) {
      throw new IllegalArgumentException(constraint + " is not a unique key of " + table.id());
    }
    List<String> newRow = new ArrayList<>();
    for (ColumnSchema c : table.columns()) {
      newRow.add("?::" + cast(c) + " AS " + TableId.quote(c.name()));
    }
    List<String> keys = new ArrayList<>();
    for (ColumnSchema c : table.keyColumns()) {
      keys.add("t." + TableId.quote(c.name()) + "::text");
    }
    String tuple = "(" + String.join(", ", index.expressions()) + ")";
    return "SELECT "
        + String.join(", ", keys)
        + " FROM "
        + quoted
        + " t WHERE "
        + (index.expressions().size() == 1 ? "ROW" + tuple : tuple)
        + " = (SELECT "
        + String.join(", ", index.expressions())
        + " FROM (SELECT "
        + String.join(", ", newRow)
        + ") georep_new)"
        + (index.predicate() == null ? "" : " AND (" + index.predicate() + ")")
        + " AND NOT ("
        + keyPredicate
        + ") LIMIT 1 FOR UPDATE OF t";
  }

  /** Returns the foreign keys of this table (this table is the child). */
  public List<ForeignKey> references() {
    return references;
  }

  /** Returns the foreign keys that reference this table (this table is the parent). */
  public List<ForeignKey> referencedBy() {
    return referencedBy;
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
