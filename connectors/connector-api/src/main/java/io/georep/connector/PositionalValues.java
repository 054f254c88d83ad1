package io.georep.connector;

import java.util.AbstractMap;
import java.util.AbstractSet;
import java.util.Arrays;
import java.util.Iterator;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Objects;
import java.util.Set;

/**
 * The column values of one row change, as an immutable map from column name to value, ordered by
 * column position and backed by an array indexed by position (a null slot is an absent column).
 *
 * <p>Instances are validated for a role when created: an insert holds datums only; an update also
 * column operations. Mutators throw {@link UnsupportedOperationException}, as those of {@link
 * Map#of} do.
 */
final class PositionalValues extends AbstractMap<String, Value> {
  /** What the values may hold. */
  enum Role {
    INSERT("insert into"),
    UPDATE("update of");

    private final String description;

    Role(String description) {
      this.description = description;
    }
  }

  private final TableSchema schema;
  private final Role role;
  private final Value[] values;
  private final int size;

  private PositionalValues(TableSchema schema, Role role, Value[] values, int size) {
    this.schema = schema;
    this.role = role;
    this.values = values;
    this.size = size;
  }

  /**
   * Validates and copies values given by column name.
   *
   * @param schema the table
   * @param role what the values may hold
   * @param byName the values; never null, no null keys or values
   * @return the validated values
   */
  static PositionalValues of(TableSchema schema, Role role, Map<String, Value> byName) {
    Objects.requireNonNull(byName, "values");
    if (byName instanceof PositionalValues p
        && p.schema.equals(schema)
        && (p.role == role || p.role == Role.INSERT)) {
      return p;
    }
    Value[] array = new Value[schema.columnCount()];
    for (Map.Entry<String, Value> e : byName.entrySet()) {
      String name = Objects.requireNonNull(e.getKey(), "column name");
      int i = schema.indexOf(name);
      if (i < 0) {
        throw new IllegalArgumentException(
            role.description
                + " "
                + schema.id()
                + ": no column named '"
                + name
                + "'; the table has "
                + schema.columnNames());
      }
      array[i] = Objects.requireNonNull(e.getValue(), name);
    }
    return validated(schema, role, array);
  }

  /**
   * Validates and copies values given by column index.
   *
   * @param schema the table
   * @param role what the values may hold
   * @param byIndex one slot per column; null for an absent column
   * @return the validated values
   */
  static PositionalValues ofPositions(TableSchema schema, Role role, Value[] byIndex) {
    if (byIndex.length != schema.columnCount()) {
      throw new IllegalArgumentException(
          role.description
              + " "
              + schema.id()
              + ": "
              + byIndex.length
              + " value slots for "
              + schema.columnCount()
              + " columns");
    }
    return validated(schema, role, byIndex.clone());
  }

  private static PositionalValues validated(TableSchema schema, Role role, Value[] array) {
    int size = 0;
    for (int i = 0; i < array.length; i++) {
      Value v = array[i];
      if (v == null) {
        continue;
      }
      size++;
      ColumnSchema c = schema.column(i);
      boolean ok = v.isDatum() ? c.accepts(v) : role == Role.UPDATE && c.acceptsOperation(v);
      if (!ok) {
        throw new IllegalArgumentException(
            role.description
                + " "
                + schema.id()
                + ": column '"
                + c.name()
                + "' of type "
                + c.type().typeName()
                + (c.nullable() ? "" : " not null")
                + " cannot take a "
                + v.kind()
                + (v.isDatum() || role == Role.UPDATE ? "" : " (only updates carry operations)"));
      }
    }
    return new PositionalValues(schema, role, array, size);
  }

  /**
   * Returns the value of the column at an index.
   *
   * @param index the column's index in table order
   * @return the value, or null if the column is absent
   */
  Value at(int index) {
    return values[index];
  }

  @Override
  public int size() {
    return size;
  }

  @Override
  public boolean containsKey(Object key) {
    return get(key) != null;
  }

  @Override
  public Value get(Object key) {
    if (!(key instanceof String name)) {
      return null;
    }
    int i = schema.indexOf(name);
    return i < 0 ? null : values[i];
  }

  @Override
  public Set<Map.Entry<String, Value>> entrySet() {
    return new AbstractSet<>() {
      @Override
      public int size() {
        return size;
      }

      @Override
      public Iterator<Map.Entry<String, Value>> iterator() {
        return new Iterator<>() {
          private int next = advance(0);

          private int advance(int from) {
            int i = from;
            while (i < values.length && values[i] == null) {
              i++;
            }
            return i;
          }

          @Override
          public boolean hasNext() {
            return next < values.length;
          }

          @Override
          public Map.Entry<String, Value> next() {
            if (next >= values.length) {
              throw new NoSuchElementException();
            }
            Map.Entry<String, Value> e =
                new AbstractMap.SimpleImmutableEntry<>(schema.column(next).name(), values[next]);
            next = advance(next + 1);
            return e;
          }
        };
      }
    };
  }

  @Override
  public boolean equals(Object o) {
    if (o instanceof PositionalValues p && p.schema.equals(schema)) {
      return Arrays.equals(values, p.values);
    }
    return super.equals(o);
  }

  @Override
  public int hashCode() {
    return super.hashCode();
  }
}
