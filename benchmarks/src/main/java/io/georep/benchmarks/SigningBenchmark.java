package io.georep.benchmarks;

import io.georep.replicator.AgentSettings;
import io.georep.replicator.internal.transport.RecordSigner;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.internals.RecordHeaders;
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
 * The cost of signed records ({@code signing.*}): encoding a batch with and without its signature,
 * and checking the signature of a received frame against decoding it, in changes per second on one
 * thread, on {@link CodecBenchmark}'s batches ({@link CodecWorkload}, seed 42, 1,000 changes).
 *
 * <p>Run: {@code mvn -B -q -f benchmarks/pom.xml package -Dquick && java -jar
 * benchmarks/target/benchmarks.jar SigningBenchmark -f 1 -wi 5 -i 5 -w 1s -r 1s}. Results go to
 * {@code docs/benchmarks.md}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 3, time = 1)
@Fork(1)
public class SigningBenchmark {
  /** Which changes: {@code insert} or {@code update}. */
  @Param({"insert", "update"})
  public String workload;

  private BatchFormat format;
  private RecordSigner signer;
  private byte[] frame;
  private RecordHeaders headers;

  /** Builds the batch, its frame and the frame's signature. */
  @Setup(Level.Trial)
  public void setUp() {
    CodecWorkload.Batch batch =
        CodecWorkload.batch(
            CodecWorkload.Kind.of(workload), CodecBenchmark.BATCH_SIZE, CodecWorkload.SEED);
    format = BatchFormat.of("georep", batch);
    signer =
        RecordSigner.of(
            new AgentSettings.Signing(
                "bench", "bench-secret-0123456789abcdefghijklmnopq", null, null));
    frame = (byte[]) format.encode();
    headers = new RecordHeaders(signer.sign(frame).toArray(new Header[0]));
    System.out.printf("%nframe-bytes workload=%s bytes=%d%n", workload, frame.length);
  }

  /**
   * Encodes the batch (the baseline of {@link #encodeAndSign()}).
   *
   * @return the frame
   */
  @Benchmark
  @OperationsPerInvocation(CodecBenchmark.BATCH_SIZE)
  public Object encode() {
    return format.encode();
  }

  /**
   * Encodes the batch and signs the frame, as the shipper does.
   *
   * @return the signature's headers
   */
  @Benchmark
  @OperationsPerInvocation(CodecBenchmark.BATCH_SIZE)
  public List<Header> encodeAndSign() {
    return signer.sign((byte[]) format.encode());
  }

  /**
   * Signs the encoded frame alone.
   *
   * @return the signature's headers
   */
  @Benchmark
  @OperationsPerInvocation(CodecBenchmark.BATCH_SIZE)
  public List<Header> sign() {
    return signer.sign(frame);
  }

  /**
   * Checks the frame's signature alone.
   *
   * @return null
   */
  @Benchmark
  @OperationsPerInvocation(CodecBenchmark.BATCH_SIZE)
  public String verify() {
    return signer.problem(headers, frame);
  }

  /**
   * Decodes the frame (the baseline of {@link #verifyAndDecode()}).
   *
   * @return the batch
   */
  @Benchmark
  @OperationsPerInvocation(CodecBenchmark.BATCH_SIZE)
  public Object decode() {
    return format.decode();
  }

  /**
   * Checks the frame's signature, then decodes it, as the receiver does.
   *
   * @return the batch
   */
  @Benchmark
  @OperationsPerInvocation(CodecBenchmark.BATCH_SIZE)
  public Object verifyAndDecode() {
    if (signer.problem(headers, frame) != null) {
      throw new IllegalStateException("the benchmark's own signature was refused");
    }
    return format.decode();
  }
}
