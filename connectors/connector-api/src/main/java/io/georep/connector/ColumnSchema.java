package io.georep.connector;

import java.util.Objects;

/**
 * One column of a replicated table: its name, type, nullability and place in the table's key.
 *
 * @param name the column's name, case-sensitive and unquoted; 1 to {@value TableId#MAX_LENGTH}
 *     characters
 * @param type the column's type; never null
 * @param nullable whether the column may hold NULL (when unknown, a connector says true)
 * @param keyPosition 0 if the column is not part of the key the table is replicated by, else its
 *     1-based position in that key (the primary key, or every column under {@code REPLICA IDENTITY
 *     FULL})
 */
public record ColumnSchema(String name, ColumnType type, boolean nullable, int keyPosition) {
  /**
   * Validates the column.
   *
   * @throws IllegalArgumentException if the name is not a valid identifier or the key position is
   *     negative
   */
  public ColumnSchema {
    Unicode.requireIdentifier("column name", name);
    Objects.requireNonNull(type, "type");
    if (keyPosition < 0) {
      throw new IllegalArgumentException(
          "key position of column '"
              + name
              + "' must be 0 (not in key) or 1-based, got "
              + keyPosition);
    }
  }

  /**
   * Returns a column that is not part of the key.
   *
   * @param name the name; never null
   * @param type the type; never null
   * @param nullable whether it may hold NULL
   * @return the column
   */
  public static ColumnSchema of(String name, ColumnType type, boolean nullable) {
    return new ColumnSchema(name, type, nullable, 0);
  }

  /**
   * Returns a non-nullable key column.
   *
   * @param name the name; never null
   * @param type the type; never null
   * @param keyPosition the 1-based position in the key
   * @return the column
   */
  public static ColumnSchema key(String name, ColumnType type, int keyPosition) {
    if (keyPosition < 1) {
      throw new IllegalArgumentException(
          "key position of key column '" + name + "' must be at least 1, got " + keyPosition);
    }
    return new ColumnSchema(name, type, false, keyPosition);
  }

  /**
   * Tells whether the column is part of the key.
   *
   * @return true if {@code keyPosition > 0}
   */
  public boolean isKey() {
    return keyPosition > 0;
  }

  /**
   * Tells whether the column can hold the datum: a datum of its type, or NULL if it is nullable.
   *
   * @param value the value; never null
   * @return true if the value may be stored in this column
   */
  public boolean accepts(Value value) {
    return value instanceof Value.Null ? nullable : type.accepts(value);
  }

  /**
   * Tells whether an update may apply the column operation to this column: {@link Value.Unchanged}
   * to any column, {@link Value.CounterDelta} to an integer column (a delta with scale 0) or a
   * numeric column, {@link Value.SetDelta} to an array column whose elements it accepts.
   *
   * @param operation the operation; never null
   * @return true if the operation applies to this column
   */
  public boolean acceptsOperation(Value operation) {
    if (operation instanceof Value.Unchanged) {
      return true;
    }
    if (operation instanceof Value.CounterDelta d) {
      return type instanceof ScalarType s
          && s.isCounterCapable()
          && (s == ScalarType.NUMERIC || d.delta().scale() == 0);
    }
    if (operation instanceof Value.SetDelta d && type instanceof ArrayType a) {
      for (Value v : d.added()) {
        if (!a.elementType().accepts(v)) {
          return false;
        }
      }
      for (Value v : d.removed()) {
        if (!a.elementType().accepts(v)) {
          return false;
        }
      }
      return true;
    }
    return false;
  }
}
