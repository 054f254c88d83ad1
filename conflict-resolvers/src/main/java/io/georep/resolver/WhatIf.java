package io.georep.resolver;

import io.georep.connector.TableSchema;
import io.georep.resolver.spi.ConflictResolver;
import io.georep.resolver.spi.ConflictSet;
import io.georep.resolver.spi.Resolution;
import io.georep.resolver.spi.Version;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * Replays a logged conflict under another resolver without writing anything: which version would
 * the row show had the table (or its contested columns) used that resolver? The decision follows
 * {@link RowMerge}'s rules for each {@link ConflictType}:
 *
 * <ul>
 *   <li>{@code update-delete}, {@code delete-update}, {@code delete-delete}: a row decision between
 *       the two versions;
 *   <li>{@code insert-insert}, {@code update-update-same-columns}: a column decision for each
 *       contested column; {@code remote} or {@code local} when every column chose it, else {@code
 *       merged};
 *   <li>the other types are not decided by a resolver (different columns are both kept, unique-key
 *       clashes follow the table's clash policy, parents' deletes cascade): their outcome never
 *       changes.
 * </ul>
 *
 * <p>A logged conflict holds the pair of versions that met; had the row held more concurrent
 * versions at the time, the resolver decided among all of them, and the replay decides between the
 * pair only. Every built-in resolver is stable under removal of losers, so the two agree whenever
 * the pair's winner won overall. Stateless and thread-safe.
 */
public final class WhatIf {
  private WhatIf() {}

  /**
   * Returns whose version the row would show under a resolver.
   *
   * @param resolver the resolver to replay under; never null
   * @param table the table's schema, with every contested column; never null
   * @param type the logged conflict's type; never null
   * @param columns the contested columns the conflict names; never null
   * @param local the stored version; never null
   * @param remote the incoming version; never null
   * @return the winner under the resolver
   * @throws IllegalArgumentException if a contested column is not in the table, or the versions
   *     cannot form a conflict set (the same dot, a delete in a column decision)
   * @throws ConflictResolutionException if the resolver's answer names neither version
   */
  public static Conflict.Winner winner(
      ConflictResolver resolver,
      TableSchema table,
      ConflictType type,
      List<String> columns,
      Version local,
      Version remote) {
    Objects.requireNonNull(resolver, "resolver");
    return switch (type) {
      case UPDATE_DELETE, DELETE_UPDATE, DELETE_DELETE ->
          side(resolver, new ConflictSet(table, Optional.empty(), List.of(local, remote)), local);
      case INSERT_INSERT, UPDATE_UPDATE_SAME_COLUMNS ->
          columns(resolver, table, columns, local, remote);
      case UPDATE_UPDATE_DIFFERENT_COLUMNS, UNIQUE_KEY_CLASH, DELETE_MISSING, PARENT_DELETED ->
          Conflict.Winner.MERGED;
      // A repair restores the row's state whatever the resolver: no resolver decided it.
      case REPAIR -> Conflict.Winner.REMOTE;
    };
  }

  private static Conflict.Winner columns(
      ConflictResolver resolver,
      TableSchema table,
      List<String> columns,
      Version local,
      Version remote) {
    if (columns.isEmpty()) {
      return Conflict.Winner.MERGED;
    }
    boolean allLocal = true;
    boolean allRemote = true;
    for (String column : columns) {
      Conflict.Winner w =
          side(
              resolver, new ConflictSet(table, Optional.of(column), List.of(local, remote)), local);
      allLocal &= w == Conflict.Winner.LOCAL;
      allRemote &= w == Conflict.Winner.REMOTE;
    }
    return allRemote
        ? Conflict.Winner.REMOTE
        : allLocal ? Conflict.Winner.LOCAL : Conflict.Winner.MERGED;
  }

  private static Conflict.Winner side(ConflictResolver resolver, ConflictSet set, Version local) {
    Resolution r = resolver.resolve(set);
    if (r instanceof Resolution.Merged) {
      return Conflict.Winner.MERGED;
    }
    Resolution.Chosen chosen = (Resolution.Chosen) r;
    for (Version v : set.versions()) {
      if (v.dot().equals(chosen.dot())) {
        return v.dot().equals(local.dot()) ? Conflict.Winner.LOCAL : Conflict.Winner.REMOTE;
      }
    }
    throw new ConflictResolutionException(
        "resolver '"
            + resolver.name()
            + "' chose "
            + chosen.dot()
            + ", which is not one of the versions "
            + set.versions());
  }
}
