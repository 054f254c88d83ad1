package io.georep.vectorclock;

/**
 * The causal relation between two clocks. Causality is a partial order, so two clocks may be {@link
 * #CONCURRENT}: neither has seen everything the other has.
 */
public enum CausalOrder {
  /** The first clock happened before the second: the second has seen everything the first has. */
  BEFORE,
  /** The first clock happened after the second. */
  AFTER,
  /** Both clocks have seen exactly the same events. */
  EQUAL,
  /** Each clock has seen an event the other has not. */
  CONCURRENT
}
