package io.georep.connector;

import java.util.List;

/**
 * The key of a row: the values of its table's key columns, in key order.
 *
 * <p>Key values are datums; NULL occurs only in nullable key columns (tables replicated with {@code
 * REPLICA IDENTITY FULL}), where the applier matches it with {@code IS NOT DISTINCT FROM}.
 *
 * @param values the key values in key order; never null or empty, copied
 */
public record RowKey(List<Value> values) {
  /**
   * Validates the key.
   *
   * @throws IllegalArgumentException if it is empty or holds a column operation
   */
  public RowKey {
    values = List.copyOf(values);
    if (values.isEmpty()) {
      throw new IllegalArgumentException("a row key has at least one value");
    }
    for (int i = 0; i < values.size(); i++) {
      if (!values.get(i).isDatum()) {
        throw new IllegalArgumentException(
            "row key value " + (i + 1) + " must be a datum, got " + values.get(i).kind());
      }
    }
  }

  /**
   * Returns the key with the given values.
   *
   * @param values the key values in key order; never null
   * @return the key
   */
  public static RowKey of(Value... values) {
    return new RowKey(List.of(values));
  }

  /**
   * Returns the number of key values.
   *
   * @return the size; at least 1
   */
  public int size() {
    return values.size();
  }

  /**
   * Returns the key value at a 0-based key position.
   *
   * @param keyIndex the position
   * @return the value
   */
  public Value get(int keyIndex) {
    return values.get(keyIndex);
  }

  /**
   * Checks the key against a table's key columns.
   *
   * @param table the table; never null
   * @param what the change, for the message
   * @throws IllegalArgumentException if the size or a value does not fit
   */
  void checkAgainst(TableSchema table, String what) {
    List<ColumnSchema> keyColumns = table.keyColumns();
    if (values.size() != keyColumns.size()) {
      throw new IllegalArgumentException(
          what
              + " of "
              + table.id()
              + ": the key has "
              + values.size()
              + " values but the table's key has "
              + keyColumns.size()
              + " columns");
    }
    for (int i = 0; i < values.size(); i++) {
      ColumnSchema c = keyColumns.get(i);
      if (!c.accepts(values.get(i))) {
        throw new IllegalArgumentException(
            what
                + " of "
                + table.id()
                + ": key column '"
                + c.name()
                + "' of type "
                + c.type().typeName()
                + (c.nullable() ? "" : " not null")
                + " cannot hold a "
                + values.get(i).kind()
                + " value");
      }
    }
  }
}
