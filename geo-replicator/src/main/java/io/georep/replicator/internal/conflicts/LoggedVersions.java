package io.georep.replicator.internal.conflicts;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.georep.connector.ArrayType;
import io.georep.connector.ColumnType;
import io.georep.connector.RowChange;
import io.georep.connector.ScalarType;
import io.georep.connector.TableSchema;
import io.georep.connector.Value;
import io.georep.connector.spi.Connector;
import io.georep.resolver.spi.Version;
import io.georep.vectorclock.Dot;
import io.georep.vectorclock.HybridTimestamp;
import io.georep.vectorclock.ReplicaId;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Rebuilds a {@link Version} from the JSON the conflict log keeps ({@code dot}, {@code origin},
 * {@code seq}, {@code hlc}, {@code kind}, {@code values}), the values typed by the table's current
 * schema and parsed by the connector, so that the what-if replay hands resolvers what they saw.
 */
final class LoggedVersions {
  private static final ObjectMapper JSON =
      new ObjectMapper().enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS);

  private LoggedVersions() {}

  /**
   * Parses a logged version.
   *
   * @param json the version's JSON
   * @param table the table's schema now
   * @param connector the database's connector, which parses values
   * @return the version
   * @throws IllegalArgumentException if the JSON is not a logged version, or a value's column is no
   *     longer in the table or does not parse as its type now
   */
  static Version parse(String json, TableSchema table, Connector connector) {
    JsonNode v;
    try {
      v = JSON.readTree(json);
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException("not JSON: " + e.getOriginalMessage(), e);
    }
    ReplicaId origin = ReplicaId.of(v.path("origin").asText());
    Dot dot = new Dot(origin, v.path("seq").asLong());
    HybridTimestamp ts =
        new HybridTimestamp(
            v.path("hlc").path("wall").asLong(), v.path("hlc").path("logical").asInt(), origin);
    RowChange.Kind kind = RowChange.Kind.valueOf(v.path("kind").asText().toUpperCase(Locale.ROOT));
    Map<String, Value> values = new LinkedHashMap<>();
    for (Map.Entry<String, JsonNode> f : v.path("values").properties()) {
      int i = table.indexOf(f.getKey());
      if (i < 0) {
        throw new IllegalArgumentException(
            "column '" + f.getKey() + "' is no longer in " + table.id());
      }
      values.put(f.getKey(), value(table.column(i).type(), f.getValue(), connector));
    }
    return new Version(dot, ts, kind, values);
  }

  private static Value value(ColumnType type, JsonNode node, Connector connector) {
    if (node.isNull()) {
      return Value.NULL;
    }
    if (node.isObject() && !(type == ScalarType.JSONB)) {
      if (node.has("unchanged")) {
        return Value.UNCHANGED;
      }
      if (node.has("delta")) {
        return new Value.CounterDelta(node.get("delta").decimalValue());
      }
      if (node.has("added") && type instanceof ArrayType a) {
        return new Value.SetDelta(
            elements(a.elementType(), node.get("added"), connector),
            elements(a.elementType(), node.get("removed"), connector));
      }
    }
    if (type instanceof ArrayType a) {
      if (!node.isArray()) {
        throw new IllegalArgumentException("an array column holds " + node);
      }
      return new Value.Array(a.elementType(), elements(a.elementType(), node, connector));
    }
    if (type instanceof ScalarType s) {
      return scalar(s, node, connector);
    }
    return new Value.Text(node.isTextual() ? node.asText() : node.toString());
  }

  private static List<Value> elements(ScalarType type, JsonNode array, Connector connector) {
    List<Value> out = new ArrayList<>();
    if (array != null) {
      for (JsonNode e : array) {
        out.add(e.isNull() ? Value.NULL : scalar(type, e, connector));
      }
    }
    return out;
  }

  private static Value scalar(ScalarType type, JsonNode node, Connector connector) {
    String text;
    if (type == ScalarType.JSONB) {
      text = node.toString();
    } else if (node.isNumber()) {
      text =
          node.isIntegralNumber()
              ? node.bigIntegerValue().toString()
              : node.decimalValue().toPlainString();
    } else {
      text = node.asText();
    }
    return connector.loggedValue(type, text);
  }
}
