package io.georep.resolver.internal;

import io.georep.resolver.spi.ConflictResolver;
import io.georep.resolver.spi.ConflictSet;
import io.georep.resolver.spi.Resolution;
import io.georep.resolver.spi.Version;
import io.georep.vectorclock.ReplicaId;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Region priority ({@code region-priority}): the version from the region listed first wins; regions
 * not listed rank below every listed one; versions of equal rank fall back to last writer wins. The
 * same rule decides existence (a delete from a higher-priority region beats an update from a lower
 * one) and column values. Immutable and thread-safe.
 */
public final class RegionPriority implements ConflictResolver {
  private final List<ReplicaId> order;
  private final Map<ReplicaId, Integer> rank = new HashMap<>();

  /**
   * Creates the resolver.
   *
   * @param order regions from highest priority; never null, no duplicates; copied
   * @throws IllegalArgumentException if a region repeats
   */
  public RegionPriority(List<ReplicaId> order) {
    this.order = List.copyOf(order);
    for (int i = 0; i < this.order.size(); i++) {
      if (rank.put(this.order.get(i), i) != null) {
        throw new IllegalArgumentException(
            "region-priority lists region '" + this.order.get(i) + "' twice");
      }
    }
  }

  /**
   * Returns the regions from highest priority.
   *
   * @return the order; never null
   */
  public List<ReplicaId> order() {
    return order;
  }

  @Override
  public String name() {
    return "region-priority";
  }

  @Override
  public Resolution resolve(ConflictSet conflict) {
    Version best = null;
    for (Version v : conflict.versions()) {
      if (best == null || beats(v, best)) {
        best = v;
      }
    }
    return Resolution.choose(best);
  }

  private boolean beats(Version a, Version b) {
    int ra = rank.getOrDefault(a.origin(), Integer.MAX_VALUE);
    int rb = rank.getOrDefault(b.origin(), Integer.MAX_VALUE);
    return ra != rb ? ra < rb : a.timestamp().isAfter(b.timestamp());
  }
}
