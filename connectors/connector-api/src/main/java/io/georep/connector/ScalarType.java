package io.georep.connector;

import java.util.HashMap;
import java.util.Map;

/**
 * The scalar column types georep interprets, each with its PostgreSQL catalog name and the {@link
 * Value} variant its columns hold.
 */
public enum ScalarType implements ColumnType {
  /** {@code int2} ({@code smallint}); values are {@link Value.Int2}. */
  INT2("int2"),
  /** {@code int4} ({@code integer}); values are {@link Value.Int4}. */
  INT4("int4"),
  /** {@code int8} ({@code bigint}); values are {@link Value.Int8}. */
  INT8("int8"),
  /** {@code numeric}; values are {@link Value.Numeric}. */
  NUMERIC("numeric"),
  /** {@code float4} ({@code real}); values are {@link Value.Float4}. */
  FLOAT4("float4"),
  /** {@code float8} ({@code double precision}); values are {@link Value.Float8}. */
  FLOAT8("float8"),
  /** {@code text}; values are {@link Value.Text}. */
  TEXT("text"),
  /** {@code bool}; values are {@link Value.Bool}. */
  BOOL("bool"),
  /** {@code timestamptz}; values are {@link Value.TimestampTz}. */
  TIMESTAMPTZ("timestamptz"),
  /** {@code timestamp} (without time zone); values are {@link Value.Timestamp}. */
  TIMESTAMP("timestamp"),
  /** {@code date}; values are {@link Value.Date}. */
  DATE("date"),
  /** {@code uuid}; values are {@link Value.Uuid}. */
  UUID("uuid"),
  /** {@code jsonb}; values are {@link Value.Jsonb}. */
  JSONB("jsonb"),
  /** {@code bytea}; values are {@link Value.Bytes}. */
  BYTEA("bytea");

  private static final Map<String, ScalarType> BY_NAME = new HashMap<>();

  static {
    for (ScalarType t : values()) {
      BY_NAME.put(t.typeName, t);
    }
  }

  private final String typeName;

  ScalarType(String typeName) {
    this.typeName = typeName;
  }

  @Override
  public String typeName() {
    return typeName;
  }

  /**
   * Returns the one-dimensional array type of this element type.
   *
   * @return the array type, such as {@code _int4} for {@link #INT4}
   */
  public ArrayType arrayType() {
    return new ArrayType(this);
  }

  /**
   * Tells whether columns of this type can be counters: integer and numeric columns, whose updates
   * may carry a {@link Value.CounterDelta}.
   *
   * @return true for {@link #INT2}, {@link #INT4}, {@link #INT8} and {@link #NUMERIC}
   */
  public boolean isCounterCapable() {
    return this == INT2 || this == INT4 || this == INT8 || this == NUMERIC;
  }

  @Override
  public boolean accepts(Value value) {
    return switch (this) {
      case INT2 -> value instanceof Value.Int2 || value instanceof Value.Null;
      case INT4 -> value instanceof Value.Int4 || value instanceof Value.Null;
      case INT8 -> value instanceof Value.Int8 || value instanceof Value.Null;
      case NUMERIC -> value instanceof Value.Numeric || value instanceof Value.Null;
      case FLOAT4 -> value instanceof Value.Float4 || value instanceof Value.Null;
      case FLOAT8 -> value instanceof Value.Float8 || value instanceof Value.Null;
      case TEXT -> value instanceof Value.Text || value instanceof Value.Null;
      case BOOL -> value instanceof Value.Bool || value instanceof Value.Null;
      case TIMESTAMPTZ -> value instanceof Value.TimestampTz || value instanceof Value.Null;
      case TIMESTAMP -> value instanceof Value.Timestamp || value instanceof Value.Null;
      case DATE -> value instanceof Value.Date || value instanceof Value.Null;
      case UUID -> value instanceof Value.Uuid || value instanceof Value.Null;
      case JSONB -> value instanceof Value.Jsonb || value instanceof Value.Null;
      case BYTEA -> value instanceof Value.Bytes || value instanceof Value.Null;
    };
  }

  /**
   * Returns the scalar type with the given catalog name, or null.
   *
   * @param typeName the name, such as {@code int4}; never null
   * @return the type, or null if no scalar type has that name
   */
  static ScalarType byName(String typeName) {
    return BY_NAME.get(typeName);
  }

  /** Returns the catalog name, such as {@code int4}. */
  @Override
  public String toString() {
    return typeName;
  }
}
