package io.georep.resolver.internal;

import io.georep.resolver.spi.ConflictResolver;
import io.georep.resolver.spi.ConflictSet;
import io.georep.resolver.spi.Resolution;

/**
 * First writer wins ({@code first-writer-wins}): among concurrent versions, the one with the least
 * hybrid timestamp stays. A write that has seen the current version still replaces it: only
 * concurrent versions compete. Stateless and thread-safe.
 */
public final class FirstWriterWins implements ConflictResolver {
  /** Creates the resolver. */
  public FirstWriterWins() {}

  @Override
  public String name() {
    return "first-writer-wins";
  }

  @Override
  public Resolution resolve(ConflictSet conflict) {
    return Resolution.choose(conflict.earliest());
  }
}
