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

  @Test
  void update_equalsAddsThenRemoves_andItsDeltaMergesToTheNewState() {
    TwoPhaseSet<Long> base = bottom().add(1L).state().add(2L).state().remove(2L).state();
    Mutation<TwoPhaseSet<Long>> m = base.update(List.of(2L, 3L, 4L), List.of(1L, 4L, 9L));
    TwoPhaseSet<Long> sequential =
        base.add(2L).state().add(3L).state().add(4L).state().remove(1L).state().remove(4L).state();
    assertThat(m.state().value()).isEqualTo(sequential.value());
    assertThat(m.state().value()).as("2 stays removed, 4 added then removed").containsExactly(3L);
    assertThat(base.merge(m.delta())).isEqualTo(m.state());
    assertThat(base.update(List.of(1L, 2L), List.of(2L)).delta().isBottom()).isTrue();
    // 9 was never added: its tombstone keeps a later or concurrent addition out all the same.
    assertThat(m.state().add(9L).state().value()).containsExactly(3L);
    TwoPhaseSet<Long> concurrentAdd = base.add(9L).state();
    assertThat(concurrentAdd.merge(m.delta()).value()).containsExactly(3L);
    assertThat(m.state().merge(concurrentAdd)).isEqualTo(concurrentAdd.merge(m.state()));
  }
}
