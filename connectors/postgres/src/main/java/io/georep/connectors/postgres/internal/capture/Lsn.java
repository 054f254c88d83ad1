package io.georep.connectors.postgres.internal.capture;

/**
 * A PostgreSQL WAL position (log sequence number), as the 64-bit value the protocol carries.
 *
 * @param value the position; unsigned in PostgreSQL, never negative in practice
 */
public record Lsn(long value) implements Comparable<Lsn> {

  /**
   * Returns the LSN in PostgreSQL's notation, such as {@code 0/16B3748}.
   *
   * @param value the LSN
   * @return the text
   */
  public static String format(long value) {
    return Long.toHexString(value >>> 32).toUpperCase(java.util.Locale.ROOT)
        + "/"
        + Long.toHexString(value & 0xFFFFFFFFL).toUpperCase(java.util.Locale.ROOT);
  }

  /**
   * Parses PostgreSQL's notation.
   *
   * @param text such as {@code 0/16B3748}
   * @return the LSN value
   * @throws IllegalArgumentException if malformed
   */
  public static long parse(String text) {
    int slash = text.indexOf('/');
    if (slash < 1) {
      throw new IllegalArgumentException("malformed LSN " + text);
    }
    return (Long.parseLong(text.substring(0, slash), 16) << 32)
        | Long.parseLong(text.substring(slash + 1), 16);
  }

  @Override
  public int compareTo(Lsn other) {
    return Long.compareUnsigned(value, other.value);
  }

  /** Returns the LSN in PostgreSQL's notation. */
  @Override
  public String toString() {
    return format(value);
  }
}
