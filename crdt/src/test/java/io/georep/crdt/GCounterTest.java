package io.georep.crdt;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.georep.vectorclock.HybridTimestamp;
import io.georep.vectorclock.ReplicaId;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class GCounterTest extends CrdtLaws<GCounter, Long> {
  private static final ReplicaId A = ReplicaId.of("eu-west");
  private static final ReplicaId B = ReplicaId.of("us-east");

  @Override
  GCounter bottom() {
    return GCounter.empty();
  }

  @Override
  Step<GCounter, Long> randomStep(
      SplittableRandom random, ReplicaId replica, GCounter state, HybridTimestamp now) {
    long amount = random.nextInt(6);
    return new Step<>(amount, state.increment(replica, amount));
  }

  @Override
  GCounter decode(byte[] bytes) {
    return GCounter.fromBytes(bytes);
  }

  @Override
  Object observe(GCounter state) {
    return state.value();
  }

  @Override
  Object spec(List<Event<Long>> history) {
    return history.stream().mapToLong(Event::op).sum();
  }

  @Override
  boolean needsCausalDelivery() {
    return false;
  }

  @Override
  void assertValueIncludes(GCounter merged, GCounter part) {
    assertThat(merged.value()).isGreaterThanOrEqualTo(part.value());
  }

  @Test
  void merge_concurrentIncrements_sumsBoth() {
    GCounter a = GCounter.empty().increment(A, 2).state();
    GCounter b = GCounter.empty().increment(B, 3).state();
    assertThat(a.merge(b).value()).isEqualTo(5);
  }

  @Test
  void merge_sameIncrementTwice_countsOnce() {
    Mutation<GCounter> m = GCounter.empty().increment(A, 4);
    assertThat(m.state().merge(m.delta()).merge(m.delta()).value()).isEqualTo(4);
  }

  @Test
  void increment_negativeAmount_isRejected() {
    assertThatThrownBy(() -> GCounter.empty().increment(A, -1))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("only grows");
  }

  @Test
  void increment_delta_holdsOnlyTheActingReplica() {
    GCounter s = GCounter.empty().increment(B, 7).state();
    Mutation<GCounter> m = s.increment(A, 1);
    assertThat(m.delta().counts()).containsOnlyKeys(A).containsEntry(A, 1L);
  }
}
