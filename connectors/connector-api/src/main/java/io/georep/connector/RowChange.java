package io.georep.connector;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * One row change of a source transaction: an {@link Insert}, an {@link Update} or a {@link Delete},
 * each with the {@link TableSchema} it was captured under.
 *
 * <p>Column values are immutable maps from column name to {@link Value}, iterated in table
 * (column-position) order, so equal changes iterate and encode identically. Absent columns are
 * simply not in the map: an insert without a column lets the target use its default; an update
 * without a column did not change it. A change is validated against its schema when constructed.
 *
 * <p>Truncates are not part of the model: a truncate applied as "empty the table" in another region
 * would erase rows inserted there concurrently. A source hands a truncate on as the deletes of the
 * rows it removed (the PostgreSQL capture's {@code georep_truncate} trigger).
 */
public sealed interface RowChange {
  /** The kind of a row change, for switching without pattern matching. */
  enum Kind {
    /** An {@link Insert}. */
    INSERT,
    /** An {@link Update}. */
    UPDATE,
    /** A {@link Delete}. */
    DELETE
  }

  /**
   * Returns the schema of the changed table.
   *
   * @return the schema; never null
   */
  TableSchema table();

  /**
   * Returns the key of the changed row: for an update, the key the row had before the update.
   *
   * @return the key; never null
   */
  RowKey key();

  /**
   * Returns what kind of change this is.
   *
   * @return the kind; never null
   */
  Kind kind();

  /**
   * Returns the id of the changed table.
   *
   * @return the table id; never null
   */
  default TableId tableId() {
    return table().id();
  }

  /**
   * A new row.
   *
   * @param table the table's schema; never null
   * @param values the row's values by column name; never null; datums only (NULL allowed in
   *     nullable columns); every key column present; other columns may be absent
   */
  record Insert(TableSchema table, Map<String, Value> values) implements RowChange {
    /**
     * Validates the insert.
     *
     * @throws IllegalArgumentException if a column does not exist, a value does not fit its column,
     *     a value is a column operation, or a key column is absent
     */
    public Insert {
      Objects.requireNonNull(table, "table");
      PositionalValues checked = PositionalValues.of(table, PositionalValues.Role.INSERT, values);
      requireKeyPresent(table, checked);
      values = checked;
    }

    /**
     * Returns the insert with values given by column index.
     *
     * @param table the table's schema; never null
     * @param valuesByIndex one slot per column in table order, null for an absent column; copied
     * @return the insert
     * @throws IllegalArgumentException as the canonical constructor does, or if the array's length
     *     is not the column count
     */
    public static Insert of(TableSchema table, Value[] valuesByIndex) {
      return new Insert(
          table, PositionalValues.ofPositions(table, PositionalValues.Role.INSERT, valuesByIndex));
    }

    /**
     * Returns the value of the column at an index, without a name lookup.
     *
     * @param index the column's index in table order
     * @return the value, or null if the insert does not carry the column
     */
    public Value valueAt(int index) {
      return ((PositionalValues) values).at(index);
    }

    @Override
    public RowKey key() {
      List<Value> key = new ArrayList<>(table.keyColumns().size());
      for (int k = 0; k < table.keyColumns().size(); k++) {
        key.add(valueAt(table.keyColumnIndex(k)));
      }
      return new RowKey(key);
    }

    @Override
    public Kind kind() {
      return Kind.INSERT;
    }

    @Override
    public String toString() {
      return "insert into " + table.id() + " " + values;
    }

    private static void requireKeyPresent(TableSchema table, PositionalValues values) {
      for (int k = 0; k < table.keyColumns().size(); k++) {
        if (values.at(table.keyColumnIndex(k)) == null) {
          throw new IllegalArgumentException(
              "insert into "
                  + table.id()
                  + ": key column '"
                  + table.keyColumns().get(k).name()
                  + "' is absent; an insert carries every key column");
        }
      }
    }
  }

  /**
   * A change to an existing row, carrying only the changed columns.
   *
   * <p>A changed column carries its new datum; a counter column carries a {@link
   * Value.CounterDelta}; an array column treated as a set may carry a {@link Value.SetDelta}; a
   * column whose new value the source did not send (an unchanged TOAST value) carries {@link
   * Value#UNCHANGED}. If the update changes key columns, {@link #key()} is the old key and {@code
   * changed} holds the new key values.
   *
   * @param table the table's schema; never null
   * @param key the row's key before the update; never null
   * @param changed the changed columns by name; never null; may be empty
   */
  record Update(TableSchema table, RowKey key, Map<String, Value> changed) implements RowChange {
    /**
     * Validates the update.
     *
     * @throws IllegalArgumentException if the key does not fit the table's key, a column does not
     *     exist, or a value or operation does not fit its column
     */
    public Update {
      Objects.requireNonNull(table, "table");
      Objects.requireNonNull(key, "key").checkAgainst(table, "update");
      changed = PositionalValues.of(table, PositionalValues.Role.UPDATE, changed);
    }

    /**
     * Returns the update with changed columns given by column index.
     *
     * @param table the table's schema; never null
     * @param key the row's key before the update; never null
     * @param changedByIndex one slot per column in table order, null for an unchanged column;
     *     copied
     * @return the update
     * @throws IllegalArgumentException as the canonical constructor does, or if the array's length
     *     is not the column count
     */
    public static Update of(TableSchema table, RowKey key, Value[] changedByIndex) {
      return new Update(
          table,
          key,
          PositionalValues.ofPositions(table, PositionalValues.Role.UPDATE, changedByIndex));
    }

    /**
     * Returns the change of the column at an index, without a name lookup.
     *
     * @param index the column's index in table order
     * @return the new value or operation, or null if the update does not carry the column
     */
    public Value changedAt(int index) {
      return ((PositionalValues) changed).at(index);
    }

    /**
     * Returns the row's key after the update, if the update changes it: the key with each key
     * column the update sets to a different value replaced.
     *
     * @return the new key; empty if the update leaves the key as it was
     */
    public Optional<RowKey> newKey() {
      List<Value> newKey = null;
      List<ColumnSchema> keyColumns = table.keyColumns();
      for (int k = 0; k < keyColumns.size(); k++) {
        Value v = changed.get(keyColumns.get(k).name());
        if (v != null && v.isDatum() && !v.equals(key.get(k))) {
          if (newKey == null) {
            newKey = new ArrayList<>(key.values());
          }
          newKey.set(k, v);
        }
      }
      return newKey == null ? Optional.empty() : Optional.of(new RowKey(newKey));
    }

    @Override
    public Kind kind() {
      return Kind.UPDATE;
    }

    @Override
    public String toString() {
      return "update of " + table.id() + " " + key.values() + " set " + changed;
    }
  }

  /**
   * The removal of a row.
   *
   * @param table the table's schema; never null
   * @param key the removed row's key; never null
   */
  record Delete(TableSchema table, RowKey key) implements RowChange {
    /**
     * Validates the delete.
     *
     * @throws IllegalArgumentException if the key does not fit the table's key
     */
    public Delete {
      Objects.requireNonNull(table, "table");
      Objects.requireNonNull(key, "key").checkAgainst(table, "delete");
    }

    @Override
    public Kind kind() {
      return Kind.DELETE;
    }

    @Override
    public String toString() {
      return "delete from " + table.id() + " " + key.values();
    }
  }
}
