package io.georep.connector;

import java.util.Objects;

/**
 * The type of a column: a closed family of the types georep interprets, plus an explicit case for
 * every other type.
 *
 * <ul>
 *   <li>{@link ScalarType}: {@code int2}, {@code int4}, {@code int8}, {@code numeric}, {@code
 *       float4}, {@code float8}, {@code text}, {@code bool}, {@code timestamptz}, {@code
 *       timestamp}, {@code date}, {@code uuid}, {@code jsonb} and {@code bytea}.
 *   <li>{@link ArrayType}: a one-dimensional array of a scalar type, such as {@code _int4}.
 *   <li>{@link OpaqueType}: any other type (for example {@code varchar}, {@code interval}, {@code
 *       inet}, an enum or a domain). georep does not interpret its values: they travel as {@link
 *       Value.Text} in the database's own text form and the applier hands them back to the
 *       database, which parses them as the named type. Such columns replicate faithfully but cannot
 *       be counters or sets.
 * </ul>
 *
 * <p>Each type has the PostgreSQL catalog name ({@code pg_type.typname}) as its {@link
 * #typeName()}; {@link #of(String)} maps a name back, so the name alone identifies the type.
 */
public sealed interface ColumnType permits ScalarType, ArrayType, OpaqueType {
  /**
   * Returns the type's PostgreSQL catalog name, such as {@code int4} or {@code _int4}.
   *
   * @return the name; never null
   */
  String typeName();

  /**
   * Tells whether a column of this type can hold the value: {@link Value#NULL} or a datum of this
   * type. Column operations ({@link Value.Unchanged}, {@link Value.CounterDelta}, {@link
   * Value.SetDelta}) are not datums and are not accepted here; nullability is a property of the
   * column, not of the type.
   *
   * @param value the value; never null
   * @return true if the value is NULL or a datum of this type
   */
  boolean accepts(Value value);

  /**
   * Returns the type with the given PostgreSQL catalog name. The names of scalar types map to
   * {@link ScalarType}; {@code _name} and {@code name[]} of a scalar type map to its {@link
   * ArrayType}; every other name maps to an {@link OpaqueType}.
   *
   * @param typeName the catalog name; never null
   * @return the type; never null
   * @throws IllegalArgumentException if the name is empty or not a valid identifier
   */
  static ColumnType of(String typeName) {
    Objects.requireNonNull(typeName, "typeName");
    ScalarType scalar = ScalarType.byName(typeName);
    if (scalar != null) {
      return scalar;
    }
    ArrayType array = ArrayType.byName(typeName);
    if (array != null) {
      return array;
    }
    return new OpaqueType(typeName);
  }
}
