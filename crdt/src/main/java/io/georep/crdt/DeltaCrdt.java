package io.georep.crdt;

/**
 * A delta-state CRDT: a {@link Crdt} whose mutators also return a <em>delta</em>, a small state of
 * the same lattice that carries just the mutation's effect.
 *
 * <p>This follows Almeida, Shoker and Baquero, "Delta State Replicated Data Types" (JPDC 2018):
 * every mutator {@code m} has a delta-mutator {@code mδ} with {@code m(X) = X ⊔ mδ(X)}. Here a
 * mutator returns both at once as a {@link Mutation}, and the law is {@code
 * x.merge(mutation.delta()).equals(mutation.state())}. Deltas are ordinary states: they can be
 * merged with each other into a delta group, shipped instead of the full state, merged into any
 * replica in any order and any number of times. Merging a delta into a replica that has not seen
 * the mutation's causal past still converges, but only causal delivery of deltas (or of full
 * states) keeps the intermediate states causally consistent.
 *
 * @param <T> the implementing type itself
 */
public interface DeltaCrdt<T extends DeltaCrdt<T>> extends Crdt<T> {
  /**
   * Tells whether this is the bottom state of the lattice: merging it into any state changes
   * nothing. A mutation that had no effect returns a bottom delta, which need not be shipped.
   *
   * @return true if this state holds no update at all
   */
  boolean isBottom();
}
