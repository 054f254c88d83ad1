package io.georep.benchmarks;

/**
 * Prints the bytes per change of every {@link CodecBenchmark} format for both workloads, for
 * batches of 100 and of 1 000 changes, as a Markdown table, with the ratios the wire codec's goals
 * are stated in. Deterministic: the workload is seeded and every format's encoding is.
 *
 * <p>Run: {@code java -cp benchmarks/target/benchmarks.jar io.georep.benchmarks.CodecEncodedSizes}.
 */
public final class CodecEncodedSizes {
  private static final String[] IMPLS = {"georep", "avro", "json", "avro-kafka-lz4"};

  private CodecEncodedSizes() {}

  /**
   * Prints the table.
   *
   * @param args ignored
   */
  public static void main(String[] args) {
    System.out.println(
        "| workload | batch | georep | avro | json | avro-kafka-lz4 | georep / avro |"
            + " georep / json | georep / avro-kafka-lz4 |");
    System.out.println("|---|---:|---:|---:|---:|---:|---:|---:|---:|");
    for (CodecWorkload.Kind kind : CodecWorkload.Kind.values()) {
      for (int size : new int[] {100, CodecBenchmark.BATCH_SIZE}) {
        CodecWorkload.Batch batch = CodecWorkload.batch(kind, size, CodecWorkload.SEED);
        double[] perChange = new double[IMPLS.length];
        StringBuilder row = new StringBuilder();
        row.append("| ").append(kind.name().toLowerCase(java.util.Locale.ROOT));
        row.append(" | ").append(size);
        for (int i = 0; i < IMPLS.length; i++) {
          perChange[i] = (double) BatchFormat.of(IMPLS[i], batch).encodedBytes() / size;
          row.append(String.format(" | %.2f", perChange[i]));
        }
        for (int i = 1; i < IMPLS.length; i++) {
          row.append(String.format(" | %.1f%%", 100 * perChange[0] / perChange[i]));
        }
        System.out.println(row.append(" |"));
      }
    }
  }
}
