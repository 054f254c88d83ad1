package io.georep.publication.spi;

import java.util.Objects;

/**
 * One column of a table as the live database describes it. Immutable and thread-safe.
 *
 * @param name the exact column name, never null
 * @param typeName the SQL type as the database spells it (e.g. {@code numeric(10,2)}, {@code
 *     text[]}), used in messages; never null
 * @param category the type's family, never null
 * @param nullable whether the column accepts NULL
 */
public record ColumnDescription(
    String name, String typeName, TypeCategory category, boolean nullable) {

  /**
   * Creates a column description.
   *
   * @throws NullPointerException if {@code name}, {@code typeName} or {@code category} is null
   */
  public ColumnDescription {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(typeName, "typeName");
    Objects.requireNonNull(category, "category");
  }
}
