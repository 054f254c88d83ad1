package io.georep.resolver;

import io.georep.connector.RowChange;
import io.georep.vectorclock.Dot;
import io.georep.vectorclock.HybridTimestamp;

/**
 * The identity of one merged write inside a row state: its dot, hybrid timestamp and kind. A dot
 * determines the other two (one transaction, one commit timestamp), so a state stores each stamp
 * once and refers to it by index.
 */
record Stamp(Dot dot, HybridTimestamp timestamp, RowChange.Kind kind) implements Comparable<Stamp> {
  @Override
  public int compareTo(Stamp other) {
    return dot.compareTo(other.dot);
  }

  boolean isTombstone() {
    return kind == RowChange.Kind.DELETE;
  }
}
