package io.georep.vectorclock;

import static org.assertj.core.api.Assertions.assertThat;

import io.georep.vectorclock.testkit.Generators;
import io.georep.vectorclock.testkit.Seeds;
import java.util.SplittableRandom;
import java.util.stream.LongStream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

class VersionVectorPropertiesTest {

  static LongStream partialOrder() {
    return Seeds.of("version-vector-partial-order");
  }

  static LongStream join() {
    return Seeds.of("version-vector-join");
  }

  static LongStream dots() {
    return Seeds.of("version-vector-dots");
  }

  private static VersionVector vector(SplittableRandom random) {
    // Small counters over few replicas make equal and ordered pairs common, not only concurrent.
    return Generators.versionVector(random, 3, 3);
  }

  private static boolean lessOrEqual(VersionVector a, VersionVector b) {
    CausalOrder order = a.compare(b);
    return order == CausalOrder.BEFORE || order == CausalOrder.EQUAL;
  }

  private static boolean pointwiseLessOrEqual(VersionVector a, VersionVector b) {
    return a.entries().entrySet().stream().allMatch(e -> e.getValue() <= b.get(e.getKey()));
  }

  @ParameterizedTest(name = "seed={0}")
  @MethodSource("partialOrder")
  void compare_anyVectors_isPartialOrderMatchingPointwiseOrder(long seed) {
    Seeds.check(
        seed,
        random -> {
          VersionVector a = vector(random);
          VersionVector b = vector(random);
          VersionVector c = vector(random);
          assertThat(a.compare(a)).isEqualTo(CausalOrder.EQUAL);
          assertThat(lessOrEqual(a, b)).isEqualTo(pointwiseLessOrEqual(a, b));
          if (lessOrEqual(a, b) && lessOrEqual(b, a)) {
            assertThat(a).isEqualTo(b);
          }
          if (lessOrEqual(a, b) && lessOrEqual(b, c)) {
            assertThat(lessOrEqual(a, c)).isTrue();
          }
          CausalOrder ab = a.compare(b);
          CausalOrder ba = b.compare(a);
          switch (ab) {
            case BEFORE -> assertThat(ba).isEqualTo(CausalOrder.AFTER);
            case AFTER -> assertThat(ba).isEqualTo(CausalOrder.BEFORE);
            case EQUAL -> assertThat(ba).isEqualTo(CausalOrder.EQUAL);
            case CONCURRENT -> assertThat(ba).isEqualTo(CausalOrder.CONCURRENT);
          }
          assertThat(a.covers(b)).isEqualTo(lessOrEqual(b, a));
        });
  }

  @ParameterizedTest(name = "seed={0}")
  @MethodSource("join")
  void join_anyVectors_isLeastUpperBoundConsistentWithCompare(long seed) {
    Seeds.check(
        seed,
        random -> {
          VersionVector a = vector(random);
          VersionVector b = vector(random);
          VersionVector c = vector(random);
          VersionVector ab = a.join(b);
          assertThat(ab).isEqualTo(b.join(a));
          assertThat(a.join(a)).isEqualTo(a);
          assertThat(ab.join(c)).isEqualTo(a.join(b.join(c)));
          assertThat(lessOrEqual(a, ab)).isTrue();
          assertThat(lessOrEqual(b, ab)).isTrue();
          // Least: any upper bound of both is above the join.
          if (lessOrEqual(a, c) && lessOrEqual(b, c)) {
            assertThat(lessOrEqual(ab, c)).isTrue();
          }
          // Consistency of join with the order: a <= b iff a join b == b.
          assertThat(lessOrEqual(a, b)).isEqualTo(ab.equals(b));
          VersionVector meet = a.meet(b);
          assertThat(lessOrEqual(meet, a)).isTrue();
          assertThat(lessOrEqual(meet, b)).isTrue();
          assertThat(meet).isEqualTo(b.meet(a));
          assertThat(a.join(meet)).isEqualTo(a);
        });
  }

  @ParameterizedTest(name = "seed={0}")
  @MethodSource("dots")
  void covers_dots_matchesIncrementAndAdd(long seed) {
    Seeds.check(
        seed,
        random -> {
          VersionVector a = vector(random);
          ReplicaId r = Generators.replica(random, 3);
          Dot next = a.nextDot(r);
          assertThat(a.covers(next)).isFalse();
          VersionVector incremented = a.increment(r);
          assertThat(incremented.covers(next)).isTrue();
          assertThat(incremented).isEqualTo(a.add(next));
          assertThat(a.compare(incremented)).isEqualTo(CausalOrder.BEFORE);
          Dot any = Generators.dot(random, 3, 4);
          assertThat(a.covers(any)).isEqualTo(any.seq() <= a.get(any.origin()));
          assertThat(a.add(any).covers(any)).isTrue();
          assertThat(a.add(any).covers(a)).isTrue();
        });
  }
}
