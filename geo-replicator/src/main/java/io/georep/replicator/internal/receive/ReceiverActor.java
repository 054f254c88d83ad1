package io.georep.replicator.internal.receive;

import io.georep.connector.spi.OriginProgress;
import io.georep.replicator.AgentSettings;
import io.georep.replicator.codec.BatchCodec;
import io.georep.replicator.codec.WireBatch;
import io.georep.replicator.internal.RetryBudget;
import io.georep.replicator.internal.UnclassifiedFailure;
import io.georep.replicator.internal.apply.Received;
import io.georep.replicator.internal.apply.Window;
import io.georep.replicator.internal.metrics.AgentMetrics;
import io.georep.replicator.internal.status.AgentState;
import io.georep.vectorclock.GeorepException;
import io.georep.vectorclock.ReplicaId;
import io.georep.vectorclock.RetriableGeorepException;
import java.util.List;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.Supplier;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.PostStop;
import org.apache.pekko.actor.typed.PreRestart;
import org.apache.pekko.actor.typed.SupervisorStrategy;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The receiver of one remote origin: an actor owning a {@link StreamReceiver} thread (a plain
 * consumer thread that tells the scheduler, keeping full control of positions). A transient failure
 * of the thread fails the actor, which its supervisor restarts with backoff; the restart seeks
 * again from the durable progress. A poison record halts the origin: the thread reports it and
 * ends, and the scheduler stops this actor. An unclassified failure of the thread (a bug, an {@link
 * OutOfMemoryError} decoding a record, a Kafka client that cannot be created) restarts it the same
 * way, within a {@link RetryBudget}: when it keeps failing at the same offset, the origin halts
 * with an alert naming the topic, the offset and the cause.
 */
public final class ReceiverActor {
  private static final Logger LOG = LoggerFactory.getLogger(ReceiverActor.class);

  /** The receiver's protocol. */
  public sealed interface Command {}

  private record Failed(GeorepException failure) implements Command {}

  private ReceiverActor() {}

  /**
   * Returns the supervised receiver behaviour.
   *
   * @param settings the agent's settings
   * @param origin the origin read
   * @param progress reads the origin's durable progress
   * @param window the origin's window permits
   * @param sink receives transactions in stream order
   * @param halt receives the alert when a poison record halts the origin
   * @param metrics the meters
   * @param state the origin's state
   * @return the behaviour
   */
  public static Behavior<Command> create(
      AgentSettings settings,
      ReplicaId origin,
      Supplier<OriginProgress> progress,
      Window window,
      Consumer<List<Received>> sink,
      Consumer<String> halt,
      AgentMetrics metrics,
      AgentState.OriginState state) {
    BatchCodec codec = BatchCodec.create();
    return create(
        settings, origin, progress, window, sink, halt, metrics, state, () -> codec::decode);
  }

  /**
   * Returns the supervised receiver behaviour with a given decoder (a seam for tests).
   *
   * @param settings the agent's settings
   * @param origin the origin read
   * @param progress reads the origin's durable progress
   * @param window the origin's window permits
   * @param sink receives transactions in stream order
   * @param halt receives the alert when the origin halts
   * @param metrics the meters
   * @param state the origin's state
   * @param decoder makes the decoder of each start of the thread
   * @return the behaviour
   */
  public static Behavior<Command> create(
      AgentSettings settings,
      ReplicaId origin,
      Supplier<OriginProgress> progress,
      Window window,
      Consumer<List<Received>> sink,
      Consumer<String> halt,
      AgentMetrics metrics,
      AgentState.OriginState state,
      Supplier<Function<byte[], WireBatch>> decoder) {
    // Survives restarts: a record that fails unclassified every time halts the origin.
    RetryBudget budget = new RetryBudget();
    Behavior<Command> behavior =
        Behaviors.setup(
            context -> {
              ActorRef<Command> self = context.getSelf();
              StreamReceiver receiver =
                  new StreamReceiver(
                      settings,
                      origin,
                      progress,
                      window,
                      sink,
                      halt,
                      e -> self.tell(new Failed(e)),
                      metrics,
                      state,
                      decoder.get());
              Thread thread =
                  new Thread(receiver, "georep-receive-" + origin + "-" + settings.region());
              thread.setDaemon(true);
              thread.start();
              return Behaviors.receive(Command.class)
                  .onMessage(
                      Failed.class,
                      m -> {
                        if (m.failure() instanceof UnclassifiedFailure u
                            && budget.spent(receiver.position())) {
                          String reason =
                              u.getMessage()
                                  + "; failed "
                                  + RetryBudget.ATTEMPTS
                                  + " times in a row, so the origin is halted here (skipping the"
                                  + " record would make the regions diverge): fix the cause, then"
                                  + " restart the agent";
                          LOG.error("apply of origin {} halted: {}", origin, reason, u);
                          halt.accept(reason);
                          return Behaviors.stopped();
                        }
                        if (state.state.get() != AgentState.StreamState.HALTED) {
                          state.state.set(AgentState.StreamState.STARTING);
                        }
                        state.failure.set(m.failure().getMessage());
                        metrics.restarted("receiver-" + origin);
                        if (m.failure() instanceof UnclassifiedFailure && budget.failures() == 1) {
                          LOG.warn("receiver of {} restarts", origin, m.failure());
                        } else {
                          LOG.warn("receiver of {} restarts: {}", origin, m.failure().getMessage());
                        }
                        throw m.failure();
                      })
                  .onSignal(PostStop.class, s -> stop(receiver, thread))
                  .onSignal(PreRestart.class, s -> stop(receiver, thread))
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

  private static Behavior<Command> stop(StreamReceiver receiver, Thread thread) {
    receiver.stop();
    try {
      thread.join(10_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    return Behaviors.same();
  }
}
