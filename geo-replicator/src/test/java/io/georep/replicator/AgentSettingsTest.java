package io.georep.replicator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.georep.publication.PublicationParser;
import io.georep.vectorclock.ReplicaId;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class AgentSettingsTest {
  private static final AgentSettings.Database DB =
      new AgentSettings.Database(
          "jdbc:postgresql://db/x?password=hunter2", "georep", "s3cret", null);

  private static AgentSettings valid() {
    return AgentSettings.of(
        ReplicaId.of("eu-west"),
        DB,
        List.of(
            PublicationParser.create()
                .parse(
                    "p.yaml",
                    "publication: p\ntables:\n  - table: public.t\n"
                        .getBytes(StandardCharsets.UTF_8))),
        List.of(
            AgentSettings.Region.of("eu-west", "k1:9092"),
            new AgentSettings.Region(
                ReplicaId.of("us-east"),
                Map.of("bootstrap.servers", "k2:9092", "sasl.jaas.config", "secret-jaas"))));
  }

  @Test
  void settings_topicNames_followThePrefix() {
    AgentSettings s = valid();

    assertThat(s.topics().changes(ReplicaId.of("us-east"))).isEqualTo("georep.us-east.changes");
    assertThat(s.topics().control()).isEqualTo("georep.control");
    assertThat(s.remoteRegions())
        .extracting(AgentSettings.Region::name)
        .containsExactly(ReplicaId.of("us-east"));
  }

  @Test
  void toString_neverShowsSecrets() {
    assertThat(valid().toString())
        .doesNotContain("s3cret")
        .doesNotContain("hunter2")
        .doesNotContain("secret-jaas");
  }

  @Test
  void databaseToString_passwordInUserInfoOrSslPassword_isMasked() {
    AgentSettings.Database db =
        new AgentSettings.Database(
            "jdbc:postgresql://georep:hunter2@db/x?sslpassword=k3y;Pass&ssl=true",
            "georep",
            "",
            null);

    assertThat(db.toString())
        .contains("url=jdbc:postgresql://georep:***@db/x?sslpassword=***&ssl=true")
        .doesNotContain("hunter2")
        .doesNotContain("k3y")
        .doesNotContain("Pass");
  }

  @Test
  void constructor_manyProblems_reportsThemAllByKey() {
    assertThatThrownBy(
            () ->
                new AgentSettings(
                    null,
                    DB,
                    List.of(),
                    List.of(AgentSettings.Region.of("eu-west", "k:1")),
                    AgentSettings.Topics.DEFAULT,
                    AgentSettings.Shipping.DEFAULT,
                    AgentSettings.Apply.DEFAULT,
                    AgentSettings.Control.DEFAULT,
                    AgentSettings.Http.DEFAULT,
                    AgentSettings.Tracing.DEFAULT,
                    AgentSettings.Signing.NONE))
        .hasMessageContaining("region is required")
        .hasMessageContaining("publications must name at least one")
        .hasMessageContaining("regions must list every region");
  }

  @Test
  void apply_windowAboveTheAboveSetBound_isRejected() {
    assertThatThrownBy(
            () ->
                new AgentSettings.Apply(
                    4, 10, 20_000, 1L << 20, Duration.ofMillis(1), Duration.ofSeconds(1)))
        .hasMessageContaining("apply.window.transactions");
  }

  @Test
  void topics_morePartitions_isRejected() {
    assertThatThrownBy(() -> new AgentSettings.Topics("georep", 3, 1, Duration.ofDays(1), 1 << 20))
        .hasMessageContaining("topics.partitions must be 1");
  }
}
