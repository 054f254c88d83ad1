package io.georep.replicator.codec.internal;

import io.georep.replicator.codec.MalformedBatchException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import org.apache.avro.Schema;

/**
 * Walks Avro binary data along its writer schema before Avro's own reader sees it, and rejects
 * anything that would make that reader allocate more than the data justifies.
 *
 * <p>Why: Avro's decoder trusts declared lengths and counts. An array block count of two billion
 * makes it allocate a two-billion-slot list, a string length makes it allocate the string's buffer,
 * before it notices the data is short. This walk checks every string and bytes length against the
 * remaining bytes, every array and map block count against the remaining bytes (each element takes
 * at least one byte in the envelope's schemas), every union and enum index against the schema,
 * every boolean byte, every varint's length, every string's UTF-8, and that the data ends exactly
 * where the datum does. Its own work is linear in the data size: every step consumes a byte or
 * moves past a schema node, and schema recursion is bounded.
 *
 * <p>After a successful walk, Avro's decoder allocates at most in proportion to the input.
 */
final class AvroBounds {
  private static final int MAX_DEPTH = 32;

  private final byte[] input;
  private final int end;
  private int position;
  private final CharsetDecoder utf8 =
      StandardCharsets.UTF_8
          .newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT);

  private AvroBounds(byte[] input, int offset, int length) {
    this.input = input;
    this.position = offset;
    this.end = offset + length;
  }

  /**
   * Checks that {@code input[offset, offset + length)} is exactly one datum of the schema whose
   * lengths and counts all fit the data.
   *
   * @throws MalformedBatchException if not
   */
  static void check(Schema schema, byte[] input, int offset, int length) {
    AvroBounds walk = new AvroBounds(input, offset, length);
    walk.datum(schema, 0);
    if (walk.position != walk.end) {
      throw walk.malformed((walk.end - walk.position) + " bytes after the envelope");
    }
  }

  private MalformedBatchException malformed(String problem) {
    return new MalformedBatchException(
        "invalid Avro envelope: " + problem + " (at byte " + position + ")");
  }

  private void datum(Schema schema, int depth) {
    if (depth > MAX_DEPTH) {
      throw malformed("schema nested deeper than " + MAX_DEPTH);
    }
    switch (schema.getType()) {
      case NULL -> {}
      case BOOLEAN -> {
        int b = readByte();
        if (b > 1) {
          throw malformed("boolean byte " + b);
        }
      }
      case INT -> {
        long v = readLong();
        if (v != (int) v) {
          throw malformed("int out of range: " + v);
        }
      }
      case LONG -> readLong();
      case FLOAT -> skip(4);
      case DOUBLE -> skip(8);
      case FIXED -> skip(schema.getFixedSize());
      case ENUM -> {
        long index = readLong();
        if (index < 0 || index >= schema.getEnumSymbols().size()) {
          throw malformed("enum index " + index + " out of range");
        }
      }
      case STRING -> {
        int length = readLength();
        try {
          utf8.reset().decode(ByteBuffer.wrap(input, position, length));
        } catch (CharacterCodingException e) {
          throw malformed("invalid UTF-8 in a string");
        }
        position += length;
      }
      case BYTES -> skip(readLength());
      case ARRAY -> blocks(schema.getElementType(), null, depth);
      case MAP -> blocks(schema.getValueType(), Schema.create(Schema.Type.STRING), depth);
      case UNION -> {
        long index = readLong();
        if (index < 0 || index >= schema.getTypes().size()) {
          throw malformed("union index " + index + " out of range");
        }
        datum(schema.getTypes().get((int) index), depth + 1);
      }
      case RECORD -> {
        for (Schema.Field field : schema.getFields()) {
          datum(field.schema(), depth + 1);
        }
      }
    }
  }

  private void blocks(Schema element, Schema key, int depth) {
    while (true) {
      long count = readLong();
      if (count == 0) {
        return;
      }
      if (count < 0) {
        if (count == Long.MIN_VALUE) {
          throw malformed("block count out of range");
        }
        count = -count;
        long size = readLong();
        if (size < 0 || size > end - position) {
          throw malformed(
              "block size " + size + " exceeds the remaining " + (end - position) + " bytes");
        }
      }
      // Every element of the envelope's collections takes at least one byte.
      if (count > end - position) {
        throw malformed(
            "block count " + count + " exceeds the remaining " + (end - position) + " bytes");
      }
      for (long i = 0; i < count; i++) {
        if (key != null) {
          datum(key, depth + 1);
        }
        int before = position;
        datum(element, depth + 1);
        if (position == before && key == null) {
          throw malformed("zero-size array element");
        }
      }
    }
  }

  private int readByte() {
    if (position >= end) {
      throw malformed("truncated");
    }
    return input[position++] & 0xFF;
  }

  private long readLong() {
    long zigZag = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      int b = readByte();
      zigZag |= (long) (b & 0x7F) << shift;
      if ((b & 0x80) == 0) {
        return (zigZag >>> 1) ^ -(zigZag & 1);
      }
    }
    throw malformed("varint longer than 10 bytes");
  }

  private int readLength() {
    long length = readLong();
    if (length < 0 || length > end - position) {
      throw malformed("length " + length + " exceeds the remaining " + (end - position) + " bytes");
    }
    return (int) length;
  }

  private void skip(int n) {
    if (n > end - position) {
      throw malformed("truncated: " + n + " bytes needed, " + (end - position) + " remain");
    }
    position += n;
  }
}
