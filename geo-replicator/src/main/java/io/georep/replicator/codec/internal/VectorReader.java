package io.georep.replicator.codec.internal;

import io.georep.connector.Value;
import io.georep.replicator.codec.MalformedBatchException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/**
 * Reads one byte vector of a batch, strictly: every read checks bounds, every length and count is
 * checked against the remaining bytes before anything is allocated for it, and UTF-8 must be valid.
 * Failures are {@link MalformedBatchException}s naming the vector and the offset.
 *
 * <p>Not thread-safe.
 */
final class VectorReader {
  private final byte[] input;
  private final int start;
  private final int end;
  private final String context;
  private int position;
  private long previous;
  private CharsetDecoder utf8;

  VectorReader(ByteBuffer buffer, String context) {
    this(buffer.array(), buffer.arrayOffset() + buffer.position(), buffer.remaining(), context);
  }

  VectorReader(byte[] input, int offset, int length, String context) {
    this.input = input;
    this.start = offset;
    this.position = offset;
    this.end = offset + length;
    this.context = context;
  }

  int remaining() {
    return end - position;
  }

  boolean atEnd() {
    return position == end;
  }

  int offset() {
    return position - start;
  }

  byte[] array() {
    return input;
  }

  int arrayPosition() {
    return position;
  }

  void skipTo(int arrayPosition) {
    position = arrayPosition;
  }

  MalformedBatchException malformed(String problem) {
    return new MalformedBatchException(context + ": " + problem + " (at byte " + offset() + ")");
  }

  void expectEnd() {
    if (position != end) {
      throw malformed((end - position) + " unexpected trailing bytes");
    }
  }

  int readByte() {
    if (position >= end) {
      throw malformed("truncated: expected one more byte");
    }
    return input[position++] & 0xFF;
  }

  long readUnsigned() {
    long result = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (position >= end) {
        throw malformed("truncated varint");
      }
      int b = input[position++];
      if (shift == 63 && (b & 0xFE) != 0) {
        throw malformed("varint exceeds 64 bits");
      }
      result |= (long) (b & 0x7F) << shift;
      if (b >= 0) {
        return result;
      }
    }
    throw malformed("varint longer than 10 bytes");
  }

  long readSigned() {
    long zigZag = readUnsigned();
    return (zigZag >>> 1) ^ -(zigZag & 1);
  }

  long readDelta() {
    previous += readSigned();
    return previous;
  }

  /** Reads an unsigned varint that must lie in {@code [0, max]}. */
  long readUnsigned(long max, String what) {
    long v = readUnsigned();
    if (v < 0 || v > max) {
      throw malformed(what + " " + Long.toUnsignedString(v) + " exceeds " + max);
    }
    return v;
  }

  /** Reads a count of items that take at least {@code minBytesEach} bytes each. */
  int readCount(int minBytesEach, String what) {
    long count = readUnsigned();
    // Compared after the varint is consumed: the count must fit the bytes that follow it.
    if (count < 0 || count > remaining() / minBytesEach) {
      throw malformed(
          what
              + " "
              + Long.toUnsignedString(count)
              + " exceeds what the remaining "
              + remaining()
              + " bytes can hold");
    }
    return (int) count;
  }

  /**
   * Reads {@code count} values of {@code width} bits each (0–31) written by {@link
   * VectorWriter#writePacked}: each must be at most {@code max}, and the padding bits zero. The
   * packed bytes are checked against the remaining bytes before the result is allocated.
   */
  int[] readPacked(int count, int width, int max, String what) {
    long bytes = ((long) count * width + 7) >>> 3;
    if (bytes > remaining()) {
      throw malformed(
          count
              + " "
              + what
              + " of "
              + width
              + " bits need "
              + bytes
              + " bytes, "
              + remaining()
              + " remain");
    }
    int[] out = new int[count];
    if (width == 0) {
      return out;
    }
    long mask = (1L << width) - 1;
    long bits = 0;
    int available = 0;
    for (int i = 0; i < count; i++) {
      while (available < width) {
        bits |= (long) (input[position++] & 0xFF) << available;
        available += 8;
      }
      int v = (int) (bits & mask);
      if (v > max) {
        throw malformed(what + " " + v + " exceeds " + max);
      }
      out[i] = v;
      bits >>>= width;
      available -= width;
    }
    if (bits != 0) {
      throw malformed("nonzero padding bits after " + what);
    }
    return out;
  }

  int readFixed32() {
    if (end - position < 4) {
      throw malformed("truncated: expected 4 bytes");
    }
    int v =
        (input[position] & 0xFF)
            | (input[position + 1] & 0xFF) << 8
            | (input[position + 2] & 0xFF) << 16
            | (input[position + 3] & 0xFF) << 24;
    position += 4;
    return v;
  }

  long readFixed64() {
    long low = readFixed32() & 0xFFFF_FFFFL;
    return low | (long) readFixed32() << 32;
  }

  long readBigEndian64() {
    if (end - position < 8) {
      throw malformed("truncated: expected 8 bytes");
    }
    long v = 0;
    for (int i = 0; i < 8; i++) {
      v = v << 8 | (input[position++] & 0xFF);
    }
    return v;
  }

  /** Reads a length that the remaining bytes can hold. */
  int readLength(String what) {
    long length = readUnsigned();
    if (length < 0 || length > remaining()) {
      throw malformed(
          what
              + " length "
              + Long.toUnsignedString(length)
              + " exceeds the remaining "
              + remaining()
              + " bytes");
    }
    return (int) length;
  }

  String readUtf8(String what) {
    int length = readLength(what);
    int from = position;
    int to = from + length;
    boolean ascii = true;
    for (int i = from; i < to; i++) {
      if (input[i] < 0) {
        ascii = false;
        break;
      }
    }
    String s;
    if (ascii) {
      s = new String(input, from, length, StandardCharsets.ISO_8859_1);
    } else {
      if (utf8 == null) {
        utf8 =
            StandardCharsets.UTF_8
                .newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT);
      }
      try {
        s = utf8.reset().decode(ByteBuffer.wrap(input, from, length)).toString();
      } catch (CharacterCodingException e) {
        throw malformed("invalid UTF-8 in " + what);
      }
    }
    position = to;
    return s;
  }

  Value.Bytes readBytesValue() {
    int length = readLength("bytea value");
    Value.Bytes bytes = Value.Bytes.copyOf(input, position, length);
    position += length;
    return bytes;
  }

  byte[] readRaw(int length, String what) {
    if (length > end - position) {
      throw malformed("truncated " + what);
    }
    byte[] out = new byte[length];
    System.arraycopy(input, position, out, 0, length);
    position += length;
    return out;
  }
}
