package io.georep.replicator.codec.internal;

import io.georep.connector.Value;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Writes one byte vector of a batch: varints (LEB128, zig-zag for signed), fixed little-endian
 * words, length-prefixed bytes and a delta chain for integer-like columns.
 *
 * <p>Reusable: {@link #reset()} empties it and restarts the delta chain. Not thread-safe.
 */
public final class VectorWriter {
  private byte[] buffer;
  private int size;
  private long previous;

  /**
   * Creates a writer.
   *
   * @param initialCapacity the initial buffer size in bytes; at least 16
   */
  public VectorWriter(int initialCapacity) {
    buffer = new byte[Math.max(16, initialCapacity)];
  }

  /** Empties the writer and restarts the delta chain at 0. */
  public void reset() {
    size = 0;
    previous = 0;
  }

  /**
   * Returns the number of bytes written.
   *
   * @return the size
   */
  public int size() {
    return size;
  }

  /**
   * Returns a copy of the bytes written, as a buffer.
   *
   * @return a new heap buffer positioned at 0
   */
  public ByteBuffer toByteBuffer() {
    return ByteBuffer.wrap(Arrays.copyOf(buffer, size));
  }

  /**
   * Returns a copy of the bytes written.
   *
   * @return a new array
   */
  public byte[] toByteArray() {
    return Arrays.copyOf(buffer, size);
  }

  void writeByte(int value) {
    ensure(1);
    buffer[size++] = (byte) value;
  }

  void writeUnsigned(long value) {
    ensure(10);
    long v = value;
    while ((v & ~0x7FL) != 0) {
      buffer[size++] = (byte) ((v & 0x7F) | 0x80);
      v >>>= 7;
    }
    buffer[size++] = (byte) v;
  }

  void writeSigned(long value) {
    writeUnsigned((value << 1) ^ (value >> 63));
  }

  /** Writes the difference to the previous delta-encoded value (wrapping), then remembers it. */
  void writeDelta(long value) {
    writeSigned(value - previous);
    previous = value;
  }

  void writeFixed32(int value) {
    ensure(4);
    buffer[size] = (byte) value;
    buffer[size + 1] = (byte) (value >>> 8);
    buffer[size + 2] = (byte) (value >>> 16);
    buffer[size + 3] = (byte) (value >>> 24);
    size += 4;
  }

  void writeFixed64(long value) {
    writeFixed32((int) value);
    writeFixed32((int) (value >>> 32));
  }

  void writeBigEndian64(long value) {
    ensure(8);
    for (int shift = 56; shift >= 0; shift -= 8) {
      buffer[size++] = (byte) (value >>> shift);
    }
  }

  void writeLengthPrefixed(byte[] bytes) {
    writeUnsigned(bytes.length);
    ensure(bytes.length);
    System.arraycopy(bytes, 0, buffer, size, bytes.length);
    size += bytes.length;
  }

  void writeUtf8(String s) {
    writeLengthPrefixed(s.getBytes(StandardCharsets.UTF_8));
  }

  void writeBytesValue(Value.Bytes bytes) {
    int length = bytes.length();
    writeUnsigned(length);
    ensure(length);
    bytes.asReadOnlyBuffer().get(buffer, size, length);
    size += length;
  }

  /**
   * Writes {@code count} values of {@code width} bits each (0–31), packed least significant bit
   * first, the last byte padded with zero bits.
   */
  void writePacked(int[] values, int count, int width) {
    if (width == 0) {
      return;
    }
    ensure((int) (((long) count * width + 7) >>> 3));
    long bits = 0;
    int pending = 0;
    for (int i = 0; i < count; i++) {
      bits |= (long) values[i] << pending;
      pending += width;
      while (pending >= 8) {
        buffer[size++] = (byte) bits;
        bits >>>= 8;
        pending -= 8;
      }
    }
    if (pending > 0) {
      buffer[size++] = (byte) bits;
    }
  }

  private void ensure(int extra) {
    int needed = size + extra;
    if (needed < 0 || needed > Integer.MAX_VALUE - 16) {
      throw new IllegalStateException("column vector larger than 2 GiB");
    }
    if (needed > buffer.length) {
      long grown = Math.max(needed, 2L * buffer.length);
      buffer = Arrays.copyOf(buffer, (int) Math.min(grown, Integer.MAX_VALUE - 16));
    }
  }
}
