package io.georep.cli.demo;

import io.georep.testkit.EmbeddedRegionDatabase;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The end-of-run comparison of one table across the demo's regions: a digest per region, and for a
 * table that differs, the first rows only some regions hold and, per region, the conflicts logged
 * for their keys (what to look at when the regions did not converge).
 */
final class TableComparison {
  private final List<String> regions;
  private final Map<String, EmbeddedRegionDatabase> databases;

  TableComparison(List<String> regions, Map<String, EmbeddedRegionDatabase> databases) {
    this.regions = regions;
    this.databases = databases;
  }

  /**
   * Compares one table.
   *
   * @param table the table's name
   * @param query its comparable content
   * @param rows receives the table's row count in the first region
   * @param problems receives the difference, if any
   * @throws SQLException on a database failure
   */
  void compare(String table, String query, Map<String, Long> rows, List<String> problems)
      throws SQLException {
    String digestQuery =
        "SELECT count(*), md5(coalesce(string_agg(t::text, '|' ORDER BY t::text), '')) FROM ("
            + query
            + ") t";
    Map<String, String> digests = new LinkedHashMap<>();
    for (String region : regions) {
      try (Connection c = databases.get(region).connect();
          Statement s = c.createStatement();
          ResultSet rs = s.executeQuery(digestQuery)) {
        rs.next();
        if (region.equals(regions.get(0))) {
          rows.put(table, rs.getLong(1));
        }
        digests.put(region, rs.getLong(1) + " rows, digest " + rs.getString(2));
      }
    }
    if (new HashSet<>(digests.values()).size() == 1) {
      return;
    }
    StringBuilder sb = new StringBuilder(table + " differs:");
    digests.forEach((r, d) -> sb.append("\n    ").append(r).append(": ").append(d));
    List<String> reference = snapshot(regions.get(0), query);
    Set<String> keys = new LinkedHashSet<>();
    for (String region : regions.subList(1, regions.size())) {
      List<String> other = snapshot(region, query);
      List<String> onlyFirst = new ArrayList<>(reference);
      onlyFirst.removeAll(new HashSet<>(other));
      List<String> onlyOther = new ArrayList<>(other);
      onlyOther.removeAll(new HashSet<>(reference));
      for (String r : onlyFirst.subList(0, Math.min(3, onlyFirst.size()))) {
        sb.append("\n    only in ").append(regions.get(0)).append(": ").append(r);
        keys.add(firstField(r));
      }
      for (String r : onlyOther.subList(0, Math.min(3, onlyOther.size()))) {
        sb.append("\n    only in ").append(region).append(": ").append(r);
        keys.add(firstField(r));
      }
    }
    for (String key : keys) {
      conflictsOf(table, key, sb);
    }
    problems.add(sb.toString());
  }

  /** The first value of a row rendered by {@link #snapshot}: the demo tables' key. */
  private static String firstField(String row) {
    int end = row.indexOf(", ");
    return row.substring(1, end < 0 ? row.length() - 1 : end);
  }

  /** Appends, per region, the conflicts logged for one row: what to look at when rows differ. */
  private void conflictsOf(String table, String key, StringBuilder sb) throws SQLException {
    for (String region : regions) {
      try (Connection c = databases.get(region).connect();
          PreparedStatement q =
              c.prepareStatement(
                  "SELECT type, winner, local::text, remote::text FROM georep.conflict_log"
                      + " WHERE table_name = ? AND row_key ->> 0 = ? ORDER BY id LIMIT 5")) {
        q.setString(1, table);
        q.setString(2, key);
        try (ResultSet rs = q.executeQuery()) {
          while (rs.next()) {
            sb.append("\n    ")
                .append(region)
                .append(" logged for key ")
                .append(key)
                .append(": ")
                .append(rs.getString(1))
                .append(", winner ")
                .append(rs.getString(2))
                .append(", local ")
                .append(rs.getString(3))
                .append(", remote ")
                .append(rs.getString(4));
          }
        }
      }
    }
  }

  private List<String> snapshot(String region, String query) throws SQLException {
    List<String> out = new ArrayList<>();
    try (Connection c = databases.get(region).connect();
        Statement s = c.createStatement();
        ResultSet rs = s.executeQuery(query)) {
      int n = rs.getMetaData().getColumnCount();
      while (rs.next()) {
        StringBuilder sb = new StringBuilder("(");
        for (int i = 1; i <= n; i++) {
          sb.append(i > 1 ? ", " : "").append(rs.getString(i));
        }
        out.add(sb.append(')').toString());
      }
    }
    return out;
  }
}
