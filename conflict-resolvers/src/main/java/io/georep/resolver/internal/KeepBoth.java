package io.georep.resolver.internal;

import io.georep.resolver.spi.ConflictResolver;
import io.georep.resolver.spi.ConflictSet;
import io.georep.resolver.spi.Resolution;

/**
 * Keep both ({@code keep-both}): the last writer wins, as with {@code lww}, and the losing version
 * is kept in the conflict record (the applier writes it to {@code georep.conflict_log}) for later
 * manual resolution. Stateless and thread-safe.
 */
public final class KeepBoth implements ConflictResolver {
  /** Creates the resolver. */
  public KeepBoth() {}

  @Override
  public String name() {
    return "keep-both";
  }

  @Override
  public Resolution resolve(ConflictSet conflict) {
    return Resolution.choose(conflict.latest());
  }

  @Override
  public boolean keepsLosers() {
    return true;
  }
}
