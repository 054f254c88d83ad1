package io.georep.replicator.codec;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import io.georep.connector.RowChange;
import io.georep.connector.SourceTransaction;
import io.georep.vectorclock.testkit.Seeds;
import java.util.stream.LongStream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

class BatchCodecRoundTripTest {
  private static final BatchCodec CODEC = BatchCodec.create();
  private static final BatchGenerators SMALL = new BatchGenerators(0);
  private static final BatchGenerators BIG = new BatchGenerators(0.05);

  static LongStream roundTripSeeds() {
    return Seeds.of("codec-round-trip");
  }

  static LongStream bigValueSeeds() {
    return Seeds.of("codec-round-trip-1mb").limit(20);
  }

  @ParameterizedTest(name = "seed={0}")
  @MethodSource("roundTripSeeds")
  void decode_encodedBatch_equalsOriginal(long seed) {
    Seeds.check(seed, random -> assertRoundTrip(SMALL.batch(random)));
  }

  @ParameterizedTest(name = "seed={0}")
  @MethodSource("bigValueSeeds")
  void decode_encodedBatchWithMegabyteValues_equalsOriginal(long seed) {
    Seeds.check(seed, random -> assertRoundTrip(BIG.batch(random)));
  }

  @ParameterizedTest(name = "seed={0}")
  @MethodSource("bigValueSeeds")
  void decode_encodedFragment_keepsItsPlace(long seed) {
    Seeds.check(
        seed,
        random -> {
          SourceTransaction tx = SMALL.batch(random).transactions().get(0);
          int index = random.nextInt(1_000);
          boolean last = random.nextBoolean();
          WireBatch fragment = WireBatch.fragment(tx, index, last);
          assertRoundTrip(fragment);
          assertThat(CODEC.decode(CODEC.encode(fragment)).fragment())
              .isEqualTo(new WireBatch.Fragment(index, last));
        });
  }

  @org.junit.jupiter.api.Test
  void decode_wholeTransactions_areNoFragment() {
    WireBatch batch = SMALL.batch(new java.util.SplittableRandom(7));
    assertThat(CODEC.decode(CODEC.encode(batch)).isFragment()).isFalse();
  }

  private static void assertRoundTrip(WireBatch batch) {
    byte[] frame = CODEC.encode(batch);
    WireBatch decoded = CODEC.decode(frame);
    if (!decoded.equals(batch)) {
      fail(firstDifference(batch, decoded));
    }
    assertThat(decoded.fragment()).isEqualTo(batch.fragment());
    // Encoding is deterministic: the decoded batch encodes to the same bytes.
    assertThat(CODEC.encode(decoded)).isEqualTo(frame);
  }

  /** Names the first differing transaction or change, without printing megabyte values. */
  private static String firstDifference(WireBatch expected, WireBatch actual) {
    if (expected.transactions().size() != actual.transactions().size()) {
      return "transaction count "
          + actual.transactions().size()
          + " != "
          + expected.transactions().size();
    }
    for (int t = 0; t < expected.transactions().size(); t++) {
      SourceTransaction e = expected.transactions().get(t);
      SourceTransaction a = actual.transactions().get(t);
      if (e.equals(a)) {
        continue;
      }
      if (e.changes().size() != a.changes().size()) {
        return "transaction " + t + ": " + a + " != " + e;
      }
      for (int c = 0; c < e.changes().size(); c++) {
        RowChange ec = e.changes().get(c);
        RowChange ac = a.changes().get(c);
        if (!ec.equals(ac)) {
          return "transaction "
              + t
              + " change "
              + c
              + ":\n  decoded  "
              + abbreviate(ac)
              + "\n  expected "
              + abbreviate(ec);
        }
      }
      return "transaction " + t + " header: " + a + " != " + e;
    }
    return "batches differ";
  }

  private static String abbreviate(Object o) {
    String s = String.valueOf(o);
    return s.length() > 2000 ? s.substring(0, 2000) + "..." : s;
  }
}
