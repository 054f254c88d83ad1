package io.georep.replicator.codec;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import io.georep.replicator.codec.internal.EnvelopeSchemas;
import io.georep.replicator.codec.internal.FrameFormat;
import io.georep.vectorclock.testkit.Generators;
import io.georep.vectorclock.testkit.Seeds;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.LongStream;
import java.util.zip.CRC32C;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Decoding garbage: random bytes, mutated frames, mutated frames whose checksum was recomputed, and
 * mutated envelopes re-framed with a valid checksum. Decode returns a batch or throws a {@link
 * WireFormatException}; nothing else, and it finishes.
 */
class BatchCodecFuzzTest {
  private static final BatchCodec CODEC = new BatchCodec(new WireLimits(1 << 20, 1 << 16), "fuzz");
  private static final BatchGenerators GENERATORS = new BatchGenerators(0);
  private static final long FINGERPRINT = EnvelopeSchemas.bundled().currentFingerprint();

  static LongStream seeds() {
    return Seeds.of("codec-fuzz");
  }

  @ParameterizedTest(name = "seed={0}")
  @MethodSource("seeds")
  void decode_garbage_returnsBatchOrThrowsWireFormatException(long seed) {
    Seeds.check(
        seed,
        random ->
            assertTimeoutPreemptively(
                Duration.ofSeconds(60),
                () -> {
                  List<byte[]> inputs = inputs(random);
                  int outcomes = 0;
                  for (byte[] input : inputs) {
                    try {
                      assertThat(CODEC.decode(input)).isNotNull();
                    } catch (WireFormatException expected) {
                      assertThat(expected.getMessage()).isNotBlank();
                    }
                    outcomes++;
                  }
                  assertThat(outcomes).isEqualTo(inputs.size());
                }));
  }

  private static List<byte[]> inputs(SplittableRandom random) {
    WireBatch batch = GENERATORS.batch(random);
    byte[] frame = CODEC.encode(batch);
    FrameFormat.Header header = FrameFormat.readHeader(frame, 0, frame.length, 1 << 20);
    byte[] envelope = FrameFormat.payload(frame, 0, header);
    List<byte[]> inputs = new ArrayList<>();
    // Random bytes, bare and behind a valid magic.
    inputs.add(Generators.bytes(random, 64));
    byte[] withMagic = Generators.bytes(random, 96);
    if (withMagic.length >= 4) {
      System.arraycopy(frame, 0, withMagic, 0, 4);
    }
    inputs.add(withMagic);
    // Mutated frames: mostly caught by the checksum.
    inputs.addAll(Generators.mutants(random, frame, 4));
    // Mutated frames with the checksum recomputed: header fields and LZ4 blocks get through.
    for (byte[] m : Generators.mutants(random, frame, 4)) {
      inputs.add(reseal(m));
    }
    // Mutated envelopes, compressed and framed validly: the Avro and column decoders get garbage.
    for (byte[] m : Generators.mutants(random, envelope, 8)) {
      inputs.add(FrameFormat.frame(FINGERPRINT, m, m.length));
    }
    // Envelopes with several bytes overwritten, stored without compression.
    for (int i = 0; i < 4; i++) {
      byte[] m = envelope.clone();
      for (int k = 0; k < 1 + random.nextInt(4) && m.length > 0; k++) {
        m[random.nextInt(m.length)] = (byte) random.nextInt(256);
      }
      inputs.add(FrameFormat.frameStored(FINGERPRINT, m));
    }
    // Random envelope bytes behind a valid frame.
    inputs.add(FrameFormat.frameStored(FINGERPRINT, Generators.bytes(random, 200)));
    return inputs;
  }

  /** Recomputes the CRC32C of a (possibly mutated) frame so that decoding gets past it. */
  static byte[] reseal(byte[] frame) {
    if (frame.length < FrameFormat.HEADER_BYTES) {
      return frame;
    }
    CRC32C crc = new CRC32C();
    crc.update(frame, 0, 24);
    crc.update(frame, FrameFormat.HEADER_BYTES, frame.length - FrameFormat.HEADER_BYTES);
    int v = (int) crc.getValue();
    frame[24] = (byte) (v >>> 24);
    frame[25] = (byte) (v >>> 16);
    frame[26] = (byte) (v >>> 8);
    frame[27] = (byte) v;
    return frame;
  }
}
