package io.georep.resolver;

import io.georep.connector.ColumnSchema;
import io.georep.connector.RowChange;
import io.georep.connector.RowKey;
import io.georep.connector.ScalarType;
import io.georep.connector.TableId;
import io.georep.connector.TableSchema;
import io.georep.connector.Value;
import io.georep.vectorclock.Dot;
import io.georep.vectorclock.HybridTimestamp;
import io.georep.vectorclock.ReplicaId;
import io.georep.vectorclock.VersionVector;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** A test table and helpers to build writes against it. */
final class TestRows {
  static final ReplicaId EU = ReplicaId.of("eu-west");
  static final ReplicaId US = ReplicaId.of("us-east");
  static final ReplicaId AP = ReplicaId.of("ap-south");

  /**
   * {@code public.items(id int4 key, v text, w text, hits int8, tags _text, best int4, ..., grows
   * int8, once _text)}.
   */
  static final TableSchema ITEMS =
      TableSchema.of(
          TableId.of("public", "items"),
          List.of(
              ColumnSchema.key("id", ScalarType.INT4, 1),
              ColumnSchema.of("v", ScalarType.TEXT, true),
              ColumnSchema.of("w", ScalarType.TEXT, true),
              ColumnSchema.of("hits", ScalarType.INT8, true),
              ColumnSchema.of("tags", ScalarType.TEXT.arrayType(), true),
              ColumnSchema.of("best", ScalarType.INT4, true),
              ColumnSchema.of("low", ScalarType.INT4, true),
              ColumnSchema.of("labels", ScalarType.TEXT.arrayType(), true),
              ColumnSchema.of("note", ScalarType.TEXT, true),
              ColumnSchema.of("grows", ScalarType.INT8, true),
              ColumnSchema.of("once", ScalarType.TEXT.arrayType(), true)));

  static final RowKey KEY = RowKey.of(new Value.Int4(1));

  private TestRows() {}

  static Map<String, ColumnPolicy> crdtColumns() {
    Map<String, ColumnPolicy> m = new LinkedHashMap<>();
    m.put("hits", new ColumnPolicy.Counter());
    m.put("tags", new ColumnPolicy.OrSet());
    m.put("best", new ColumnPolicy.Max());
    m.put("low", new ColumnPolicy.Min());
    m.put("labels", new ColumnPolicy.GSet());
    m.put("grows", new ColumnPolicy.GCounter());
    m.put("once", new ColumnPolicy.TwoPhaseSet());
    return m;
  }

  static TablePolicy policy(io.georep.resolver.spi.ConflictResolver row) {
    return TablePolicy.of(ITEMS, row, crdtColumns());
  }

  static HybridTimestamp ts(long wall, int logical, ReplicaId origin) {
    return new HybridTimestamp(wall, logical, origin);
  }

  static VersionVector vv(Dot... dots) {
    VersionVector v = VersionVector.empty();
    for (Dot d : dots) {
      v = v.add(d);
    }
    return v;
  }

  static Value text(String s) {
    return new Value.Text(s);
  }

  static Value.Array texts(String... s) {
    List<Value> elements = Arrays.stream(s).map(TestRows::text).toList();
    return new Value.Array(ScalarType.TEXT, elements);
  }

  static Write write(
      RowChange.Kind kind,
      Dot dot,
      HybridTimestamp ts,
      VersionVector context,
      Map<String, Value> columns) {
    return new Write(ITEMS, KEY, kind, columns, dot, ts, context);
  }

  static Write insert(Dot dot, long wall, VersionVector context, Map<String, Value> columns) {
    return write(RowChange.Kind.INSERT, dot, ts(wall, 0, dot.origin()), context, columns);
  }

  static Write update(Dot dot, long wall, VersionVector context, Map<String, Value> columns) {
    return write(RowChange.Kind.UPDATE, dot, ts(wall, 0, dot.origin()), context, columns);
  }

  static Write delete(Dot dot, long wall, VersionVector context) {
    return write(RowChange.Kind.DELETE, dot, ts(wall, 0, dot.origin()), context, Map.of());
  }
}
