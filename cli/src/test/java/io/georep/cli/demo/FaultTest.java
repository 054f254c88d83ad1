package io.georep.cli.demo;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class FaultTest {

  @Test
  void parse_cut_readsRegionStartAndLength() {
    Fault f = Fault.parse("cut:us-east@20s+15s");

    assertThat(f.region()).isEqualTo("us-east");
    assertThat(f.start()).isEqualTo(Duration.ofSeconds(20));
    assertThat(f.length()).isEqualTo(Duration.ofSeconds(15));
    assertThat(f.end()).isEqualTo(Duration.ofSeconds(35));
    assertThat(f).hasToString("cut:us-east@20s+15s");
  }

  @Test
  void parse_compoundDurations_areAccepted() {
    assertThat(Fault.parse("cut:ap-south@1m30s+500ms"))
        .isEqualTo(new Fault("ap-south", Duration.ofSeconds(90), Duration.ofMillis(500)));
  }

  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      value = {
        "cut:us-east@20s | is not a fault",
        "cut:us-east+15s | is not a fault",
        "us-east@20s+15s | is not a fault",
        "kill:us-east@20s+15s | names the fault kind 'kill', but the only kind is 'cut'",
        "cut:@20s+15s | names no valid region",
        "cut:US_EAST@20s+15s | names no valid region",
        "cut:us-east@soon+15s | has a bad start: 'soon' is not a duration",
        "cut:us-east@20s+15 | has a bad length: '15' has no unit",
        "cut:us-east@20s+0s | lasts no time",
      })
  void parse_malformed_namesTheValueTheProblemAndTheForm(String spec, String problem) {
    assertThatThrownBy(() -> Fault.parse(spec))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("'" + spec + "'")
        .hasMessageContaining(problem)
        .hasMessageContaining("cut:<region>@<start>+<length>, e.g. cut:us-east@20s+15s");
  }
}
