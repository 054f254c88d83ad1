package io.georep.crdt;

import static org.assertj.core.api.Assertions.assertThat;

import io.georep.vectorclock.Dot;
import io.georep.vectorclock.HybridTimestamp;
import io.georep.vectorclock.ReplicaId;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

class OrSetTest extends CrdtLaws<OrSet<String>, OrSetTest.Op> {
  private static final ReplicaId A = ReplicaId.of("eu-west");
  private static final ReplicaId B = ReplicaId.of("us-east");

  /** Adds or removes of some elements, or a clear (remove of everything observed). */
  record Op(Kind kind, Set<String> elements) {}

  enum Kind {
    ADD,
    REMOVE,
    CLEAR
  }

  @Override
  OrSet<String> bottom() {
    return OrSet.empty(ElementCodec.strings());
  }

  @Override
  Step<OrSet<String>, Op> randomStep(
      SplittableRandom random, ReplicaId replica, OrSet<String> state, HybridTimestamp now) {
    int pick = random.nextInt(20);
    if (pick == 0) {
      return new Step<>(new Op(Kind.CLEAR, Set.of()), state.clear());
    }
    List<String> present = new ArrayList<>(state.value());
    if (pick < 8 && !present.isEmpty()) {
      String e = present.get(random.nextInt(present.size()));
      return new Step<>(new Op(Kind.REMOVE, Set.of(e)), state.remove(e));
    }
    if (pick < 10) {
      String e = "e" + random.nextInt(6);
      return new Step<>(new Op(Kind.REMOVE, Set.of(e)), state.remove(e));
    }
    if (pick < 12) {
      Set<String> some = Set.of("e" + random.nextInt(3), "e" + (3 + random.nextInt(3)));
      return new Step<>(new Op(Kind.ADD, some), state.addAll(replica, some));
    }
    String e = "e" + random.nextInt(6);
    return new Step<>(new Op(Kind.ADD, Set.of(e)), state.add(replica, e));
  }

  @Override
  OrSet<String> decode(byte[] bytes) {
    return OrSet.fromBytes(bytes, ElementCodec.strings());
  }

  @Override
  Object observe(OrSet<String> state) {
    return new TreeSet<>(state.value());
  }

  /** Add-wins: the elements with an addition that no removal of them (or clear) had seen. */
  @Override
  Object spec(List<Event<Op>> history) {
    TreeSet<String> present = new TreeSet<>();
    for (Event<Op> add : history) {
      if (add.op().kind() != Kind.ADD) {
        continue;
      }
      for (String e : add.op().elements()) {
        boolean removed =
            history.stream()
                .anyMatch(
                    r ->
                        r.saw(add)
                            && (r.op().kind() == Kind.CLEAR
                                || (r.op().kind() == Kind.REMOVE
                                    && r.op().elements().contains(e))));
        if (!removed) {
          present.add(e);
        }
      }
    }
    return present;
  }

  @Test
  void merge_concurrentAddAndRemove_addWins() {
    OrSet<String> shared = bottom().add(A, "x").state();
    OrSet<String> removed = shared.remove("x").state();
    OrSet<String> added = shared.add(B, "x").state();
    assertThat(removed.merge(added).value()).containsExactly("x");
    assertThat(added.merge(removed).value()).containsExactly("x");
  }

  @Test
  void merge_removeAfterObservedAdd_removes() {
    Mutation<OrSet<String>> add = bottom().add(A, "x");
    Mutation<OrSet<String>> remove = add.state().remove("x");
    OrSet<String> remote = bottom().merge(add.delta());
    assertThat(remote.merge(remove.delta()).value()).isEmpty();
  }

  @Test
  void merge_removeDeltaBeforeAddDelta_staysRemoved() {
    Mutation<OrSet<String>> add = bottom().add(A, "x");
    Mutation<OrSet<String>> remove = add.state().remove("x");
    OrSet<String> remote = bottom().merge(remove.delta()).merge(add.delta());
    assertThat(remote.value()).isEmpty();
    assertThat(remote.context().covers(new Dot(A, 1))).isTrue();
  }

  @Test
  void remove_keepsNoTombstone_onlyTheContextGrows() {
    OrSet<String> s = bottom();
    for (int i = 0; i < 100; i++) {
      s = s.add(A, "e" + i).state().remove("e" + i).state();
    }
    assertThat(s.value()).isEmpty();
    assertThat(s.context().cloud()).isEmpty();
    assertThat(s.context().vector().get(A)).isEqualTo(100);
    assertThat(s.toBytes().length).isLessThan(16);
  }

  @Test
  void add_presentElement_replacesItsDots() {
    OrSet<String> s = bottom().add(A, "x").state().add(B, "x").state();
    Mutation<OrSet<String>> m = s.add(A, "x");
    // The delta replaces B's dot (which had replaced A's first one) with A's second.
    assertThat(m.delta().context().covers(new Dot(B, 1))).isTrue();
    assertThat(m.delta().context().covers(new Dot(A, 2))).isTrue();
    assertThat(m.delta().context().covers(new Dot(A, 1))).isFalse();
    assertThat(m.state().toString()).contains("x=[eu-west:2]");
  }

  @Test
  void addAll_manyElements_givesConsecutiveDots() {
    Mutation<OrSet<String>> m = bottom().addAll(A, List.of("c", "a", "b", "a"));
    assertThat(m.state().value()).containsExactly("a", "b", "c");
    assertThat(m.state().context().vector().get(A)).isEqualTo(3);
    assertThat(m.delta()).isEqualTo(m.state());
  }
}
