package io.georep.replicator.internal.receive;

import io.georep.connectors.postgres.OriginProgress;
import io.georep.replicator.AgentSettings;
import io.georep.replicator.internal.apply.Received;
import io.georep.replicator.internal.apply.Window;
import io.georep.replicator.internal.metrics.AgentMetrics;
import io.georep.replicator.internal.status.AgentState;
import io.georep.vectorclock.GeorepException;
import io.georep.vectorclock.ReplicaId;
import io.georep.vectorclock.RetriableGeorepException;
import java.util.List;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.PostStop;
import org.apache.pekko.actor.typed.PreRestart;
import org.apache.pekko.actor.typed.SupervisorStrategy;
import org.apache.pekko.actor.typed.javadsl.Behaviors;

/**
 * The receiver of one remote origin: an actor owning a {@link StreamReceiver} thread (a plain
 * consumer thread that tells the scheduler, keeping full control of positions). A transient failure
 * of the thread fails the actor, which its supervisor restarts with backoff; the restart seeks
 * again from the durable progress. A poison record halts the origin: the thread reports it and
 * ends, and the scheduler stops this actor.
 */
public final class ReceiverActor {

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
                      state);
              Thread thread =
                  new Thread(receiver, "georep-receive-" + origin + "-" + settings.region());
              thread.setDaemon(true);
              thread.start();
              return Behaviors.receive(Command.class)
                  .onMessage(
                      Failed.class,
                      m -> {
                        if (state.state.get() != AgentState.StreamState.HALTED) {
                          state.state.set(AgentState.StreamState.STARTING);
                        }
                        metrics.restarted("receiver-" + origin);
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
                settings.apply().retryMin().multipliedBy(4), settings.apply().retryMax(), 0.2));
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
