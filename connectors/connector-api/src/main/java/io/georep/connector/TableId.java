package io.georep.connector;

import java.util.Comparator;

/**
 * The name of a replicated table: its schema (namespace) and its name, both case-sensitive and
 * unquoted, exactly as the database catalog spells them.
 *
 * <p>Table ids are ordered by schema, then name, which is the order of deterministic encodings.
 *
 * @param schema the schema (for PostgreSQL, the namespace such as {@code public}); 1 to {@value
 *     #MAX_LENGTH} characters, no U+0000
 * @param name the table's name; 1 to {@value #MAX_LENGTH} characters, no U+0000
 */
public record TableId(String schema, String name) implements Comparable<TableId> {
  /** The longest schema, table or column name accepted, in characters. */
  public static final int MAX_LENGTH = 128;

  private static final Comparator<TableId> ORDER =
      Comparator.comparing(TableId::schema).thenComparing(TableId::name);

  /**
   * Validates the id.
   *
   * @throws IllegalArgumentException if a part is empty, longer than {@value #MAX_LENGTH}
   *     characters, contains U+0000 or an unpaired surrogate
   */
  public TableId {
    Unicode.requireIdentifier("table schema", schema);
    Unicode.requireIdentifier("table name", name);
  }

  /**
   * Returns the id of {@code schema.name}.
   *
   * @param schema the schema; never null
   * @param name the table's name; never null
   * @return the id
   * @throws IllegalArgumentException if a part is not valid
   */
  public static TableId of(String schema, String name) {
    return new TableId(schema, name);
  }

  /**
   * Returns the id as a quoted SQL identifier, safe to splice into SQL: {@code "schema"."name"},
   * with embedded double quotes doubled.
   *
   * @return the quoted form; never null
   */
  public String quoted() {
    return quote(schema) + "." + quote(name);
  }

  /**
   * Quotes one SQL identifier: wraps it in double quotes and doubles embedded double quotes.
   *
   * @param identifier the identifier; never null
   * @return the quoted identifier
   */
  public static String quote(String identifier) {
    return "\"" + identifier.replace("\"", "\"\"") + "\"";
  }

  @Override
  public int compareTo(TableId other) {
    return ORDER.compare(this, other);
  }

  /** Returns {@code schema.name}, unquoted, for messages. */
  @Override
  public String toString() {
    return schema + "." + name;
  }
}
