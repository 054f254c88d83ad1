package io.georep.replicator.internal;

import io.georep.connector.spi.RegionDatabase;
import io.georep.replicator.AgentSettings;
import io.georep.replicator.internal.apply.SchedulerActor;
import io.georep.replicator.internal.control.ControlActor;
import io.georep.replicator.internal.metrics.AgentMetrics;
import io.georep.replicator.internal.ship.CaptureActor;
import io.georep.replicator.internal.status.AgentState;
import java.util.function.LongSupplier;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.DispatcherSelector;
import org.apache.pekko.actor.typed.javadsl.Behaviors;

/**
 * The root of an agent's actor tree: capture (and shipping), the apply scheduler (with its
 * per-table workers and one receiver per remote origin) and the control stream, each supervised on
 * its own, so a failure of one stream never stops another. All three run on the blocking
 * dispatcher: they talk JDBC and Kafka.
 */
public final class AgentGuardian {
  private AgentGuardian() {}

  /** The guardian accepts no messages. */
  public interface Command {}

  /**
   * Returns the guardian's behaviour.
   *
   * @param settings the settings
   * @param database the region's database (capture and apply)
   * @param state the agent state
   * @param metrics the meters
   * @param clock the wall clock
   * @return the behaviour
   */
  public static Behavior<Command> create(
      AgentSettings settings,
      RegionDatabase database,
      AgentState state,
      AgentMetrics metrics,
      LongSupplier clock) {
    return Behaviors.setup(
        context -> {
          DispatcherSelector blocking = DispatcherSelector.blocking();
          context.spawn(
              CaptureActor.create(settings, database, state, metrics), "capture", blocking);
          context.spawn(
              SchedulerActor.create(settings, database, state, metrics), "apply", blocking);
          context.spawn(ControlActor.create(settings, database, state, clock), "control", blocking);
          return Behaviors.empty();
        });
  }
}
