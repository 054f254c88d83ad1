package io.georep.replicator.internal.ship;

import io.georep.connector.spi.ChangeSource;
import io.georep.connector.spi.ClockSkewReporting;
import io.georep.connector.spi.CopyProgressReporting;
import io.georep.connector.spi.RegionDatabase;
import io.georep.replicator.AgentSettings;
import io.georep.replicator.internal.RetryBudget;
import io.georep.replicator.internal.UnclassifiedFailure;
import io.georep.replicator.internal.metrics.AgentMetrics;
import io.georep.replicator.internal.status.AgentState;
import io.georep.replicator.internal.transport.KafkaClients;
import io.georep.replicator.internal.transport.TopicProvisioner;
import io.georep.vectorclock.GeorepException;
import io.georep.vectorclock.ReplicaId;
import io.georep.vectorclock.RetriableGeorepException;
import java.time.Duration;
import java.util.Optional;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.PostStop;
import org.apache.pekko.actor.typed.PreRestart;
import org.apache.pekko.actor.typed.SupervisorStrategy;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Capture and shipping of the local region: an actor owning the {@link ChangeSource}, the {@link
 * Shipper} and the Kafka producer of this region's changes topic. Every start begins from the
 * slot's confirmed position (everything not acknowledged by Kafka is captured again). A transient
 * failure (database, Kafka) fails the actor and its supervisor restarts it with backoff; a
 * permanent one (a misconfiguration, an unrepresentable value) stops capture with an alert, and so
 * does an unclassified one that repeats without progress ({@link RetryBudget}). Every failure, also
 * while starting, is shown in {@code /health} with its cause.
 */
public final class CaptureActor {
  private static final Logger LOG = LoggerFactory.getLogger(CaptureActor.class);

  /** The capture's protocol. */
  public sealed interface Command {}

  private record Failed(GeorepException failure) implements Command {}

  private CaptureActor() {}

  /**
   * Returns the supervised capture behaviour.
   *
   * @param settings the agent's settings
   * @param database the region's database (its capture, and an applier folding local transactions)
   * @param state the agent state
   * @param metrics the meters
   * @return the behaviour
   */
  public static Behavior<Command> create(
      AgentSettings settings, RegionDatabase database, AgentState state, AgentMetrics metrics) {
    // Survives restarts: a setup step that keeps failing unclassified halts instead of looping.
    RetryBudget budget = new RetryBudget();
    Behavior<Command> behavior =
        Behaviors.setup(
            context -> {
              state.captureState.set(AgentState.StreamState.STARTING);
              ActorRef<Command> self = context.getSelf();
              String topic = settings.topics().changes(settings.region());
              KafkaProducer<byte[], byte[]> producer = null;
              LocalFolder folder = null;
              Shipper shipper = null;
              ChangeSource capture = null;
              try {
                state.warn(
                    topic,
                    TopicProvisioner.ensureChanges(settings.localRegion(), settings.topics(), topic)
                        .warning());
                // The producer only ever holds frames of transactions that hold shipping permits.
                producer =
                    KafkaClients.producer(
                        settings.localRegion(),
                        settings.topics(),
                        "georep-ship-" + settings.region(),
                        settings.shipping().maxInFlightBytes());
                folder =
                    new LocalFolder(
                        database,
                        metrics,
                        state,
                        settings.region().name(),
                        e -> self.tell(new Failed(e)));
                shipper =
                    new Shipper(
                        settings, producer, metrics, state, e -> self.tell(new Failed(e)), folder);
                // The capture's hand-off batch is held outside the shipping permits and bounded
                // by a count of row changes only, so it is capped at what one record ships.
                capture = database.newSource(settings.shipping().maxBatchChanges());
                if (capture instanceof CopyProgressReporting copies) {
                  copies.setCopyProgressListener(state.copyProgress);
                }
                if (capture instanceof ClockSkewReporting skew) {
                  skew.setClockSkewListener(
                      (origin, skewMillis, clamped) -> {
                        metrics.clockSkew(origin, skewMillis, clamped);
                        state.warn(
                            "clock-skew " + origin, clockSkewWarning(origin, skewMillis, clamped));
                      });
                }
                shipper.attach(capture);
                capture.start(shipper, 0);
              } catch (RuntimeException | Error e) {
                close(shipper, capture, producer, folder);
                return failedToStart(state, metrics, budget, e);
              }
              state.captureState.set(AgentState.StreamState.RUNNING);
              state.captureError.set(null);
              LOG.info("capturing {} into {}", database.captureName(), topic);
              Shipper s = shipper;
              ChangeSource c = capture;
              KafkaProducer<byte[], byte[]> p = producer;
              LocalFolder f = folder;
              return Behaviors.receive(Command.class)
                  .onMessage(
                      Failed.class,
                      m -> {
                        if (m.failure() instanceof UnclassifiedFailure u
                            && budget.spent(state.shippedSeq.get())) {
                          close(s, c, p, f);
                          return halted(
                              state,
                              new GeorepException(
                                  u.getMessage()
                                      + "; failed "
                                      + RetryBudget.ATTEMPTS
                                      + " times at shipped seq "
                                      + state.shippedSeq.get()
                                      + ", the capture is halted: fix the cause and restart the"
                                      + " agent",
                                  u));
                        }
                        if (m.failure() instanceof RetriableGeorepException r) {
                          state.captureState.set(AgentState.StreamState.STARTING);
                          state.captureError.set(r.getMessage());
                          metrics.restarted("capture");
                          LOG.warn("capture/shipping restarts: {}", r.getMessage());
                          throw r;
                        }
                        close(s, c, p, f);
                        return halted(state, m.failure());
                      })
                  .onSignal(PostStop.class, sig -> close(s, c, p, f))
                  .onSignal(PreRestart.class, sig -> close(s, c, p, f))
                  .build();
            });
    return Behaviors.supervise(behavior)
        .onFailure(
            RetriableGeorepException.class,
            SupervisorStrategy.restartWithBackoff(
                    settings.apply().retryMin().multipliedBy(4), settings.apply().retryMax(), 0.2)
                // Logged once by this actor (with the cause and the budget), not on every restart.
                .withLoggingEnabled(false));
  }

  /**
   * A failure while starting (creating topics and clients, opening the slot): a permanent one halts
   * the capture, a transient one restarts it with backoff, an unclassified one (a bad keystore in
   * the Kafka client's constructor, a bug) restarts it within its {@link RetryBudget} and then
   * halts. Every path shows the cause in {@code /health}: a capture that stopped in STARTING with
   * nothing but a log line looked like one still starting.
   */
  private static Behavior<Command> failedToStart(
      AgentState state, AgentMetrics metrics, RetryBudget budget, Throwable e) {
    // An Error is not recovered from here: it is counted and retried like any unclassified failure.
    if (e instanceof GeorepException g && !(e instanceof RetriableGeorepException)) {
      return halted(state, g);
    }
    RetriableGeorepException retry;
    if (e instanceof RetriableGeorepException r && !(e instanceof UnclassifiedFailure)) {
      retry = r;
    } else {
      retry =
          e instanceof UnclassifiedFailure u
              ? u
              : new UnclassifiedFailure("capture cannot start", e);
      if (budget.spent(state.shippedSeq.get())) {
        return halted(
            state,
            new GeorepException(
                "capture cannot start, failed "
                    + RetryBudget.ATTEMPTS
                    + " times: "
                    + retry.getMessage()
                    + "; fix the cause and restart the agent",
                e));
      }
      if (budget.failures() == 1) {
        LOG.warn("capture cannot start; retrying", e);
      }
    }
    state.captureError.set("cannot start: " + retry.getMessage());
    metrics.restarted("capture");
    LOG.warn("capture restarts: {}", retry.getMessage());
    throw retry;
  }

  /**
   * The standing warning about an origin's clock: set while its applied timestamps are clamped,
   * cleared by the first one within the bound again.
   */
  static Optional<String> clockSkewWarning(ReplicaId origin, long skewMillis, boolean clamped) {
    return clamped
        ? Optional.of(
            "the clock of region "
                + origin
                + " is "
                + skewMillis / 1000
                + " s ahead of this region's, beyond the 60 s bound: its timestamps are clamped"
                + " and its writes win last-writer-wins conflicts while its clock is ahead — fix"
                + " the time synchronisation (NTP/chrony) of region "
                + origin)
        : Optional.empty();
  }

  private static Behavior<Command> halted(AgentState state, GeorepException e) {
    state.captureState.set(AgentState.StreamState.HALTED);
    state.captureError.set(e.getMessage());
    LOG.error("capture halted: {}", e.getMessage(), e);
    return Behaviors.stopped();
  }

  /** Closes what was opened; any argument may be null (a start that failed half way). */
  private static Behavior<Command> close(
      Shipper shipper,
      ChangeSource capture,
      KafkaProducer<byte[], byte[]> producer,
      LocalFolder folder) {
    if (shipper != null) {
      shipper.close();
    }
    if (capture != null) {
      capture.close();
    }
    if (producer != null) {
      producer.close(Duration.ofSeconds(2));
    }
    if (folder != null) {
      folder.close();
    }
    return Behaviors.same();
  }
}
