package io.georep.resolver;

import io.georep.resolver.internal.DeleteWins;
import io.georep.resolver.internal.FirstWriterWins;
import io.georep.resolver.internal.KeepBoth;
import io.georep.resolver.internal.LastWriterWins;
import io.georep.resolver.internal.RegionPriority;
import io.georep.resolver.internal.UpdateWins;
import io.georep.resolver.spi.ConflictResolver;
import io.georep.vectorclock.ReplicaId;
import java.util.List;

/**
 * The built-in choice resolvers, by the names publication files use. Each returns a new, immutable,
 * thread-safe instance. The CRDT column types ({@code counter}, {@code max}, {@code min}, {@code
 * or-set}, {@code g-set}) are not choices between versions; they are {@link ColumnPolicy} types.
 */
public final class Resolvers {
  private Resolvers() {}

  /**
   * Returns {@code lww}: the version with the greatest hybrid timestamp wins (wall time, logical
   * counter, then origin id), deciding both existence and values.
   *
   * @return the resolver
   */
  public static ConflictResolver lww() {
    return new LastWriterWins("lww");
  }

  /**
   * Returns {@code column-lww}: last writer wins per column, so concurrent updates of different
   * columns both stay.
   *
   * @return the resolver
   */
  public static ConflictResolver columnLww() {
    return new LastWriterWins("column-lww");
  }

  /**
   * Returns {@code first-writer-wins}: among concurrent versions the earliest hybrid timestamp
   * wins.
   *
   * @return the resolver
   */
  public static ConflictResolver firstWriterWins() {
    return new FirstWriterWins();
  }

  /**
   * Returns {@code region-priority}: the version from the region listed first wins, then last
   * writer wins.
   *
   * @param order regions from highest priority; never null, no duplicates
   * @return the resolver
   * @throws IllegalArgumentException if a region repeats
   */
  public static ConflictResolver regionPriority(List<ReplicaId> order) {
    return new RegionPriority(order);
  }

  /**
   * Returns {@code delete-wins}: a delete beats concurrent inserts and updates; values are last
   * writer wins.
   *
   * @return the resolver
   */
  public static ConflictResolver deleteWins() {
    return new DeleteWins();
  }

  /**
   * Returns {@code update-wins}: an insert or update beats a concurrent delete; values are last
   * writer wins.
   *
   * @return the resolver
   */
  public static ConflictResolver updateWins() {
    return new UpdateWins();
  }

  /**
   * Returns {@code keep-both}: last writer wins, and the loser is kept in the conflict record.
   *
   * @return the resolver
   */
  public static ConflictResolver keepBoth() {
    return new KeepBoth();
  }
}
