package io.georep.resolver.internal;

import io.georep.connector.ScalarType;
import io.georep.connector.Value;
import java.nio.ByteBuffer;
import java.util.Comparator;
import java.util.List;

/**
 * A total order on datums, consistent with {@code equals}: the order of {@code max}/{@code min}
 * columns and of the elements of set columns as shown.
 *
 * <p>NULL sorts first, then values by kind, then by value: numbers numerically ({@code numeric}
 * ties broken by scale, so {@code 1.0 < 1.00}), floats as {@link Double#compare} (NaN last), text
 * and JSON by Unicode code point (PostgreSQL's {@code COLLATE "C"}, independent of any database
 * collation), uuids and byte strings as unsigned bytes (as PostgreSQL does), timestamps and dates
 * chronologically, arrays element by element. Stateless and thread-safe.
 */
public final class ValueOrder implements Comparator<Value> {
  /** The order. */
  public static final ValueOrder INSTANCE = new ValueOrder();

  private ValueOrder() {}

  @Override
  public int compare(Value a, Value b) {
    int c = Integer.compare(rank(a), rank(b));
    if (c != 0) {
      return c;
    }
    if (a instanceof Value.Null) {
      return 0;
    } else if (a instanceof Value.Bool x) {
      return Boolean.compare(x.value(), ((Value.Bool) b).value());
    } else if (a instanceof Value.Int2 x) {
      return Short.compare(x.value(), ((Value.Int2) b).value());
    } else if (a instanceof Value.Int4 x) {
      return Integer.compare(x.value(), ((Value.Int4) b).value());
    } else if (a instanceof Value.Int8 x) {
      return Long.compare(x.value(), ((Value.Int8) b).value());
    } else if (a instanceof Value.Numeric x) {
      Value.Numeric y = (Value.Numeric) b;
      int byValue = x.value().compareTo(y.value());
      return byValue != 0 ? byValue : Integer.compare(x.value().scale(), y.value().scale());
    } else if (a instanceof Value.Float4 x) {
      return Float.compare(x.value(), ((Value.Float4) b).value());
    } else if (a instanceof Value.Float8 x) {
      return Double.compare(x.value(), ((Value.Float8) b).value());
    } else if (a instanceof Value.Text x) {
      return compareCodePoints(x.value(), ((Value.Text) b).value());
    } else if (a instanceof Value.TimestampTz x) {
      return Long.compare(x.epochMicros(), ((Value.TimestampTz) b).epochMicros());
    } else if (a instanceof Value.Timestamp x) {
      return Long.compare(x.epochMicros(), ((Value.Timestamp) b).epochMicros());
    } else if (a instanceof Value.Date x) {
      return x.value().compareTo(((Value.Date) b).value());
    } else if (a instanceof Value.Uuid x) {
      Value.Uuid y = (Value.Uuid) b;
      int byHigh =
          Long.compareUnsigned(
              x.value().getMostSignificantBits(), y.value().getMostSignificantBits());
      return byHigh != 0
          ? byHigh
          : Long.compareUnsigned(
              x.value().getLeastSignificantBits(), y.value().getLeastSignificantBits());
    } else if (a instanceof Value.Jsonb x) {
      return compareCodePoints(x.json(), ((Value.Jsonb) b).json());
    } else if (a instanceof Value.Bytes x) {
      ByteBuffer p = x.asReadOnlyBuffer();
      ByteBuffer q = ((Value.Bytes) b).asReadOnlyBuffer();
      int n = Math.min(p.remaining(), q.remaining());
      for (int i = 0; i < n; i++) {
        int byByte = Integer.compare(p.get(i) & 0xFF, q.get(i) & 0xFF);
        if (byByte != 0) {
          return byByte;
        }
      }
      return Integer.compare(p.remaining(), q.remaining());
    } else if (a instanceof Value.Array x) {
      Value.Array y = (Value.Array) b;
      int byType = x.elementType().typeName().compareTo(y.elementType().typeName());
      return byType != 0 ? byType : compareLists(x.elements(), y.elements());
    }
    throw new IllegalArgumentException(
        "only datums are ordered, not a " + a.kind() + " or a " + b.kind());
  }

  /**
   * Tells whether values of a type are ordered meaningfully for {@code max} and {@code min}:
   * numbers, text and date/time types.
   *
   * @param type the type; never null
   * @return true if {@code max}/{@code min} may use it
   */
  public static boolean isOrderedForExtrema(ScalarType type) {
    return switch (type) {
      case INT2, INT4, INT8, NUMERIC, FLOAT4, FLOAT8, TEXT, TIMESTAMPTZ, TIMESTAMP, DATE -> true;
      case BOOL, UUID, JSONB, BYTEA -> false;
    };
  }

  private int compareLists(List<Value> a, List<Value> b) {
    int n = Math.min(a.size(), b.size());
    for (int i = 0; i < n; i++) {
      int c = compare(a.get(i), b.get(i));
      if (c != 0) {
        return c;
      }
    }
    return Integer.compare(a.size(), b.size());
  }

  private static int compareCodePoints(String a, String b) {
    int i = 0;
    int j = 0;
    while (i < a.length() && j < b.length()) {
      int x = a.codePointAt(i);
      int y = b.codePointAt(j);
      if (x != y) {
        return Integer.compare(x, y);
      }
      i += Character.charCount(x);
      j += Character.charCount(y);
    }
    return Integer.compare(a.length() - i, b.length() - j);
  }

  private static int rank(Value v) {
    if (v instanceof Value.Null) {
      return 0;
    } else if (v instanceof Value.Bool) {
      return 1;
    } else if (v instanceof Value.Int2) {
      return 2;
    } else if (v instanceof Value.Int4) {
      return 3;
    } else if (v instanceof Value.Int8) {
      return 4;
    } else if (v instanceof Value.Numeric) {
      return 5;
    } else if (v instanceof Value.Float4) {
      return 6;
    } else if (v instanceof Value.Float8) {
      return 7;
    } else if (v instanceof Value.Text) {
      return 8;
    } else if (v instanceof Value.TimestampTz) {
      return 9;
    } else if (v instanceof Value.Timestamp) {
      return 10;
    } else if (v instanceof Value.Date) {
      return 11;
    } else if (v instanceof Value.Uuid) {
      return 12;
    } else if (v instanceof Value.Jsonb) {
      return 13;
    } else if (v instanceof Value.Bytes) {
      return 14;
    } else if (v instanceof Value.Array) {
      return 15;
    }
    throw new IllegalArgumentException("only datums are ordered, not a " + v.kind());
  }
}
