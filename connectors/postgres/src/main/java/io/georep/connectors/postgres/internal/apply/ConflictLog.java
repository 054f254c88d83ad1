package io.georep.connectors.postgres.internal.apply;

import io.georep.connector.Value;
import io.georep.resolver.Conflict;
import io.georep.resolver.spi.Version;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.List;
import java.util.Locale;

/**
 * Writes conflicts to {@code georep.conflict_log}, in the apply transaction that detected them.
 * Versions are JSON objects: {@code {"dot": "us-east:42", "origin": "us-east", "seq": 42, "hlc":
 * {"wall": …, "logical": …}, "kind": "update", "tombstone": false, "values": {…}}}.
 */
final class ConflictLog {
  private ConflictLog() {}

  static void insert(Connection connection, List<Conflict> conflicts) throws SQLException {
    if (conflicts.isEmpty()) {
      return;
    }
    try (PreparedStatement insert =
        connection.prepareStatement(
            "INSERT INTO georep.conflict_log (conflict_id, type, table_schema, table_name,"
                + " row_key, resolver, winner, columns, local, remote, kept_loser)"
                + " VALUES (?, ?, ?, ?, ?::jsonb, ?, ?, ?, ?::jsonb, ?::jsonb, ?::jsonb)")) {
      for (Conflict c : conflicts) {
        insert.setString(1, c.id());
        insert.setString(2, c.type().tag());
        insert.setString(3, c.table().schema());
        insert.setString(4, c.table().name());
        StringBuilder key = new StringBuilder("[");
        for (int i = 0; i < c.key().size(); i++) {
          if (i > 0) {
            key.append(',');
          }
          SqlValues.json(key, c.key().get(i));
        }
        insert.setString(5, key.append(']').toString());
        insert.setString(6, c.resolver());
        insert.setString(7, c.winner().name().toLowerCase(Locale.ROOT));
        insert.setArray(8, connection.createArrayOf("text", c.columns().toArray()));
        insert.setString(9, json(c.local()));
        insert.setString(10, json(c.remote()));
        insert.setString(11, c.keptLoser().map(ConflictLog::json).orElse(null));
        insert.addBatch();
      }
      insert.executeBatch();
    }
  }

  /**
   * Renders a version as JSON.
   *
   * @param v the version
   * @return the JSON text
   */
  static String json(Version v) {
    StringBuilder sb = new StringBuilder("{\"dot\":");
    SqlValues.string(sb, v.dot().toString());
    sb.append(",\"origin\":");
    SqlValues.string(sb, v.origin().name());
    sb.append(",\"seq\":").append(v.dot().seq());
    sb.append(",\"hlc\":{\"wall\":")
        .append(v.timestamp().wallTimeMillis())
        .append(",\"logical\":")
        .append(v.timestamp().logical())
        .append('}');
    sb.append(",\"kind\":");
    SqlValues.string(sb, v.kind().name().toLowerCase(Locale.ROOT));
    sb.append(",\"tombstone\":").append(v.isTombstone());
    sb.append(",\"values\":");
    sb.append(SqlValues.json(v.values()));
    return sb.append('}').toString();
  }

  static String json(Value v) {
    StringBuilder sb = new StringBuilder();
    SqlValues.json(sb, v);
    return sb.toString();
  }
}
