package io.georep.crdt;

import static org.assertj.core.api.Assertions.assertThat;

import io.georep.vectorclock.HybridTimestamp;
import io.georep.vectorclock.ReplicaId;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

class OrMapOfMvRegistersTest
    extends CrdtLaws<OrMap<String, MvRegister<String>>, OrMapOfMvRegistersTest.Op> {
  private static final ReplicaId A = ReplicaId.of("eu-west");
  private static final ReplicaId B = ReplicaId.of("us-east");
  private static final OrMap.ValueType<MvRegister<String>> TYPE =
      OrMap.ValueType.mvRegisters(ElementCodec.strings());

  /** An assignment to a key's register, or the key's removal when {@code value} is null. */
  record Op(String key, String value) {}

  @Override
  OrMap<String, MvRegister<String>> bottom() {
    return OrMap.empty(ElementCodec.strings(), TYPE);
  }

  @Override
  Step<OrMap<String, MvRegister<String>>, Op> randomStep(
      SplittableRandom random,
      ReplicaId replica,
      OrMap<String, MvRegister<String>> state,
      HybridTimestamp now) {
    List<String> keys = new ArrayList<>(state.keys());
    if (!keys.isEmpty() && random.nextInt(3) == 0) {
      String key = keys.get(random.nextInt(keys.size()));
      return new Step<>(new Op(key, null), state.remove(key));
    }
    String key = "k" + random.nextInt(3);
    String value = "v" + random.nextInt(3);
    return new Step<>(new Op(key, value), state.update(key, r -> r.assign(replica, value)));
  }

  @Override
  OrMap<String, MvRegister<String>> decode(byte[] bytes) {
    return OrMap.fromBytes(bytes, ElementCodec.strings(), TYPE);
  }

  @Override
  Object observe(OrMap<String, MvRegister<String>> state) {
    TreeMap<String, List<String>> view = new TreeMap<>();
    state.value().forEach((k, v) -> view.put(k, v.values()));
    return view;
  }

  /** Per key: the assignments that no later assignment to, or removal of, the key had seen. */
  @Override
  Object spec(List<Event<Op>> history) {
    TreeMap<String, TreeSet<String>> live = new TreeMap<>();
    for (Event<Op> w : history) {
      if (w.op().value() == null) {
        continue;
      }
      boolean overwritten =
          history.stream().anyMatch(e -> e.saw(w) && e.op().key().equals(w.op().key()));
      if (!overwritten) {
        live.computeIfAbsent(w.op().key(), k -> new TreeSet<>()).add(w.op().value());
      }
    }
    TreeMap<String, List<String>> view = new TreeMap<>();
    live.forEach((k, v) -> view.put(k, List.copyOf(v)));
    return view;
  }

  @Test
  void merge_removeConcurrentWithUpdate_keyStaysWithTheUpdate() {
    OrMap<String, MvRegister<String>> shared =
        bottom().update("k", r -> r.assign(A, "old")).state();
    OrMap<String, MvRegister<String>> removed = shared.remove("k").state();
    OrMap<String, MvRegister<String>> updated = shared.update("k", r -> r.assign(B, "new")).state();
    OrMap<String, MvRegister<String>> merged = removed.merge(updated);
    assertThat(merged.keys()).containsExactly("k");
    assertThat(merged.get("k").orElseThrow().values()).containsExactly("new");
  }

  @Test
  void remove_observedKey_leavesNoEntryButCoversItsDots() {
    Mutation<OrMap<String, MvRegister<String>>> put = bottom().update("k", r -> r.assign(A, "v"));
    Mutation<OrMap<String, MvRegister<String>>> removal = put.state().remove("k");
    OrMap<String, MvRegister<String>> remote = bottom().merge(removal.delta()).merge(put.delta());
    assertThat(remote.keys()).isEmpty();
    assertThat(remote).isEqualTo(removal.state());
  }

  @Test
  void orSetValues_updateAndRemove_behaveAsEmbeddedSets() {
    OrMap.ValueType<OrSet<Long>> sets = OrMap.ValueType.orSets(ElementCodec.longs());
    OrMap<String, OrSet<Long>> m =
        OrMap.empty(ElementCodec.strings(), sets)
            .update("tags", s -> s.add(A, 1L))
            .state()
            .update("tags", s -> s.add(A, 2L))
            .state();
    assertThat(m.get("tags").orElseThrow().value()).containsExactly(1L, 2L);
    OrMap<String, OrSet<Long>> decoded = OrMap.fromBytes(m.toBytes(), ElementCodec.strings(), sets);
    assertThat(decoded).isEqualTo(m);
    assertThat(m.remove("tags").state().keys()).isEmpty();
  }
}
