package io.georep.replicator.internal.verify;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * A published table as {@code georep verify} compares it: its key columns (the primary key or the
 * replica identity index) and the columns compared, with the SQL that hashes a row the same way in
 * every region: columns in name order, each hashed by its type's extended hash function (the one
 * hash partitioning uses; a type without one as its text), set columns (or-set, g-set, 2p-set) as
 * sorted distinct elements, text keys ordered by bytes ({@code COLLATE "C"}) so that regions with
 * different collations order and split the keys alike.
 *
 * @param schema the table's schema
 * @param name the table's name
 * @param columns every column as {@code name type}, in name order (compared across regions)
 * @param keys the key columns, in key order; empty for a table without a key
 * @param rowHash the SQL expression of a row's hash
 */
public record TableShape(
    String schema, String name, List<String> columns, List<Key> keys, String rowHash) {

  /**
   * A key column.
   *
   * @param name its name
   * @param type its type, as {@code format_type} writes it
   * @param collatable whether it has a collation (text-like)
   */
  record Key(String name, String type, boolean collatable) {
    String ordered() {
      return quote(name) + (collatable ? " COLLATE \"C\"" : "");
    }

    String param() {
      return "?::" + type + (collatable ? " COLLATE \"C\"" : "");
    }
  }

  /** Returns {@code schema.name}, quoted for SQL. */
  String sql() {
    return quote(schema) + "." + quote(name);
  }

  /** Returns {@code schema.name} for messages. */
  String display() {
    return schema + "." + name;
  }

  /** The key tuple, ordered by bytes. */
  String keyTuple() {
    return "(" + keys.stream().map(Key::ordered).collect(Collectors.joining(", ")) + ")";
  }

  /** The parameter tuple a key is bound to. */
  String paramTuple() {
    return "(" + keys.stream().map(Key::param).collect(Collectors.joining(", ")) + ")";
  }

  /**
   * The key columns as text, for a select list; aliased, since an output column named like a key
   * column would take its place in {@code ORDER BY} and order the keys as text.
   */
  String keyTexts() {
    List<String> out = new ArrayList<>();
    for (int i = 0; i < keys.size(); i++) {
      out.add(quote(keys.get(i).name()) + "::text AS georep_key_" + i);
    }
    return String.join(", ", out);
  }

  /** The key order. */
  String orderBy() {
    return keys.stream().map(Key::ordered).collect(Collectors.joining(", "));
  }

  /**
   * Reads a table's shape from one region's catalog.
   *
   * @param c the connection
   * @param schema the schema
   * @param name the table
   * @param setColumns the columns whose resolver makes them sets (compared as sorted sets)
   * @param compared whether a column is compared (replicated and not masked)
   * @return the shape, or null when the table does not exist
   * @throws SQLException if the catalog cannot be read
   */
  static TableShape read(
      Connection c,
      String schema,
      String name,
      Set<String> setColumns,
      java.util.function.Predicate<String> compared)
      throws SQLException {
    List<String[]> rows = new ArrayList<>();
    try (PreparedStatement q =
        c.prepareStatement(
            "SELECT a.attname, format_type(a.atttypid, a.atttypmod), a.attcollation <> 0,"
                + " coalesce(array_position((SELECT string_to_array(i.indkey::text, ' ')::int2[]"
                + "   FROM pg_index i WHERE i.indrelid = c.oid AND (i.indisprimary OR"
                + "   i.indisreplident) ORDER BY i.indisprimary DESC LIMIT 1), a.attnum), 0),"
                // Whether the type (an array's element type) has an extended hash function.
                + " EXISTS (SELECT 1 FROM pg_type t, pg_opclass o, pg_am m, pg_amproc p"
                + "   WHERE t.oid = a.atttypid AND m.oid = o.opcmethod AND m.amname = 'hash'"
                + "   AND o.opcdefault AND p.amprocfamily = o.opcfamily AND p.amprocnum = 2"
                + "   AND p.amproclefttype = o.opcintype AND o.opcintype = CASE WHEN t.typelem <> 0"
                + "   AND t.typlen = -1 THEN t.typelem ELSE t.oid END)"
                + " FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid"
                + " JOIN pg_namespace n ON n.oid = c.relnamespace"
                + " WHERE n.nspname = ? AND c.relname = ? AND a.attnum > 0 AND NOT a.attisdropped")) {
      q.setString(1, schema);
      q.setString(2, name);
      try (ResultSet rs = q.executeQuery()) {
        while (rs.next()) {
          rows.add(
              new String[] {
                rs.getString(1),
                rs.getString(2),
                Boolean.toString(rs.getBoolean(3)),
                rs.getString(4),
                Boolean.toString(rs.getBoolean(5))
              });
        }
      }
    }
    if (rows.isEmpty()) {
      return null;
    }
    rows.sort((a, b) -> a[0].compareTo(b[0]));
    List<String> columns = new ArrayList<>();
    List<String> hashed = new ArrayList<>();
    Key[] keyAt = new Key[rows.size() + 1];
    int keyCount = 0;
    for (String[] r : rows) {
      columns.add(r[0] + " " + r[1]);
      int position = Integer.parseInt(r[3]);
      if (position > 0) {
        keyAt[position] = new Key(r[0], r[1], Boolean.parseBoolean(r[2]));
        keyCount++;
      }
      if (!compared.test(r[0])) {
        continue;
      }
      String value =
          setColumns.contains(r[0])
              ? "ARRAY(SELECT x FROM (SELECT DISTINCT x FROM unnest("
                  + quote(r[0])
                  + ") x) d ORDER BY x::text COLLATE \"C\")"
              : quote(r[0]);
      hashed.add(Boolean.parseBoolean(r[4]) ? value : "(" + value + ")::text");
    }
    List<Key> keys = new ArrayList<>();
    for (int i = 1; i < keyAt.length && keys.size() < keyCount; i++) {
      if (keyAt[i] != null) {
        keys.add(keyAt[i]);
      }
    }
    // Each column hashed by its type's own extended hash function (types without one as text),
    // combined by PostgreSQL: no row is turned into text.
    String rowHash =
        hashed.isEmpty()
            ? "0::bigint"
            : "hash_record_extended(ROW(" + String.join(", ", hashed) + "), 0)";
    return new TableShape(schema, name, List.copyOf(columns), List.copyOf(keys), rowHash);
  }

  static String quote(String identifier) {
    return '"' + identifier.replace("\"", "\"\"") + '"';
  }
}
