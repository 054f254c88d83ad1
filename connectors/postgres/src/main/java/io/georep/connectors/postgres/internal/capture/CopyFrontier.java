package io.georep.connectors.postgres.internal.capture;

import io.georep.connector.RowKey;
import io.georep.connector.TableId;
import io.georep.connector.Value;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * How far the initial copy of each table has been handed on, in stream order: the rows up to the
 * key of the last placed chunk are in the other regions (or on their way, ahead of anything that
 * follows), the rest will come with a later chunk. Immutable; the capture replaces it when it
 * places a chunk, and keeps the one in force at each pending transaction, so the state saved with a
 * confirmed position is exactly the one the stream had there.
 *
 * <p>A live change to a row a later chunk will carry is not shipped: that chunk reads the table
 * under a {@code SHARE} lock after the change committed, so it contains the change's effect. A
 * change to a copied row is shipped. This is what keeps counter deltas exact while the copy and the
 * stream interleave.
 */
public final class CopyFrontier {

  /**
   * One table's copy position.
   *
   * @param chunkNo the last placed chunk (0: none)
   * @param key the key of the last row placed, or null (none yet, or a table read in one chunk)
   * @param keyTexts the same key in the types' text form, as saved; null with {@code key}
   * @param done whether every row of the table is placed
   */
  public record Entry(long chunkNo, RowKey key, List<String> keyTexts, boolean done) {}

  private static final CopyFrontier NONE = new CopyFrontier(Map.of());

  private final Map<TableId, Entry> tables;

  private CopyFrontier(Map<TableId, Entry> tables) {
    this.tables = tables;
  }

  /**
   * Returns the frontier of no copy: every change is shipped.
   *
   * @return the frontier
   */
  public static CopyFrontier none() {
    return NONE;
  }

  /**
   * Returns a frontier over the given tables.
   *
   * @param tables each copied table's position
   * @return the frontier
   */
  public static CopyFrontier of(Map<TableId, Entry> tables) {
    return new CopyFrontier(Collections.unmodifiableMap(new HashMap<>(tables)));
  }

  /** Returns each copied table's position. */
  public Map<TableId, Entry> tables() {
    return tables;
  }

  /** Returns whether a copy is under way (some table not complete). */
  public boolean active() {
    return tables.values().stream().anyMatch(e -> !e.done());
  }

  /**
   * Returns the frontier after a chunk was placed.
   *
   * @param table the chunk's table
   * @param entry its new position
   * @return the new frontier
   */
  public CopyFrontier place(TableId table, Entry entry) {
    Map<TableId, Entry> next = new HashMap<>(tables);
    next.put(table, entry);
    return new CopyFrontier(Collections.unmodifiableMap(next));
  }

  /**
   * Returns whether a row is already placed: a table outside the copy, a complete table, or a key
   * at or below the last placed key.
   *
   * @param table the row's table
   * @param key the row's key, as {@link ChangeConverter#keys} reads it
   * @return true if a change to the row is shipped
   */
  public boolean placed(TableId table, RowKey key) {
    Entry e = tables.get(table);
    if (e == null || e.done()) {
      return true;
    }
    return e.key() != null && compare(key, e.key()) <= 0;
  }

  /**
   * Compares two keys of one table as PostgreSQL's default b-tree operators order them, for the key
   * types {@link ChunkedCopy} reads in chunks (integers, numeric, date and time types, uuid,
   * boolean, and text under the C collation, which orders by code point).
   *
   * @param a a key
   * @param b another key of the same table
   * @return negative, zero or positive
   * @throws IllegalArgumentException for a value of another type
   */
  public static int compare(RowKey a, RowKey b) {
    for (int i = 0; i < a.size(); i++) {
      int c = compare(a.get(i), b.get(i));
      if (c != 0) {
        return c;
      }
    }
    return 0;
  }

  private static int compare(Value a, Value b) {
    if (a instanceof Value.Int2 x && b instanceof Value.Int2 y) {
      return Short.compare(x.value(), y.value());
    } else if (a instanceof Value.Int4 x && b instanceof Value.Int4 y) {
      return Integer.compare(x.value(), y.value());
    } else if (a instanceof Value.Int8 x && b instanceof Value.Int8 y) {
      return Long.compare(x.value(), y.value());
    } else if (a instanceof Value.Numeric x && b instanceof Value.Numeric y) {
      return x.value().compareTo(y.value());
    } else if (a instanceof Value.Date x && b instanceof Value.Date y) {
      return x.value().compareTo(y.value());
    } else if (a instanceof Value.Timestamp x && b instanceof Value.Timestamp y) {
      return x.value().compareTo(y.value());
    } else if (a instanceof Value.TimestampTz x && b instanceof Value.TimestampTz y) {
      return x.value().compareTo(y.value());
    } else if (a instanceof Value.Bool x && b instanceof Value.Bool y) {
      return Boolean.compare(x.value(), y.value());
    } else if (a instanceof Value.Uuid x && b instanceof Value.Uuid y) {
      // PostgreSQL compares the 16 bytes unsigned; UUID.compareTo is signed.
      int c =
          Long.compareUnsigned(
              x.value().getMostSignificantBits(), y.value().getMostSignificantBits());
      return c != 0
          ? c
          : Long.compareUnsigned(
              x.value().getLeastSignificantBits(), y.value().getLeastSignificantBits());
    } else if (a instanceof Value.Text x && b instanceof Value.Text y) {
      return compareCodePoints(x.value(), y.value());
    }
    throw new IllegalArgumentException(
        "cannot order key values " + a + " and " + b + " as PostgreSQL does");
  }

  /** Code-point order, which is UTF-8 byte order, which is the C collation's. */
  private static int compareCodePoints(String a, String b) {
    int i = 0;
    int j = 0;
    while (i < a.length() && j < b.length()) {
      int x = a.codePointAt(i);
      int y = b.codePointAt(j);
      if (x != y) {
        return Integer.compare(x, y);
      }
      i += Character.charCount(x);
      j += Character.charCount(y);
    }
    return Integer.compare(a.length() - i, b.length() - j);
  }
}
