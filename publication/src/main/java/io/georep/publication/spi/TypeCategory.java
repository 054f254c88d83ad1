package io.georep.publication.spi;

/**
 * The family of a column's SQL type, as far as validation and row filters need to know it.
 *
 * <p>A {@link SchemaCatalog} maps its database's types onto these; for PostgreSQL, {@code
 * smallint}/{@code integer}/{@code bigint} are {@link #INTEGER}, {@code numeric} is {@link
 * #DECIMAL}, {@code real}/{@code double precision} are {@link #FLOAT}, string types are {@link
 * #TEXT}, date/time types are {@link #DATETIME}, and array types are {@link #ARRAY}.
 */
public enum TypeCategory {
  /** Exact integers. */
  INTEGER,
  /** Exact decimals ({@code numeric}). */
  DECIMAL,
  /** Binary floating point. */
  FLOAT,
  /** Character strings. */
  TEXT,
  /** Booleans. */
  BOOLEAN,
  /** Dates, times, timestamps and intervals. */
  DATETIME,
  /** Arrays of any element type. */
  ARRAY,
  /** Anything else (uuid, json, bytea, ranges, user types). */
  OTHER;

  /** Returns whether values of this category are numbers. */
  public boolean isNumeric() {
    return this == INTEGER || this == DECIMAL || this == FLOAT;
  }
}
