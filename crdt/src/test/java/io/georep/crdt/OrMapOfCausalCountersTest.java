package io.georep.crdt;

import static org.assertj.core.api.Assertions.assertThat;

import io.georep.vectorclock.HybridTimestamp;
import io.georep.vectorclock.ReplicaId;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

class OrMapOfCausalCountersTest
    extends CrdtLaws<OrMap<String, CausalCounter>, OrMapOfCausalCountersTest.Op> {
  private static final ReplicaId A = ReplicaId.of("eu-west");
  private static final ReplicaId B = ReplicaId.of("us-east");
  private static final OrMap.ValueType<CausalCounter> TYPE = OrMap.ValueType.causalCounters();

  /** An increment (negative: decrement) of a key's counter, or the key's removal. */
  record Op(String key, long amount, boolean remove) {}

  @Override
  OrMap<String, CausalCounter> bottom() {
    return OrMap.empty(ElementCodec.strings(), TYPE);
  }

  @Override
  Step<OrMap<String, CausalCounter>, Op> randomStep(
      SplittableRandom random,
      ReplicaId replica,
      OrMap<String, CausalCounter> state,
      HybridTimestamp now) {
    List<String> keys = new ArrayList<>(state.keys());
    if (!keys.isEmpty() && random.nextInt(4) == 0) {
      String key = keys.get(random.nextInt(keys.size()));
      return new Step<>(new Op(key, 0, true), state.remove(key));
    }
    String key = "k" + random.nextInt(3);
    long amount = random.nextInt(7) - 3L;
    return new Step<>(
        new Op(key, amount, false),
        state.update(
            key, c -> amount >= 0 ? c.increment(replica, amount) : c.decrement(replica, -amount)));
  }

  @Override
  OrMap<String, CausalCounter> decode(byte[] bytes) {
    return OrMap.fromBytes(bytes, ElementCodec.strings(), TYPE);
  }

  @Override
  Object observe(OrMap<String, CausalCounter> state) {
    TreeMap<String, Long> view = new TreeMap<>();
    state.value().forEach((k, v) -> view.put(k, v.value()));
    return view;
  }

  /**
   * The causal counter's semantics: each replica's latest update of a key carries its running
   * total, which restarts from zero once the replica has seen a removal of the key that saw its
   * previous update; the key holds the totals of the latest updates no removal has seen.
   */
  @Override
  Object spec(List<Event<Op>> history) {
    TreeMap<String, Long> view = new TreeMap<>();
    for (String key : List.of("k0", "k1", "k2")) {
      List<Event<Op>> removals =
          history.stream().filter(e -> e.op().remove() && e.op().key().equals(key)).toList();
      long sum = 0;
      boolean present = false;
      for (ReplicaId r : history.stream().map(Event::replica).distinct().toList()) {
        Event<Op> latest = null;
        long total = 0;
        for (Event<Op> e : history) {
          if (!e.replica().equals(r)
              || e.op().remove()
              || e.op().amount() == 0
              || !e.op().key().equals(key)) {
            continue;
          }
          Event<Op> previous = latest;
          boolean reset =
              previous != null && removals.stream().anyMatch(x -> e.saw(x) && x.saw(previous));
          total = (previous == null || reset ? 0 : total) + e.op().amount();
          latest = e;
        }
        Event<Op> last = latest;
        if (last != null && removals.stream().noneMatch(x -> x.saw(last))) {
          sum += total;
          present = true;
        }
      }
      if (present) {
        view.put(key, sum);
      }
    }
    return view;
  }

  @Test
  void remove_observedIncrements_resetsTheKey() {
    OrMap<String, CausalCounter> m =
        bottom()
            .update("k", c -> c.increment(A, 5))
            .state()
            .merge(bottom().update("k", c -> c.increment(B, 2)).state());
    Mutation<OrMap<String, CausalCounter>> removal = m.remove("k");
    assertThat(removal.state().keys()).isEmpty();
    OrMap<String, CausalCounter> again =
        removal.state().update("k", c -> c.increment(A, 1)).state();
    assertThat(again.get("k").orElseThrow().value()).isEqualTo(1);
  }

  @Test
  void merge_incrementConcurrentWithRemove_keepsTheUnseenIncrement() {
    OrMap<String, CausalCounter> shared = bottom().update("k", c -> c.increment(A, 5)).state();
    OrMap<String, CausalCounter> removed = shared.remove("k").state();
    OrMap<String, CausalCounter> incremented = shared.update("k", c -> c.increment(B, 2)).state();
    assertThat(removed.merge(incremented).get("k").orElseThrow().value()).isEqualTo(2);
  }
}
