package io.georep.benchmarks;

import io.georep.replicator.codec.BatchCodec;
import io.georep.replicator.codec.WireLimits;
import io.georep.replicator.codec.internal.EnvelopeAvro;
import io.georep.replicator.codec.internal.EnvelopeEncoder;
import io.georep.replicator.codec.internal.avro.Envelope;
import io.georep.replicator.codec.internal.avro.TableSection;
import java.nio.ByteBuffer;
import net.jpountz.lz4.LZ4Compressor;
import net.jpountz.lz4.LZ4Factory;

/**
 * Prints where the bytes of georep's 1 000-change frame go: the frame and envelope sizes, then each
 * byte vector of the envelope, raw and compressed on its own with the same LZ4 compressor. The
 * per-vector compressed sizes approximate each vector's share of the frame (LZ4 over the whole
 * envelope also finds repeats across vectors). Deterministic, like {@link CodecEncodedSizes}.
 *
 * <p>Run: {@code java -cp benchmarks/target/benchmarks.jar io.georep.benchmarks.CodecByteBreakdown
 * update} (or {@code insert}).
 */
public final class CodecByteBreakdown {
  private static final LZ4Compressor LZ4 = LZ4Factory.fastestInstance().fastCompressor();

  private CodecByteBreakdown() {}

  /**
   * Prints the breakdown as Markdown table rows: vector, raw bytes, LZ4 bytes.
   *
   * @param args the workload, {@code update} (default) or {@code insert}
   */
  public static void main(String[] args) {
    CodecWorkload.Kind kind = CodecWorkload.Kind.of(args.length > 0 ? args[0] : "update");
    CodecWorkload.Batch batch = CodecWorkload.batch(kind, 1000, CodecWorkload.SEED);
    byte[] frame = BatchCodec.create().encode(batch.georep());
    Envelope e = new EnvelopeEncoder(WireLimits.DEFAULT).encode(batch.georep(), "georep");
    EnvelopeAvro.Output out = EnvelopeAvro.write(e, 1 << 16);
    System.out.printf("frame %d bytes, Avro envelope %d bytes%n", frame.length, out.size());
    System.out.println("| vector | raw | LZ4 alone |");
    System.out.println("|---|---:|---:|");
    row("transactions", e.getTransactions());
    for (TableSection t : e.getTables()) {
      row("shapes", t.getShapes());
      for (int k = 0; k < t.getKeys().size(); k++) {
        row("key " + k + " data", t.getKeys().get(k));
      }
      for (int c = 0; c < t.getValues().size(); c++) {
        row(t.getColumns().get(c).getName() + " data", t.getValues().get(c));
      }
    }
  }

  private static void row(String what, ByteBuffer b) {
    byte[] raw = new byte[b.remaining()];
    b.duplicate().get(raw);
    byte[] c = new byte[LZ4.maxCompressedLength(raw.length)];
    int n = LZ4.compress(raw, 0, raw.length, c, 0);
    System.out.printf("| %s | %d | %d |%n", what, raw.length, Math.min(n, raw.length));
  }
}
