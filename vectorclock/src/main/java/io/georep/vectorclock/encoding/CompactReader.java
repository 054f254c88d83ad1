package io.georep.vectorclock.encoding;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Objects;

/**
 * Reads georep's compact binary encoding from a byte array, strictly.
 *
 * <p>Every read checks bounds and canonical form and throws {@link MalformedEncodingException} on
 * any violation; nothing is allocated before the input is known to hold it. Not thread-safe.
 */
public final class CompactReader {
  private final byte[] input;
  private final int end;
  private int position;

  /**
   * Creates a reader over the whole array. The array is not copied and must not change while read.
   *
   * @param input the encoded bytes; never null
   */
  public CompactReader(byte[] input) {
    this(input, 0, input.length);
  }

  /**
   * Creates a reader over {@code input[offset, offset + length)}.
   *
   * @param input the encoded bytes; never null
   * @param offset where reading starts
   * @param length how many bytes may be read
   * @throws IndexOutOfBoundsException if the range is not inside the array
   */
  public CompactReader(byte[] input, int offset, int length) {
    Objects.requireNonNull(input, "input");
    Objects.checkFromIndexSize(offset, length, input.length);
    this.input = input;
    this.position = offset;
    this.end = offset + length;
  }

  /**
   * Returns the offset of the next byte to read.
   *
   * @return the position in the underlying array
   */
  public int position() {
    return position;
  }

  /**
   * Returns how many bytes remain.
   *
   * @return the number of unread bytes
   */
  public int remaining() {
    return end - position;
  }

  /**
   * Reads one byte.
   *
   * @param what the name of the field being read, for the error message
   * @return the byte as an unsigned value from 0 to 255
   * @throws MalformedEncodingException if no byte remains
   */
  public int readByte(String what) {
    if (position >= end) {
      throw new MalformedEncodingException("truncated input: expected " + what, position);
    }
    return input[position++] & 0xFF;
  }

  /**
   * Reads an unsigned variable-length integer in its shortest form.
   *
   * @param what the name of the field being read, for the error message
   * @return the value; zero or more
   * @throws MalformedEncodingException if truncated, over-long or above {@link Long#MAX_VALUE}
   */
  public long readUnsigned(String what) {
    int start = position;
    long result = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (position >= end) {
        throw new MalformedEncodingException("truncated integer: " + what, start);
      }
      int b = input[position++] & 0xFF;
      if (shift == 63 && b > 0) {
        throw new MalformedEncodingException("integer out of range: " + what, start);
      }
      result |= (long) (b & 0x7F) << shift;
      if ((b & 0x80) == 0) {
        if (b == 0 && shift > 0) {
          throw new MalformedEncodingException("over-long integer encoding: " + what, start);
        }
        return result;
      }
    }
    throw new MalformedEncodingException("integer longer than 10 bytes: " + what, start);
  }

  /**
   * Reads a signed (zig-zag) variable-length integer.
   *
   * @param what the name of the field being read, for the error message
   * @return the value
   * @throws MalformedEncodingException if truncated or over-long
   */
  public long readSigned(String what) {
    int start = position;
    long zigZag = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (position >= end) {
        throw new MalformedEncodingException("truncated integer: " + what, start);
      }
      int b = input[position++] & 0xFF;
      if (shift == 63 && b > 1) {
        throw new MalformedEncodingException("integer out of range: " + what, start);
      }
      zigZag |= (long) (b & 0x7F) << shift;
      if ((b & 0x80) == 0) {
        if (b == 0 && shift > 0) {
          throw new MalformedEncodingException("over-long integer encoding: " + what, start);
        }
        return (zigZag >>> 1) ^ -(zigZag & 1);
      }
    }
    throw new MalformedEncodingException("integer longer than 10 bytes: " + what, start);
  }

  /**
   * Reads an unsigned integer that must lie in {@code [min, max]}.
   *
   * @param what the name of the field being read, for the error message
   * @param min the smallest allowed value
   * @param max the largest allowed value
   * @return the value
   * @throws MalformedEncodingException if malformed or out of range
   */
  public long readUnsigned(String what, long min, long max) {
    int start = position;
    long value = readUnsigned(what);
    if (value < min || value > max) {
      throw new MalformedEncodingException(
          what + " must be between " + min + " and " + max + ", got " + value, start);
    }
    return value;
  }

  /**
   * Reads the number of elements that follow, and checks that the remaining input can hold that
   * many elements of at least {@code minBytesEach} bytes. Callers may then allocate for the count.
   *
   * @param what the name of the collection, for the error message
   * @param minBytesEach the fewest bytes one element can take; at least 1
   * @return the count
   * @throws MalformedEncodingException if malformed or larger than the input can hold
   */
  public int readCount(String what, int minBytesEach) {
    int start = position;
    long count = readUnsigned(what + " count");
    if (count > remaining() / Math.max(1, minBytesEach)) {
      throw new MalformedEncodingException(
          what + " count " + count + " exceeds what the remaining " + remaining() + " bytes hold",
          start);
    }
    return (int) count;
  }

  /**
   * Reads a length-prefixed UTF-8 string of at most {@code maxBytes} bytes.
   *
   * @param what the name of the field being read, for the error message
   * @param maxBytes the longest allowed encoding in bytes
   * @return the string; never null
   * @throws MalformedEncodingException if truncated, too long or not valid UTF-8
   */
  public String readString(String what, int maxBytes) {
    int start = position;
    byte[] bytes = readBytes(what, maxBytes);
    CharsetDecoder decoder =
        StandardCharsets.UTF_8
            .newDecoder()
            .onMalformedInput(CodingErrorAction.REPORT)
            .onUnmappableCharacter(CodingErrorAction.REPORT);
    try {
      return decoder.decode(ByteBuffer.wrap(bytes)).toString();
    } catch (CharacterCodingException e) {
      throw new MalformedEncodingException("invalid UTF-8 in " + what, start);
    }
  }

  /**
   * Reads a length-prefixed byte array of at most {@code maxBytes} bytes.
   *
   * @param what the name of the field being read, for the error message
   * @param maxBytes the longest allowed length
   * @return a new array; never null
   * @throws MalformedEncodingException if truncated or too long
   */
  public byte[] readBytes(String what, int maxBytes) {
    int start = position;
    long length = readUnsigned(what + " length");
    if (length > maxBytes) {
      throw new MalformedEncodingException(
          what + " is " + length + " bytes, more than the limit of " + maxBytes, start);
    }
    if (length > remaining()) {
      throw new MalformedEncodingException(
          "truncated input: " + what + " needs " + length + " bytes, " + remaining() + " remain",
          start);
    }
    byte[] bytes = Arrays.copyOfRange(input, position, position + (int) length);
    position += (int) length;
    return bytes;
  }

  /**
   * Checks that all input has been read.
   *
   * @param what the name of the decoded value, for the error message
   * @throws MalformedEncodingException if bytes remain
   */
  public void expectEnd(String what) {
    if (position != end) {
      throw new MalformedEncodingException(
          remaining() + " unexpected trailing bytes after " + what, position);
    }
  }
}
