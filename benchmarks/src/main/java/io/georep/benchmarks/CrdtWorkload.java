package io.georep.benchmarks;

import io.georep.crdt.ElementCodec;
import io.georep.crdt.OrSet;
import io.georep.crdt.PnCounter;
import io.georep.vectorclock.ReplicaId;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.apache.pekko.actor.Address;
import org.apache.pekko.cluster.UniqueAddress;
import org.apache.pekko.cluster.ddata.ORSet;
import org.apache.pekko.cluster.ddata.PNCounter;
import org.apache.pekko.cluster.ddata.SelfUniqueAddress;

/**
 * The CRDT states the benchmarks merge and encode, built identically for georep and for Pekko
 * Distributed Data from one seed.
 *
 * <p><b>OR-Set of {@code size} elements:</b> replica A adds the strings {@code element-0 ..
 * element-(size-1)}; replica B receives that state; then, concurrently, each replica removes a
 * different 10% of the elements and adds 10% new ones (half of them the same new elements on both
 * sides). The two resulting states are what is merged; A's is what is encoded.
 *
 * <p><b>PN-Counter of {@code size} entries:</b> {@code size} replicas each increment (and every
 * third one also decrements) the counter, giving state A; B receives A and then half of the
 * replicas increment again, concurrently with a different quarter of them incrementing A. So {@code
 * size} is the number of replica entries, the dimension a counter's merge and encoding grow with.
 */
final class CrdtWorkload {
  static final ReplicaId GEOREP_A = ReplicaId.of("replica-a");
  static final ReplicaId GEOREP_B = ReplicaId.of("replica-b");
  static final SelfUniqueAddress PEKKO_A = pekkoNode("replica-a", 1);
  static final SelfUniqueAddress PEKKO_B = pekkoNode("replica-b", 2);

  private CrdtWorkload() {}

  private static SelfUniqueAddress pekkoNode(String host, long uid) {
    return new SelfUniqueAddress(
        new UniqueAddress(new Address("pekko", "georep", host, 7355), uid));
  }

  /** What each replica does to the shared base set: removals and additions, per replica. */
  private record SetPlan(List<String> base, List<List<String>> removes, List<List<String>> adds) {}

  private static SetPlan setPlan(int size, long seed) {
    SplittableRandom random = new SplittableRandom(seed);
    List<String> base = new ArrayList<>(size);
    for (int i = 0; i < size; i++) {
      base.add("element-" + i);
    }
    List<List<String>> removes = List.of(new ArrayList<>(), new ArrayList<>());
    List<List<String>> adds = List.of(new ArrayList<>(), new ArrayList<>());
    for (String e : base) {
      int r = random.nextInt(10);
      if (r < 2) {
        removes.get(r).add(e); // 10% removed by A, another 10% by B
      }
    }
    int fresh = Math.max(1, size / 10);
    for (int i = 0; i < fresh; i++) {
      String e = "element-" + (size + i);
      adds.get(0).add(e);
      adds.get(1).add(i % 2 == 0 ? e : "element-" + (size + fresh + i));
    }
    return new SetPlan(base, removes, adds);
  }

  static List<OrSet<String>> georepSets(int size, long seed) {
    SetPlan plan = setPlan(size, seed);
    OrSet<String> base = OrSet.empty(ElementCodec.strings()).addAll(GEOREP_A, plan.base()).state();
    List<OrSet<String>> out = new ArrayList<>();
    ReplicaId[] replicas = {GEOREP_A, GEOREP_B};
    for (int k = 0; k < 2; k++) {
      OrSet<String> s = base.removeAll(plan.removes().get(k)).state();
      out.add(s.addAll(replicas[k], plan.adds().get(k)).state());
    }
    return out;
  }

  static List<ORSet<String>> pekkoSets(int size, long seed) {
    SetPlan plan = setPlan(size, seed);
    ORSet<String> base = ORSet.create();
    for (String e : plan.base()) {
      base = base.add(PEKKO_A, e);
    }
    base = base.resetDelta();
    List<ORSet<String>> out = new ArrayList<>();
    SelfUniqueAddress[] replicas = {PEKKO_A, PEKKO_B};
    for (int k = 0; k < 2; k++) {
      ORSet<String> s = base;
      for (String e : plan.removes().get(k)) {
        s = s.remove(replicas[k], e);
      }
      for (String e : plan.adds().get(k)) {
        s = s.add(replicas[k], e);
      }
      out.add(s.resetDelta());
    }
    return out;
  }

  /** Per replica entry i: the amounts of A's increment, A's decrement, B's and A's later ones. */
  private static long[][] counterPlan(int size, long seed) {
    SplittableRandom random = new SplittableRandom(seed);
    long[][] plan = new long[size][4];
    for (int i = 0; i < size; i++) {
      plan[i][0] = 1L + random.nextInt(1000);
      plan[i][1] = i % 3 == 0 ? 1 + random.nextInt(100) : 0;
      plan[i][2] = i % 2 == 0 ? 1 + random.nextInt(10) : 0;
      plan[i][3] = i % 4 == 1 ? 1 + random.nextInt(10) : 0;
    }
    return plan;
  }

  /**
   * Builds the counters from single-replica states merged pairwise, since the immutable counter
   * copies its entries on every mutation and {@code size} sequential mutations would be quadratic.
   */
  static List<PnCounter> georepCounters(int size, long seed) {
    long[][] plan = counterPlan(size, seed);
    ReplicaId[] replicas = new ReplicaId[size];
    List<PnCounter> entries = new ArrayList<>(size);
    for (int i = 0; i < size; i++) {
      replicas[i] = ReplicaId.of("replica-" + i);
      entries.add(
          PnCounter.empty()
              .increment(replicas[i], plan[i][0])
              .state()
              .decrement(replicas[i], plan[i][1])
              .state());
    }
    PnCounter base = mergeAll(entries);
    List<PnCounter> toB = new ArrayList<>();
    List<PnCounter> toA = new ArrayList<>();
    for (int i = 0; i < size; i++) {
      long count = base.increments().get(replicas[i]);
      toB.add(PnCounter.empty().increment(replicas[i], count + plan[i][2]).state());
      toA.add(PnCounter.empty().increment(replicas[i], count + plan[i][3]).state());
    }
    return List.of(base.merge(mergeAll(toA)), base.merge(mergeAll(toB)));
  }

  private static PnCounter mergeAll(List<PnCounter> counters) {
    List<PnCounter> level = counters;
    while (level.size() > 1) {
      List<PnCounter> next = new ArrayList<>((level.size() + 1) / 2);
      for (int i = 0; i < level.size(); i += 2) {
        next.add(i + 1 < level.size() ? level.get(i).merge(level.get(i + 1)) : level.get(i));
      }
      level = next;
    }
    return level.isEmpty() ? PnCounter.empty() : level.get(0);
  }

  static List<PNCounter> pekkoCounters(int size, long seed) {
    long[][] plan = counterPlan(size, seed);
    SelfUniqueAddress[] nodes = new SelfUniqueAddress[size];
    PNCounter a = PNCounter.create();
    for (int i = 0; i < size; i++) {
      nodes[i] = pekkoNode("replica-" + i, i + 1L);
      a = a.increment(nodes[i], plan[i][0]);
      if (plan[i][1] > 0) {
        a = a.decrement(nodes[i], plan[i][1]);
      }
    }
    PNCounter b = a;
    for (int i = 0; i < size; i++) {
      if (plan[i][2] > 0) {
        b = b.increment(nodes[i], plan[i][2]);
      }
      if (plan[i][3] > 0) {
        a = a.increment(nodes[i], plan[i][3]);
      }
    }
    return List.of(a.resetDelta(), b.resetDelta());
  }
}
