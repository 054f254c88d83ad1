package io.georep.crdt;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import io.georep.vectorclock.HybridTimestamp;
import io.georep.vectorclock.ReplicaId;
import io.georep.vectorclock.encoding.MalformedEncodingException;
import io.georep.vectorclock.testkit.Generators;
import io.georep.vectorclock.testkit.Seeds;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.stream.LongStream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The laws every CRDT of this module obeys, as seeded property tests. Each CRDT's test class
 * extends this contract and supplies generators: the bottom state, one random operation at a
 * replica (returning the operation's description and the {@link Mutation}), a decoder, and the
 * sequential specification of the value as a function of the operation history.
 *
 * <p>Random states are reachable states: several replicas run random operations and merge each
 * other's states at random, so dots, contexts and timestamps are consistent as in production. Each
 * law runs {@code georep.property.cases} seeds (1000 by default); a failure names the seed and the
 * replay command ({@code -Dgeorep.seed=S}).
 *
 * @param <T> the CRDT type
 * @param <O> the test's description of one operation, consumed by {@link #spec}
 */
abstract class CrdtLaws<T extends DeltaCrdt<T>, O> {

  /** One operation of a simulation: who issued it and the ids of the operations it had seen. */
  record Event<O>(int id, ReplicaId replica, O op, BitSet past) {
    /** Tells whether this event had seen the other one when it was issued. */
    boolean saw(Event<O> other) {
      return past.get(other.id);
    }
  }

  /** A random operation: its description and its effect. */
  record Step<T extends DeltaCrdt<T>, O>(O op, Mutation<T> mutation) {}

  /** The bottom state: what a new replica starts with. */
  abstract T bottom();

  /**
   * Applies one random operation at a replica.
   *
   * @param now a timestamp of the replica, unique in the run, for LWW types
   */
  abstract Step<T, O> randomStep(
      SplittableRandom random, ReplicaId replica, T state, HybridTimestamp now);

  /** Decodes {@code toBytes()} output. */
  abstract T decode(byte[] bytes);

  /** The value a user observes, comparable with {@link #spec}. */
  abstract Object observe(T state);

  /** The value the sequential specification gives for a complete history. */
  abstract Object spec(List<Event<O>> history);

  /**
   * Whether the specification depends on causality, so simulated deltas go through a causal gate
   * (as georep's receiver does). Types whose value ignores causality get deltas in any order.
   */
  boolean needsCausalDelivery() {
    return true;
  }

  /** Checks value-level inclusion of {@code part} in {@code merged}, where meaningful. */
  void assertValueIncludes(T merged, T part) {
    assertThat(merged.merge(part)).isEqualTo(merged);
  }

  // ---------------------------------------------------------------- generators

  /** Issues unique timestamps with frequent wall-time ties, so tie-breaks get exercised. */
  static final class Timestamps {
    private final Map<ReplicaId, Integer> issued = new HashMap<>();

    HybridTimestamp next(SplittableRandom random, ReplicaId replica) {
      int logical = issued.merge(replica, 1, Integer::sum);
      return new HybridTimestamp(1_700_000_000_000L + random.nextInt(4), logical, replica);
    }
  }

  /** States of 3 replicas after random operations and random full-state merges. */
  List<T> randomStates(SplittableRandom random) {
    List<ReplicaId> replicas = Generators.replicas(3);
    List<T> states = new ArrayList<>(List.of(bottom(), bottom(), bottom()));
    Timestamps clock = new Timestamps();
    int steps = random.nextInt(12);
    for (int s = 0; s < steps; s++) {
      int i = random.nextInt(3);
      if (random.nextInt(4) == 0) {
        states.set(i, states.get(i).merge(states.get(random.nextInt(3))));
      } else {
        ReplicaId r = replicas.get(i);
        T next = randomStep(random, r, states.get(i), clock.next(random, r)).mutation().state();
        states.set(i, next);
      }
    }
    return states;
  }

  // ---------------------------------------------------------------- laws

  static LongStream commutativeSeeds() {
    return Seeds.of("crdt-merge-commutative");
  }

  @ParameterizedTest(name = "seed={0}")
  @MethodSource("commutativeSeeds")
  void merge_anyTwoStates_isCommutative(long seed) {
    Seeds.check(
        seed,
        random -> {
          List<T> s = randomStates(random);
          T ab = s.get(0).merge(s.get(1));
          T ba = s.get(1).merge(s.get(0));
          assertThat(ab).isEqualTo(ba);
          assertThat(ab.toBytes()).isEqualTo(ba.toBytes());
        });
  }

  static LongStream associativeSeeds() {
    return Seeds.of("crdt-merge-associative");
  }

  @ParameterizedTest(name = "seed={0}")
  @MethodSource("associativeSeeds")
  void merge_anyThreeStates_isAssociative(long seed) {
    Seeds.check(
        seed,
        random -> {
          List<T> s = randomStates(random);
          T left = s.get(0).merge(s.get(1)).merge(s.get(2));
          T right = s.get(0).merge(s.get(1).merge(s.get(2)));
          assertThat(left).isEqualTo(right);
        });
  }

  static LongStream idempotentSeeds() {
    return Seeds.of("crdt-merge-idempotent");
  }

  @ParameterizedTest(name = "seed={0}")
  @MethodSource("idempotentSeeds")
  void merge_withItselfOrBottom_isUnchanged(long seed) {
    Seeds.check(
        seed,
        random -> {
          T a = randomStates(random).get(random.nextInt(3));
          assertThat(a.merge(a)).isEqualTo(a);
          assertThat(a.merge(bottom())).isEqualTo(a);
          assertThat(bottom().merge(a)).isEqualTo(a);
          assertThat(bottom().isBottom()).isTrue();
        });
  }

  static LongStream upperBoundSeeds() {
    return Seeds.of("crdt-merge-upper-bound");
  }

  @ParameterizedTest(name = "seed={0}")
  @MethodSource("upperBoundSeeds")
  void merge_anyTwoStates_losesNeitherInput(long seed) {
    Seeds.check(
        seed,
        random -> {
          List<T> s = randomStates(random);
          T m = s.get(0).merge(s.get(1));
          assertThat(m.merge(s.get(0))).isEqualTo(m);
          assertThat(m.merge(s.get(1))).isEqualTo(m);
          assertValueIncludes(m, s.get(0));
          assertValueIncludes(m, s.get(1));
        });
  }

  static LongStream deltaSeeds() {
    return Seeds.of("crdt-delta-equals-full-merge");
  }

  @ParameterizedTest(name = "seed={0}")
  @MethodSource("deltaSeeds")
  void delta_mergedAnywhere_equalsFullStateMerge(long seed) {
    Seeds.check(
        seed,
        random -> {
          List<T> s = randomStates(random);
          ReplicaId replica = Generators.replicas(3).get(0);
          Timestamps clock = new Timestamps();
          // Timestamps above any the generated states hold, for the acting replica.
          for (int k = 0; k < 20; k++) {
            clock.next(random, replica);
          }
          T before = s.get(0);
          T other = s.get(1);
          Mutation<T> first =
              randomStep(random, replica, before, clock.next(random, replica)).mutation();
          assertThat(before.merge(first.delta())).isEqualTo(first.state());
          assertThat(first.state().merge(first.delta())).isEqualTo(first.state());
          assertThat(other.merge(first.delta()).merge(before))
              .isEqualTo(other.merge(first.state()));
          Mutation<T> second =
              randomStep(random, replica, first.state(), clock.next(random, replica)).mutation();
          T group = first.delta().merge(second.delta());
          assertThat(before.merge(group)).isEqualTo(second.state());
          assertThat(other.merge(before).merge(group)).isEqualTo(other.merge(second.state()));
          if (first.delta().isBottom()) {
            assertThat(first.state()).isEqualTo(before);
          }
        });
  }

  static LongStream encodingSeeds() {
    return Seeds.of("crdt-encoding-round-trip");
  }

  @ParameterizedTest(name = "seed={0}")
  @MethodSource("encodingSeeds")
  void encoding_anyState_roundTripsByteExact(long seed) {
    Seeds.check(
        seed,
        random -> {
          List<T> s = randomStates(random);
          ReplicaId replica = Generators.replicas(3).get(1);
          T delta =
              randomStep(random, replica, s.get(1), new Timestamps().next(random, replica))
                  .mutation()
                  .delta();
          for (T state : List.of(s.get(0), s.get(0).merge(s.get(2)), delta, bottom())) {
            byte[] bytes = state.toBytes();
            T decoded = decode(bytes);
            assertThat(decoded).isEqualTo(state);
            assertThat(decoded.toBytes()).isEqualTo(bytes);
            assertThat(observe(decoded)).isEqualTo(observe(state));
          }
        });
  }

  static LongStream garbageSeeds() {
    return Seeds.of("crdt-decoding-garbage");
  }

  @ParameterizedTest(name = "seed={0}")
  @MethodSource("garbageSeeds")
  void decoding_mutatedBytes_throwsOnlyMalformedEncoding(long seed) {
    Seeds.check(
        seed,
        random -> {
          T state = randomStates(random).get(random.nextInt(3));
          byte[] valid = state.toBytes();
          List<byte[]> inputs = new ArrayList<>(Generators.mutants(random, valid, 16));
          byte[] noise = Generators.bytes(random, 24);
          if (noise.length > 0) {
            noise[0] = valid[0]; // the right tag, so decoding goes past it
          }
          inputs.add(noise);
          int decoded = 0;
          for (byte[] input : inputs) {
            T value;
            try {
              value = decode(input);
            } catch (MalformedEncodingException expected) {
              continue;
            }
            // Whatever decodes is canonical: it re-encodes to exactly the same bytes.
            assertThat(value.toBytes()).isEqualTo(input);
            decoded++;
          }
          assertThat(decoded).isLessThanOrEqualTo(inputs.size());
          assertThat(decode(valid)).isEqualTo(state);
        });
  }

  static LongStream simulationSeeds() {
    return Seeds.of("crdt-replica-simulation");
  }

  /**
   * Three to five replicas issue random operations and ship each delta to every other replica over
   * a network that reorders, duplicates and loses messages (a lost message is resent later), and
   * now and then ships a full state instead. After the network drains, every replica holds the same
   * state, whose value is the sequential specification of the history.
   */
  @ParameterizedTest(name = "seed={0}")
  @MethodSource("simulationSeeds")
  void simulation_randomDelivery_convergesToSpecification(long seed) {
    Seeds.check(seed, random -> new Simulation(random).run());
  }

  /** An in-flight message: a delta (of one operation) or a full state. */
  private record Message<T>(int target, T payload, BitSet knowledge, BitSet needs) {}

  private final class Simulation {
    private final SplittableRandom random;
    private final int n;
    private final List<ReplicaId> replicas;
    private final List<T> states = new ArrayList<>();
    private final List<BitSet> seen = new ArrayList<>();
    private final List<Event<O>> history = new ArrayList<>();
    private final List<Message<T>> inFlight = new ArrayList<>();
    private final List<Message<T>> lost = new ArrayList<>();
    private final Timestamps clock = new Timestamps();

    Simulation(SplittableRandom random) {
      this.random = random;
      this.n = 3 + random.nextInt(3);
      this.replicas = Generators.replicas(n);
      for (int i = 0; i < n; i++) {
        states.add(bottom());
        seen.add(new BitSet());
      }
    }

    void run() {
      int ops = 5 + random.nextInt(20);
      while (history.size() < ops) {
        int action = random.nextInt(10);
        if (action < 4) {
          operate(random.nextInt(n));
        } else if (action == 4) {
          int from = random.nextInt(n);
          send(random.nextInt(n), states.get(from), (BitSet) seen.get(from).clone(), new BitSet());
        } else if (action == 5 && !lost.isEmpty()) {
          inFlight.add(lost.remove(random.nextInt(lost.size())));
        } else {
          deliverOne(false);
        }
      }
      // Heal: resend everything lost, then drain the network without further loss.
      inFlight.addAll(lost);
      lost.clear();
      int guard = 0;
      while (!inFlight.isEmpty()) {
        assertThat(++guard).as("network drains").isLessThan(1_000_000);
        deliverOne(true);
      }
      BitSet all = new BitSet();
      all.set(0, history.size());
      for (int i = 0; i < n; i++) {
        assertThat(seen.get(i)).as("operations seen by %s", replicas.get(i)).isEqualTo(all);
        assertThat(states.get(i)).as("state of %s", replicas.get(i)).isEqualTo(states.get(0));
      }
      assertThat(observe(states.get(0))).as("converged value").isEqualTo(spec(history));
    }

    private void operate(int i) {
      ReplicaId r = replicas.get(i);
      T before = states.get(i);
      Step<T, O> step = randomStep(random, r, before, clock.next(random, r));
      assertThat(before.merge(step.mutation().delta())).isEqualTo(step.mutation().state());
      int id = history.size();
      BitSet past = (BitSet) seen.get(i).clone();
      history.add(new Event<>(id, r, step.op(), past));
      states.set(i, step.mutation().state());
      seen.get(i).set(id);
      BitSet knowledge = new BitSet();
      knowledge.set(id);
      for (int j = 0; j < n; j++) {
        if (j != i) {
          send(j, step.mutation().delta(), knowledge, needsCausalDelivery() ? past : new BitSet());
        }
      }
    }

    private void send(int target, T payload, BitSet knowledge, BitSet needs) {
      Message<T> m = new Message<>(target, payload, knowledge, needs);
      if (random.nextInt(5) == 0) {
        lost.add(m);
      } else {
        inFlight.add(m);
      }
      if (random.nextInt(5) == 0) {
        inFlight.add(m); // duplicated
      }
    }

    /**
     * Delivers a random in-flight message if it is causally ready, else the first ready one; if
     * none is ready (what they wait for was lost and not resent yet), nothing happens, unless the
     * network is draining, when every message must eventually be ready.
     */
    private void deliverOne(boolean draining) {
      if (inFlight.isEmpty()) {
        return;
      }
      int k = random.nextInt(inFlight.size());
      Message<T> m = inFlight.get(k);
      BitSet missing = (BitSet) m.needs().clone();
      missing.andNot(seen.get(m.target()));
      if (!missing.isEmpty()) {
        // Not ready: try the first ready one instead, so the drain always progresses.
        k = -1;
        for (int x = 0; x < inFlight.size() && k < 0; x++) {
          BitSet miss = (BitSet) inFlight.get(x).needs().clone();
          miss.andNot(seen.get(inFlight.get(x).target()));
          if (miss.isEmpty()) {
            k = x;
          }
        }
        if (k < 0) {
          if (draining) {
            fail("no message is causally ready: the simulated network is stuck");
          }
          return;
        }
        m = inFlight.get(k);
      }
      inFlight.remove(k);
      states.set(m.target(), states.get(m.target()).merge(m.payload()));
      seen.get(m.target()).or(m.knowledge());
    }
  }
}
