package io.georep.publication;

import io.georep.publication.internal.SqlQuoting;
import java.util.Objects;

/**
 * A schema-qualified table name, exact (no case folding). Immutable and thread-safe.
 *
 * @param schema the schema, never null or empty
 * @param name the table, never null or empty
 */
public record TableName(String schema, String name) {

  /**
   * Creates a table name.
   *
   * @throws NullPointerException if an argument is null
   * @throws IllegalArgumentException if an argument is empty
   */
  public TableName {
    Objects.requireNonNull(schema, "schema");
    Objects.requireNonNull(name, "name");
    if (schema.isEmpty() || name.isEmpty()) {
      throw new IllegalArgumentException("schema and table name must not be empty");
    }
  }

  /** Returns the name as SQL: {@code "schema"."name"}, both quoted. */
  public String sql() {
    return SqlQuoting.identifier(schema) + "." + SqlQuoting.identifier(name);
  }

  /** Returns {@code schema.name}, the form publication files use. */
  @Override
  public String toString() {
    return schema + "." + name;
  }
}
