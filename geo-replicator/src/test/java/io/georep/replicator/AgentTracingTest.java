package io.georep.replicator;

import static org.assertj.core.api.Assertions.assertThat;

import io.georep.replicator.internal.metrics.AgentTracing;
import io.georep.vectorclock.ReplicaId;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The trace header's format, and tracing built from the settings. */
class AgentTracingTest {
  private static final String TP = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

  @Test
  void parse_entriesBySeq_skipsMalformedOnes() {
    assertThat(AgentTracing.parse("42=" + TP + ";x=bad;;43=" + TP))
        .isEqualTo(Map.of(42L, TP, 43L, TP));
    assertThat(AgentTracing.parse(null)).isEmpty();
    assertThat(AgentTracing.parse("")).isEmpty();
  }

  @Test
  void from_settings_offByDefault_otlpWhenAnEndpointIsSet() {
    AgentSettings base =
        AgentSettings.of(
            ReplicaId.of("eu-west"),
            new AgentSettings.Database("jdbc:postgresql://127.0.0.1:5432/app", "georep", "", null),
            List.of(Topology.publication()),
            List.of(
                AgentSettings.Region.of("eu-west", "127.0.0.1:9092"),
                AgentSettings.Region.of("us-east", "127.0.0.1:9092")));
    try (AgentTracing off = AgentTracing.from(base)) {
      assertThat(off.enabled()).isFalse();
      assertThat(off.ship(List.of(), "t").header()).isNull();
    }
    try (AgentTracing on =
        AgentTracing.from(
            base.withTracing(new AgentSettings.Tracing("http://127.0.0.1:9/v1/traces", 1.0)))) {
      assertThat(on.enabled()).isTrue();
    }
  }
}
