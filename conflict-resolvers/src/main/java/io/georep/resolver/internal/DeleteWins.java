package io.georep.resolver.internal;

import io.georep.resolver.spi.ConflictResolver;
import io.georep.resolver.spi.ConflictSet;
import io.georep.resolver.spi.Resolution;
import io.georep.resolver.spi.Version;

/**
 * Delete wins ({@code delete-wins}): a row decision with any concurrent delete chooses the latest
 * delete, so the row is gone; otherwise, and for column decisions, the last writer wins. Stateless
 * and thread-safe.
 */
public final class DeleteWins implements ConflictResolver {
  /** Creates the resolver. */
  public DeleteWins() {}

  @Override
  public String name() {
    return "delete-wins";
  }

  @Override
  public Resolution resolve(ConflictSet conflict) {
    Version best = null;
    for (Version v : conflict.versions()) {
      if (v.isTombstone() && (best == null || v.timestamp().isAfter(best.timestamp()))) {
        best = v;
      }
    }
    return Resolution.choose(best != null ? best : conflict.latest());
  }
}
