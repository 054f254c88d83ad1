package io.georep.connectors.postgres;

import io.georep.connector.ColumnSchema;
import io.georep.connector.RowChange;
import io.georep.connector.RowKey;
import io.georep.connector.ScalarType;
import io.georep.connector.SourceTransaction;
import io.georep.connector.TableId;
import io.georep.connector.TableSchema;
import io.georep.connector.Value;
import io.georep.publication.Publication;
import io.georep.resolver.ResolverRegistry;
import io.georep.testkit.EmbeddedRegionDatabase;
import io.georep.vectorclock.HybridTimestamp;
import io.georep.vectorclock.ReplicaId;
import io.georep.vectorclock.VersionVector;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Helpers of the apply integration tests: schemas, transactions built with the change model. */
final class ApplyFixture {
  static final ReplicaId US = ReplicaId.of("us-east");
  static final ReplicaId SA = ReplicaId.of("sa-east");

  private ApplyFixture() {}

  /** A table {@code (id int4 key, columns…)}; columns given as name/type pairs. */
  static TableSchema table(String name, Object... columns) {
    List<ColumnSchema> list = new ArrayList<>();
    list.add(ColumnSchema.key("id", ScalarType.INT4, 1));
    for (int i = 0; i < columns.length; i += 2) {
      list.add(ColumnSchema.of((String) columns[i], (ScalarType) columns[i + 1], true));
    }
    return TableSchema.of(TableId.of("public", name), list);
  }

  static PostgresSinkConfig config(
      EmbeddedRegionDatabase database, ReplicaId region, Publication publication) {
    return PostgresSinkConfig.of(
        database.jdbcUrl(), "postgres", "", region, List.of(publication), ResolverRegistry.load());
  }

  static RowKey key(int id) {
    return RowKey.of(new Value.Int4(id));
  }

  static Map<String, Value> values(Object... pairs) {
    Map<String, Value> map = new LinkedHashMap<>();
    for (int i = 0; i < pairs.length; i += 2) {
      Object v = pairs[i + 1];
      Value value =
          v instanceof Value x
              ? x
              : v instanceof Integer n
                  ? new Value.Int4(n)
                  : v instanceof Long l ? new Value.Int8(l) : new Value.Text((String) v);
      map.put((String) pairs[i], value);
    }
    return map;
  }

  static RowChange insert(TableSchema t, int id, Object... pairs) {
    Map<String, Value> v = values(pairs);
    v.put("id", new Value.Int4(id));
    return new RowChange.Insert(t, v);
  }

  static RowChange update(TableSchema t, int id, Object... pairs) {
    return new RowChange.Update(t, key(id), values(pairs));
  }

  static RowChange delete(TableSchema t, int id) {
    return new RowChange.Delete(t, key(id));
  }

  static VersionVector context(Object... originSeq) {
    VersionVector v = VersionVector.empty();
    for (int i = 0; i < originSeq.length; i += 2) {
      v = v.advance((ReplicaId) originSeq[i], ((Number) originSeq[i + 1]).longValue());
    }
    return v;
  }

  static SourceTransaction tx(
      ReplicaId origin, long seq, long wall, VersionVector context, RowChange... changes) {
    return new SourceTransaction(
        origin, seq, new HybridTimestamp(wall, 0, origin), context, Arrays.asList(changes));
  }

  static void execute(Connection c, String... statements) throws SQLException {
    try (Statement s = c.createStatement()) {
      for (String sql : statements) {
        s.execute(sql);
      }
    }
  }

  /** Every row of a query, each as "col=value,…" text. */
  static List<String> rows(Connection c, String sql) throws SQLException {
    return EmbeddedRegionDatabase.rows(c, sql);
  }
}
