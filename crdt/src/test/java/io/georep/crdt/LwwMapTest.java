package io.georep.crdt;

import static org.assertj.core.api.Assertions.assertThat;

import io.georep.vectorclock.HybridTimestamp;
import io.georep.vectorclock.ReplicaId;
import java.util.List;
import java.util.SplittableRandom;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

class LwwMapTest extends CrdtLaws<LwwMap<String, Long>, LwwMapTest.Write> {
  private static final ReplicaId A = ReplicaId.of("eu-west");
  private static final ReplicaId B = ReplicaId.of("us-east");

  /** A put of {@code value}, or a removal when it is null. */
  record Write(HybridTimestamp timestamp, String key, Long value) {}

  @Override
  LwwMap<String, Long> bottom() {
    return LwwMap.empty(ElementCodec.strings(), ElementCodec.longs());
  }

  @Override
  Step<LwwMap<String, Long>, Write> randomStep(
      SplittableRandom random, ReplicaId replica, LwwMap<String, Long> state, HybridTimestamp now) {
    String key = "key-" + random.nextInt(4);
    if (random.nextInt(3) == 0) {
      return new Step<>(new Write(now, key, null), state.remove(now, key));
    }
    long value = random.nextInt(100);
    return new Step<>(new Write(now, key, value), state.put(now, key, value));
  }

  @Override
  LwwMap<String, Long> decode(byte[] bytes) {
    return LwwMap.fromBytes(bytes, ElementCodec.strings(), ElementCodec.longs());
  }

  @Override
  Object observe(LwwMap<String, Long> state) {
    return new TreeMap<>(state.value());
  }

  @Override
  Object spec(List<Event<Write>> history) {
    TreeMap<String, Write> last = new TreeMap<>();
    for (Event<Write> e : history) {
      last.merge(
          e.op().key(), e.op(), (a, b) -> a.timestamp().compareTo(b.timestamp()) > 0 ? a : b);
    }
    TreeMap<String, Long> live = new TreeMap<>();
    last.forEach(
        (k, w) -> {
          if (w.value() != null) {
            live.put(k, w.value());
          }
        });
    return live;
  }

  @Override
  boolean needsCausalDelivery() {
    return false;
  }

  @Test
  void merge_olderPutAfterRemove_doesNotResurrect() {
    LwwMap<String, Long> put = bottom().put(new HybridTimestamp(1000, 0, A), "k", 1L).state();
    LwwMap<String, Long> removed = put.remove(new HybridTimestamp(2000, 0, B), "k").state();
    assertThat(removed.merge(put).get("k")).isEmpty();
    assertThat(removed.tombstones()).isEqualTo(1);
  }

  @Test
  void merge_concurrentPuts_greaterTimestampWins() {
    LwwMap<String, Long> a = bottom().put(new HybridTimestamp(1000, 1, A), "k", 1L).state();
    LwwMap<String, Long> b = bottom().put(new HybridTimestamp(1000, 0, B), "k", 2L).state();
    assertThat(a.merge(b).get("k")).contains(1L);
    assertThat(b.merge(a).get("k")).contains(1L);
  }
}
