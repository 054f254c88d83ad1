package io.georep.connector;

/**
 * A column type georep does not interpret, named by its PostgreSQL catalog name (for example {@code
 * varchar}, {@code interval}, {@code inet}, a user-defined enum or a multi-dimensional array).
 *
 * <p>Values of an opaque column travel as {@link Value.Text} in the database's text output form and
 * are handed back to the database, which parses them as the named type; so they replicate
 * faithfully, but resolvers cannot compare them as anything but text and they cannot be counters or
 * sets. This is the documented alternative to rejecting unknown types: a table with one {@code
 * varchar} column should replicate, not fail.
 *
 * @param typeName the catalog name; 1 to {@value TableId#MAX_LENGTH} characters, and not the name
 *     of a {@link ScalarType} or {@link ArrayType}
 */
public record OpaqueType(String typeName) implements ColumnType {
  /**
   * Validates the type.
   *
   * @throws IllegalArgumentException if the name is not a valid identifier, or names a type georep
   *     interprets (use {@link ColumnType#of(String)}, which picks the right case)
   */
  public OpaqueType {
    Unicode.requireIdentifier("type name", typeName);
    if (ScalarType.byName(typeName) != null || ArrayType.byName(typeName) != null) {
      throw new IllegalArgumentException(
          "type '"
              + typeName
              + "' is interpreted by georep and cannot be opaque; use ColumnType.of(\""
              + typeName
              + "\")");
    }
  }

  @Override
  public boolean accepts(Value value) {
    return value instanceof Value.Text || value instanceof Value.Null;
  }

  /** Returns the catalog name. */
  @Override
  public String toString() {
    return typeName;
  }
}
