package io.georep.replicator.codec;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.georep.connector.SourceTransaction;
import io.georep.replicator.codec.internal.EnvelopeEncoder;
import io.georep.replicator.codec.internal.EnvelopeSchemas;
import io.georep.replicator.codec.internal.FrameFormat;
import io.georep.replicator.codec.internal.avro.Envelope;
import io.georep.vectorclock.testkit.Seeds;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericDatumWriter;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.EncoderFactory;
import org.junit.jupiter.api.Test;

/**
 * The evolution rule: a reader reads batches written with the previous minor version's schema. The
 * bundled 1.0 schema (without {@code fragment}) is read by the bundled codec; a stand-in older
 * schema (without {@code writer} and {@code fragment}) is readable once registered; a 1.1 batch
 * (without {@code horizons}) reads with every horizon equal to its context.
 */
class EnvelopeEvolutionTest {
  private static Schema previousSchema() throws IOException {
    try (InputStream in =
        EnvelopeEvolutionTest.class.getResourceAsStream("/envelope-previous.avsc")) {
      return new Schema.Parser().parse(in);
    }
  }

  private static byte[] writeWithPrevious(WireBatch batch, Schema previous) throws IOException {
    Envelope envelope = new EnvelopeEncoder(WireLimits.DEFAULT).encode(batch, "ignored");
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    BinaryEncoder encoder = EncoderFactory.get().directBinaryEncoder(out, null);
    // Field positions of the previous schema match the current one's, so the generated record
    // writes under the older schema directly.
    new GenericDatumWriter<Object>(previous).write(envelope, encoder);
    encoder.flush();
    byte[] avro = out.toByteArray();
    return FrameFormat.frame(EnvelopeSchemas.fingerprint(previous), avro, avro.length);
  }

  @Test
  void decode_batchWrittenWithPreviousMinorSchema_readWithDefaults() throws IOException {
    Schema previous = previousSchema();
    assertThat(previous.getField("writer")).isNull();
    BatchCodec codec =
        new BatchCodec(
            WireLimits.DEFAULT, "test", EnvelopeSchemas.bundled().withPrevious(previous));
    for (long seed : Seeds.of("codec-evolution").limit(50).toArray()) {
      Seeds.check(
          seed,
          random -> {
            WireBatch batch = withoutHorizons(new BatchGenerators(0).batch(random));
            try {
              assertThat(codec.decode(writeWithPrevious(batch, previous))).isEqualTo(batch);
            } catch (IOException e) {
              throw new AssertionError(e);
            }
          });
    }
  }

  @Test
  void decode_batchWrittenWithBundledVersion10_readAsWholeTransactions() throws IOException {
    Schema v10;
    try (InputStream in =
        EnvelopeEvolutionTest.class.getResourceAsStream(
            "/io/georep/replicator/codec/previous/envelope-1.0.avsc")) {
      v10 = new Schema.Parser().parse(in);
    }
    assertThat(v10.getField("writer")).isNotNull();
    assertThat(v10.getField("fragment")).isNull();
    assertThat(EnvelopeSchemas.bundled().known()).contains(EnvelopeSchemas.fingerprint(v10));
    for (long seed : Seeds.of("codec-evolution-1.0").limit(50).toArray()) {
      Seeds.check(
          seed,
          random -> {
            WireBatch batch = withoutHorizons(new BatchGenerators(0).batch(random));
            try {
              WireBatch decoded = BatchCodec.create().decode(writeWithPrevious(batch, v10));
              assertThat(decoded).isEqualTo(batch);
              assertThat(decoded.isFragment()).isFalse();
            } catch (IOException e) {
              throw new AssertionError(e);
            }
          });
    }
  }

  /** Before 1.2 a batch carried no horizons: a reader takes each transaction's context. */
  private static WireBatch withoutHorizons(WireBatch batch) {
    List<SourceTransaction> txs = new ArrayList<>();
    for (SourceTransaction t : batch.transactions()) {
      txs.add(
          new SourceTransaction(
              t.origin(), t.seq(), t.commitTimestamp(), t.causalContext(), t.changes()));
    }
    return new WireBatch(txs);
  }

  @Test
  void decode_batchWrittenWithBundledVersion11_readWithHorizonsEqualToContexts()
      throws IOException {
    Schema v11;
    try (InputStream in =
        EnvelopeEvolutionTest.class.getResourceAsStream(
            "/io/georep/replicator/codec/previous/envelope-1.1.avsc")) {
      v11 = new Schema.Parser().parse(in);
    }
    assertThat(v11.getField("fragment")).isNotNull();
    assertThat(v11.getField("horizons")).isNull();
    assertThat(EnvelopeSchemas.bundled().known()).contains(EnvelopeSchemas.fingerprint(v11));
    for (long seed : Seeds.of("codec-evolution-1.1").limit(50).toArray()) {
      Seeds.check(
          seed,
          random -> {
            WireBatch batch = new BatchGenerators(0).batch(random);
            try {
              WireBatch decoded = BatchCodec.create().decode(writeWithPrevious(batch, v11));
              assertThat(decoded).isEqualTo(withoutHorizons(batch));
            } catch (IOException e) {
              throw new AssertionError(e);
            }
          });
    }
  }

  @Test
  void decode_previousSchemaNotRegistered_unknownSchema() throws IOException {
    Schema previous = previousSchema();
    WireBatch batch = new BatchGenerators(0).batch(new SplittableRandom(1));
    byte[] frame = writeWithPrevious(batch, previous);
    assertThatThrownBy(() -> BatchCodec.create().decode(frame))
        .isInstanceOf(UnknownSchemaException.class)
        .hasMessageContaining(
            String.format("fingerprint 0x%016x", EnvelopeSchemas.fingerprint(previous)));
  }

  @Test
  void withPrevious_schemaCurrentCannotRead_rejected() {
    Schema incompatible =
        new Schema.Parser()
            .parse(
                "{\"type\":\"record\",\"name\":\"Envelope\","
                    + "\"namespace\":\"io.georep.replicator.codec.internal.avro\","
                    + "\"fields\":[{\"name\":\"origin\",\"type\":\"int\"}]}");
    assertThatThrownBy(() -> EnvelopeSchemas.bundled().withPrevious(incompatible))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("the current envelope schema cannot read the older schema:")
        .hasMessageEndingWith("a minor version may only add fields with defaults");
  }

  @Test
  void bundled_knowsCurrentFingerprint() {
    EnvelopeSchemas schemas = EnvelopeSchemas.bundled();
    assertThat(schemas.known()).contains(schemas.currentFingerprint());
    assertThat(schemas.writerSchema(schemas.currentFingerprint()))
        .isEqualTo(Envelope.getClassSchema());
  }
}
