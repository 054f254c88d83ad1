package io.georep.replicator.internal.apply;

import io.georep.connector.spi.ApplyRetryException;
import io.georep.connector.spi.OriginProgress;
import io.georep.connector.spi.RegionApplier;
import io.georep.connector.spi.RegionDatabase;
import io.georep.replicator.AgentSettings;
import io.georep.replicator.internal.RetryBudget;
import io.georep.replicator.internal.UnclassifiedFailure;
import io.georep.replicator.internal.metrics.AgentMetrics;
import io.georep.replicator.internal.metrics.AgentTracing;
import io.georep.replicator.internal.receive.ReceiverActor;
import io.georep.replicator.internal.status.AgentState;
import io.georep.replicator.internal.status.StatusView;
import io.georep.vectorclock.GeorepException;
import io.georep.vectorclock.ReplicaId;
import io.georep.vectorclock.RetriableGeorepException;
import io.georep.vectorclock.VersionVector;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.ChildFailed;
import org.apache.pekko.actor.typed.DispatcherSelector;
import org.apache.pekko.actor.typed.PostStop;
import org.apache.pekko.actor.typed.PreRestart;
import org.apache.pekko.actor.typed.SupervisorStrategy;
import org.apache.pekko.actor.typed.Terminated;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The apply scheduler actor: owns the {@link Schedule} (admission, causal gate, per-row order,
 * progress), spawns and supervises the per-table {@link WorkerActor}s and one {@link ReceiverActor}
 * per remote origin, and turns the workers' outcomes into retries, halts and progress.
 *
 * <p>Supervision: workers and receivers restart with backoff on transient failures on their own; if
 * one fails otherwise, this actor fails and its supervisor restarts the whole pipeline with backoff
 * — a clean restart from the durable progress in the database (everything in memory is
 * reconstructible from it and the streams). Origins halted by a poison record stay halted across
 * such restarts (their alert is in {@link AgentState}).
 *
 * <p>About 610 lines: the protocol's handlers share the schedule, the timers and the children; the
 * state kept beside the schedule (drifted tables, windows) is already in classes of its own.
 */
public final class SchedulerActor {
  private static final Logger LOG = LoggerFactory.getLogger(SchedulerActor.class);

  /** The scheduler's protocol. */
  public sealed interface Command {}

  /**
   * Transactions from a receiver, in stream order.
   *
   * @param transactions the transactions
   * @param window the window the receiver took their permits from
   */
  public record Admit(List<Received> transactions, Window window) implements Command {}

  /**
   * A receiver halted its origin (a poison record).
   *
   * @param origin the origin
   * @param reason the alert
   */
  public record OriginHalted(ReplicaId origin, String reason) implements Command {}

  record WorkerApplied(int worker, List<Entry> group) implements Command {}

  record WorkerFailed(int worker, List<Entry> group, RetriableGeorepException failure)
      implements Command {}

  record WorkerPoisoned(int worker, List<Entry> group, GeorepException failure)
      implements Command {}

  private record Unpark(long admission) implements Command {}

  private enum Tick implements Command {
    INSTANCE
  }

  private final AgentSettings settings;
  private final AgentState state;
  private final AgentMetrics metrics;
  private final ActorContext<Command> context;
  private final TimerScheduler<Command> timers;
  private final Schedule schedule;
  private final List<ActorRef<WorkerActor.Command>> workers = new ArrayList<>();
  private final Map<ReplicaId, ActorRef<ReceiverActor.Command>> receivers = new HashMap<>();
  private final Map<ReplicaId, Window> windows = new HashMap<>();
  private final AtomicLong gateDepth;
  private final AtomicLong readyDepth;

  private final DriftedTables drifted;

  private SchedulerActor(
      AgentSettings settings,
      AgentState state,
      AgentMetrics metrics,
      ActorContext<Command> context,
      TimerScheduler<Command> timers,
      Map<ReplicaId, OriginProgress> progress,
      AtomicLong gateDepth,
      AtomicLong readyDepth) {
    this.settings = settings;
    this.state = state;
    this.metrics = metrics;
    this.context = context;
    this.timers = timers;
    this.gateDepth = gateDepth;
    this.readyDepth = readyDepth;
    this.drifted =
        new DriftedTables(state, settings.remoteRegions().stream().map(r -> r.name()).toList());
    Map<ReplicaId, Long> watermarks = new HashMap<>();
    for (AgentSettings.Region r : settings.remoteRegions()) {
      OriginProgress p = progress.get(r.name());
      watermarks.put(r.name(), p == null ? 0 : p.watermark());
    }
    this.schedule =
        new Schedule(
            settings.region(),
            watermarks,
            settings.apply().workers(),
            settings.apply().maxGroupTransactions());
    publish();
  }

  /**
   * What the scheduler runs on: the durable progress, and how to make its workers and receivers.
   * The agent's is {@link #database}; tests substitute workers and receivers.
   */
  interface Environment extends AutoCloseable {
    /** Reads the durable apply progress of every origin. */
    Map<ReplicaId, OriginProgress> progress();

    /** Returns the behaviour of worker {@code index}. */
    Behavior<WorkerActor.Command> worker(int index);

    /** Returns the behaviour of the receiver of {@code origin}. */
    Behavior<ReceiverActor.Command> receiver(
        ReplicaId origin, Window window, ActorRef<Command> scheduler);

    /** Releases what the environment holds (called when the scheduler stops or restarts). */
    @Override
    void close();
  }

  /** The agent's environment: PostgreSQL workers and Kafka receivers. */
  private static Environment database(
      AgentSettings settings, RegionDatabase database, AgentState state, AgentMetrics metrics) {
    RegionApplier progressReader = database.openApplier();
    return new Environment() {
      @Override
      public Map<ReplicaId, OriginProgress> progress() {
        return progressReader.appliedProgress();
      }

      @Override
      public Behavior<WorkerActor.Command> worker(int index) {
        return Behaviors.supervise(WorkerActor.create(index, database, metrics))
            .onFailure(
                RetriableGeorepException.class,
                SupervisorStrategy.restartWithBackoff(
                    settings.apply().retryMin(), settings.apply().retryMax(), 0.2));
      }

      @Override
      public Behavior<ReceiverActor.Command> receiver(
          ReplicaId origin, Window window, ActorRef<Command> scheduler) {
        return ReceiverActor.create(
            settings,
            origin,
            () -> {
              OriginProgress p = progressReader.appliedProgress().get(origin);
              return p == null ? new OriginProgress(0, 0, -1) : p;
            },
            window,
            list -> scheduler.tell(new Admit(list, window)),
            reason -> scheduler.tell(new OriginHalted(origin, reason)),
            metrics,
            state.origin(origin));
      }

      @Override
      public void close() {
        progressReader.close();
      }
    };
  }

  /**
   * Returns the supervised scheduler behaviour: restarted with backoff from the durable progress.
   * It starts (connects, spawns the receivers) only once this region's capture has no initial copy
   * left to do ({@link io.georep.replicator.internal.status.CopyProgress#settled}): a row applied
   * from another region before the copy's snapshot would go back to that region as this region's
   * insert, and its counter columns would be counted twice there.
   *
   * @param settings the agent's settings
   * @param database the region's database, whose appliers the workers open
   * @param state the agent state
   * @param metrics the meters
   * @return the behaviour
   */
  public static Behavior<Command> create(
      AgentSettings settings, RegionDatabase database, AgentState state, AgentMetrics metrics) {
    return afterLocalCopy(
        state,
        create(settings, state, metrics, () -> database(settings, database, state, metrics)));
  }

  /** The warning shown while the apply waits for the local initial copy. */
  static final String COPY_WAIT_SUBJECT = "initial-copy";

  private static Behavior<Command> afterLocalCopy(AgentState state, Behavior<Command> then) {
    return Behaviors.setup(
        context -> {
          if (state.copyProgress.settled()) {
            return then;
          }
          state.warn(
              COPY_WAIT_SUBJECT,
              Optional.of(
                  "the apply of other regions' changes waits until this region's initial copy is"
                      + " acknowledged (see the copy's progress); they wait in Kafka meanwhile"));
          return Behaviors.withTimers(
              timers -> {
                timers.startTimerWithFixedDelay(Tick.INSTANCE, Duration.ofMillis(200));
                return Behaviors.receive(Command.class)
                    .onMessageEquals(
                        Tick.INSTANCE,
                        () -> {
                          if (!state.copyProgress.settled()) {
                            return Behaviors.same();
                          }
                          timers.cancelAll();
                          state.warn(COPY_WAIT_SUBJECT, Optional.empty());
                          return then;
                        })
                    .build();
              });
        });
  }

  /**
   * Returns the supervised scheduler behaviour on a given environment.
   *
   * @param settings the agent's settings
   * @param state the agent state
   * @param metrics the meters
   * @param environment opens the environment at every (re)start
   * @return the behaviour
   */
  static Behavior<Command> create(
      AgentSettings settings,
      AgentState state,
      AgentMetrics metrics,
      java.util.function.Supplier<Environment> environment) {
    AtomicLong gate = new AtomicLong();
    AtomicLong ready = new AtomicLong();
    metrics.queue("gate", "all", gate);
    metrics.queue("ready", "all", ready);
    Behavior<Command> behavior =
        Behaviors.setup(
            context ->
                Behaviors.withTimers(
                    timers -> {
                      Environment env = environment.get();
                      try {
                        SchedulerActor actor =
                            new SchedulerActor(
                                settings,
                                state,
                                metrics,
                                context,
                                timers,
                                env.progress(),
                                gate,
                                ready);
                        actor.spawnChildren(env);
                        return actor.behavior(env);
                      } catch (RuntimeException e) {
                        env.close();
                        throw e;
                      }
                    }));
    return Behaviors.supervise(behavior)
        .onFailure(
            Exception.class,
            SupervisorStrategy.restartWithBackoff(
                    settings.apply().retryMin(), settings.apply().retryMax().multipliedBy(2), 0.2)
                .withStopChildren(true));
  }

  private void spawnChildren(Environment env) {
    for (int i = 0; i < settings.apply().workers(); i++) {
      ActorRef<WorkerActor.Command> ref =
          context.spawn(env.worker(i), "worker-" + i, DispatcherSelector.blocking());
      context.watch(ref);
      workers.add(ref);
    }
    for (AgentSettings.Region r : settings.remoteRegions()) {
      ReplicaId origin = r.name();
      AgentState.OriginState os = state.origin(origin);
      if (os.state.get() == AgentState.StreamState.HALTED) {
        schedule.halt(origin);
        continue;
      }
      Window window = new Window(settings.apply().window(), settings.apply().windowBytes());
      windows.put(origin, window);
      ActorRef<ReceiverActor.Command> ref =
          context.spawn(
              env.receiver(origin, window, context.getSelf()),
              "receiver-" + origin.name(),
              DispatcherSelector.blocking());
      context.watch(ref);
      receivers.put(origin, ref);
    }
  }

  private Behavior<Command> behavior(Environment env) {
    timers.startTimerWithFixedDelay(Tick.INSTANCE, Duration.ofMillis(500));
    return Behaviors.receive(Command.class)
        .onMessage(Admit.class, this::onAdmit)
        .onMessage(WorkerApplied.class, this::onApplied)
        .onMessage(WorkerFailed.class, this::onFailed)
        .onMessage(WorkerPoisoned.class, this::onPoisoned)
        .onMessage(OriginHalted.class, m -> onHalted(m.origin(), m.reason()))
        .onMessage(Unpark.class, this::onUnpark)
        .onMessageEquals(Tick.INSTANCE, this::onTick)
        .onSignal(ChildFailed.class, this::onChildFailed)
        .onSignal(Terminated.class, s -> Behaviors.same())
        .onSignal(PostStop.class, s -> closeEnvironment(env))
        .onSignal(PreRestart.class, s -> closeEnvironment(env))
        .build();
  }

  private Behavior<Command> closeEnvironment(Environment env) {
    env.close();
    return Behaviors.same();
  }

  private Behavior<Command> onChildFailed(ChildFailed failed) {
    // A worker or receiver failed in a way its own supervisor does not handle: restart the whole
    // pipeline from the durable progress.
    throw new IllegalStateException(
        "apply pipeline child " + failed.getRef().path().name() + " failed", failed.getCause());
  }

  private Behavior<Command> onAdmit(Admit m) {
    for (Received r : m.transactions()) {
      if (windows.get(r.transaction().origin()) != m.window()) {
        // Sent before this scheduler (re)started: its permits belong to a window that is gone, and
        // admitting it would let the new window's permits run over (the new receiver reads it again
        // from the durable position).
        if (r.parts() != null) {
          r.parts().close();
        }
        continue;
      }
      Schedule.Admission a = schedule.admit(r);
      if (a != Schedule.Admission.ADMITTED) {
        m.window().release(1, r.weightKib());
        if (a == Schedule.Admission.GAP) {
          onGap(r);
        }
      }
    }
    return step();
  }

  /**
   * A transaction was dropped for a gap: the first of a gap is logged and shown in {@code /health}
   * (the origin's stream is stalled until the gap is filled), the rest are counted only.
   */
  private void onGap(Received r) {
    ReplicaId origin = r.transaction().origin();
    schedule
        .gap(origin)
        .ifPresent(
            g -> {
              String alert = gapText(origin, g);
              state.origin(origin).gap.set(alert);
              if (g.dropped() == 1) {
                LOG.warn("{}; waiting for the origin to re-ship it", alert);
              } else {
                LOG.debug("transaction {} of {} dropped: {}", r.transaction().dot(), origin, alert);
              }
            });
  }

  private String gapText(ReplicaId origin, Schedule.Gap g) {
    return "the stream "
        + settings.topics().changes(origin)
        + " has a gap after seq "
        + g.lastAdmitted()
        + ": transaction "
        + g.first()
        + " at offset "
        + g.offset()
        + " follows "
        + g.predecessor()
        + ", which was never received ("
        + g.dropped()
        + " transactions dropped so far)";
  }

  /**
   * Halts origins whose gap is permanent ({@link Schedule#permanentGap}), and raises an alert and a
   * meter for each origin that waits for a region this agent does not know.
   */
  private void checkStalls() {
    for (Schedule.UnknownWait w : schedule.drainUnknownWaits()) {
      String alert = StatusView.unknownRegion(w.origin(), w.region());
      LOG.error("{} (first waiting transaction: {})", alert, w.seq());
      state.origin(w.origin()).waitsForUnknown.add(w.region());
    }
    for (AgentSettings.Region r : settings.remoteRegions()) {
      ReplicaId origin = r.name();
      AgentState.OriginState os = state.origin(origin);
      if (schedule.gap(origin).isEmpty()) {
        os.gap.set(null);
        continue;
      }
      AgentState.SeenHeartbeat seen = state.heartbeats.get(origin);
      long acknowledged = seen == null ? -1 : seen.heartbeat().shippedSeq();
      Optional<Schedule.Gap> permanent =
          schedule.permanentGap(origin, acknowledged, os.readsToEnd.get());
      if (permanent.isPresent()) {
        Schedule.Gap g = permanent.get();
        String reason =
            gapText(origin, g)
                + "; origin "
                + origin
                + " reports seq "
                + acknowledged
                + " acknowledged by Kafka and this region has read the stream to its end, so the"
                + " missing transactions are gone (retention deleted them before this region read"
                + " them, or the broker lost acknowledged records). Applying what follows would"
                + " make the regions diverge: re-synchronise this region — stop this agent and run"
                + " georep resync "
                + settings.region()
                + " --from "
                + origin
                + " (docs/verify.md) — and raise topics.retention";
        LOG.error("apply of origin {} halted: {}", origin, reason);
        os.gap.set(null);
        onHalted(origin, reason);
      }
    }
  }

  private Behavior<Command> onApplied(WorkerApplied m) {
    long wall = System.currentTimeMillis();
    long nanos = System.nanoTime();
    for (Entry e : m.group()) {
      drifted.applied(e.admission);
      metrics.applied(e.origin(), 1, e.received.changeCount());
      metrics.visible(
          e.origin(), wall - e.tx().commitTimestamp().wallTimeMillis(), nanos - e.admittedNanos);
      if (e.received.trace() != null) {
        metrics
            .tracing()
            .applied(
                e.origin(),
                e.seq(),
                e.received.changeCount(),
                new AgentTracing.Received(
                    e.received.trace().traceparent(),
                    e.received.trace().receivedEpochNanos(),
                    e.admittedEpochNanos,
                    e.gatePassedEpochNanos,
                    e.dispatchedEpochNanos));
      }
      state.origin(e.origin()).transactionsApplied.incrementAndGet();
      if (e.received.changeCount() > 0 || e.received.parts() != null) {
        state.changingTransactionsApplied.incrementAndGet();
      }
      if (e.received.parts() != null) {
        e.received.parts().close();
      }
    }
    schedule.applied(m.worker(), m.group());
    return step();
  }

  private Behavior<Command> onFailed(WorkerFailed m) {
    if (m.failure() instanceof UnclassifiedFailure u && m.group().size() == 1) {
      // A bug or an unexpected driver error: retried with backoff, but not forever with an ERROR
      // each time. The same transaction failing so RetryBudget.ATTEMPTS times in a row halts its
      // origin like a poison transaction (its alert names the offset).
      Entry e = m.group().get(0);
      e.unclassified++;
      if (e.unclassified >= RetryBudget.ATTEMPTS) {
        return onPoisoned(
            new WorkerPoisoned(
                m.worker(),
                m.group(),
                new GeorepException(
                    "failed "
                        + e.unclassified
                        + " times with an unexpected error ("
                        + u.getMessage()
                        + "); fix the cause and restart the agent",
                    u)));
      }
      if (e.unclassified == 1) {
        LOG.warn("apply of {} failed unexpectedly; retrying", m.group(), u);
      }
    }
    boolean drift = drifted.drifted(m.group(), m.failure());
    boolean barrier =
        m.failure() instanceof ApplyRetryException r
            && r.reason() == ApplyRetryException.Reason.MISSING_PARENT;
    if (LOG.isDebugEnabled()) {
      LOG.debug("apply of {} failed transiently: {}", m.group(), m.failure().getMessage());
    }
    for (long admission : schedule.failed(m.worker(), m.group(), barrier)) {
      int attempts = Math.max(1, schedule.attempts(admission));
      Duration delay = backoff(m.group().size() > 1 ? 0 : attempts);
      if (!drift && (attempts == 20 || attempts % 100 == 0)) {
        LOG.warn(
            "apply of {} failed {} times, retrying: {}",
            m.group(),
            attempts,
            m.failure().getMessage());
      }
      timers.startSingleTimer(admission, new Unpark(admission), delay);
    }
    return step();
  }

  private Duration backoff(int attempts) {
    if (attempts == 0) {
      return Duration.ZERO;
    }
    long min = settings.apply().retryMin().toMillis();
    long max = settings.apply().retryMax().toMillis();
    long d = min << Math.min(20, attempts - 1);
    return Duration.ofMillis(Math.min(max, d));
  }

  private Behavior<Command> onPoisoned(WorkerPoisoned m) {
    if (m.group().size() > 1) {
      // Find the poison one: apply the group's transactions one by one.
      for (long admission : schedule.failed(m.worker(), m.group(), false)) {
        timers.startSingleTimer(admission, new Unpark(admission), Duration.ZERO);
      }
      return step();
    }
    Entry e = m.group().get(0);
    schedule.failed(m.worker(), m.group(), false);
    String reason =
        "poison transaction "
            + e.tx().dot()
            + " in topic "
            + settings.topics().changes(e.origin())
            + " partition 0 offset "
            + e.received.offset()
            + ": "
            + m.failure().getMessage();
    LOG.error("apply of origin {} halted: {}", e.origin(), reason);
    return onHalted(e.origin(), reason);
  }

  private Behavior<Command> onHalted(ReplicaId origin, String reason) {
    state.halt(origin, reason);
    schedule.halt(origin);
    drifted.halted(origin);
    ActorRef<ReceiverActor.Command> receiver = receivers.remove(origin);
    if (receiver != null) {
      context.stop(receiver);
    }
    return step();
  }

  private Behavior<Command> onUnpark(Unpark m) {
    schedule.unpark(m.admission());
    return step();
  }

  private Behavior<Command> onTick() {
    checkStalls();
    publish();
    return Behaviors.same();
  }

  private Behavior<Command> step() {
    if (schedule.hasUnknownWaits()) {
      checkStalls();
    }
    for (Schedule.Dispatch d : schedule.dispatch()) {
      workers.get(d.worker()).tell(new WorkerActor.Apply(d.group(), context.getSelf()));
    }
    schedule
        .drainReleased()
        .forEach(
            (origin, n) -> {
              Window w = windows.get(origin);
              if (w != null) {
                w.release((int) n[0], n[1]);
              }
            });
    publish();
    return Behaviors.same();
  }

  private void publish() {
    state.applied.set(schedule.appliedVector());
    VersionVector frontier =
        schedule.stableFrontier(
            settings.remoteRegions().stream().map(AgentSettings.Region::name).toList());
    if (!frontier.isEmpty()) {
      state.stableFrontier.set(frontier);
    }
    for (AgentSettings.Region r : settings.remoteRegions()) {
      AgentState.OriginState os = state.origin(r.name());
      os.appliedSeq.set(schedule.applied(r.name()));
      os.pending.set(schedule.pending(r.name()));
      os.oldestPendingWallMillis.set(schedule.oldestPendingWallMillis(r.name()));
    }
    gateDepth.set(schedule.gateDepth());
    readyDepth.set(schedule.readyDepth());
  }
}
