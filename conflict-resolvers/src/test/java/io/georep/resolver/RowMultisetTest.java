package io.georep.resolver;

import static org.assertj.core.api.Assertions.assertThat;

import io.georep.vectorclock.Dot;
import io.georep.vectorclock.HybridTimestamp;
import io.georep.vectorclock.ReplicaId;
import io.georep.vectorclock.VersionVector;
import io.georep.vectorclock.testkit.Seeds;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.stream.LongStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

class RowMultisetTest {
  private static final ReplicaId A = ReplicaId.of("a");
  private static final ReplicaId B = ReplicaId.of("b");

  private static RowMultiset.CopyId id(ReplicaId r, long seq, int ordinal) {
    return new RowMultiset.CopyId(new Dot(r, seq), ordinal);
  }

  private static HybridTimestamp ts(ReplicaId r, long wall) {
    return new HybridTimestamp(wall, 0, r);
  }

  @Test
  void insert_concurrentEqualRows_keepsBothCopies() {
    RowMultiset s = RowMultiset.empty().insert(id(A, 1, 0), ts(A, 1)).insert(id(B, 1, 0), ts(B, 1));
    assertThat(s.liveCount()).isEqualTo(2);
  }

  @Test
  void delete_concurrentDeletesOfOneOfTwoCopies_removeTheSameCopy() {
    RowMultiset two =
        RowMultiset.empty().insert(id(A, 1, 0), ts(A, 1)).insert(id(A, 1, 1), ts(A, 1));
    VersionVector seen = VersionVector.empty().advance(A, 1);
    RowMultiset.Deletion first = two.delete(id(A, 2, 0), ts(A, 2), seen);
    RowMultiset.Deletion second = first.state().delete(id(B, 1, 0), ts(B, 2), seen);
    assertThat(first.removed()).map(c -> c.id()).contains(id(A, 1, 0));
    assertThat(second.removed()).map(c -> c.id()).contains(id(A, 1, 0));
    assertThat(second.concurrentRemoval()).isPresent();
    assertThat(second.state().liveCount()).isEqualTo(1);
  }

  @Test
  void delete_sequentialDeletes_removeTwoCopies() {
    RowMultiset two =
        RowMultiset.empty().insert(id(A, 1, 0), ts(A, 1)).insert(id(A, 1, 1), ts(A, 1));
    RowMultiset.Deletion first =
        two.delete(id(A, 2, 0), ts(A, 2), VersionVector.empty().advance(A, 1));
    RowMultiset.Deletion second =
        first.state().delete(id(B, 1, 0), ts(B, 3), VersionVector.empty().advance(A, 2));
    assertThat(second.removed()).map(c -> c.id()).contains(id(A, 1, 1));
    assertThat(second.concurrentRemoval()).isEmpty();
    assertThat(second.state().liveCount()).isZero();
  }

  @Test
  void delete_ofACopyItNeverObserved_removesNothing() {
    RowMultiset one = RowMultiset.empty().insert(id(A, 5, 0), ts(A, 5));
    RowMultiset.Deletion d = one.delete(id(B, 1, 0), ts(B, 6), VersionVector.empty());
    assertThat(d.removed()).isEmpty();
    assertThat(d.state()).isEqualTo(one);
  }

  @Test
  void delete_ofACopyInsertedEarlierInItsOwnTransaction_removesIt() {
    RowMultiset one = RowMultiset.empty().insert(id(A, 5, 0), ts(A, 5));
    RowMultiset.Deletion d = one.delete(id(A, 5, 0), ts(A, 5), VersionVector.empty());
    assertThat(d.state().liveCount()).isZero();
    assertThat(d.state().contains(new Dot(A, 5))).isTrue();
  }

  @Test
  void prune_dropsCopiesWhoseRemovalIsStable() {
    RowMultiset one = RowMultiset.empty().insert(id(A, 1, 0), ts(A, 1));
    RowMultiset removed =
        one.delete(id(B, 3, 0), ts(B, 3), VersionVector.empty().advance(A, 1)).state();
    assertThat(removed.prune(VersionVector.empty().advance(A, 1).advance(B, 2))).isEqualTo(removed);
    assertThat(removed.prune(VersionVector.empty().advance(A, 1).advance(B, 3)).isEmpty()).isTrue();
  }

  static LongStream seeds() {
    return Seeds.of("row-multiset-three-regions");
  }

  /**
   * Three regions insert, delete and update rows of a keyless table holding few distinct values (so
   * equal rows abound), and deliver each other's transactions causally, in random orders and at
   * random times. After all are delivered every region holds equal states, whose encodings
   * round-trip.
   */
  @ParameterizedTest(name = "seed={0}")
  @MethodSource("seeds")
  void simulate_threeRegions_converge(long seed) {
    Seeds.check(seed, RowMultisetTest::simulate);
  }

  /** One transaction: one change of one value, or an update (delete of one, insert of another). */
  private record Tx(Dot dot, HybridTimestamp ts, VersionVector context, String from, String to) {}

  private static final class Region {
    final ReplicaId id;
    final Map<String, RowMultiset> values = new TreeMap<>();
    VersionVector applied = VersionVector.empty();
    long seq;
    final List<Tx> inbox = new ArrayList<>();

    Region(ReplicaId id) {
      this.id = id;
    }

    void apply(Tx tx) {
      if (tx.from != null) {
        RowMultiset s = values.getOrDefault(tx.from, RowMultiset.empty());
        values.put(tx.from, s.delete(new RowMultiset.CopyId(tx.dot, 0), tx.ts, tx.context).state());
      }
      if (tx.to != null) {
        RowMultiset s = values.getOrDefault(tx.to, RowMultiset.empty());
        values.put(tx.to, s.insert(new RowMultiset.CopyId(tx.dot, 0), tx.ts));
      }
      applied = applied.advance(tx.dot.origin(), tx.dot.seq());
    }
  }

  private static void simulate(SplittableRandom random) {
    List<Region> regions = List.of(new Region(A), new Region(B), new Region(ReplicaId.of("c")));
    String[] values = {"x", "y", "null"};
    long wall = 0;
    int steps = 20 + random.nextInt(60);
    for (int step = 0; step < steps; step++) {
      Region r = regions.get(random.nextInt(regions.size()));
      if (random.nextInt(3) == 0 && deliverOne(r, random)) {
        continue;
      }
      List<String> live = new ArrayList<>();
      r.values.forEach(
          (v, s) -> {
            if (s.liveCount() > 0) {
              live.add(v);
            }
          });
      String from = null;
      String to = null;
      int op = random.nextInt(3);
      if (op > 0 && !live.isEmpty()) {
        from = live.get(random.nextInt(live.size()));
      }
      if (op != 1 || from == null) {
        to = values[random.nextInt(values.length)];
      }
      Tx tx =
          new Tx(new Dot(r.id, ++r.seq), new HybridTimestamp(++wall, 0, r.id), r.applied, from, to);
      r.apply(tx);
      for (Region other : regions) {
        if (other != r) {
          other.inbox.add(tx);
        }
      }
    }
    boolean progress = true;
    while (progress) {
      progress = false;
      for (Region r : regions) {
        while (deliverOne(r, random)) {
          progress = true;
        }
      }
    }
    for (Region r : regions) {
      assertThat(r.inbox).as("undelivered in %s", r.id).isEmpty();
      assertThat(r.values).as("%s vs %s", r.id, regions.get(0).id).isEqualTo(regions.get(0).values);
      r.values.values().forEach(s -> assertThat(RowMultiset.fromBytes(s.toBytes())).isEqualTo(s));
    }
  }

  /** Delivers one causally ready transaction from the region's inbox, chosen at random. */
  private static boolean deliverOne(Region r, SplittableRandom random) {
    List<Tx> ready = new ArrayList<>();
    for (Tx tx : r.inbox) {
      if (r.applied.covers(tx.context) && r.applied.get(tx.dot.origin()) == tx.dot.seq() - 1) {
        ready.add(tx);
      }
    }
    if (ready.isEmpty()) {
      return false;
    }
    Tx tx = ready.get(random.nextInt(ready.size()));
    r.inbox.remove(tx);
    r.apply(tx);
    return true;
  }
}
