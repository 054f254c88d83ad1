package io.georep.connector;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The schema a table is replicated under: its id and its columns in table order, with the key.
 *
 * <p>A table is either <em>keyed</em> — some columns have key positions (its primary key, or the
 * replica identity index), running from 1 to the number of key columns without gaps — or
 * <em>keyless</em> ({@link #keyless()}): no column has a key position, because the table has no
 * primary key or unique index and is replicated under {@code REPLICA IDENTITY FULL}. A keyless
 * table may hold equal rows, so its rows are identified by all of their values (which may be NULL)
 * and it replicates as a multiset; {@link #keyColumns()} then returns every column, so that a
 * change's {@link RowKey} is the whole row. Column names are unique.
 *
 * <p>Immutable and thread-safe; equality is by id and columns. A final class rather than a record
 * because it keeps a name index for constant-time lookups.
 */
public final class TableSchema {
  /** The most columns a table may have (PostgreSQL's limit). */
  public static final int MAX_COLUMNS = 1600;

  private final TableId id;
  private final List<ColumnSchema> columns;
  private final List<ColumnSchema> keyColumns;
  private final int[] keyIndexes;
  private final Map<String, Integer> indexByName;
  private final boolean keyless;
  private final int hash;

  private TableSchema(TableId id, List<ColumnSchema> columns) {
    this.id = Objects.requireNonNull(id, "id");
    this.columns = List.copyOf(columns);
    int n = this.columns.size();
    if (n == 0 || n > MAX_COLUMNS) {
      throw new IllegalArgumentException(
          "table " + id + " must have 1 to " + MAX_COLUMNS + " columns, got " + n);
    }
    Map<String, Integer> byName = new HashMap<>(n * 2);
    int keyCount = 0;
    for (int i = 0; i < n; i++) {
      ColumnSchema c = this.columns.get(i);
      if (byName.put(c.name(), i) != null) {
        throw new IllegalArgumentException(
            "table " + id + " has two columns named '" + c.name() + "'");
      }
      if (c.isKey()) {
        keyCount++;
      }
    }
    this.keyless = keyCount == 0;
    if (keyless) {
      // The whole row is the identity: every column, in table order.
      keyCount = n;
    }
    int[] keys = new int[keyCount];
    Arrays.fill(keys, -1);
    for (int i = 0; i < n; i++) {
      ColumnSchema c = this.columns.get(i);
      if (keyless) {
        keys[i] = i;
        continue;
      }
      if (!c.isKey()) {
        continue;
      }
      if (c.keyPosition() > keyCount || keys[c.keyPosition() - 1] >= 0) {
        throw new IllegalArgumentException(
            "table "
                + id
                + ": key positions must run from 1 to "
                + keyCount
                + " without gaps or repeats; column '"
                + c.name()
                + "' has key position "
                + c.keyPosition());
      }
      keys[c.keyPosition() - 1] = i;
    }
    List<ColumnSchema> keyList = new ArrayList<>(keyCount);
    for (int k : keys) {
      keyList.add(this.columns.get(k));
    }
    this.keyColumns = List.copyOf(keyList);
    this.keyIndexes = keys;
    this.indexByName = Map.copyOf(byName);
    this.hash = 31 * id.hashCode() + this.columns.hashCode();
  }

  /**
   * Returns the schema of a table.
   *
   * @param id the table; never null
   * @param columns the columns in table order; never null, copied
   * @return the schema
   * @throws IllegalArgumentException if there are no columns or more than {@value #MAX_COLUMNS},
   *     names repeat, or key positions have gaps or repeats
   */
  public static TableSchema of(TableId id, List<ColumnSchema> columns) {
    return new TableSchema(id, columns);
  }

  /**
   * Returns the table's id.
   *
   * @return the id; never null
   */
  public TableId id() {
    return id;
  }

  /**
   * Returns the columns in table order.
   *
   * @return an unmodifiable list; never empty
   */
  public List<ColumnSchema> columns() {
    return columns;
  }

  /**
   * Returns the number of columns.
   *
   * @return the column count; at least 1
   */
  public int columnCount() {
    return columns.size();
  }

  /**
   * Returns the column at an index in table order.
   *
   * @param index the 0-based index
   * @return the column
   * @throws IndexOutOfBoundsException if there is no such column
   */
  public ColumnSchema column(int index) {
    return columns.get(index);
  }

  /**
   * Returns the index of a column in table order.
   *
   * @param name the column's name; never null
   * @return the 0-based index, or -1 if the table has no such column
   */
  public int indexOf(String name) {
    Integer i = indexByName.get(name);
    return i == null ? -1 : i;
  }

  /**
   * Tells whether the table has no key: no column has a key position, the whole row is its
   * identity, and equal rows may exist (a multiset).
   *
   * @return true if keyless
   */
  public boolean keyless() {
    return keyless;
  }

  /**
   * Returns the key columns in key order; for a {@link #keyless()} table, every column in table
   * order.
   *
   * @return an unmodifiable list; never empty
   */
  public List<ColumnSchema> keyColumns() {
    return keyColumns;
  }

  /**
   * Returns the index in table order of the key column at a 0-based key position.
   *
   * @param keyIndex 0 for the first key column
   * @return the column's index in table order
   * @throws IndexOutOfBoundsException if the key has no such position
   */
  public int keyColumnIndex(int keyIndex) {
    return keyIndexes[keyIndex];
  }

  /**
   * Returns the names of the columns, for messages.
   *
   * @return the names in table order, comma-separated
   */
  String columnNames() {
    StringBuilder sb = new StringBuilder();
    for (ColumnSchema c : columns) {
      if (sb.length() > 0) {
        sb.append(", ");
      }
      sb.append(c.name());
    }
    return sb.toString();
  }

  @Override
  public boolean equals(Object o) {
    return o == this
        || (o instanceof TableSchema t
            && hash == t.hash
            && id.equals(t.id)
            && columns.equals(t.columns));
  }

  @Override
  public int hashCode() {
    return hash;
  }

  /**
   * Returns the id and the columns, such as {@code public.t(id int4 key 1, name text null)} or
   * {@code public.log keyless(at timestamptz, line text null)}.
   */
  @Override
  public String toString() {
    StringBuilder sb = new StringBuilder(id.toString()).append(keyless ? " keyless(" : "(");
    for (int i = 0; i < columns.size(); i++) {
      ColumnSchema c = columns.get(i);
      if (i > 0) {
        sb.append(", ");
      }
      sb.append(c.name()).append(' ').append(c.type().typeName());
      if (c.isKey()) {
        sb.append(" key ").append(c.keyPosition());
      }
      if (c.nullable()) {
        sb.append(" null");
      }
    }
    return sb.append(')').toString();
  }
}
