package io.georep.crdt;

import static org.assertj.core.api.Assertions.assertThat;

import io.georep.vectorclock.HybridTimestamp;
import io.georep.vectorclock.ReplicaId;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

class TwoPhaseSetTest extends CrdtLaws<TwoPhaseSet<Long>, TwoPhaseSetTest.Op> {
  /** An effective add or remove of an element; {@code null} element for a no-op. */
  record Op(boolean remove, Long element) {}

  @Override
  TwoPhaseSet<Long> bottom() {
    return TwoPhaseSet.empty(ElementCodec.longs());
  }

  @Override
  Step<TwoPhaseSet<Long>, Op> randomStep(
      SplittableRandom random, ReplicaId replica, TwoPhaseSet<Long> state, HybridTimestamp now) {
    List<Long> present = new ArrayList<>(state.value());
    if (!present.isEmpty() && random.nextInt(3) == 0) {
      Long e = present.get(random.nextInt(present.size()));
      return new Step<>(new Op(true, e), state.remove(e));
    }
    long e = random.nextInt(10) - 5L;
    return new Step<>(new Op(false, e), state.add(e));
  }

  @Override
  TwoPhaseSet<Long> decode(byte[] bytes) {
    return TwoPhaseSet.fromBytes(bytes, ElementCodec.longs());
  }

  @Override
  Object observe(TwoPhaseSet<Long> state) {
    return new TreeSet<>(state.value());
  }

  @Override
  Object spec(List<Event<Op>> history) {
    TreeSet<Long> added = new TreeSet<>();
    TreeSet<Long> removed = new TreeSet<>();
    for (Event<Op> e : history) {
      (e.op().remove() ? removed : added).add(e.op().element());
    }
    added.removeAll(removed);
    return added;
  }

  @Override
  boolean needsCausalDelivery() {
    return false;
  }

  @Test
  void add_afterRemove_hasNoEffect() {
    TwoPhaseSet<Long> s = bottom().add(1L).state().remove(1L).state();
    Mutation<TwoPhaseSet<Long>> m = s.add(1L);
    assertThat(m.state().contains(1L)).isFalse();
    assertThat(m.delta().isBottom()).isTrue();
  }

  @Test
  void merge_concurrentAddAndRemove_removeWins() {
    TwoPhaseSet<Long> shared = bottom().add(1L).state();
    TwoPhaseSet<Long> removed = shared.remove(1L).state();
    TwoPhaseSet<Long> readded = shared.add(1L).state();
    assertThat(removed.merge(readded).value()).isEmpty();
  }

  @Test
  void remove_absentElement_hasNoEffect() {
    assertThat(bottom().remove(3L).delta().isBottom()).isTrue();
  }
}
