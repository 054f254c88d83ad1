package io.georep.vectorclock;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.georep.vectorclock.encoding.MalformedEncodingException;
import io.georep.vectorclock.testkit.Generators;
import io.georep.vectorclock.testkit.Seeds;
import java.util.function.Function;
import java.util.stream.LongStream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

class EncodingPropertiesTest {

  static LongStream roundTrip() {
    return Seeds.of("vectorclock-encoding-round-trip");
  }

  static LongStream garbage() {
    return Seeds.of("vectorclock-encoding-garbage");
  }

  @ParameterizedTest(name = "seed={0}")
  @MethodSource("roundTrip")
  void encoding_anyValue_roundTripsByteForByte(long seed) {
    Seeds.check(
        seed,
        random -> {
          VersionVector v =
              Generators.versionVector(random, 5, random.nextBoolean() ? 5 : Long.MAX_VALUE);
          byte[] vb = v.toBytes();
          assertThat(VersionVector.fromBytes(vb)).isEqualTo(v);
          assertThat(VersionVector.fromBytes(vb).toBytes()).isEqualTo(vb);
          // Equal values built differently encode to equal bytes.
          assertThat(VersionVector.of(v.entries()).toBytes()).isEqualTo(vb);

          Dot d = Generators.dot(random, 5, random.nextBoolean() ? 10 : Long.MAX_VALUE);
          byte[] db = d.toBytes();
          assertThat(Dot.fromBytes(db)).isEqualTo(d);
          assertThat(Dot.fromBytes(db).toBytes()).isEqualTo(db);

          HybridTimestamp t = Generators.timestamp(random, 5);
          byte[] tb = t.toBytes();
          assertThat(HybridTimestamp.fromBytes(tb)).isEqualTo(t);
          assertThat(HybridTimestamp.fromBytes(tb).toBytes()).isEqualTo(tb);
        });
  }

  @ParameterizedTest(name = "seed={0}")
  @MethodSource("garbage")
  void decoding_garbageOrMutants_throwsOnlyMalformedEncoding(long seed) {
    Seeds.check(
        seed,
        random -> {
          byte[] valid =
              switch (random.nextInt(3)) {
                case 0 -> Generators.versionVector(random, 5, 1000).toBytes();
                case 1 -> Generators.dot(random, 5, 1000).toBytes();
                default -> Generators.timestamp(random, 5).toBytes();
              };
          for (byte[] input : Generators.mutants(random, valid, 8)) {
            decodeAll(input);
          }
          decodeAll(Generators.bytes(random, 64));
        });
  }

  private static void decodeAll(byte[] input) {
    for (Function<byte[], Object> decoder :
        java.util.List.<Function<byte[], Object>>of(
            VersionVector::fromBytes, Dot::fromBytes, HybridTimestamp::fromBytes)) {
      Object decoded;
      try {
        decoded = decoder.apply(input);
      } catch (MalformedEncodingException e) {
        assertThat(e.getMessage()).contains("at byte offset");
        continue;
      }
      // A mutant that still decodes must be canonical: it re-encodes to the very same bytes.
      byte[] again =
          decoded instanceof VersionVector v
              ? v.toBytes()
              : decoded instanceof Dot d ? d.toBytes() : ((HybridTimestamp) decoded).toBytes();
      assertThat(again).isEqualTo(input);
    }
  }

  @org.junit.jupiter.api.Test
  void fromBytes_hugeDeclaredCount_failsWithoutAllocating() {
    // Tag 'V', then a count of 2^62 entries in a 10-byte input.
    byte[] input = {
      'V',
      (byte) 0x80,
      (byte) 0x80,
      (byte) 0x80,
      (byte) 0x80,
      (byte) 0x80,
      (byte) 0x80,
      (byte) 0x80,
      (byte) 0x80,
      0x40
    };
    assertThatThrownBy(() -> VersionVector.fromBytes(input))
        .isInstanceOf(MalformedEncodingException.class)
        .hasMessage(
            "version vector entries count 4611686018427387904 exceeds what the remaining 0 bytes"
                + " hold (at byte offset 1)");
  }
}
