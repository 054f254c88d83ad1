package io.georep.connector.spi;

import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * A filter over a region's conflict log ({@link Connector#readConflicts}): every condition given
 * must hold; rows come in log order ({@code id} ascending), after {@code afterId}, at most {@code
 * limit} of them: the first ones, or with {@code latest} the last ones. Immutable and thread-safe.
 *
 * @param table a table as {@code schema.name}, or a bare name matching that name in any schema;
 *     empty for every table
 * @param types conflict type tags ({@code update-delete}, …) any of which matches; empty for all
 * @param since detected at or after this instant; empty for no lower bound
 * @param until detected before this instant; empty for no upper bound
 * @param key the row's key as the log writes it, a JSON array such as {@code [42]}; empty for every
 *     row
 * @param afterId only rows with a greater id (0 for all); {@code --follow} and paging use it
 * @param limit the most rows returned, at least 1
 * @param latest whether to return the last {@code limit} matching rows rather than the first
 */
public record ConflictQuery(
    Optional<String> table,
    List<String> types,
    Optional<Instant> since,
    Optional<Instant> until,
    Optional<String> key,
    long afterId,
    int limit,
    boolean latest) {
  /** The largest page. */
  public static final int MAX_LIMIT = 100_000;

  /** Validates the filter and copies the type list. */
  public ConflictQuery {
    Objects.requireNonNull(table, "table");
    types = List.copyOf(types);
    Objects.requireNonNull(since, "since");
    Objects.requireNonNull(until, "until");
    Objects.requireNonNull(key, "key");
    if (afterId < 0) {
      throw new IllegalArgumentException("afterId must be 0 or more, got " + afterId);
    }
    if (limit < 1 || limit > MAX_LIMIT) {
      throw new IllegalArgumentException(
          "limit must be between 1 and " + MAX_LIMIT + ", got " + limit);
    }
  }

  /**
   * Returns the filter that matches every row, in pages of {@code limit}.
   *
   * @param limit the most rows returned
   * @return the filter
   */
  public static ConflictQuery all(int limit) {
    return new ConflictQuery(
        Optional.empty(),
        List.of(),
        Optional.empty(),
        Optional.empty(),
        Optional.empty(),
        0,
        limit,
        false);
  }

  /**
   * Returns this filter for the first matching rows (not the latest), as a follower polls.
   *
   * @return the filter
   */
  public ConflictQuery first() {
    return new ConflictQuery(table, types, since, until, key, afterId, limit, false);
  }

  /**
   * Returns this filter with another page size.
   *
   * @param rows the most rows returned
   * @return the filter
   */
  public ConflictQuery limit(int rows) {
    return new ConflictQuery(table, types, since, until, key, afterId, rows, latest);
  }

  /**
   * Returns this filter for the rows after another id.
   *
   * @param id the last id seen
   * @return the filter
   */
  public ConflictQuery after(long id) {
    return new ConflictQuery(table, types, since, until, key, id, limit, latest);
  }
}
