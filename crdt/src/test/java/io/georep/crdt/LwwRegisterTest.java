package io.georep.crdt;

import static org.assertj.core.api.Assertions.assertThat;

import io.georep.vectorclock.HybridTimestamp;
import io.georep.vectorclock.ReplicaId;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class LwwRegisterTest extends CrdtLaws<LwwRegister<String>, LwwRegisterTest.Assign> {
  private static final ReplicaId A = ReplicaId.of("eu-west");
  private static final ReplicaId B = ReplicaId.of("us-east");

  record Assign(HybridTimestamp timestamp, String value) {}

  @Override
  LwwRegister<String> bottom() {
    return LwwRegister.empty(ElementCodec.strings());
  }

  @Override
  Step<LwwRegister<String>, Assign> randomStep(
      SplittableRandom random, ReplicaId replica, LwwRegister<String> state, HybridTimestamp now) {
    String value = "v" + random.nextInt(4);
    return new Step<>(new Assign(now, value), state.assign(now, value));
  }

  @Override
  LwwRegister<String> decode(byte[] bytes) {
    return LwwRegister.fromBytes(bytes, ElementCodec.strings());
  }

  @Override
  Object observe(LwwRegister<String> state) {
    return state.value();
  }

  @Override
  Object spec(List<Event<Assign>> history) {
    return history.stream()
        .map(Event::op)
        .max(Comparator.comparing(Assign::timestamp))
        .map(Assign::value);
  }

  @Override
  boolean needsCausalDelivery() {
    return false;
  }

  @Test
  void merge_concurrentAssignsAtSameWallTime_originBreaksTheTie() {
    HybridTimestamp ta = new HybridTimestamp(1000, 0, A);
    HybridTimestamp tb = new HybridTimestamp(1000, 0, B);
    LwwRegister<String> a = bottom().assign(ta, "from-a").state();
    LwwRegister<String> b = bottom().assign(tb, "from-b").state();
    assertThat(a.merge(b).value()).contains("from-b");
    assertThat(b.merge(a).value()).contains("from-b");
  }

  @Test
  void assign_olderTimestamp_hasNoEffectAndBottomDelta() {
    LwwRegister<String> s = bottom().assign(new HybridTimestamp(2000, 0, A), "new").state();
    Mutation<LwwRegister<String>> m = s.assign(new HybridTimestamp(1000, 5, B), "old");
    assertThat(m.state().value()).contains("new");
    assertThat(m.delta().isBottom()).isTrue();
  }

  @Test
  void value_nothingAssigned_isEmpty() {
    assertThat(bottom().value()).isEqualTo(Optional.empty());
    assertThat(bottom().timestamp()).isEmpty();
  }
}
