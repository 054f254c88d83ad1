package io.georep.replicator.codec.internal;

import io.georep.connector.ArrayType;
import io.georep.connector.ColumnType;
import io.georep.connector.OpaqueType;
import io.georep.connector.ScalarType;
import io.georep.connector.Value;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.time.DateTimeException;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/**
 * Encodes the data of one cell by its column type (docs/wire-format.md, "Cell encodings").
 *
 * <p>Integer, date and timestamp values are delta-encoded along the vector's chain: a zig-zag
 * varint of the difference to the previous such value in the same vector (wrapping, so every {@code
 * long} difference is exact). Decoding checks every value against its type's range.
 */
final class CellCodec {
  /** The longest two's-complement unscaled value of a numeric, in bytes (PostgreSQL: ~61 KB). */
  static final int MAX_NUMERIC_BYTES = 1 << 16;

  private static final int ELEMENT_NULL = 0;
  private static final int ELEMENT_VALUE = 1;

  private CellCodec() {}

  /** Writes a non-NULL datum of the column type. */
  static void writeDatum(ColumnType type, Value value, VectorWriter out) {
    if (type instanceof ScalarType s) {
      writeScalar(s, value, out);
    } else if (type instanceof ArrayType) {
      writeElements(((Value.Array) value).elementType(), ((Value.Array) value).elements(), out);
    } else {
      out.writeUtf8(((Value.Text) value).value());
    }
  }

  /** Reads a non-NULL datum of the column type. */
  static Value readDatum(ColumnType type, VectorReader in) {
    if (type instanceof ScalarType s) {
      return readScalar(s, in);
    } else if (type instanceof ArrayType a) {
      return new Value.Array(a.elementType(), readElements(a.elementType(), in));
    } else {
      assert type instanceof OpaqueType;
      return new Value.Text(in.readUtf8("text value"));
    }
  }

  static void writeElements(ScalarType elementType, List<Value> elements, VectorWriter out) {
    out.writeUnsigned(elements.size());
    for (Value e : elements) {
      if (e instanceof Value.Null) {
        out.writeByte(ELEMENT_NULL);
      } else {
        out.writeByte(ELEMENT_VALUE);
        writeScalar(elementType, e, out);
      }
    }
  }

  static List<Value> readElements(ScalarType elementType, VectorReader in) {
    int count = in.readCount(1, "array element count");
    List<Value> elements = new ArrayList<>(count);
    for (int i = 0; i < count; i++) {
      int flag = in.readByte();
      if (flag == ELEMENT_NULL) {
        elements.add(Value.NULL);
      } else if (flag == ELEMENT_VALUE) {
        elements.add(readScalar(elementType, in));
      } else {
        throw in.malformed("array element flag must be 0 or 1, got " + flag);
      }
    }
    return elements;
  }

  private static void writeScalar(ScalarType type, Value value, VectorWriter out) {
    switch (type) {
      case INT2 -> out.writeDelta(((Value.Int2) value).value());
      case INT4 -> out.writeDelta(((Value.Int4) value).value());
      case INT8 -> out.writeDelta(((Value.Int8) value).value());
      case NUMERIC -> writeDecimal(((Value.Numeric) value).value(), out);
      case FLOAT4 -> out.writeFixed32(Float.floatToRawIntBits(((Value.Float4) value).value()));
      case FLOAT8 -> out.writeFixed64(Double.doubleToRawLongBits(((Value.Float8) value).value()));
      case TEXT -> out.writeUtf8(((Value.Text) value).value());
      case BOOL -> out.writeByte(((Value.Bool) value).value() ? 1 : 0);
      case TIMESTAMPTZ -> out.writeDelta(((Value.TimestampTz) value).epochMicros());
      case TIMESTAMP -> out.writeDelta(((Value.Timestamp) value).epochMicros());
      case DATE -> out.writeDelta(((Value.Date) value).value().toEpochDay());
      case UUID -> {
        UUID u = ((Value.Uuid) value).value();
        out.writeBigEndian64(u.getMostSignificantBits());
        out.writeBigEndian64(u.getLeastSignificantBits());
      }
      case JSONB -> out.writeUtf8(((Value.Jsonb) value).json());
      case BYTEA -> out.writeBytesValue((Value.Bytes) value);
    }
  }

  private static Value readScalar(ScalarType type, VectorReader in) {
    switch (type) {
      case INT2 -> {
        long v = in.readDelta();
        if (v != (short) v) {
          throw in.malformed("int2 value " + v + " out of range");
        }
        return new Value.Int2((short) v);
      }
      case INT4 -> {
        long v = in.readDelta();
        if (v != (int) v) {
          throw in.malformed("int4 value " + v + " out of range");
        }
        return new Value.Int4((int) v);
      }
      case INT8 -> {
        return new Value.Int8(in.readDelta());
      }
      case NUMERIC -> {
        return new Value.Numeric(readDecimal(in));
      }
      case FLOAT4 -> {
        return new Value.Float4(Float.intBitsToFloat(in.readFixed32()));
      }
      case FLOAT8 -> {
        return new Value.Float8(Double.longBitsToDouble(in.readFixed64()));
      }
      case TEXT -> {
        return new Value.Text(in.readUtf8("text value"));
      }
      case BOOL -> {
        int b = in.readByte();
        if (b > 1) {
          throw in.malformed("bool value must be 0 or 1, got " + b);
        }
        return new Value.Bool(b == 1);
      }
      case TIMESTAMPTZ -> {
        return Value.TimestampTz.ofEpochMicros(in.readDelta());
      }
      case TIMESTAMP -> {
        return Value.Timestamp.ofEpochMicros(in.readDelta());
      }
      case DATE -> {
        long day = in.readDelta();
        try {
          return new Value.Date(LocalDate.ofEpochDay(day));
        } catch (DateTimeException e) {
          throw in.malformed("date value " + day + " days from 1970 out of range");
        }
      }
      case UUID -> {
        long most = in.readBigEndian64();
        return new Value.Uuid(new UUID(most, in.readBigEndian64()));
      }
      case JSONB -> {
        return new Value.Jsonb(in.readUtf8("jsonb value"));
      }
      case BYTEA -> {
        return in.readBytesValue();
      }
    }
    throw new AssertionError(type);
  }

  /**
   * Writes a decimal: one varint {@code zigzag(scale) << 1 | form}, then for form 0 the unscaled
   * value as a zig-zag varint (it fits 64 bits), for form 1 the byte length and the unscaled
   * value's big-endian two's-complement bytes.
   */
  static void writeDecimal(BigDecimal value, VectorWriter out) {
    int scale = value.scale();
    long header = ((long) ((scale << 1) ^ (scale >> 31)) & 0xFFFF_FFFFL) << 1;
    BigInteger unscaled = value.unscaledValue();
    if (unscaled.bitLength() < 64) {
      out.writeUnsigned(header);
      out.writeSigned(unscaled.longValue());
    } else {
      out.writeUnsigned(header | 1);
      out.writeLengthPrefixed(unscaled.toByteArray());
    }
  }

  static BigDecimal readDecimal(VectorReader in) {
    long header = in.readUnsigned(0x1_FFFF_FFFFL, "numeric header");
    int zigZag = (int) (header >>> 1);
    int scale = (zigZag >>> 1) ^ -(zigZag & 1);
    if ((header & 1) == 0) {
      return BigDecimal.valueOf(in.readSigned(), scale);
    }
    int length = (int) in.readUnsigned(MAX_NUMERIC_BYTES, "numeric length");
    if (length == 0) {
      throw in.malformed("numeric of form 1 with no digits");
    }
    return new BigDecimal(new BigInteger(in.readRaw(length, "numeric digits")), scale);
  }
}
