package io.georep.publication;

import java.util.Objects;

/**
 * A column named in a publication file, with where it was named. Immutable and thread-safe.
 *
 * @param name the exact column name, never null
 * @param position where the file names it, never null
 */
public record ColumnRef(String name, SourcePosition position) {

  /**
   * Creates a column reference.
   *
   * @throws NullPointerException if an argument is null
   */
  public ColumnRef {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(position, "position");
  }
}
