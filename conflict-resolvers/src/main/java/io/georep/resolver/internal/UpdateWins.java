package io.georep.resolver.internal;

import io.georep.resolver.spi.ConflictResolver;
import io.georep.resolver.spi.ConflictSet;
import io.georep.resolver.spi.Resolution;
import io.georep.resolver.spi.Version;

/**
 * Update wins ({@code update-wins}): a row decision with any concurrent insert or update chooses
 * the latest of those, so the row survives a concurrent delete; column decisions are last writer
 * wins. Stateless and thread-safe.
 */
public final class UpdateWins implements ConflictResolver {
  /** Creates the resolver. */
  public UpdateWins() {}

  @Override
  public String name() {
    return "update-wins";
  }

  @Override
  public Resolution resolve(ConflictSet conflict) {
    Version best = null;
    for (Version v : conflict.versions()) {
      if (!v.isTombstone() && (best == null || v.timestamp().isAfter(best.timestamp()))) {
        best = v;
      }
    }
    return Resolution.choose(best != null ? best : conflict.latest());
  }
}
