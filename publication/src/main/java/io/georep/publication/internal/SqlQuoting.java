package io.georep.publication.internal;

/**
 * Quotes identifiers and string literals for PostgreSQL SQL text.
 *
 * <p>Identifiers are always double-quoted (so case and reserved words survive), doubling embedded
 * quotes. Literals are single-quoted, doubling embedded quotes, which is exact under {@code
 * standard_conforming_strings = on} (the default since PostgreSQL 9.1). Stateless and thread-safe.
 */
public final class SqlQuoting {

  private SqlQuoting() {}

  /** Returns {@code name} as a quoted identifier. */
  public static String identifier(String name) {
    return '"' + name.replace("\"", "\"\"") + '"';
  }

  /** Returns {@code value} as a quoted string literal. */
  public static String literal(String value) {
    return '\'' + value.replace("'", "''") + '\'';
  }
}
