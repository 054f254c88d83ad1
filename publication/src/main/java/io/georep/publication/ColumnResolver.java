package io.georep.publication;

import java.util.Objects;

/**
 * A conflict resolver set for one column. Immutable and thread-safe.
 *
 * @param column the column, never null
 * @param resolver the resolver, never null
 */
public record ColumnResolver(ColumnRef column, ResolverRef resolver) {

  /**
   * Creates a column resolver.
   *
   * @throws NullPointerException if an argument is null
   */
  public ColumnResolver {
    Objects.requireNonNull(column, "column");
    Objects.requireNonNull(resolver, "resolver");
  }
}
