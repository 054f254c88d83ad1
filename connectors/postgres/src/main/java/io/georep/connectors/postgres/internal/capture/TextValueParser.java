package io.georep.connectors.postgres.internal.capture;

import io.georep.connector.ArrayType;
import io.georep.connector.ColumnType;
import io.georep.connector.OpaqueType;
import io.georep.connector.ScalarType;
import io.georep.connector.Value;
import java.io.ByteArrayOutputStream;
import java.math.BigDecimal;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.LocalTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.UUID;

/**
 * Parses PostgreSQL's text output format into {@link Value}s, for the types the change model knows;
 * other types stay text ({@link OpaqueType}).
 *
 * <p>Assumes the session settings the capture's replication connection has: {@code DateStyle = ISO}
 * (PgJDBC requires it), any {@code TimeZone} (offsets are parsed, including second offsets of
 * historical zones), {@code bytea_output} hex or escape, and shortest-exact float output ({@code
 * extra_float_digits ≥ 1}, the default since PostgreSQL 12). Values the model cannot represent
 * (numeric {@code NaN}/{@code ±Infinity}, date/timestamp {@code ±infinity}, multi-dimensional
 * arrays or arrays with other lower bounds) throw {@link UnsupportedValueException}; malformed text
 * throws {@link IllegalArgumentException}. Stateless and thread-safe.
 */
public final class TextValueParser {

  /** A value that is well-formed but that the change model cannot represent. */
  public static final class UnsupportedValueException extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;

    UnsupportedValueException(String message) {
      super(message);
    }
  }

  private TextValueParser() {}

  /**
   * Parses one non-NULL value of a column type.
   *
   * @param type the column's type; never null
   * @param text the server's text output; never null
   * @return the datum
   * @throws UnsupportedValueException if the value cannot be represented
   * @throws IllegalArgumentException if the text is malformed
   */
  public static Value parse(ColumnType type, String text) {
    if (type instanceof ScalarType scalar) {
      return scalar(scalar, text);
    }
    if (type instanceof ArrayType array) {
      return array(array.elementType(), text);
    }
    return new Value.Text(text);
  }

  /**
   * Parses one non-NULL scalar value.
   *
   * @param type the scalar type; never null
   * @param text the text output; never null
   * @return the datum
   */
  public static Value scalar(ScalarType type, String text) {
    return switch (type) {
      case INT2 -> new Value.Int2(Short.parseShort(text));
      case INT4 -> new Value.Int4(Integer.parseInt(text));
      case INT8 -> new Value.Int8(Long.parseLong(text));
      case NUMERIC -> numeric(text);
      case FLOAT4 -> new Value.Float4(Float.parseFloat(floatText(text)));
      case FLOAT8 -> new Value.Float8(Double.parseDouble(floatText(text)));
      case TEXT -> new Value.Text(text);
      case BOOL -> bool(text);
      case TIMESTAMPTZ -> timestampTz(text);
      case TIMESTAMP -> new Value.Timestamp(timestamp(text, "timestamp"));
      case DATE -> new Value.Date(date(text));
      case UUID -> new Value.Uuid(UUID.fromString(requireUuid(text)));
      case JSONB -> new Value.Jsonb(text);
      case BYTEA -> Value.Bytes.of(bytea(text));
    };
  }

  private static Value numeric(String text) {
    if (text.equals("NaN") || text.equals("Infinity") || text.equals("-Infinity")) {
      throw new UnsupportedValueException(
          "numeric value "
              + text
              + " cannot be replicated (georep numerics are finite); replace it, or add a CHECK"
              + " constraint (col <> 'NaN' AND col <> 'Infinity' AND col <> '-Infinity')");
    }
    return new Value.Numeric(new BigDecimal(text));
  }

  private static String floatText(String text) {
    // PostgreSQL writes "Infinity", "-Infinity" and "NaN", which Java parses as they are; reject
    // anything else Java would also accept but PostgreSQL never writes (hex floats, suffixes).
    char last = text.isEmpty() ? ' ' : text.charAt(text.length() - 1);
    if (text.isEmpty() || text.indexOf('x') >= 0 || last == 'd' || last == 'f' || last == 'D') {
      throw new IllegalArgumentException("malformed float text");
    }
    return text;
  }

  private static Value bool(String text) {
    return switch (text) {
      case "t" -> new Value.Bool(true);
      case "f" -> new Value.Bool(false);
      default -> throw new IllegalArgumentException("bool text must be t or f");
    };
  }

  private static String requireUuid(String text) {
    if (text.length() != 36) {
      throw new IllegalArgumentException("uuid text must have 36 characters");
    }
    return text;
  }

  private static Value timestampTz(String text) {
    rejectInfinity(text, "timestamptz");
    boolean bc = text.endsWith(" BC");
    String body = bc ? text.substring(0, text.length() - 3) : text;
    // The offset starts at the last '+' or '-' after the time's first ':'.
    int timeStart = body.indexOf(' ');
    int sign = Math.max(body.lastIndexOf('+'), body.lastIndexOf('-'));
    if (timeStart < 0 || sign < timeStart) {
      throw new IllegalArgumentException("timestamptz text has no offset");
    }
    LocalDateTime local = timestamp(body.substring(0, sign) + (bc ? " BC" : ""), "timestamptz");
    ZoneOffset offset = offset(body.substring(sign));
    return new Value.TimestampTz(local.toInstant(offset));
  }

  private static ZoneOffset offset(String text) {
    int sign = text.charAt(0) == '-' ? -1 : 1;
    String[] parts = text.substring(1).split(":", -1);
    if (parts.length > 3 || parts[0].length() != 2) {
      throw new IllegalArgumentException("malformed time zone offset");
    }
    int hours = Integer.parseInt(parts[0]);
    int minutes = parts.length > 1 ? twoDigits(parts[1]) : 0;
    int seconds = parts.length > 2 ? twoDigits(parts[2]) : 0;
    return ZoneOffset.ofHoursMinutesSeconds(sign * hours, sign * minutes, sign * seconds);
  }

  private static int twoDigits(String s) {
    if (s.length() != 2) {
      throw new IllegalArgumentException("malformed two-digit field");
    }
    return Integer.parseInt(s);
  }

  private static LocalDateTime timestamp(String text, String kind) {
    rejectInfinity(text, kind);
    boolean bc = text.endsWith(" BC");
    String body = bc ? text.substring(0, text.length() - 3) : text;
    int space = body.indexOf(' ');
    if (space < 0) {
      throw new IllegalArgumentException(kind + " text has no time part");
    }
    LocalDate date = date(body.substring(0, space) + (bc ? " BC" : ""));
    String time = body.substring(space + 1);
    if (time.length() < 8 || time.charAt(2) != ':' || time.charAt(5) != ':') {
      throw new IllegalArgumentException("malformed " + kind + " time");
    }
    int hour = twoDigits(time.substring(0, 2));
    int minute = twoDigits(time.substring(3, 5));
    int second = twoDigits(time.substring(6, 8));
    int micros = 0;
    if (time.length() > 8) {
      String fraction = time.substring(9);
      if (time.charAt(8) != '.' || fraction.isEmpty() || fraction.length() > 6) {
        throw new IllegalArgumentException("malformed " + kind + " fraction");
      }
      micros = Integer.parseInt((fraction + "00000").substring(0, 6));
    }
    if (hour == 24 && minute == 0 && second == 0 && micros == 0) {
      return LocalDateTime.of(date, LocalTime.MIDNIGHT).plusDays(1);
    }
    return LocalDateTime.of(date, LocalTime.of(hour, minute, second, micros * 1000));
  }

  private static LocalDate date(String text) {
    rejectInfinity(text, "date");
    boolean bc = text.endsWith(" BC");
    String body = bc ? text.substring(0, text.length() - 3) : text;
    int second = body.lastIndexOf('-');
    int first = body.lastIndexOf('-', second - 1);
    if (first < 4 || second != first + 3 || body.length() != second + 3) {
      throw new IllegalArgumentException("malformed date; the capture needs DateStyle ISO");
    }
    int year = Integer.parseInt(body.substring(0, first));
    if (year < 1) {
      throw new IllegalArgumentException("malformed date year");
    }
    int month = twoDigits(body.substring(first + 1, second));
    int day = twoDigits(body.substring(second + 1));
    // ISO proleptic years: 1 BC is year 0, 2 BC is year -1.
    return LocalDate.of(bc ? 1 - year : year, month, day);
  }

  private static void rejectInfinity(String text, String kind) {
    if (text.equals("infinity") || text.equals("-infinity")) {
      throw new UnsupportedValueException(
          kind
              + " value "
              + text
              + " cannot be replicated (georep "
              + kind
              + " values are finite); replace it with a far date, or add a CHECK constraint"
              + " (isfinite(col))");
    }
  }

  static byte[] bytea(String text) {
    if (text.startsWith("\\x")) {
      return HexFormat.of().parseHex(text, 2, text.length());
    }
    // bytea_output = escape: printable bytes as themselves, \\ for a backslash, \ooo octal.
    ByteArrayOutputStream out = new ByteArrayOutputStream(text.length());
    byte[] utf8 = text.getBytes(java.nio.charset.StandardCharsets.UTF_8);
    for (int i = 0; i < utf8.length; i++) {
      byte b = utf8[i];
      if (b != '\\') {
        out.write(b);
      } else if (i + 1 < utf8.length && utf8[i + 1] == '\\') {
        out.write('\\');
        i++;
      } else if (i + 3 < utf8.length) {
        out.write(
            Integer.parseInt(
                new String(utf8, i + 1, 3, java.nio.charset.StandardCharsets.US_ASCII), 8));
        i += 3;
      } else {
        throw new IllegalArgumentException("malformed bytea escape text");
      }
    }
    return out.toByteArray();
  }

  private static Value array(ScalarType element, String text) {
    if (text.isEmpty() || text.charAt(0) != '{') {
      throw new UnsupportedValueException(
          "array value with an explicit lower bound (such as [0:1]={...}) cannot be replicated as"
              + " "
              + element.arrayType()
              + "; only one-dimensional arrays starting at index 1 are supported");
    }
    if (text.length() < 2 || text.charAt(text.length() - 1) != '}') {
      throw new IllegalArgumentException("malformed array text");
    }
    List<Value> elements = new ArrayList<>();
    int i = 1;
    int end = text.length() - 1;
    if (i == end) {
      return new Value.Array(element, elements);
    }
    StringBuilder item = new StringBuilder();
    while (true) {
      if (i >= end) {
        throw new IllegalArgumentException("malformed array text: missing element");
      }
      char c = text.charAt(i);
      if (c == '{') {
        throw new UnsupportedValueException(
            "multi-dimensional array value cannot be replicated as "
                + element.arrayType()
                + "; only one-dimensional arrays are supported");
      }
      item.setLength(0);
      boolean quoted = c == '"';
      if (quoted) {
        i++;
        while (true) {
          if (i >= end) {
            throw new IllegalArgumentException("malformed array text: unterminated quote");
          }
          char q = text.charAt(i);
          if (q == '\\') {
            if (i + 1 >= end) {
              throw new IllegalArgumentException("malformed array text: dangling escape");
            }
            item.append(text.charAt(i + 1));
            i += 2;
          } else if (q == '"') {
            i++;
            break;
          } else {
            item.append(q);
            i++;
          }
        }
        elements.add(scalar(element, item.toString()));
      } else {
        while (i < end && text.charAt(i) != ',') {
          char u = text.charAt(i);
          if (u == '"' || u == '\\' || u == '{' || u == '}') {
            throw new IllegalArgumentException("malformed array text: stray " + u);
          }
          item.append(u);
          i++;
        }
        String raw = item.toString();
        elements.add(raw.equals("NULL") ? Value.NULL : scalar(element, raw));
      }
      if (i == end) {
        return new Value.Array(element, elements);
      }
      if (text.charAt(i) != ',') {
        throw new IllegalArgumentException("malformed array text: expected ','");
      }
      i++;
    }
  }
}
