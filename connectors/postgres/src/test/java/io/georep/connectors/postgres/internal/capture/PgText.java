package io.georep.connectors.postgres.internal.capture;

import io.georep.connector.ArrayType;
import io.georep.connector.ColumnType;
import io.georep.connector.ScalarType;
import io.georep.connector.Value;
import java.math.BigDecimal;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.SplittableRandom;
import java.util.UUID;

/**
 * Test helpers: seeded generators of values of every type the change model knows, and a formatter
 * that writes them as PostgreSQL's text format (input and, for these values, output).
 */
public final class PgText {

  /** The scalar types with a generator. */
  public static final List<ScalarType> SCALARS = List.of(ScalarType.values());

  private PgText() {}

  /** Returns a random non-NULL datum of the type. */
  public static Value random(ColumnType type, SplittableRandom random) {
    if (type instanceof ArrayType array) {
      int n = random.nextInt(5);
      List<Value> elements = new ArrayList<>();
      for (int i = 0; i < n; i++) {
        elements.add(random.nextInt(6) == 0 ? Value.NULL : random(array.elementType(), random));
      }
      return new Value.Array(array.elementType(), elements);
    }
    ScalarType scalar = (ScalarType) type;
    return switch (scalar) {
      case INT2 -> new Value.Int2((short) random.nextInt(Short.MIN_VALUE, Short.MAX_VALUE + 1));
      case INT4 -> new Value.Int4(random.nextInt());
      case INT8 -> new Value.Int8(random.nextLong());
      case NUMERIC ->
          new Value.Numeric(
              BigDecimal.valueOf(random.nextLong(-1_000_000_000_000L, 1_000_000_000_000L))
                  .scaleByPowerOfTen(-random.nextInt(0, 12)));
      case FLOAT4 ->
          new Value.Float4(special(random) ? Float.NaN : (float) random.nextGaussian() * 1e6f);
      case FLOAT8 ->
          new Value.Float8(
              switch (random.nextInt(8)) {
                case 0 -> Double.POSITIVE_INFINITY;
                case 1 -> Double.NEGATIVE_INFINITY;
                case 2 -> Double.MIN_VALUE;
                default -> random.nextGaussian() * Math.pow(10, random.nextInt(-30, 30));
              });
      case TEXT -> new Value.Text(text(random));
      case BOOL -> new Value.Bool(random.nextBoolean());
      case TIMESTAMPTZ ->
          Value.TimestampTz.ofEpochMicros(
              random.nextLong(-60_000_000_000_000_000L, 250_000_000_000_000_000L));
      case TIMESTAMP ->
          Value.Timestamp.ofEpochMicros(
              random.nextLong(-60_000_000_000_000_000L, 250_000_000_000_000_000L));
      case DATE -> new Value.Date(LocalDate.ofEpochDay(random.nextLong(-700_000L, 2_900_000L)));
      case UUID -> new Value.Uuid(new UUID(random.nextLong(), random.nextLong()));
      case JSONB -> new Value.Jsonb("{\"k\": " + random.nextInt(1000) + "}");
      case BYTEA -> {
        byte[] bytes = new byte[random.nextInt(20)];
        random.nextBytes(bytes);
        yield Value.Bytes.of(bytes);
      }
    };
  }

  private static boolean special(SplittableRandom random) {
    return random.nextInt(10) == 0;
  }

  private static String text(SplittableRandom random) {
    StringBuilder sb = new StringBuilder();
    int n = random.nextInt(12);
    String specials = "\"\\{},' NUL";
    for (int i = 0; i < n; i++) {
      switch (random.nextInt(4)) {
        case 0 -> sb.append(specials.charAt(random.nextInt(specials.length())));
        case 1 -> sb.appendCodePoint(random.nextInt(0x80, 0x2FFF));
        case 2 -> sb.appendCodePoint(0x1F600 + random.nextInt(50));
        default -> sb.append((char) random.nextInt('a', 'z' + 1));
      }
    }
    return sb.toString();
  }

  /** Formats a datum as PostgreSQL text (DateStyle ISO, times in UTC, bytea hex). */
  public static String format(Value value) {
    if (value instanceof Value.Array a) {
      StringBuilder sb = new StringBuilder("{");
      for (int i = 0; i < a.elements().size(); i++) {
        if (i > 0) {
          sb.append(',');
        }
        Value e = a.elements().get(i);
        if (e instanceof Value.Null) {
          sb.append("NULL");
        } else {
          sb.append('"').append(format(e).replace("\\", "\\\\").replace("\"", "\\\"")).append('"');
        }
      }
      return sb.append('}').toString();
    }
    if (value instanceof Value.Int2 v) {
      return Short.toString(v.value());
    } else if (value instanceof Value.Int4 v) {
      return Integer.toString(v.value());
    } else if (value instanceof Value.Int8 v) {
      return Long.toString(v.value());
    } else if (value instanceof Value.Numeric v) {
      return v.value().toPlainString();
    } else if (value instanceof Value.Float4 v) {
      return floatText(Float.toString(v.value()));
    } else if (value instanceof Value.Float8 v) {
      return floatText(Double.toString(v.value()));
    } else if (value instanceof Value.Text v) {
      return v.value();
    } else if (value instanceof Value.Bool v) {
      return v.value() ? "t" : "f";
    } else if (value instanceof Value.TimestampTz v) {
      return dateTime(LocalDateTime.ofInstant(v.value(), ZoneOffset.UTC)) + "+00";
    } else if (value instanceof Value.Timestamp v) {
      return dateTime(v.value());
    } else if (value instanceof Value.Date v) {
      return date(v.value());
    } else if (value instanceof Value.Uuid v) {
      return v.value().toString();
    } else if (value instanceof Value.Jsonb v) {
      return v.json();
    } else if (value instanceof Value.Bytes v) {
      return "\\x" + HexFormat.of().formatHex(v.toByteArray());
    }
    throw new IllegalArgumentException("cannot format " + value.kind());
  }

  private static String floatText(String java) {
    return java.equals("NaN") || java.contains("Infinity") ? java : java.replace("E", "e");
  }

  private static String dateTime(LocalDateTime t) {
    String time =
        String.format(
            java.util.Locale.ROOT, "%02d:%02d:%02d", t.getHour(), t.getMinute(), t.getSecond());
    int micros = t.getNano() / 1000;
    if (micros != 0) {
      String fraction = String.format(java.util.Locale.ROOT, "%06d", micros);
      time += "." + fraction.replaceAll("0+$", "");
    }
    String d = date(t.toLocalDate());
    boolean bc = d.endsWith(" BC");
    return (bc ? d.substring(0, d.length() - 3) : d) + " " + time + (bc ? " BC" : "");
  }

  private static String date(LocalDate d) {
    int year = d.getYear();
    boolean bc = year <= 0;
    int shown = bc ? 1 - year : year;
    return String.format(
            java.util.Locale.ROOT, "%04d-%02d-%02d", shown, d.getMonthValue(), d.getDayOfMonth())
        + (bc ? " BC" : "");
  }

  /** Returns an instant for tests. */
  static Instant epoch() {
    return Instant.EPOCH;
  }
}
