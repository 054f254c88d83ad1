package io.georep.cli.demo;

import static org.assertj.core.api.Assertions.assertThat;

import io.georep.testkit.LoopbackProxy;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** When {@link FaultSchedule} cuts and heals a region's proxy, and what it says. */
class FaultScheduleTest {
  private final Map<String, LoopbackProxy> proxies =
      Map.of("us-east", LoopbackProxy.open("us-east"), "eu-west", LoopbackProxy.open("eu-west"));
  private final List<String> printed = new ArrayList<>();

  @AfterEach
  void closeProxies() {
    proxies.values().forEach(LoopbackProxy::close);
  }

  private FaultSchedule schedule(String... faults) {
    return new FaultSchedule(
        Arrays.stream(faults).map(Fault::parse).toList(), proxies::get, printed::add);
  }

  private static long seconds(double s) {
    return (long) (s * 1e9);
  }

  @Test
  void applyDue_cutThenHeal_atTheirTimes() {
    FaultSchedule s = schedule("cut:us-east@2s+3s");

    s.applyDue(seconds(1.9));
    assertThat(proxies.get("us-east").isCut()).isFalse();
    assertThat(s.nextAt()).isEqualTo(seconds(2));

    s.applyDue(seconds(2));
    assertThat(proxies.get("us-east").isCut()).isTrue();
    assertThat(proxies.get("eu-west").isCut()).isFalse();
    assertThat(s.nextAt()).isEqualTo(seconds(5));

    s.applyDue(seconds(5.5));
    assertThat(proxies.get("us-east").isCut()).isFalse();
    assertThat(s.nextAt()).isEqualTo(Long.MAX_VALUE);
    assertThat(printed)
        .containsExactly(
            "!! us-east cut off from Kafka for 3s (cut:us-east@2s+3s); its writes go on locally",
            "!! us-east reconnected to Kafka; watch it catch up");
  }

  @Test
  void applyDue_backToBackFaults_healBeforeTheNextCut() {
    FaultSchedule s = schedule("cut:us-east@4s+2s", "cut:us-east@1s+3s");

    s.applyDue(seconds(4));

    assertThat(proxies.get("us-east").isCut()).isTrue();
    assertThat(printed).hasSize(3);
    assertThat(printed.get(1)).contains("reconnected");
    assertThat(printed.get(2)).contains("cut off");
  }

  @Test
  void nextAt_noFaults_isNever() {
    assertThat(schedule().nextAt()).isEqualTo(Long.MAX_VALUE);
  }
}
