package io.georep.examples.resolver;

import io.georep.connector.Value;
import io.georep.resolver.spi.ConflictResolver;
import io.georep.resolver.spi.ConflictSet;
import io.georep.resolver.spi.Resolution;
import io.georep.resolver.spi.Version;

/**
 * An example conflict resolver plugin, {@code custom:longest-text-wins}: of concurrent values of a
 * text column, the longest wins (a description edited concurrently keeps the fuller text).
 *
 * <p>It follows the SPI contract: the answer depends only on the set of versions (length, then the
 * hybrid timestamp as the total tie-breaker), so every region picks the same winner in any arrival
 * order. For a row decision (does the row exist?) it defers to last writer wins. Stateless and
 * thread-safe; found through {@code META-INF/services/io.georep.resolver.spi.ConflictResolver}.
 */
public final class LongestTextWins implements ConflictResolver {
  /** The name publication files use after {@code custom:}. */
  public static final String NAME = "longest-text-wins";

  /** Creates the resolver; {@link java.util.ServiceLoader} needs this public constructor. */
  public LongestTextWins() {}

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public Resolution resolve(ConflictSet conflict) {
    if (conflict.isRowDecision()) {
      return Resolution.choose(conflict.latest());
    }
    String column = conflict.column().orElseThrow();
    Version best = null;
    for (Version v : conflict.versions()) {
      if (best == null || beats(v, best, column)) {
        best = v;
      }
    }
    return Resolution.choose(best);
  }

  private static boolean beats(Version a, Version b, String column) {
    int la = length(a.values().get(column));
    int lb = length(b.values().get(column));
    return la != lb ? la > lb : a.timestamp().isAfter(b.timestamp());
  }

  /** Code points of a text value; NULL and non-text values count as -1, below any text. */
  private static int length(Value value) {
    return value instanceof Value.Text t ? t.value().codePointCount(0, t.value().length()) : -1;
  }
}
