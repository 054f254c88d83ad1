package io.georep.benchmarks;

import io.georep.crdt.OrSet;
import io.georep.crdt.PnCounter;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.cluster.ddata.ORSet;
import org.apache.pekko.cluster.ddata.PNCounter;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Merge and encoding of georep's {@link OrSet} and {@link PnCounter} against Pekko Distributed
 * Data's {@code ORSet} and {@code PNCounter}, in the same run.
 *
 * <p>Workload (see {@link CrdtWorkload}): for the OR-Set, two replicas of a set of {@code size}
 * string elements that each concurrently removed a different 10% and added 10% new elements; {@code
 * orSetMerge} merges them, {@code orSetEncode} encodes one. For the PN-Counter, {@code size} is the
 * number of replica entries, and the two states differ by concurrent increments. georep encodes
 * with {@code toBytes()}; Pekko with its {@code ReplicatedDataSerializer} obtained from a local
 * actor system's serialization extension (protobuf, gzip-compressed for the OR-Set). The encoded
 * sizes are printed once per trial as {@code encoded-bytes} lines, and by {@link CrdtEncodedSizes}.
 *
 * <p>Run: {@code mvn -B -q -pl benchmarks -am package -DskipTests -Dquick && java -jar
 * benchmarks/target/benchmarks.jar CrdtBenchmark -f 1 -wi 2 -i 3 -w 1s -r 1s}. Results go to {@code
 * docs/benchmarks.md}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 3, time = 1)
@Fork(1)
public class CrdtBenchmark {
  private static final long SEED = 42;

  /** Number of set elements, or of counter entries. */
  @Param({"10", "1000", "100000"})
  public int size;

  /** Which implementation to measure: {@code georep} or {@code pekko}. */
  @Param({"georep", "pekko"})
  public String impl;

  private boolean georep;
  private OrSet<String> orSetA;
  private OrSet<String> orSetB;
  private PnCounter counterA;
  private PnCounter counterB;
  private ORSet<String> pekkoSetA;
  private ORSet<String> pekkoSetB;
  private PNCounter pekkoCounterA;
  private PNCounter pekkoCounterB;
  private PekkoSerialization pekko;

  /** Builds the states of the selected implementation and, for Pekko, the actor system. */
  @Setup(Level.Trial)
  public void setUp() {
    georep = impl.equals("georep");
    if (georep) {
      List<OrSet<String>> sets = CrdtWorkload.georepSets(size, SEED);
      orSetA = sets.get(0);
      orSetB = sets.get(1);
      List<PnCounter> counters = CrdtWorkload.georepCounters(size, SEED);
      counterA = counters.get(0);
      counterB = counters.get(1);
      System.out.printf(
          "%nencoded-bytes impl=georep size=%d or-set=%d pn-counter=%d%n",
          size, orSetA.toBytes().length, counterA.toBytes().length);
    } else {
      pekko = new PekkoSerialization();
      List<ORSet<String>> sets = CrdtWorkload.pekkoSets(size, SEED);
      pekkoSetA = sets.get(0);
      pekkoSetB = sets.get(1);
      List<PNCounter> counters = CrdtWorkload.pekkoCounters(size, SEED);
      pekkoCounterA = counters.get(0);
      pekkoCounterB = counters.get(1);
      System.out.printf(
          "%nencoded-bytes impl=pekko size=%d or-set=%d pn-counter=%d%n",
          size, pekko.toBinary(pekkoSetA).length, pekko.toBinary(pekkoCounterA).length);
    }
  }

  /** Stops the Pekko actor system. */
  @TearDown(Level.Trial)
  public void tearDown() {
    if (pekko != null) {
      pekko.close();
      pekko = null;
    }
  }

  /**
   * Merges the two OR-Set replicas.
   *
   * @return the merged set
   */
  @Benchmark
  public Object orSetMerge() {
    return georep ? orSetA.merge(orSetB) : pekkoSetA.merge(pekkoSetB);
  }

  /**
   * Encodes one OR-Set replica.
   *
   * @return the encoding
   */
  @Benchmark
  public byte[] orSetEncode() {
    return georep ? orSetA.toBytes() : pekko.toBinary(pekkoSetA);
  }

  /**
   * Merges the two PN-Counter replicas.
   *
   * @return the merged counter
   */
  @Benchmark
  public Object pnCounterMerge() {
    return georep ? counterA.merge(counterB) : pekkoCounterA.merge(pekkoCounterB);
  }

  /**
   * Encodes one PN-Counter replica.
   *
   * @return the encoding
   */
  @Benchmark
  public byte[] pnCounterEncode() {
    return georep ? counterA.toBytes() : pekko.toBinary(pekkoCounterA);
  }
}
