package io.georep.connectors.postgres.internal.apply;

import io.georep.connector.TableId;
import io.georep.connector.spi.ConflictQuery;
import io.georep.connector.spi.LoggedConflict;
import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Reads {@code georep.conflict_log} through a {@link ConflictQuery}: one statement, every filter a
 * bind parameter, in id order, served by the primary key and {@code conflict_log_table}.
 */
public final class ConflictLogRows {
  private ConflictLogRows() {}

  /**
   * Reads the rows a filter matches.
   *
   * @param connection a connection; not closed
   * @param query the filter
   * @return the rows, in id order
   * @throws SQLException if the log cannot be read (SQLSTATE 42P01: the agent never ran here)
   */
  public static List<LoggedConflict> read(Connection connection, ConflictQuery query)
      throws SQLException {
    StringBuilder sql =
        new StringBuilder(
            "SELECT id, detected_at, conflict_id, type, table_schema, table_name, row_key::text,"
                + " resolver, winner, columns, local::text, remote::text, kept_loser::text"
                + " FROM georep.conflict_log WHERE id > ?");
    List<Object> args = new ArrayList<>();
    args.add(query.afterId());
    if (query.table().isPresent()) {
      String t = query.table().get();
      int dot = t.indexOf('.');
      if (dot < 0) {
        sql.append(" AND table_name = ?");
        args.add(t);
      } else {
        sql.append(" AND table_schema = ? AND table_name = ?");
        args.add(t.substring(0, dot));
        args.add(t.substring(dot + 1));
      }
    }
    if (!query.types().isEmpty()) {
      sql.append(" AND type = ANY (?)");
      args.add(connection.createArrayOf("text", query.types().toArray()));
    }
    if (query.since().isPresent()) {
      sql.append(" AND detected_at >= ?");
      args.add(Timestamp.from(query.since().get()));
    }
    if (query.until().isPresent()) {
      sql.append(" AND detected_at < ?");
      args.add(Timestamp.from(query.until().get()));
    }
    if (query.key().isPresent()) {
      sql.append(" AND row_key = ?::jsonb");
      args.add(query.key().get());
    }
    sql.append(query.latest() ? " ORDER BY id DESC LIMIT ?" : " ORDER BY id LIMIT ?");
    args.add(query.limit());
    List<LoggedConflict> rows = new ArrayList<>();
    try (PreparedStatement select = connection.prepareStatement(sql.toString())) {
      for (int i = 0; i < args.size(); i++) {
        select.setObject(i + 1, args.get(i));
      }
      try (ResultSet rs = select.executeQuery()) {
        while (rs.next()) {
          Array columns = rs.getArray(10);
          String[] names = (String[]) columns.getArray();
          rows.add(
              new LoggedConflict(
                  rs.getLong(1),
                  rs.getTimestamp(2).toInstant(),
                  rs.getString(3),
                  rs.getString(4),
                  TableId.of(rs.getString(5), rs.getString(6)),
                  rs.getString(7),
                  rs.getString(8),
                  rs.getString(9),
                  List.of(names),
                  rs.getString(11),
                  rs.getString(12),
                  Optional.ofNullable(rs.getString(13))));
        }
      }
    }
    if (query.latest()) {
      java.util.Collections.reverse(rows);
    }
    return rows;
  }
}
