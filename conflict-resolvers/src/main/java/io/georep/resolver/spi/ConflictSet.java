package io.georep.resolver.spi;

import io.georep.connector.TableSchema;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * The concurrent versions a resolver chooses between: two or more writes to the same row (or the
 * same column of a row) none of which had seen the others.
 *
 * <p>A <em>row decision</em> ({@link #column()} empty) decides whether the row exists: its versions
 * are the row's concurrent inserts, updates and deletes. A <em>column decision</em> decides the
 * value of one column: its versions are the concurrent writes of that column, all inserts or
 * updates. The versions are sorted by dot, so the list is a canonical form of the set; resolvers
 * must not depend on the order anyway.
 *
 * <p>Immutable and thread-safe.
 *
 * @param table the table's schema; never null
 * @param column the column being decided, or empty for the row's existence
 * @param versions the concurrent versions, at least two with distinct dots; sorted by dot when
 *     created
 */
public record ConflictSet(TableSchema table, Optional<String> column, List<Version> versions) {
  /**
   * Validates the set and sorts the versions by dot.
   *
   * @throws IllegalArgumentException if there are fewer than two versions, two share a dot, the
   *     column does not exist, or a column decision holds a delete
   */
  public ConflictSet {
    Objects.requireNonNull(table, "table");
    Objects.requireNonNull(column, "column");
    List<Version> sorted = new ArrayList<>(versions);
    sorted.sort(Comparator.comparing(Version::dot));
    versions = List.copyOf(sorted);
    if (versions.size() < 2) {
      throw new IllegalArgumentException(
          "a conflict set holds at least two versions, got " + versions.size());
    }
    for (int i = 1; i < versions.size(); i++) {
      if (versions.get(i - 1).dot().equals(versions.get(i).dot())) {
        throw new IllegalArgumentException(
            "conflict set has two versions with dot " + versions.get(i).dot());
      }
    }
    if (column.isPresent()) {
      if (table.indexOf(column.get()) < 0) {
        throw new IllegalArgumentException(
            "table " + table.id() + " has no column '" + column.get() + "'");
      }
      for (Version v : versions) {
        if (v.isTombstone()) {
          throw new IllegalArgumentException(
              "a column decision holds only inserts and updates, got " + v);
        }
      }
    }
  }

  /**
   * Tells whether this is a row decision (does the row exist?) rather than a column decision.
   *
   * @return true if {@link #column()} is empty
   */
  public boolean isRowDecision() {
    return column.isEmpty();
  }

  /**
   * Returns the version with the greatest hybrid timestamp: the last writer. Timestamps are totally
   * ordered (wall time, logical counter, origin), so there is exactly one.
   *
   * @return the latest version; never null
   */
  public Version latest() {
    Version best = versions.get(0);
    for (Version v : versions) {
      if (v.timestamp().isAfter(best.timestamp())) {
        best = v;
      }
    }
    return best;
  }

  /**
   * Returns the version with the least hybrid timestamp: the first writer.
   *
   * @return the earliest version; never null
   */
  public Version earliest() {
    Version best = versions.get(0);
    for (Version v : versions) {
      if (best.timestamp().isAfter(v.timestamp())) {
        best = v;
      }
    }
    return best;
  }
}
