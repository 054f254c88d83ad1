package io.georep.resolver.plugin;

import io.georep.connector.Value;
import io.georep.resolver.spi.ConflictResolver;
import io.georep.resolver.spi.ConflictSet;
import io.georep.resolver.spi.Resolution;
import io.georep.resolver.spi.Version;

/**
 * A test plugin: for a column, the version with the shortest text wins (ties by latest). It is
 * registered only inside a jar that {@code ResolverRegistryTest} builds, never on the class path.
 */
public final class ShortestTextWins implements ConflictResolver {
  /** Creates the plugin. */
  public ShortestTextWins() {}

  @Override
  public String name() {
    return "shortest-text-wins";
  }

  @Override
  public Resolution resolve(ConflictSet conflict) {
    String column = conflict.column().orElse(null);
    if (column == null) {
      return Resolution.choose(conflict.latest());
    }
    Version best = null;
    for (Version v : conflict.versions()) {
      if (best == null
          || length(v, column) < length(best, column)
          || (length(v, column) == length(best, column)
              && v.timestamp().isAfter(best.timestamp()))) {
        best = v;
      }
    }
    return Resolution.choose(best);
  }

  private static int length(Version v, String column) {
    return v.values().get(column) instanceof Value.Text t ? t.value().length() : Integer.MAX_VALUE;
  }
}
