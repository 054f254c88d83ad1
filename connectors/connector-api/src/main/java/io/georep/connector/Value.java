package io.georep.connector;

import java.math.BigDecimal;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Objects;

/**
 * A column value in a row change: a <em>datum</em> a column can hold ({@link #NULL} or a value of a
 * {@link ColumnType}), or a <em>column operation</em> that an update applies to a column ({@link
 * Unchanged}, {@link CounterDelta}, {@link SetDelta}).
 *
 * <p>Every variant is an immutable record (or, for {@link Bytes}, a final class) with value
 * equality. Datums are precise: {@link Numeric} keeps the scale ({@code 1.0} and {@code 1.00} are
 * different values, as in PostgreSQL); {@link TimestampTz} and {@link Timestamp} hold microseconds
 * like PostgreSQL; floating-point values compare like {@link Double#compare} (so NaN equals NaN and
 * {@code 0.0} differs from {@code -0.0}). Strings must be well-formed UTF-16 so that they survive
 * UTF-8.
 *
 * <p>Not representable, so a connector meeting one must report it naming table and column: numeric
 * {@code NaN} and {@code ±Infinity}, timestamp and date {@code ±infinity}.
 *
 * <p>About 650 lines: a sealed interface must name its permitted variants, and each variant is a
 * short record with its validation and equality; moving them to files of their own would scatter
 * the one closed vocabulary every codec and resolver switches over. The variants are the seam if it
 * grows: datums and column operations.
 */
public sealed interface Value {
  /** The SQL NULL. */
  Null NULL = new Null();

  /** The marker of an unchanged value that an update did not carry (an unchanged TOAST value). */
  Unchanged UNCHANGED = new Unchanged();

  /**
   * Tells whether this is a datum a column can hold (including NULL), rather than a column
   * operation.
   *
   * @return true for datums, false for {@link Unchanged}, {@link CounterDelta} and {@link SetDelta}
   */
  boolean isDatum();

  /**
   * Returns a short description of the value's kind, for messages; never the value itself, which
   * may be personal data.
   *
   * @return the kind, such as {@code int4} or {@code counter delta}
   */
  String kind();

  /** SQL NULL. Use {@link Value#NULL}. */
  record Null() implements Value {
    @Override
    public boolean isDatum() {
      return true;
    }

    @Override
    public String kind() {
      return "NULL";
    }
  }

  /**
   * An {@code int2} value.
   *
   * @param value the value
   */
  record Int2(short value) implements Value {
    @Override
    public boolean isDatum() {
      return true;
    }

    @Override
    public String kind() {
      return "int2";
    }
  }

  /**
   * An {@code int4} value.
   *
   * @param value the value
   */
  record Int4(int value) implements Value {
    @Override
    public boolean isDatum() {
      return true;
    }

    @Override
    public String kind() {
      return "int4";
    }
  }

  /**
   * An {@code int8} value.
   *
   * @param value the value
   */
  record Int8(long value) implements Value {
    @Override
    public boolean isDatum() {
      return true;
    }

    @Override
    public String kind() {
      return "int8";
    }
  }

  /**
   * A {@code numeric} value. Equality is {@link BigDecimal#equals}: the scale is part of the value,
   * as PostgreSQL preserves it.
   *
   * @param value the value; never null
   */
  record Numeric(BigDecimal value) implements Value {
    /** Validates the value. */
    public Numeric {
      Objects.requireNonNull(value, "value");
    }

    @Override
    public boolean isDatum() {
      return true;
    }

    @Override
    public String kind() {
      return "numeric";
    }
  }

  /**
   * A {@code float4} value.
   *
   * @param value the value; any float including NaN and infinities
   */
  record Float4(float value) implements Value {
    @Override
    public boolean isDatum() {
      return true;
    }

    @Override
    public String kind() {
      return "float4";
    }
  }

  /**
   * A {@code float8} value.
   *
   * @param value the value; any double including NaN and infinities
   */
  record Float8(double value) implements Value {
    @Override
    public boolean isDatum() {
      return true;
    }

    @Override
    public String kind() {
      return "float8";
    }
  }

  /**
   * A {@code text} value, or the text form of a value of an {@link OpaqueType} column.
   *
   * @param value the string; never null, well-formed UTF-16
   */
  record Text(String value) implements Value {
    /**
     * Validates the string.
     *
     * @throws IllegalArgumentException if it contains an unpaired surrogate
     */
    public Text {
      requireWellFormed(value, "text");
    }

    @Override
    public boolean isDatum() {
      return true;
    }

    @Override
    public String kind() {
      return "text";
    }
  }

  /**
   * A {@code bool} value.
   *
   * @param value the value
   */
  record Bool(boolean value) implements Value {
    @Override
    public boolean isDatum() {
      return true;
    }

    @Override
    public String kind() {
      return "bool";
    }
  }

  /**
   * A {@code timestamptz} value: an instant with microsecond precision.
   *
   * @param value the instant; never null, a whole number of microseconds whose count since the
   *     epoch fits in a {@code long} (about ±292,000 years, beyond PostgreSQL's range)
   */
  record TimestampTz(Instant value) implements Value {
    /**
     * Validates the instant.
     *
     * @throws IllegalArgumentException if it has sub-microsecond digits or is out of range
     */
    public TimestampTz {
      Objects.requireNonNull(value, "value");
      toEpochMicros(value.getEpochSecond(), value.getNano(), "timestamptz");
    }

    /**
     * Returns the instant with the given number of microseconds since the Unix epoch.
     *
     * @param micros microseconds since 1970-01-01T00:00:00Z
     * @return the value
     */
    public static TimestampTz ofEpochMicros(long micros) {
      return new TimestampTz(
          Instant.ofEpochSecond(
              Math.floorDiv(micros, 1_000_000L), Math.floorMod(micros, 1_000_000L) * 1000L));
    }

    /**
     * Returns the microseconds since the Unix epoch.
     *
     * @return the count; negative before 1970
     */
    public long epochMicros() {
      return toEpochMicros(value.getEpochSecond(), value.getNano(), "timestamptz");
    }

    @Override
    public boolean isDatum() {
      return true;
    }

    @Override
    public String kind() {
      return "timestamptz";
    }
  }

  /**
   * A {@code timestamp} (without time zone) value, with microsecond precision.
   *
   * @param value the local date-time; never null, a whole number of microseconds whose count since
   *     1970-01-01T00:00 fits in a {@code long}
   */
  record Timestamp(LocalDateTime value) implements Value {
    /**
     * Validates the date-time.
     *
     * @throws IllegalArgumentException if it has sub-microsecond digits or is out of range
     */
    public Timestamp {
      Objects.requireNonNull(value, "value");
      utcMicros(value);
    }

    /**
     * Returns the date-time that is the given number of microseconds after 1970-01-01T00:00.
     *
     * @param micros microseconds since 1970-01-01T00:00
     * @return the value
     */
    public static Timestamp ofEpochMicros(long micros) {
      return new Timestamp(
          LocalDateTime.ofEpochSecond(
              Math.floorDiv(micros, 1_000_000L),
              (int) Math.floorMod(micros, 1_000_000L) * 1000,
              ZoneOffset.UTC));
    }

    /**
     * Returns the microseconds since 1970-01-01T00:00 (reading the date-time as if in UTC).
     *
     * @return the count; negative before 1970
     */
    public long epochMicros() {
      return utcMicros(value);
    }

    @Override
    public boolean isDatum() {
      return true;
    }

    @Override
    public String kind() {
      return "timestamp";
    }
  }

  /**
   * A {@code date} value.
   *
   * @param value the date; never null
   */
  record Date(LocalDate value) implements Value {
    /** Validates the date. */
    public Date {
      Objects.requireNonNull(value, "value");
    }

    @Override
    public boolean isDatum() {
      return true;
    }

    @Override
    public String kind() {
      return "date";
    }
  }

  /**
   * A {@code uuid} value.
   *
   * @param value the UUID; never null
   */
  record Uuid(java.util.UUID value) implements Value {
    /** Validates the UUID. */
    public Uuid {
      Objects.requireNonNull(value, "value");
    }

    @Override
    public boolean isDatum() {
      return true;
    }

    @Override
    public String kind() {
      return "uuid";
    }
  }

  /**
   * A JSONB value, as JSON text. The text is not parsed here: the database validates it when the
   * value is applied.
   *
   * @param json the JSON text; never null, well-formed UTF-16
   */
  record Jsonb(String json) implements Value {
    /**
     * Validates the string.
     *
     * @throws IllegalArgumentException if it contains an unpaired surrogate
     */
    public Jsonb {
      requireWellFormed(json, "jsonb");
    }

    @Override
    public boolean isDatum() {
      return true;
    }

    @Override
    public String kind() {
      return "jsonb";
    }
  }

  /**
   * A {@code bytea} value: an immutable byte string with equality by content.
   *
   * <p>A final class rather than a record because a record would expose, and compare, its array by
   * reference.
   */
  final class Bytes implements Value {
    private final byte[] content;

    private Bytes(byte[] content) {
      this.content = content;
    }

    /**
     * Returns the byte string with a copy of the given content.
     *
     * @param content the bytes; never null; copied
     * @return the value
     */
    public static Bytes of(byte[] content) {
      return new Bytes(content.clone());
    }

    /**
     * Returns the byte string with a copy of {@code source[offset, offset + length)}.
     *
     * @param source the array; never null
     * @param offset where the content starts
     * @param length how many bytes
     * @return the value
     * @throws IndexOutOfBoundsException if the range is not inside the array
     */
    public static Bytes copyOf(byte[] source, int offset, int length) {
      Objects.checkFromIndexSize(offset, length, source.length);
      return new Bytes(Arrays.copyOfRange(source, offset, offset + length));
    }

    /**
     * Returns the number of bytes.
     *
     * @return the length
     */
    public int length() {
      return content.length;
    }

    /**
     * Returns a copy of the content.
     *
     * @return a new array
     */
    public byte[] toByteArray() {
      return content.clone();
    }

    /**
     * Returns a read-only view of the content, for copying it without an intermediate array.
     *
     * @return a read-only buffer positioned at 0 with limit {@link #length()}
     */
    public ByteBuffer asReadOnlyBuffer() {
      return ByteBuffer.wrap(content).asReadOnlyBuffer();
    }

    @Override
    public boolean isDatum() {
      return true;
    }

    @Override
    public String kind() {
      return "bytea";
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof Bytes b && Arrays.equals(content, b.content);
    }

    @Override
    public int hashCode() {
      return Arrays.hashCode(content);
    }

    /** Returns {@code Bytes[\x...]} with the first 64 bytes in hex. */
    @Override
    public String toString() {
      int shown = Math.min(content.length, 64);
      return "Bytes[\\x"
          + HexFormat.of().formatHex(content, 0, shown)
          + (shown < content.length ? "... (" + content.length + " bytes)" : "")
          + "]";
    }
  }

  /**
   * A one-dimensional array value (lower bound 1), possibly empty, whose elements are NULL or
   * datums of the element type.
   *
   * @param elementType the element type; never null
   * @param elements the elements in order; never null, copied
   */
  record Array(ScalarType elementType, List<Value> elements) implements Value {
    /**
     * Validates the array.
     *
     * @throws IllegalArgumentException if an element is neither NULL nor a datum of the element
     *     type
     */
    public Array {
      Objects.requireNonNull(elementType, "elementType");
      elements = List.copyOf(elements);
      for (int i = 0; i < elements.size(); i++) {
        Value e = elements.get(i);
        if (!elementType.accepts(e)) {
          throw new IllegalArgumentException(
              "element "
                  + (i + 1)
                  + " of an "
                  + elementType.arrayType()
                  + " array is "
                  + e.kind()
                  + ", not "
                  + elementType
                  + " or NULL");
        }
      }
    }

    @Override
    public boolean isDatum() {
      return true;
    }

    @Override
    public String kind() {
      return elementType.arrayType().typeName();
    }
  }

  /**
   * The marker of a column value an update did not carry but that did not change: PostgreSQL's
   * unchanged TOAST value. The applier keeps the stored value; it is never turned into NULL. Only
   * updates carry it. Use {@link Value#UNCHANGED}.
   */
  record Unchanged() implements Value {
    @Override
    public boolean isDatum() {
      return false;
    }

    @Override
    public String kind() {
      return "unchanged";
    }
  }

  /**
   * A counter column operation: add {@code delta} (the source's {@code after − before}) to the
   * stored value, exactly once. Valid for {@code int2}, {@code int4}, {@code int8} (scale 0) and
   * {@code numeric} columns; a {@link BigDecimal} so that the difference of two extreme integers
   * still fits.
   *
   * @param delta the amount to add; never null; may be negative
   */
  record CounterDelta(BigDecimal delta) implements Value {
    /** Validates the delta. */
    public CounterDelta {
      Objects.requireNonNull(delta, "delta");
    }

    /**
     * Returns the delta of an integer counter.
     *
     * @param delta the amount to add
     * @return the operation, with scale 0
     */
    public static CounterDelta of(long delta) {
      return new CounterDelta(BigDecimal.valueOf(delta));
    }

    @Override
    public boolean isDatum() {
      return false;
    }

    @Override
    public String kind() {
      return "counter delta";
    }
  }

  /**
   * A set column operation on an array column treated as an observed-remove set: add the elements
   * of {@code added} and remove those of {@code removed}. The lists keep the order the source gave;
   * the set semantics ignore it.
   *
   * @param added the elements to add; never null, copied; NULL or datums of the element type
   * @param removed the elements to remove; never null, copied; NULL or datums of the element type
   */
  record SetDelta(List<Value> added, List<Value> removed) implements Value {
    /**
     * Validates the operation.
     *
     * @throws IllegalArgumentException if an element is a column operation
     */
    public SetDelta {
      added = List.copyOf(added);
      removed = List.copyOf(removed);
      for (Value v : added) {
        requireDatum(v, "added element of a set delta");
      }
      for (Value v : removed) {
        requireDatum(v, "removed element of a set delta");
      }
    }

    @Override
    public boolean isDatum() {
      return false;
    }

    @Override
    public String kind() {
      return "set delta";
    }
  }

  private static void requireWellFormed(String s, String kind) {
    Objects.requireNonNull(s, "value");
    if (!Unicode.isWellFormed(s)) {
      throw new IllegalArgumentException(
          kind + " value contains an unpaired surrogate and cannot be encoded as UTF-8");
    }
  }

  private static void requireDatum(Value v, String what) {
    Objects.requireNonNull(v, what);
    if (!v.isDatum()) {
      throw new IllegalArgumentException(what + " must be a datum, got " + v.kind());
    }
  }

  private static long utcMicros(LocalDateTime value) {
    Instant instant = value.toInstant(ZoneOffset.UTC);
    return toEpochMicros(instant.getEpochSecond(), instant.getNano(), "timestamp");
  }

  private static long toEpochMicros(long seconds, int nanos, String kind) {
    if (nanos % 1000 != 0) {
      throw new IllegalArgumentException(
          kind + " values have microsecond precision; got " + nanos + " nanoseconds of a second");
    }
    try {
      if (seconds < 0 && nanos > 0) {
        // Borrow one second so the intermediate product stays in range down to Long.MIN_VALUE.
        return Math.addExact(
            Math.multiplyExact(seconds + 1, 1_000_000L), nanos / 1000 - 1_000_000L);
      }
      return Math.addExact(Math.multiplyExact(seconds, 1_000_000L), nanos / 1000);
    } catch (ArithmeticException e) {
      throw new IllegalArgumentException(
          kind + " value out of range: more than Long.MAX_VALUE microseconds from 1970", e);
    }
  }
}
