package io.georep.connector.spi;

import io.georep.vectorclock.ReplicaId;
import io.georep.vectorclock.VersionVector;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * A capability of a {@link RegionApplier}: keeping, in the region's database, what every region of
 * the topology has applied as its latest heartbeat said, so that the database itself can answer
 * waits for a session token ({@code georep.wait_replicated}, docs/consistency.md).
 */
public interface RegionProgressRecording {
  /**
   * One region as its latest heartbeat showed it.
   *
   * @param region the region
   * @param number the region's number in the topology (its place in the agents' regions list, from
   *     1), which {@code georep.next_id()} puts in its ids
   * @param applied its applied watermark per other origin
   * @param shippedSeq the last seq of its own stream that Kafka acknowledged
   * @param heardAt when its latest heartbeat arrived here
   * @param local whether it is this agent's own region
   * @param lagMillis for this agent's own region, the lag of each origin applied here (ms); empty
   *     for the others
   * @param maxLagMillis for this agent's own region, the lag bound ({@code control.max.lag}, ms; 0:
   *     none)
   */
  record RegionProgress(
      ReplicaId region,
      int number,
      VersionVector applied,
      long shippedSeq,
      Instant heardAt,
      boolean local,
      Map<ReplicaId, Long> lagMillis,
      long maxLagMillis) {
    /** Validates. */
    public RegionProgress {
      Objects.requireNonNull(region, "region");
      Objects.requireNonNull(applied, "applied");
      Objects.requireNonNull(heardAt, "heardAt");
      lagMillis = Map.copyOf(lagMillis);
    }
  }

  /**
   * Replaces what the database holds of each region named.
   *
   * @param regions the regions heard of, this one included
   * @throws ApplyRetryException if the database is unavailable
   */
  void recordRegionProgress(List<RegionProgress> regions);
}
