package io.georep.vectorclock.encoding;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Writes georep's compact binary encoding into a growing byte array.
 *
 * <p>Not thread-safe: use one writer per encoding, from one thread.
 */
public final class CompactWriter {
  private byte[] buffer;
  private int size;

  /** Creates a writer with a small initial buffer. */
  public CompactWriter() {
    this(64);
  }

  /**
   * Creates a writer whose buffer starts at the given capacity.
   *
   * @param initialCapacity the expected size in bytes; at least 1
   */
  public CompactWriter(int initialCapacity) {
    if (initialCapacity < 1) {
      throw new IllegalArgumentException("initial capacity must be positive: " + initialCapacity);
    }
    buffer = new byte[initialCapacity];
  }

  /**
   * Writes one byte.
   *
   * @param value the byte (only its low 8 bits are written)
   * @return this writer
   */
  public CompactWriter writeByte(int value) {
    ensure(1);
    buffer[size++] = (byte) value;
    return this;
  }

  /**
   * Writes an unsigned variable-length integer (LEB128).
   *
   * @param value the value; zero or more
   * @return this writer
   * @throws IllegalArgumentException if the value is negative
   */
  public CompactWriter writeUnsigned(long value) {
    if (value < 0) {
      throw new IllegalArgumentException("unsigned value must not be negative: " + value);
    }
    ensure(10);
    long v = value;
    while ((v & ~0x7FL) != 0) {
      buffer[size++] = (byte) ((v & 0x7F) | 0x80);
      v >>>= 7;
    }
    buffer[size++] = (byte) v;
    return this;
  }

  /**
   * Writes a signed variable-length integer (zig-zag, then LEB128).
   *
   * @param value any value
   * @return this writer
   */
  public CompactWriter writeSigned(long value) {
    long zigZag = (value << 1) ^ (value >> 63);
    ensure(10);
    long v = zigZag;
    while ((v & ~0x7FL) != 0) {
      buffer[size++] = (byte) ((v & 0x7F) | 0x80);
      v >>>= 7;
    }
    buffer[size++] = (byte) v;
    return this;
  }

  /**
   * Writes a string as its UTF-8 length followed by its UTF-8 bytes.
   *
   * @param value the string; never null
   * @return this writer
   */
  public CompactWriter writeString(String value) {
    return writeBytes(value.getBytes(StandardCharsets.UTF_8));
  }

  /**
   * Writes a byte array as its length followed by its bytes.
   *
   * @param value the bytes; never null
   * @return this writer
   */
  public CompactWriter writeBytes(byte[] value) {
    writeUnsigned(value.length);
    return writeRaw(value);
  }

  /**
   * Writes bytes with no length prefix.
   *
   * @param value the bytes; never null
   * @return this writer
   */
  public CompactWriter writeRaw(byte[] value) {
    ensure(value.length);
    System.arraycopy(value, 0, buffer, size, value.length);
    size += value.length;
    return this;
  }

  /**
   * Returns how many bytes have been written.
   *
   * @return the size in bytes
   */
  public int size() {
    return size;
  }

  /**
   * Returns a copy of the bytes written so far.
   *
   * @return a new array; never null
   */
  public byte[] toByteArray() {
    return Arrays.copyOf(buffer, size);
  }

  private void ensure(int extra) {
    int needed = size + extra;
    if (needed < 0) {
      throw new IllegalStateException("encoding larger than 2 GiB");
    }
    if (needed > buffer.length) {
      int grown =
          Math.max(needed, buffer.length > (1 << 29) ? Integer.MAX_VALUE - 8 : buffer.length * 2);
      buffer = Arrays.copyOf(buffer, grown);
    }
  }
}
