package io.georep.publication.testing;

import java.util.SplittableRandom;
import java.util.stream.LongStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.Named;

/**
 * Seeds for property tests: {@code georep.property.cases} seeds (default 1000) drawn from a fixed
 * master seed, or the single seed given with {@code -Dgeorep.seed=<seed>} to replay a failure.
 */
public final class PropertyCases {

  private static final long MASTER_SEED = 0x6E0_2E9L;

  private PropertyCases() {}

  /** Returns the number of cases to run. */
  public static int count() {
    return Integer.getInteger("georep.property.cases", 1000);
  }

  /** Returns the seeds, each named {@code seed=<n>} for the test's display name. */
  public static Stream<Named<Long>> seeds() {
    return seeds(count());
  }

  /** Returns {@code count} seeds (or the replay seed), each named {@code seed=<n>}. */
  public static Stream<Named<Long>> seeds(int count) {
    String replay = System.getProperty("georep.seed");
    LongStream seeds =
        replay != null && !replay.isBlank()
            ? LongStream.of(Long.parseLong(replay.strip()))
            : new SplittableRandom(MASTER_SEED).longs(count);
    return seeds.boxed().map(seed -> Named.of("seed=" + seed, seed));
  }

  /** Returns the text failure messages end with: the seed and how to replay it. */
  public static String replay(long seed) {
    return "seed=" + seed + " (replay with -Dgeorep.seed=" + seed + ")";
  }
}
