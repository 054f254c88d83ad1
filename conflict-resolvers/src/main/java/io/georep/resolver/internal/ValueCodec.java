package io.georep.resolver.internal;

import io.georep.connector.ScalarType;
import io.georep.connector.Value;
import io.georep.vectorclock.encoding.CompactReader;
import io.georep.vectorclock.encoding.CompactWriter;
import io.georep.vectorclock.encoding.MalformedEncodingException;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.time.DateTimeException;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.UUID;

/**
 * The compact, canonical binary form of datums inside row states: a one-byte kind tag, then the
 * value (zig-zag varints for integers, times and dates; scale and minimal two's-complement bytes
 * for {@code numeric}; IEEE bits with the canonical NaN for floats; length-prefixed UTF-8 for text
 * and JSON). Equal datums give equal bytes, and {@link #read} accepts only what {@link #write}
 * produces. Stateless and thread-safe.
 */
public final class ValueCodec {
  private static final int NULL = 'N';
  private static final int BOOL = 'b';
  private static final int INT2 = '2';
  private static final int INT4 = '4';
  private static final int INT8 = '8';
  private static final int NUMERIC = 'n';
  private static final int FLOAT4 = 'f';
  private static final int FLOAT8 = 'd';
  private static final int TEXT = 't';
  private static final int TIMESTAMPTZ = 'z';
  private static final int TIMESTAMP = 's';
  private static final int DATE = 'D';
  private static final int UUID_TAG = 'u';
  private static final int JSONB = 'j';
  private static final int BYTEA = 'y';
  private static final int ARRAY = 'a';

  private ValueCodec() {}

  /**
   * Writes a datum.
   *
   * @param value the datum; never null
   * @param out the writer; never null
   * @throws IllegalArgumentException if the value is a column operation
   */
  public static void write(Value value, CompactWriter out) {
    if (value instanceof Value.Null) {
      out.writeByte(NULL);
    } else if (value instanceof Value.Bool v) {
      out.writeByte(BOOL).writeByte(v.value() ? 1 : 0);
    } else if (value instanceof Value.Int2 v) {
      out.writeByte(INT2).writeSigned(v.value());
    } else if (value instanceof Value.Int4 v) {
      out.writeByte(INT4).writeSigned(v.value());
    } else if (value instanceof Value.Int8 v) {
      out.writeByte(INT8).writeSigned(v.value());
    } else if (value instanceof Value.Numeric v) {
      out.writeByte(NUMERIC);
      writeDecimal(v.value(), out);
    } else if (value instanceof Value.Float4 v) {
      out.writeByte(FLOAT4);
      writeFixed(Float.floatToIntBits(v.value()) & 0xFFFFFFFFL, 4, out);
    } else if (value instanceof Value.Float8 v) {
      out.writeByte(FLOAT8);
      writeFixed(Double.doubleToLongBits(v.value()), 8, out);
    } else if (value instanceof Value.Text v) {
      out.writeByte(TEXT).writeString(v.value());
    } else if (value instanceof Value.TimestampTz v) {
      out.writeByte(TIMESTAMPTZ).writeSigned(v.epochMicros());
    } else if (value instanceof Value.Timestamp v) {
      out.writeByte(TIMESTAMP).writeSigned(v.epochMicros());
    } else if (value instanceof Value.Date v) {
      out.writeByte(DATE).writeSigned(v.value().toEpochDay());
    } else if (value instanceof Value.Uuid v) {
      out.writeByte(UUID_TAG);
      writeFixed(v.value().getMostSignificantBits(), 8, out);
      writeFixed(v.value().getLeastSignificantBits(), 8, out);
    } else if (value instanceof Value.Jsonb v) {
      out.writeByte(JSONB).writeString(v.json());
    } else if (value instanceof Value.Bytes v) {
      out.writeByte(BYTEA).writeBytes(v.toByteArray());
    } else if (value instanceof Value.Array v) {
      out.writeByte(ARRAY).writeByte(typeCode(v.elementType()));
      out.writeUnsigned(v.elements().size());
      for (Value e : v.elements()) {
        write(e, out);
      }
    } else {
      throw new IllegalArgumentException("only datums are stored, not a " + value.kind());
    }
  }

  /**
   * Reads a datum written by {@link #write}.
   *
   * @param in the reader; never null
   * @return the datum
   * @throws MalformedEncodingException if the bytes are not a canonical datum
   */
  public static Value read(CompactReader in) {
    return read(in, true);
  }

  private static Value read(CompactReader in, boolean arraysAllowed) {
    int at = in.position();
    int tag = in.readByte("value tag");
    if (tag == ARRAY && !arraysAllowed) {
      // Array elements are scalars; refusing nesting here also bounds the recursion depth.
      throw new MalformedEncodingException("nested array value", at);
    }
    try {
      return switch (tag) {
        case NULL -> Value.NULL;
        case BOOL -> {
          int b = in.readByte("bool");
          if (b > 1) {
            throw new MalformedEncodingException("bool byte must be 0 or 1, got " + b, at + 1);
          }
          yield new Value.Bool(b == 1);
        }
        case INT2 ->
            new Value.Int2(
                (short)
                    ranged(in.readSigned("int2"), Short.MIN_VALUE, Short.MAX_VALUE, "int2", at));
        case INT4 ->
            new Value.Int4(
                (int)
                    ranged(
                        in.readSigned("int4"), Integer.MIN_VALUE, Integer.MAX_VALUE, "int4", at));
        case INT8 -> new Value.Int8(in.readSigned("int8"));
        case NUMERIC -> new Value.Numeric(readDecimal(in));
        case FLOAT4 -> {
          int bits = (int) readFixed(in, 4, "float4");
          float f = Float.intBitsToFloat(bits);
          if (Float.floatToIntBits(f) != bits) {
            throw new MalformedEncodingException("non-canonical float4 NaN", at);
          }
          yield new Value.Float4(f);
        }
        case FLOAT8 -> {
          long bits = readFixed(in, 8, "float8");
          double d = Double.longBitsToDouble(bits);
          if (Double.doubleToLongBits(d) != bits) {
            throw new MalformedEncodingException("non-canonical float8 NaN", at);
          }
          yield new Value.Float8(d);
        }
        case TEXT -> new Value.Text(in.readString("text", in.remaining()));
        case TIMESTAMPTZ -> Value.TimestampTz.ofEpochMicros(in.readSigned("timestamptz"));
        case TIMESTAMP -> Value.Timestamp.ofEpochMicros(in.readSigned("timestamp"));
        case DATE -> new Value.Date(LocalDate.ofEpochDay(in.readSigned("date")));
        case UUID_TAG ->
            new Value.Uuid(new UUID(readFixed(in, 8, "uuid"), readFixed(in, 8, "uuid")));
        case JSONB -> new Value.Jsonb(in.readString("jsonb", in.remaining()));
        case BYTEA -> Value.Bytes.of(in.readBytes("bytea", in.remaining()));
        case ARRAY -> {
          ScalarType type = typeOf(in.readByte("array element type"), at + 1);
          int n = in.readCount("array elements", 1);
          List<Value> elements = new ArrayList<>(n);
          for (int i = 0; i < n; i++) {
            elements.add(read(in, false));
          }
          yield new Value.Array(type, elements);
        }
        default -> throw new MalformedEncodingException("unknown value tag " + tag, at);
      };
    } catch (IllegalArgumentException | DateTimeException e) {
      // A value constructor rejected the decoded content (an unpaired surrogate, an array element
      // of the wrong type, a date out of range): the bytes are not a valid value.
      throw new MalformedEncodingException("invalid value: " + e.getMessage(), at);
    }
  }

  /**
   * Writes a decimal as its scale and its minimal two's-complement unscaled value.
   *
   * @param value the decimal; never null
   * @param out the writer; never null
   */
  public static void writeDecimal(BigDecimal value, CompactWriter out) {
    out.writeSigned(value.scale());
    out.writeBytes(value.unscaledValue().toByteArray());
  }

  /**
   * Reads a decimal written by {@link #writeDecimal}.
   *
   * @param in the reader; never null
   * @return the decimal
   * @throws MalformedEncodingException if the bytes are not a canonical decimal
   */
  public static BigDecimal readDecimal(CompactReader in) {
    int at = in.position();
    long scale = in.readSigned("numeric scale");
    if (scale < Integer.MIN_VALUE || scale > Integer.MAX_VALUE) {
      throw new MalformedEncodingException("numeric scale out of range", at);
    }
    byte[] unscaled = in.readBytes("numeric digits", in.remaining());
    if (unscaled.length == 0) {
      throw new MalformedEncodingException("numeric without digits", at);
    }
    BigInteger digits = new BigInteger(unscaled);
    if (!Arrays.equals(digits.toByteArray(), unscaled)) {
      throw new MalformedEncodingException("non-minimal numeric digits", at);
    }
    return new BigDecimal(digits, (int) scale);
  }

  private static long ranged(long value, long min, long max, String what, int at) {
    if (value < min || value > max) {
      throw new MalformedEncodingException(what + " out of range: " + value, at);
    }
    return value;
  }

  private static void writeFixed(long bits, int bytes, CompactWriter out) {
    for (int i = bytes - 1; i >= 0; i--) {
      out.writeByte((int) (bits >>> (8 * i)));
    }
  }

  private static long readFixed(CompactReader in, int bytes, String what) {
    long bits = 0;
    for (int i = 0; i < bytes; i++) {
      bits = (bits << 8) | in.readByte(what);
    }
    return bits;
  }

  private static int typeCode(ScalarType type) {
    return switch (type) {
      case INT2 -> INT2;
      case INT4 -> INT4;
      case INT8 -> INT8;
      case NUMERIC -> NUMERIC;
      case FLOAT4 -> FLOAT4;
      case FLOAT8 -> FLOAT8;
      case TEXT -> TEXT;
      case BOOL -> BOOL;
      case TIMESTAMPTZ -> TIMESTAMPTZ;
      case TIMESTAMP -> TIMESTAMP;
      case DATE -> DATE;
      case UUID -> UUID_TAG;
      case JSONB -> JSONB;
      case BYTEA -> BYTEA;
    };
  }

  private static ScalarType typeOf(int code, int at) {
    for (ScalarType t : ScalarType.values()) {
      if (typeCode(t) == code) {
        return t;
      }
    }
    throw new MalformedEncodingException("unknown array element type " + code, at);
  }
}
