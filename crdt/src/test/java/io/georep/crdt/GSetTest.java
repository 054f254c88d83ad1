package io.georep.crdt;

import static org.assertj.core.api.Assertions.assertThat;

import io.georep.vectorclock.HybridTimestamp;
import io.georep.vectorclock.ReplicaId;
import java.util.List;
import java.util.SplittableRandom;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

class GSetTest extends CrdtLaws<GSet<String>, String> {
  @Override
  GSet<String> bottom() {
    return GSet.empty(ElementCodec.strings());
  }

  @Override
  Step<GSet<String>, String> randomStep(
      SplittableRandom random, ReplicaId replica, GSet<String> state, HybridTimestamp now) {
    String e = "element-" + random.nextInt(8);
    return new Step<>(e, state.add(e));
  }

  @Override
  GSet<String> decode(byte[] bytes) {
    return GSet.fromBytes(bytes, ElementCodec.strings());
  }

  @Override
  Object observe(GSet<String> state) {
    return new TreeSet<>(state.value());
  }

  @Override
  Object spec(List<Event<String>> history) {
    TreeSet<String> all = new TreeSet<>();
    history.forEach(e -> all.add(e.op()));
    return all;
  }

  @Override
  boolean needsCausalDelivery() {
    return false;
  }

  @Override
  void assertValueIncludes(GSet<String> merged, GSet<String> part) {
    assertThat(merged.value()).containsAll(part.value());
  }

  @Test
  void merge_disjointSets_isUnion() {
    GSet<String> a = bottom().add("x").state();
    GSet<String> b = bottom().add("y").state();
    assertThat(a.merge(b).value()).containsExactly("x", "y");
  }

  @Test
  void add_presentElement_givesBottomDelta() {
    GSet<String> a = bottom().add("x").state();
    assertThat(a.add("x").delta().isBottom()).isTrue();
  }

  @Test
  void toBytes_sharedPrefixes_areFrontCoded() {
    GSet<String> s = bottom().add("customer-000001").state().add("customer-000002").state();
    // Tag, count; then [0 * 8 + 7][15 - 7]["customer-000001"] and [14 * 8 + 1]["2"].
    assertThat(s.toBytes()).hasSize(1 + 1 + 17 + 2);
    assertThat(GSet.fromBytes(s.toBytes(), ElementCodec.strings())).isEqualTo(s);
  }

  @Test
  void addAll_equalsAddingOneByOne_andItsDeltaHoldsTheNewElements() {
    GSet<String> base = bottom().add("b").state().add("e").state();
    Mutation<GSet<String>> m = base.addAll(List.of("e", "c", "x", "c"));
    assertThat(m.state()).isEqualTo(base.add("c").state().add("x").state());
    assertThat(m.delta().value()).containsExactly("c", "x");
    assertThat(base.merge(m.delta())).isEqualTo(m.state());
    assertThat(base.addAll(List.of("b", "e")).delta().isBottom()).isTrue();
    assertThat(base.addAll(List.of("b")).state()).isSameAs(base);
  }
}
