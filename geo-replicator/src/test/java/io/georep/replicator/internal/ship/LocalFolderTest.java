package io.georep.replicator.internal.ship;

import static io.georep.replicator.internal.SizedTransactions.tx;
import static org.assertj.core.api.Assertions.assertThat;

import io.georep.publication.PublicationParser;
import io.georep.replicator.AgentSettings;
import io.georep.replicator.internal.RetryBudget;
import io.georep.replicator.internal.metrics.AgentMetrics;
import io.georep.replicator.internal.status.AgentState;
import io.georep.replicator.internal.status.StatusView;
import io.georep.resolver.ResolverConfigurationException;
import io.georep.vectorclock.GeorepException;
import io.georep.vectorclock.ReplicaId;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;

/**
 * The local folder's thread never ends silently (issue 15): a failure that is not a transient one
 * halts the capture with an alert in {@code /health} and the {@code georep_capture_halted} meter,
 * and tells the capture actor; an unexpected one that passes is retried.
 */
class LocalFolderTest {
  private final AgentState state = new AgentState();
  private final AgentSettings settings = settings();
  private final AgentMetrics metrics = new AgentMetrics(settings.region(), () -> 0L, state);
  private final CompletableFuture<GeorepException> halted = new CompletableFuture<>();

  private static AgentSettings settings() {
    return AgentSettings.of(
        ReplicaId.of("here"),
        new AgentSettings.Database("jdbc:postgresql://127.0.0.1:1/x", "u", "", null),
        List.of(
            PublicationParser.create()
                .parse(
                    "p.yaml",
                    "publication: p\ntables:\n  - table: public.t\n"
                        .getBytes(StandardCharsets.UTF_8))),
        List.of(
            AgentSettings.Region.of("here", "127.0.0.1:1"),
            AgentSettings.Region.of("a", "127.0.0.1:1")));
  }

  /** A fold that runs {@code body} for every batch. */
  private static Supplier<LocalFolder.Fold> folding(Runnable body) {
    return () ->
        new LocalFolder.Fold() {
          @Override
          public void fold(List<io.georep.connector.SourceTransaction> transactions) {
            body.run();
          }

          @Override
          public void close() {}
        };
  }

  private List<String> alerts() {
    return new StatusView(settings, state, metrics, () -> 0L).status().alerts();
  }

  @Test
  void foldThrowsUnexpectedly_everyTime_haltsTheCaptureWithAnAlertAndAMeter() throws Exception {
    AtomicInteger attempts = new AtomicInteger();
    state.captureState.set(AgentState.StreamState.RUNNING);
    try (LocalFolder folder =
        new LocalFolder(
            folding(
                () -> {
                  attempts.incrementAndGet();
                  throw new IllegalStateException("corrupt row_meta state of public.t id=1");
                }),
            state,
            "here",
            halted::complete)) {
      folder.submit(List.of(tx(10)), () -> {});

      GeorepException failure = halted.get(30, TimeUnit.SECONDS);

      assertThat(failure.getMessage())
          .contains("cannot fold local transactions")
          .contains("corrupt row_meta state of public.t id=1")
          .contains("restart the agent");
      assertThat(attempts).hasValue(RetryBudget.ATTEMPTS);
      assertThat(state.captureState.get()).isEqualTo(AgentState.StreamState.HALTED);
      assertThat(alerts())
          .anySatisfy(a -> assertThat(a).startsWith("capture halted: cannot fold local"));
      assertThat(metrics.scrape()).contains("georep_capture_halted{region=\"here\"} 1");
    }
  }

  @Test
  void foldThrowsAPermanentFailure_haltsAtOnce() throws Exception {
    AtomicInteger attempts = new AtomicInteger();
    try (LocalFolder folder =
        new LocalFolder(
            folding(
                () -> {
                  attempts.incrementAndGet();
                  throw new ResolverConfigurationException(
                      List.of("no resolver named 'nope' for public.t"));
                }),
            state,
            "here",
            halted::complete)) {
      folder.submit(List.of(tx(10)), () -> {});

      assertThat(halted.get(30, TimeUnit.SECONDS).getMessage()).contains("no resolver named");
      assertThat(attempts).hasValue(1);
      assertThat(state.captureState.get()).isEqualTo(AgentState.StreamState.HALTED);
    }
  }

  @Test
  void foldFailsUnexpectedlyOnce_isRetriedAndFolds() throws Exception {
    AtomicInteger attempts = new AtomicInteger();
    CountDownLatch folded = new CountDownLatch(1);
    state.captureState.set(AgentState.StreamState.RUNNING);
    try (LocalFolder folder =
        new LocalFolder(
            folding(
                () -> {
                  if (attempts.incrementAndGet() == 1) {
                    throw new OutOfMemoryError("Java heap space");
                  }
                }),
            state,
            "here",
            halted::complete)) {
      folder.submit(List.of(tx(10)), folded::countDown);

      assertThat(folded.await(30, TimeUnit.SECONDS)).isTrue();
      assertThat(attempts).hasValue(2);
      assertThat(halted).isNotDone();
      assertThat(state.captureState.get()).isEqualTo(AgentState.StreamState.RUNNING);
      assertThat(metrics.scrape()).contains("georep_capture_halted{region=\"here\"} 0");
    }
  }
}
