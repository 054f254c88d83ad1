package io.georep.cli.demo;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class DurationsTest {

  @ParameterizedTest
  @CsvSource({
    "20s, PT20S",
    "2m, PT2M",
    "1m30s, PT1M30S",
    "500ms, PT0.5S",
    "1h, PT1H",
    "1h2m3s4ms, PT1H2M3.004S",
    "' 60S ', PT1M",
    "0s, PT0S"
  })
  void parse_validForms_returnDuration(String text, Duration expected) {
    assertThat(Durations.parse(text)).isEqualTo(expected);
  }

  @ParameterizedTest
  @ValueSource(strings = {"PT20S", "20 s", "1.5s", "-5s", "abc", "20x", "s", "30s1m", "1s1s", "ms"})
  void parse_malformed_namesTheTextAndTheForm(String text) {
    assertThatThrownBy(() -> Durations.parse(text))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("'" + text + "'")
        .hasMessageContaining("e.g. 20s, 2m, 1m30s or 500ms");
  }

  @ParameterizedTest
  @ValueSource(strings = {"", "  "})
  void parse_blank_saysItIsMissing(String text) {
    assertThatThrownBy(() -> Durations.parse(text))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("missing");
  }

  @ParameterizedTest
  @ValueSource(strings = {"60"})
  void parse_numberWithoutUnit_suggestsSeconds(String text) {
    assertThatThrownBy(() -> Durations.parse(text))
        .hasMessageContaining("'60' has no unit")
        .hasMessageContaining("60s for seconds");
  }

  @ParameterizedTest
  @ValueSource(strings = {"0s", "20s", "1m30s", "500ms", "1h2m3s4ms", "2m"})
  void format_roundTripsThroughParse(String text) {
    Duration d = Durations.parse(text);
    assertThat(Durations.format(d)).isEqualTo(text);
  }
}
