package io.georep.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.georep.vectorclock.testkit.Seeds;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.stream.LongStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** Session tokens merge like version vectors and survive their text form. */
class SessionTokenTest {
  private static final List<String> REGIONS =
      List.of("eu-west", "us-east", "ap-south", "sa.east", "r_1", "Z");

  /** A random token: some of the regions, positions small (to collide) or anywhere in 63 bits. */
  static SessionToken random(SplittableRandom random) {
    Map<String, Long> positions = new HashMap<>();
    for (String region : REGIONS) {
      if (random.nextInt(3) > 0) {
        positions.put(
            region, random.nextBoolean() ? random.nextLong(0, 5) : random.nextLong(Long.MAX_VALUE));
      }
    }
    return SessionToken.of(positions);
  }

  static LongStream merges() {
    return Seeds.of("session-token-merge");
  }

  @ParameterizedTest(name = "seed={0}")
  @MethodSource("merges")
  void merge_commutativeAssociativeIdempotent_andCoversBoth(long seed) {
    Seeds.check(
        seed,
        random -> {
          SessionToken a = random(random);
          SessionToken b = random(random);
          SessionToken c = random(random);
          assertThat(a.merge(b)).isEqualTo(b.merge(a));
          assertThat(a.merge(b).merge(c)).isEqualTo(a.merge(b.merge(c)));
          assertThat(a.merge(a)).isEqualTo(a);
          assertThat(a.merge(SessionToken.empty())).isEqualTo(a);
          assertThat(a.merge(b).covers(a)).isTrue();
          assertThat(a.merge(b).covers(b)).isTrue();
          assertThat(a.covers(a.merge(b))).isEqualTo(a.merge(b).equals(a));
        });
  }

  static LongStream texts() {
    return Seeds.of("session-token-text");
  }

  @ParameterizedTest(name = "seed={0}")
  @MethodSource("texts")
  void text_roundTrips_andIsSafeInHeadersAndCookies(long seed) {
    Seeds.check(
        seed,
        random -> {
          SessionToken a = random(random);
          String text = a.toString();
          assertThat(SessionToken.parse(text)).isEqualTo(a);
          assertThat(text).matches("g1\\.[A-Za-z0-9_-]*");
        });
  }

  @Test
  void text_isTheDocumentedFormat() {
    SessionToken t = SessionToken.of(Map.of("us-east", 25_000_000L, "eu-west", 7L, "sa-east", 0L));
    // base64url("eu-west:7,us-east:25000000")
    assertThat(t.toString()).isEqualTo("g1.ZXUtd2VzdDo3LHVzLWVhc3Q6MjUwMDAwMDA");
    assertThat(SessionToken.parse("g1.")).isEqualTo(SessionToken.empty());
    assertThat(SessionToken.empty().toString()).isEqualTo("g1.");
  }

  @Test
  void parse_malformed_saysWhatWasExpected() {
    assertThatThrownBy(() -> SessionToken.parse("abc"))
        .hasMessageContaining("starts with g1.")
        .hasMessageContaining("georep.session_token()");
    assertThatThrownBy(() -> SessionToken.parse("g1.a+b")).hasMessageContaining("base64url");
    // base64url("eu-west=7")
    assertThatThrownBy(() -> SessionToken.parse("g1.ZXUtd2VzdD03"))
        .hasMessageContaining("entry \"eu-west=7\" is not region:seq");
    // base64url("eu-west:99999999999999999999")
    assertThatThrownBy(() -> SessionToken.parse("g1.ZXUtd2VzdDo5OTk5OTk5OTk5OTk5OTk5OTk5OQ"))
        .hasMessageContaining("is not region:seq");
    assertThatThrownBy(() -> SessionToken.of(Map.of("eu west", 1L)))
        .hasMessageContaining("not a georep region name");
  }
}
