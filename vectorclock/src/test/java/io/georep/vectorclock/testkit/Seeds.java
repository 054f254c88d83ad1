package io.georep.vectorclock.testkit;

import java.util.SplittableRandom;
import java.util.function.Consumer;
import java.util.stream.LongStream;
import java.util.stream.Stream;

/**
 * Seeds for property tests: seeded generators ({@link SplittableRandom}) driving JUnit
 * parameterized tests, one seed per case, the seed in each case's name.
 *
 * <p>Use as {@code @ParameterizedTest(name = "seed={0}") @MethodSource("seeds")} with {@code static
 * LongStream seeds() { return Seeds.of("merge-commutes"); }}, then run the body inside {@link
 * #check}, which adds the seed and the replay command to any failure.
 *
 * <ul>
 *   <li>{@code -Dgeorep.property.cases=N} sets how many cases each property runs (default 1000).
 *   <li>{@code -Dgeorep.seed=S} runs only the case with seed {@code S} (decimal or 0x-hex): the
 *       replay of a failure.
 *   <li>{@code -Dgeorep.seed.base=B} changes the seed sequence; {@code random} picks a new one per
 *       run for exploration, printed to standard output.
 * </ul>
 *
 * <p>Without those properties the seeds are a fixed function of the property name, so runs are
 * reproducible.
 */
public final class Seeds {
  private static final long DEFAULT_BASE = 0x6765_6f72_6570L; // "georep"
  private static final long BASE = baseSeed();

  private Seeds() {}

  /**
   * Returns the seeds for one property.
   *
   * @param property a stable name of the property; seeds differ per name
   * @return the seeds, {@link #caseCount()} of them, or the single replay seed
   */
  public static LongStream of(String property) {
    String replay = System.getProperty("georep.seed");
    if (replay != null && !replay.isBlank()) {
      return LongStream.of(parse(replay.trim()));
    }
    SplittableRandom random =
        new SplittableRandom(BASE ^ property.hashCode() * 0x9E3779B97F4A7C15L);
    return LongStream.generate(random::nextLong).limit(caseCount());
  }

  /**
   * Returns the seeds for one property as a stream of boxed values, for {@code @MethodSource}.
   *
   * @param property a stable name of the property
   * @return the seeds
   */
  public static Stream<Long> boxed(String property) {
    return of(property).boxed();
  }

  /**
   * Returns how many cases each property runs.
   *
   * @return the value of {@code georep.property.cases}, default 1000
   */
  public static int caseCount() {
    return Integer.getInteger("georep.property.cases", 1000);
  }

  /**
   * Runs one case of a property with a generator seeded by {@code seed}; an assertion failure or
   * exception is rethrown with the seed and the command that replays it.
   *
   * @param seed the case's seed
   * @param body the property; receives a generator seeded by {@code seed}
   */
  public static void check(long seed, Consumer<SplittableRandom> body) {
    try {
      body.accept(new SplittableRandom(seed));
    } catch (AssertionError | RuntimeException e) {
      String testClass =
          StackWalker.getInstance(StackWalker.Option.RETAIN_CLASS_REFERENCE)
              .getCallerClass()
              .getSimpleName();
      throw new AssertionError(
          "property failed for seed "
              + seed
              + " (replay: mvn verify -Dgeorep.seed="
              + seed
              + " -Dtest="
              + testClass
              + "): "
              + e.getMessage(),
          e);
    }
  }

  private static long baseSeed() {
    String base = System.getProperty("georep.seed.base");
    if (base == null || base.isBlank()) {
      return DEFAULT_BASE;
    }
    if (base.equals("random")) {
      long seed = new SplittableRandom().nextLong();
      System.out.println("georep.seed.base=" + seed);
      return seed;
    }
    return parse(base.trim());
  }

  private static long parse(String text) {
    return text.startsWith("0x")
        ? Long.parseUnsignedLong(text.substring(2), 16)
        : Long.parseLong(text);
  }
}
