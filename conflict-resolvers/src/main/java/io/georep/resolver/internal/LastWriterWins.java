package io.georep.resolver.internal;

import io.georep.resolver.spi.ConflictResolver;
import io.georep.resolver.spi.ConflictSet;
import io.georep.resolver.spi.Resolution;
import java.util.Objects;

/**
 * Last writer wins: the version with the greatest hybrid timestamp (wall time, then logical
 * counter, then origin id). Used as {@code lww} for rows and {@code column-lww} for columns; for a
 * row decision the latest write decides existence too. Immutable and thread-safe.
 */
public final class LastWriterWins implements ConflictResolver {
  private final String name;

  /**
   * Creates the resolver under a name.
   *
   * @param name {@code lww} or {@code column-lww}; never null
   */
  public LastWriterWins(String name) {
    this.name = Objects.requireNonNull(name, "name");
  }

  @Override
  public String name() {
    return name;
  }

  @Override
  public Resolution resolve(ConflictSet conflict) {
    return Resolution.choose(conflict.latest());
  }
}
