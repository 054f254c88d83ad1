package io.georep.connectors.postgres.internal.apply;

import io.georep.connector.spi.RegionProgressRecording.RegionProgress;
import io.georep.vectorclock.ReplicaId;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Writes {@code georep.region_progress}, which the consistency functions read ({@code
 * georep.wait_replicated}, {@code georep.local_region}): per region heard of, a row per origin it
 * has applied (for this region, with the origin's lag and the lag bound), and the row (region,
 * region) with the last seq of its own stream that Kafka acknowledged. One statement for all
 * regions.
 */
public final class RegionProgressRows {
  private static final String UPSERT =
      "INSERT INTO georep.region_progress"
          + " (region, origin, applied, heard_at, local, lag_ms, max_lag_ms, number)"
          + " SELECT r, o, a, to_timestamp(h / 1000.0), l, g, m, n FROM unnest(?::text[],"
          + " ?::text[], ?::int8[], ?::int8[], ?::bool[], ?::int8[], ?::int8[], ?::int4[])"
          + " AS u(r, o, a, h, l, g, m, n)"
          + " ON CONFLICT (region, origin) DO UPDATE SET applied = excluded.applied,"
          + " heard_at = excluded.heard_at, local = excluded.local, lag_ms = excluded.lag_ms,"
          + " max_lag_ms = excluded.max_lag_ms, number = excluded.number";

  private RegionProgressRows() {}

  /**
   * Writes the regions' rows in the connection's transaction.
   *
   * @param c the connection
   * @param regions the regions heard of
   * @throws SQLException if the database refuses
   */
  public static void write(Connection c, List<RegionProgress> regions) throws SQLException {
    List<String> region = new ArrayList<>();
    List<String> origin = new ArrayList<>();
    List<Long> applied = new ArrayList<>();
    List<Long> heard = new ArrayList<>();
    List<Boolean> local = new ArrayList<>();
    List<Long> lag = new ArrayList<>();
    List<Long> maxLag = new ArrayList<>();
    List<Integer> number = new ArrayList<>();
    for (RegionProgress p : regions) {
      long heardAt = p.heardAt().toEpochMilli();
      Map<ReplicaId, Long> origins = new TreeMap<>(p.applied().entries());
      p.lagMillis().keySet().forEach(o -> origins.putIfAbsent(o, 0L));
      for (Map.Entry<ReplicaId, Long> e : origins.entrySet()) {
        if (!e.getKey().equals(p.region())) {
          region.add(p.region().name());
          origin.add(e.getKey().name());
          applied.add(e.getValue());
          heard.add(heardAt);
          local.add(p.local());
          lag.add(p.lagMillis().get(e.getKey()));
          maxLag.add(p.local() ? p.maxLagMillis() : null);
          number.add(p.number());
        }
      }
      region.add(p.region().name());
      origin.add(p.region().name());
      applied.add(p.shippedSeq());
      heard.add(heardAt);
      local.add(p.local());
      lag.add(null);
      maxLag.add(null);
      number.add(p.number());
    }
    if (region.isEmpty()) {
      return;
    }
    try (PreparedStatement upsert = c.prepareStatement(UPSERT)) {
      upsert.setArray(1, c.createArrayOf("text", region.toArray()));
      upsert.setArray(2, c.createArrayOf("text", origin.toArray()));
      upsert.setArray(3, c.createArrayOf("int8", applied.toArray()));
      upsert.setArray(4, c.createArrayOf("int8", heard.toArray()));
      upsert.setArray(5, c.createArrayOf("bool", local.toArray()));
      upsert.setArray(6, c.createArrayOf("int8", lag.toArray()));
      upsert.setArray(7, c.createArrayOf("int8", maxLag.toArray()));
      upsert.setArray(8, c.createArrayOf("int4", number.toArray()));
      upsert.executeUpdate();
    }
  }
}
