package io.georep.publication;

import java.util.Objects;

/**
 * A mask set for one column. Immutable and thread-safe.
 *
 * @param column the masked column, never null
 * @param mask the mask, never null
 */
public record ColumnMask(ColumnRef column, Mask mask) {

  /**
   * Creates a column mask.
   *
   * @throws NullPointerException if an argument is null
   */
  public ColumnMask {
    Objects.requireNonNull(column, "column");
    Objects.requireNonNull(mask, "mask");
  }
}
