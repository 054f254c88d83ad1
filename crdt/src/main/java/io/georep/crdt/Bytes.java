package io.georep.crdt;

import io.georep.vectorclock.encoding.CompactWriter;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Objects;

/**
 * An immutable byte string, usable as a set element or map key: equality and hash code by content,
 * ordered as unsigned bytes.
 */
public final class Bytes implements Comparable<Bytes> {
  private static final int SHOWN = 32;

  private final byte[] bytes;

  private Bytes(byte[] bytes) {
    this.bytes = bytes;
  }

  /**
   * Returns a byte string with a copy of the given bytes.
   *
   * @param bytes the content; never null; copied
   * @return the byte string
   */
  public static Bytes of(byte[] bytes) {
    return new Bytes(Objects.requireNonNull(bytes, "bytes").clone());
  }

  /** Wraps an array that no one else holds. */
  static Bytes wrap(byte[] bytes) {
    return new Bytes(bytes);
  }

  /**
   * Returns a copy of the content.
   *
   * @return a new array
   */
  public byte[] toArray() {
    return bytes.clone();
  }

  /**
   * Returns the number of bytes.
   *
   * @return the length
   */
  public int size() {
    return bytes.length;
  }

  void writeTo(CompactWriter out) {
    out.writeBytes(bytes);
  }

  @Override
  public int compareTo(Bytes other) {
    return Arrays.compareUnsigned(bytes, other.bytes);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Bytes b && Arrays.equals(bytes, b.bytes);
  }

  @Override
  public int hashCode() {
    return Arrays.hashCode(bytes);
  }

  /** Returns the content in hexadecimal, shortened after {@value #SHOWN} bytes. */
  @Override
  public String toString() {
    String hex = HexFormat.of().formatHex(bytes, 0, Math.min(bytes.length, SHOWN));
    return bytes.length > SHOWN ? hex + "...(" + bytes.length + " bytes)" : hex;
  }
}
