package io.georep.connectors.postgres;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.georep.vectorclock.Dot;
import io.georep.vectorclock.HybridTimestamp;
import io.georep.vectorclock.ReplicaId;
import io.georep.vectorclock.VersionVector;
import io.georep.vectorclock.encoding.MalformedEncodingException;
import io.georep.vectorclock.testkit.Generators;
import io.georep.vectorclock.testkit.Seeds;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.stream.LongStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

class ApplyMarkTest {
  private static final HybridTimestamp TS =
      new HybridTimestamp(1_700_000_000_000L, 0, ReplicaId.of("a"));

  static LongStream seeds() {
    return Seeds.of("apply-mark-round-trip");
  }

  @ParameterizedTest(name = "seed={0}")
  @MethodSource("seeds")
  void decode_encodedMark_roundTripsByteForByte(long seed) {
    Seeds.check(
        seed,
        random -> {
          List<Dot> dots = new ArrayList<>();
          HashSet<Dot> seen = new HashSet<>();
          int n = 1 + random.nextInt(6);
          while (dots.size() < n) {
            Dot dot = new Dot(ReplicaId.of("r" + random.nextInt(4)), 1 + random.nextLong(1L << 40));
            if (seen.add(dot)) {
              dots.add(dot);
            }
          }
          ApplyMark mark =
              ApplyMark.inOrder(dots, VersionVector.empty(), Generators.timestamp(random, 3));
          byte[] bytes = mark.encode();
          ApplyMark decoded = ApplyMark.decode(bytes);
          assertThat(decoded).isEqualTo(mark);
          assertThat(decoded.encode()).isEqualTo(bytes);
          for (Dot dot : dots) {
            assertThat(decoded.watermark().covers(dot)).isTrue();
          }
          byte[] truncated = Arrays.copyOf(bytes, bytes.length - 1);
          assertThatThrownBy(() -> ApplyMark.decode(truncated))
              .isInstanceOf(MalformedEncodingException.class);
        });
  }

  @Test
  void decode_wrongTagOrVersion_isRejected() {
    byte[] bytes = ApplyMark.inOrder(List.of(Dot.of("a", 1)), VersionVector.empty(), TS).encode();
    bytes[0] = 'X';
    assertThatThrownBy(() -> ApplyMark.decode(bytes)).hasMessageContaining("tag");
    bytes[0] = 'M';
    bytes[1] = 2;
    assertThatThrownBy(() -> ApplyMark.decode(bytes)).hasMessageContaining("version 2");
  }

  @Test
  void new_duplicateDots_isRejected() {
    assertThatThrownBy(
            () -> new ApplyMark(List.of(Dot.of("a", 1), Dot.of("a", 1)), VersionVector.empty(), TS))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
