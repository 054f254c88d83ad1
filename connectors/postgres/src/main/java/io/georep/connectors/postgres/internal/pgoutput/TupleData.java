package io.georep.connectors.postgres.internal.pgoutput;

import java.util.Arrays;
import java.util.Objects;

/**
 * The column values of one row in a {@code pgoutput} change message, in relation column order.
 *
 * <p>Each column is NULL, unchanged (a TOASTed value the change did not touch and the server did
 * not send — never to be read as NULL), text (the type's output function) or binary (its send
 * function). Immutable.
 */
public final class TupleData {
  /** How one column's value was sent. */
  public enum Kind {
    /** SQL NULL. */
    NULL,
    /** An unchanged TOASTed value whose bytes were not sent. */
    UNCHANGED_TOAST,
    /** The value in text format. */
    TEXT,
    /** The value in binary format. */
    BINARY
  }

  private static final byte[] NONE = new byte[0];

  private final Kind[] kinds;
  private final byte[][] values;

  TupleData(Kind[] kinds, byte[][] values) {
    this.kinds = kinds;
    this.values = values;
  }

  /**
   * Creates tuple data from per-column kinds and bytes; bytes are ignored for NULL and unchanged.
   *
   * @param kinds the kind of each column; never null
   * @param values the bytes of each column; never null, same length
   * @return the tuple
   */
  public static TupleData of(Kind[] kinds, byte[][] values) {
    if (kinds.length != values.length) {
      throw new IllegalArgumentException("kinds and values differ in length");
    }
    byte[][] copy = new byte[values.length][];
    for (int i = 0; i < values.length; i++) {
      copy[i] =
          kinds[i] == Kind.TEXT || kinds[i] == Kind.BINARY
              ? Objects.requireNonNull(values[i], "value").clone()
              : NONE;
    }
    return new TupleData(kinds.clone(), copy);
  }

  /**
   * Returns the number of columns.
   *
   * @return the column count
   */
  public int size() {
    return kinds.length;
  }

  /**
   * Returns how column {@code i} was sent.
   *
   * @param i the column index, from 0
   * @return the kind
   */
  public Kind kind(int i) {
    return kinds[i];
  }

  /**
   * Returns the raw bytes of column {@code i} (empty for NULL and unchanged values).
   *
   * @param i the column index, from 0
   * @return a copy of the bytes
   */
  public byte[] bytes(int i) {
    return values[i].clone();
  }

  /**
   * Returns column {@code i} as text, or null for NULL and unchanged values.
   *
   * @param i the column index, from 0
   * @return the text value, or null
   */
  public String text(int i) {
    return kinds[i] == Kind.TEXT
        ? new String(values[i], java.nio.charset.StandardCharsets.UTF_8)
        : null;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof TupleData t
        && Arrays.equals(kinds, t.kinds)
        && Arrays.deepEquals(values, t.values);
  }

  @Override
  public int hashCode() {
    return 31 * Arrays.hashCode(kinds) + Arrays.deepHashCode(values);
  }

  @Override
  public String toString() {
    StringBuilder sb = new StringBuilder("(");
    for (int i = 0; i < kinds.length; i++) {
      if (i > 0) {
        sb.append(", ");
      }
      switch (kinds[i]) {
        case NULL -> sb.append("NULL");
        case UNCHANGED_TOAST -> sb.append("<unchanged>");
        case TEXT -> sb.append('\'').append(text(i)).append('\'');
        case BINARY -> sb.append("<").append(values[i].length).append(" bytes>");
      }
    }
    return sb.append(')').toString();
  }
}
