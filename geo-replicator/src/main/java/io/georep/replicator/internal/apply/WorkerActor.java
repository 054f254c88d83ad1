package io.georep.replicator.internal.apply;

import io.georep.connector.spi.ApplyRetryException;
import io.georep.connector.spi.PositionedTransaction;
import io.georep.connector.spi.RegionApplier;
import io.georep.connector.spi.RegionDatabase;
import io.georep.replicator.internal.UnclassifiedFailure;
import io.georep.replicator.internal.metrics.AgentMetrics;
import io.georep.vectorclock.GeorepException;
import io.georep.vectorclock.RetriableGeorepException;
import java.util.ArrayList;
import java.util.List;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.PostStop;
import org.apache.pekko.actor.typed.PreRestart;
import org.apache.pekko.actor.typed.javadsl.Behaviors;

/**
 * A per-table apply worker: owns one {@link RegionApplier} (its own connection) and applies the
 * groups the scheduler sends, one at a time, each as one database transaction. It never decides
 * anything: success, a retriable failure or a poison transaction is reported back to the scheduler.
 * Runs on the blocking dispatcher (JDBC blocks). Opening the applier may fail while the database is
 * down: the actor is then restarted with backoff by its supervisor.
 */
final class WorkerActor {
  /** The worker's protocol. */
  sealed interface Command {}

  /**
   * Apply a group in one database transaction.
   *
   * @param group the ready transactions
   * @param replyTo the scheduler
   */
  record Apply(List<Entry> group, ActorRef<SchedulerActor.Command> replyTo) implements Command {}

  private WorkerActor() {}

  static Behavior<Command> create(int index, RegionDatabase database, AgentMetrics metrics) {
    return Behaviors.setup(
        context -> {
          RegionApplier applier = database.openApplier();
          applier.setConflictListener(metrics::conflicts);
          return Behaviors.receive(Command.class)
              .onMessage(Apply.class, m -> apply(index, applier, metrics, m))
              .onSignal(PostStop.class, s -> close(applier))
              .onSignal(PreRestart.class, s -> close(applier))
              .build();
        });
  }

  private static Behavior<Command> close(RegionApplier applier) {
    applier.close();
    return Behaviors.same();
  }

  private static Behavior<Command> apply(
      int index, RegionApplier applier, AgentMetrics metrics, Apply m) {
    List<PositionedTransaction> txs = new ArrayList<>(m.group().size());
    for (Entry e : m.group()) {
      txs.add(e.positioned());
    }
    long start = System.nanoTime();
    try {
      Entry first = m.group().get(0);
      if (first.exclusive()) {
        // Shipped in fragments: applied alone, in parts read back from disk.
        applier.applyInParts(first.positioned(), first.received.parts());
      } else {
        applier.applyPositioned(txs);
      }
      metrics.applyBatch(System.nanoTime() - start);
      m.replyTo().tell(new SchedulerActor.WorkerApplied(index, m.group()));
    } catch (ApplyRetryException e) {
      m.replyTo().tell(new SchedulerActor.WorkerFailed(index, m.group(), e));
    } catch (RetriableGeorepException e) {
      m.replyTo().tell(new SchedulerActor.WorkerFailed(index, m.group(), e));
    } catch (GeorepException e) {
      m.replyTo().tell(new SchedulerActor.WorkerPoisoned(index, m.group(), e));
    } catch (RuntimeException | Error e) {
      // Not a classified failure: a bug or an unexpected driver error. The scheduler retries it
      // with backoff a few times, then halts the origin (and logs it: it is handled there).
      m.replyTo()
          .tell(
              new SchedulerActor.WorkerFailed(
                  index,
                  m.group(),
                  new UnclassifiedFailure("worker " + index + " failed applying " + m.group(), e)));
    }
    return Behaviors.same();
  }
}
