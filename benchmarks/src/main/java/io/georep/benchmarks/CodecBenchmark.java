package io.georep.benchmarks;

import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Encoding and decoding throughput, in changes per second on one thread, of georep's wire codec
 * ({@code BatchCodec}) against the formats of row-image-based change capture, in the same run on
 * the same generated changes.
 *
 * <p>Workload (see {@link CodecWorkload}, seed 42): one batch of {@value #BATCH_SIZE} changes to
 * the 8-column table {@code public.accounts} (ids, names, emails, a counter, a numeric balance, a
 * timestamp, a flag, a country code) in 100 transactions of 10 changes; {@code workload=insert}
 * inserts new rows, {@code workload=update} changes exactly 1 of the 7 non-key columns per change.
 *
 * <p>Implementations ({@code impl}):
 *
 * <ul>
 *   <li>{@code georep}: the batch as one frame of {@code BatchCodec} (Avro envelope, columnar delta
 *       cells, LZ4, CRC32C); decoding returns validated change-model objects.
 *   <li>{@code avro}: plain Avro, one binary {@code GenericRecord} of the full row per change, no
 *       compression ({@link AvroRowFormat}).
 *   <li>{@code json}: a Debezium-style JSON event per change with full {@code before} and {@code
 *       after} rows and a {@code source} block, via Jackson ({@link DebeziumJsonFormat}).
 *   <li>{@code avro-kafka-lz4}: the {@code avro} rows in one Kafka record batch with Kafka's LZ4
 *       ({@link KafkaLz4AvroFormat}).
 * </ul>
 *
 * <p>Each implementation encodes from, and decodes into, its own in-memory form built in setup
 * (georep's change model, Avro records, Jackson trees): converting between them is not measured.
 * Bytes per change are printed once per trial as an {@code encoded-bytes} line, and by {@link
 * CodecEncodedSizes}.
 *
 * <p>Run: {@code mvn -B -q -f benchmarks/pom.xml package -Dquick && java -jar
 * benchmarks/target/benchmarks.jar CodecBenchmark -f 1 -wi 10 -i 5 -w 1s -r 1s}. Results go to
 * {@code docs/benchmarks.md}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 3, time = 1)
@Fork(1)
public class CodecBenchmark {
  /** Changes per batch; a constant because {@code @OperationsPerInvocation} needs one. */
  static final int BATCH_SIZE = 1000;

  /**
   * Which format to measure: {@code georep}, {@code avro}, {@code json}, {@code avro-kafka-lz4}.
   */
  @Param({"georep", "avro", "json", "avro-kafka-lz4"})
  public String impl;

  /** Which changes: {@code insert} or {@code update}. */
  @Param({"insert", "update"})
  public String workload;

  private BatchFormat format;

  /** Generates the batch and prepares the selected format's in-memory and encoded forms. */
  @Setup(Level.Trial)
  public void setUp() {
    CodecWorkload.Batch batch =
        CodecWorkload.batch(CodecWorkload.Kind.of(workload), BATCH_SIZE, CodecWorkload.SEED);
    format = BatchFormat.of(impl, batch);
    System.out.printf(
        "%nencoded-bytes impl=%s workload=%s changes=%d bytes=%d bytes-per-change=%.2f%n",
        impl,
        workload,
        batch.changeCount(),
        format.encodedBytes(),
        (double) format.encodedBytes() / batch.changeCount());
  }

  /**
   * Encodes the batch; the score counts changes.
   *
   * @return the encoded form
   */
  @Benchmark
  @OperationsPerInvocation(BATCH_SIZE)
  public Object encode() {
    return format.encode();
  }

  /**
   * Decodes the encoded batch; the score counts changes.
   *
   * @return the decoded changes
   */
  @Benchmark
  @OperationsPerInvocation(BATCH_SIZE)
  public Object decode() {
    return format.decode();
  }
}
