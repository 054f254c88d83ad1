package io.georep.connectors.postgres.internal.apply;

import io.georep.connector.ColumnType;
import io.georep.connector.RowKey;
import io.georep.connector.ScalarType;
import io.georep.connector.Value;
import io.georep.connectors.postgres.internal.capture.TextValueParser;
import io.georep.vectorclock.encoding.CompactWriter;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;

/**
 * Values to and from PostgreSQL's text form, deterministic row-key bytes and JSON renderings for
 * the conflict log.
 *
 * <p>The applier binds every value as text with an explicit cast ({@code ?::type}), so one code
 * path serves every type, including {@link io.georep.connector.OpaqueType}s the model does not
 * interpret; it reads rows back as {@code column::text} and parses them with the capture's {@link
 * TextValueParser}, so both sides of a comparison have the same representation. Stateless.
 */
public final class SqlValues {
  private static final HexFormat HEX = HexFormat.of();

  private SqlValues() {}

  /**
   * Returns the text form PostgreSQL parses back into the value, or null for NULL.
   *
   * @param value a datum; never null
   * @return the text, or null
   */
  public static String text(Value value) {
    if (value instanceof Value.Null) {
      return null;
    } else if (value instanceof Value.Int2 v) {
      return Short.toString(v.value());
    } else if (value instanceof Value.Int4 v) {
      return Integer.toString(v.value());
    } else if (value instanceof Value.Int8 v) {
      return Long.toString(v.value());
    } else if (value instanceof Value.Numeric v) {
      return v.value().toPlainString();
    } else if (value instanceof Value.Float4 v) {
      return Float.toString(v.value());
    } else if (value instanceof Value.Float8 v) {
      return Double.toString(v.value());
    } else if (value instanceof Value.Text v) {
      return v.value();
    } else if (value instanceof Value.Bool v) {
      return v.value() ? "true" : "false";
    } else if (value instanceof Value.TimestampTz v) {
      return v.value().toString();
    } else if (value instanceof Value.Timestamp v) {
      return v.value().toString();
    } else if (value instanceof Value.Date v) {
      return v.value().toString();
    } else if (value instanceof Value.Uuid v) {
      return v.value().toString();
    } else if (value instanceof Value.Jsonb v) {
      return v.json();
    } else if (value instanceof Value.Bytes v) {
      return "\\x" + HEX.formatHex(v.toByteArray());
    } else if (value instanceof Value.Array a) {
      StringBuilder sb = new StringBuilder("{");
      for (int i = 0; i < a.elements().size(); i++) {
        if (i > 0) {
          sb.append(',');
        }
        String element = text(a.elements().get(i));
        if (element == null) {
          sb.append("NULL");
        } else {
          sb.append('"');
          for (int j = 0; j < element.length(); j++) {
            char c = element.charAt(j);
            if (c == '"' || c == '\\') {
              sb.append('\\');
            }
            sb.append(c);
          }
          sb.append('"');
        }
      }
      return sb.append('}').toString();
    }
    throw new IllegalArgumentException("not a datum: " + value.kind());
  }

  /**
   * Parses a column's text as the applier reads it ({@code column::text}).
   *
   * <p>The cast to text is the type's output function for every type but {@code boolean}, whose
   * cast writes {@code true}/{@code false} where the output function (and so pgoutput) writes
   * {@code t}/{@code f}; both are accepted here.
   *
   * @param type the column type
   * @param text the text, or null for NULL
   * @return the value
   */
  public static Value parse(ColumnType type, String text) {
    if (text == null) {
      return Value.NULL;
    }
    if (type == ScalarType.BOOL) {
      if (text.equals("true")) {
        return new Value.Bool(true);
      }
      if (text.equals("false")) {
        return new Value.Bool(false);
      }
    }
    return TextValueParser.parse(type, text);
  }

  /**
   * Returns the deterministic encoding of a row key: the value count, then per value its kind and
   * text form (a presence byte first, for NULL). Equal keys give equal bytes.
   *
   * @param key the key
   * @return the bytes
   */
  public static byte[] keyBytes(RowKey key) {
    CompactWriter out = new CompactWriter(32);
    out.writeUnsigned(key.size());
    for (Value v : key.values()) {
      String t = text(v);
      out.writeString(v.kind().toString());
      out.writeByte(t == null ? 0 : 1);
      if (t != null) {
        out.writeString(t);
      }
    }
    return out.toByteArray();
  }

  /**
   * Renders values as a JSON object, datums as JSON numbers, booleans or strings, column operations
   * as objects ({@code {"delta": …}}, {@code {"added": […], "removed": […]}}).
   *
   * @param values the values by column name
   * @return the JSON text
   */
  public static String json(Map<String, Value> values) {
    StringBuilder sb = new StringBuilder("{");
    boolean first = true;
    for (Map.Entry<String, Value> e : values.entrySet()) {
      if (!first) {
        sb.append(',');
      }
      first = false;
      string(sb, e.getKey());
      sb.append(':');
      json(sb, e.getValue());
    }
    return sb.append('}').toString();
  }

  static void json(StringBuilder sb, Value v) {
    if (v instanceof Value.Null) {
      sb.append("null");
    } else if (v instanceof Value.Int2
        || v instanceof Value.Int4
        || v instanceof Value.Int8
        || v instanceof Value.Numeric) {
      sb.append(text(v));
    } else if (v instanceof Value.Bool b) {
      sb.append(b.value());
    } else if (v instanceof Value.Jsonb j) {
      sb.append(j.json());
    } else if (v instanceof Value.Array a) {
      array(sb, a.elements());
    } else if (v instanceof Value.Unchanged) {
      sb.append("{\"unchanged\":true}");
    } else if (v instanceof Value.CounterDelta d) {
      sb.append("{\"delta\":").append(d.delta().toPlainString()).append('}');
    } else if (v instanceof Value.SetDelta d) {
      sb.append("{\"added\":");
      array(sb, d.added());
      sb.append(",\"removed\":");
      array(sb, d.removed());
      sb.append('}');
    } else {
      string(sb, text(v));
    }
  }

  private static void array(StringBuilder sb, List<Value> elements) {
    sb.append('[');
    for (int i = 0; i < elements.size(); i++) {
      if (i > 0) {
        sb.append(',');
      }
      json(sb, elements.get(i));
    }
    sb.append(']');
  }

  static void string(StringBuilder sb, String s) {
    sb.append('"');
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '"' -> sb.append("\\\"");
        case '\\' -> sb.append("\\\\");
        case '\n' -> sb.append("\\n");
        case '\r' -> sb.append("\\r");
        case '\t' -> sb.append("\\t");
        default -> {
          if (c < 0x20) {
            sb.append(String.format(java.util.Locale.ROOT, "\\u%04x", (int) c));
          } else {
            sb.append(c);
          }
        }
      }
    }
    sb.append('"');
  }
}
