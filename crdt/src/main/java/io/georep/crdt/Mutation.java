package io.georep.crdt;

import java.util.Objects;

/**
 * The outcome of a delta-state mutator: the replica's new state and the delta to ship to other
 * replicas.
 *
 * <p>The invariant {@code before.merge(delta).equals(state)} holds for the state {@code before} the
 * mutator was applied to. When the mutation had no effect, {@code state} is the unchanged state and
 * {@code delta} is {@linkplain DeltaCrdt#isBottom() bottom}.
 *
 * @param state the new state of the replica that applied the mutator; never null
 * @param delta the delta that carries the mutation's effect; never null
 * @param <T> the CRDT type
 */
public record Mutation<T extends DeltaCrdt<T>>(T state, T delta) {
  /** Validates the mutation. */
  public Mutation {
    Objects.requireNonNull(state, "state");
    Objects.requireNonNull(delta, "delta");
  }
}
