package io.georep.replicator.internal.ship;

import static org.assertj.core.api.Assertions.assertThat;

import io.georep.connector.spi.DatabaseSettings;
import io.georep.connectors.postgres.PostgresConnector;
import io.georep.publication.Publication;
import io.georep.publication.PublicationParser;
import io.georep.replicator.AgentSettings;
import io.georep.replicator.internal.RetryBudget;
import io.georep.replicator.internal.metrics.AgentMetrics;
import io.georep.replicator.internal.status.AgentState;
import io.georep.replicator.internal.status.StatusView;
import io.georep.vectorclock.ReplicaId;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A capture that cannot set up its Kafka client (issue 15) does not sit in STARTING without an
 * alert: it retries within its budget, then halts with the cause in {@code /health} and {@code
 * georep_capture_halted} at 1. The client fails in its constructor, so no broker or database runs.
 */
class CaptureActorTest {
  private final ActorTestKit kit = ActorTestKit.create();

  @AfterEach
  void stop() {
    kit.shutdownTestKit();
  }

  @Test
  void kafkaClientCannotBeCreated_badKeystore_haltsTheCaptureWithTheCauseInHealth() {
    ReplicaId here = ReplicaId.of("here");
    Publication publication =
        PublicationParser.create()
            .parse(
                "p.yaml",
                "publication: p\ntables:\n  - table: public.t\n".getBytes(StandardCharsets.UTF_8));
    AgentSettings settings =
        AgentSettings.of(
                here,
                new AgentSettings.Database("jdbc:postgresql://127.0.0.1:1/x", "u", "", null),
                List.of(publication),
                List.of(
                    new AgentSettings.Region(
                        here,
                        Map.of(
                            "bootstrap.servers", "127.0.0.1:1",
                            "security.protocol", "SSL",
                            "ssl.keystore.type", "PKCS12",
                            "ssl.keystore.location", "/nonexistent/georep-keystore.p12",
                            "ssl.keystore.password", "secret")),
                    AgentSettings.Region.of("a", "127.0.0.1:1")))
            .withApply(
                new AgentSettings.Apply(
                    1, 10, 100, 1L << 20, Duration.ofMillis(5), Duration.ofMillis(50)));
    AgentState state = new AgentState();
    AgentMetrics metrics = new AgentMetrics(here, () -> 0L, state);
    String url = "jdbc:postgresql://127.0.0.1:1/x";
    kit.spawn(
        CaptureActor.create(
            settings,
            new PostgresConnector()
                .open(
                    new DatabaseSettings(
                        url,
                        "u",
                        "",
                        here,
                        List.of(publication),
                        null,
                        DatabaseSettings.DEFAULT_COPY_CHUNK_ROWS,
                        DatabaseSettings.DEFAULT_COPY_PARALLEL,
                        10)),
            state,
            metrics));

    TestProbe<Object> probe = kit.createTestProbe();
    probe.awaitAssert(
        Duration.ofSeconds(30),
        () -> {
          assertThat(state.captureState.get()).isEqualTo(AgentState.StreamState.HALTED);
          return null;
        });
    assertThat(new StatusView(settings, state, metrics, () -> 0L).status().alerts())
        .anySatisfy(
            a ->
                assertThat(a)
                    .startsWith("capture halted: capture cannot start, failed")
                    .contains("regions[here].kafka")
                    .contains("georep-keystore.p12"));
    assertThat(metrics.scrape())
        .contains("georep_capture_halted{region=\"here\"} 1")
        .contains(
            "georep_restarts_total{component=\"capture\",region=\"here\"} "
                + (RetryBudget.ATTEMPTS - 1));
  }
}
