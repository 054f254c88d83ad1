package io.georep.crdt;

import static org.assertj.core.api.Assertions.assertThat;

import io.georep.vectorclock.HybridTimestamp;
import io.georep.vectorclock.ReplicaId;
import java.util.List;
import java.util.SplittableRandom;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

class MvRegisterTest extends CrdtLaws<MvRegister<String>, MvRegisterTest.Op> {
  private static final ReplicaId A = ReplicaId.of("eu-west");
  private static final ReplicaId B = ReplicaId.of("us-east");

  /** An assignment of {@code value}, or a reset when {@code value} is null. */
  record Op(String value) {}

  @Override
  MvRegister<String> bottom() {
    return MvRegister.empty(ElementCodec.strings());
  }

  @Override
  Step<MvRegister<String>, Op> randomStep(
      SplittableRandom random, ReplicaId replica, MvRegister<String> state, HybridTimestamp now) {
    if (random.nextInt(5) == 0) {
      return new Step<>(new Op(null), state.reset());
    }
    String value = "v" + random.nextInt(4);
    return new Step<>(new Op(value), state.assign(replica, value));
  }

  @Override
  MvRegister<String> decode(byte[] bytes) {
    return MvRegister.fromBytes(bytes, ElementCodec.strings());
  }

  @Override
  Object observe(MvRegister<String> state) {
    return state.values();
  }

  /** The values of the assignments that no later assignment or reset has seen. */
  @Override
  Object spec(List<Event<Op>> history) {
    TreeSet<String> values = new TreeSet<>();
    for (Event<Op> w : history) {
      if (w.op().value() != null && history.stream().noneMatch(e -> e.saw(w))) {
        values.add(w.op().value());
      }
    }
    return List.copyOf(values);
  }

  @Test
  void merge_concurrentAssigns_keepsBoth() {
    MvRegister<String> a = bottom().assign(A, "x").state();
    MvRegister<String> b = bottom().assign(B, "y").state();
    assertThat(a.merge(b).values()).containsExactly("x", "y");
  }

  @Test
  void assign_afterSeeingConcurrentValues_overwritesBoth() {
    MvRegister<String> both =
        bottom().assign(A, "x").state().merge(bottom().assign(B, "y").state());
    Mutation<MvRegister<String>> m = both.assign(A, "z");
    assertThat(m.state().values()).containsExactly("z");
    assertThat(both.merge(m.delta()).values()).containsExactly("z");
  }

  @Test
  void reset_concurrentAssign_survives() {
    MvRegister<String> shared = bottom().assign(A, "x").state();
    MvRegister<String> reset = shared.reset().state();
    MvRegister<String> assigned = shared.assign(B, "y").state();
    assertThat(reset.merge(assigned).values()).containsExactly("y");
  }
}
