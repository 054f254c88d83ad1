package io.georep.crdt;

import static org.assertj.core.api.Assertions.assertThat;

import io.georep.vectorclock.HybridTimestamp;
import io.georep.vectorclock.ReplicaId;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class PnCounterTest extends CrdtLaws<PnCounter, Long> {
  private static final ReplicaId A = ReplicaId.of("eu-west");
  private static final ReplicaId B = ReplicaId.of("us-east");

  @Override
  PnCounter bottom() {
    return PnCounter.empty();
  }

  @Override
  Step<PnCounter, Long> randomStep(
      SplittableRandom random, ReplicaId replica, PnCounter state, HybridTimestamp now) {
    long amount = random.nextInt(6);
    return random.nextBoolean()
        ? new Step<>(amount, state.increment(replica, amount))
        : new Step<>(-amount, state.decrement(replica, amount));
  }

  @Override
  PnCounter decode(byte[] bytes) {
    return PnCounter.fromBytes(bytes);
  }

  @Override
  Object observe(PnCounter state) {
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

  @Test
  void merge_concurrentIncrementAndDecrement_addsUp() {
    PnCounter a = PnCounter.empty().increment(A, 5).state();
    PnCounter b = PnCounter.empty().decrement(B, 8).state();
    assertThat(a.merge(b).value()).isEqualTo(-3);
  }

  @Test
  void decrement_delta_touchesOnlyDecrements() {
    Mutation<PnCounter> m = PnCounter.empty().increment(A, 2).state().decrement(A, 1);
    assertThat(m.delta().increments().isBottom()).isTrue();
    assertThat(m.delta().decrements().get(A)).isEqualTo(1);
    assertThat(m.state().value()).isEqualTo(1);
  }
}
