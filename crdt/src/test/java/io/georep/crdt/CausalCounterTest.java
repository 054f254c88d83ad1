package io.georep.crdt;

import static org.assertj.core.api.Assertions.assertThat;

import io.georep.vectorclock.HybridTimestamp;
import io.georep.vectorclock.ReplicaId;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class CausalCounterTest extends CrdtLaws<CausalCounter, Long> {
  private static final ReplicaId A = ReplicaId.of("eu-west");
  private static final ReplicaId B = ReplicaId.of("us-east");

  @Override
  CausalCounter bottom() {
    return CausalCounter.empty();
  }

  @Override
  Step<CausalCounter, Long> randomStep(
      SplittableRandom random, ReplicaId replica, CausalCounter state, HybridTimestamp now) {
    long amount = random.nextInt(6);
    return random.nextBoolean()
        ? new Step<>(amount, state.increment(replica, amount))
        : new Step<>(-amount, state.decrement(replica, amount));
  }

  @Override
  CausalCounter decode(byte[] bytes) {
    return CausalCounter.fromBytes(bytes);
  }

  @Override
  Object observe(CausalCounter state) {
    return state.value();
  }

  @Override
  Object spec(List<Event<Long>> history) {
    return history.stream().mapToLong(Event::op).sum();
  }

  @Test
  void increment_twice_keepsOneDotPerReplica() {
    CausalCounter c = bottom().increment(A, 2).state().increment(A, 3).state();
    assertThat(c.value()).isEqualTo(5);
    assertThat(c.context().vector().get(A)).isEqualTo(2);
    assertThat(c.toBytes()).isEqualTo(CausalCounter.fromBytes(c.toBytes()).toBytes());
  }

  @Test
  void merge_staleDelta_isDroppedByContext() {
    Mutation<CausalCounter> first = bottom().increment(A, 2);
    Mutation<CausalCounter> second = first.state().increment(A, 3);
    CausalCounter remote = bottom().increment(B, 10).state().merge(second.delta());
    assertThat(remote.merge(first.delta()).value()).isEqualTo(15);
  }
}
