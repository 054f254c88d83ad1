package io.georep.benchmarks;

import io.georep.crdt.OrSet;
import io.georep.crdt.PnCounter;
import org.apache.pekko.cluster.ddata.ORSet;
import org.apache.pekko.cluster.ddata.PNCounter;

/**
 * Prints the encoded sizes, in bytes, of the {@link CrdtBenchmark} states for georep and Pekko, as
 * a Markdown table.
 *
 * <p>Run: {@code java -cp benchmarks/target/benchmarks.jar io.georep.benchmarks.CrdtEncodedSizes}.
 */
public final class CrdtEncodedSizes {
  private CrdtEncodedSizes() {}

  /**
   * Prints the table.
   *
   * @param args ignored
   */
  public static void main(String[] args) {
    System.out.println(
        "| size | OR-Set georep | OR-Set Pekko | PN-Counter georep | PN-Counter Pekko |");
    System.out.println("|---:|---:|---:|---:|---:|");
    try (PekkoSerialization pekko = new PekkoSerialization()) {
      for (int size : new int[] {10, 1000, 100_000}) {
        OrSet<String> set = CrdtWorkload.georepSets(size, 42).get(0);
        ORSet<String> pekkoSet = CrdtWorkload.pekkoSets(size, 42).get(0);
        PnCounter counter = CrdtWorkload.georepCounters(size, 42).get(0);
        PNCounter pekkoCounter = CrdtWorkload.pekkoCounters(size, 42).get(0);
        System.out.printf(
            "| %d | %d | %d | %d | %d |%n",
            size,
            set.toBytes().length,
            pekko.toBinary(pekkoSet).length,
            counter.toBytes().length,
            pekko.toBinary(pekkoCounter).length);
      }
    }
  }
}
