package io.georep.replicator.codec.internal;

/**
 * The state of one cell, part of its row's shape ({@link RowShapes}), where a shape's states are
 * run-length encoded as varints {@code run << 3 | state}.
 */
final class CellState {
  /** The row does not carry the column. No data. */
  static final int ABSENT = 0;

  /** A non-NULL datum; data: the datum. */
  static final int VALUE = 1;

  /** NULL. No data. */
  static final int NULL = 2;

  /** {@link io.georep.connector.Value#UNCHANGED}. No data. */
  static final int UNCHANGED = 3;

  /** A counter delta; data: the decimal. */
  static final int COUNTER_DELTA = 4;

  /** A set delta; data: the added elements, then the removed elements. */
  static final int SET_DELTA = 5;

  static final int BITS = 3;
  static final int COUNT = 6;

  private CellState() {}
}
