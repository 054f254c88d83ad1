package io.georep.replicator.internal.status;

import io.georep.vectorclock.ReplicaId;
import io.georep.vectorclock.VersionVector;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.LongSupplier;

/**
 * The agent's shared, thread-safe view of itself: the actors and threads write their state here,
 * the HTTP endpoint and {@link io.georep.replicator.Agent#status()} read it. Only plain values and
 * concurrent maps; no component reads another's state through it to make a decision, except the
 * control stream, which publishes the applied vector.
 */
public final class AgentState {

  private final LongSupplier clock;

  /** Creates the state of an agent that reads the system's wall clock. */
  public AgentState() {
    this(System::currentTimeMillis);
  }

  /**
   * Creates the state of an agent.
   *
   * @param clock the wall clock in milliseconds
   */
  public AgentState(LongSupplier clock) {
    this.clock = clock;
    this.copyProgress = new CopyProgress(clock);
  }

  /** The state of a stream (the capture, or one origin's apply). */
  public enum StreamState {
    /** Starting or restarting after a transient failure. */
    STARTING,
    /** Running. */
    RUNNING,
    /** Stopped by a permanent failure; needs an operator. */
    HALTED
  }

  /** The capture's state. */
  public final AtomicReference<StreamState> captureState =
      new AtomicReference<>(StreamState.STARTING);

  /** The capture's last failure. */
  public final AtomicReference<String> captureError = new AtomicReference<>();

  /** The last captured seq. */
  public final AtomicLong capturedSeq = new AtomicLong();

  /** The last seq Kafka acknowledged. */
  public final AtomicLong shippedSeq = new AtomicLong();

  /** The commit wall time (ms) of the last shipped transaction. */
  public final AtomicLong shippedWallMillis = new AtomicLong();

  /** Captured transactions waiting to be batched and sent. */
  public final AtomicLong shipQueue = new AtomicLong();

  /** Transactions acknowledged since start. */
  public final AtomicLong transactionsShipped = new AtomicLong();

  /** The progress of the initial copy, if the capture's slot started with one. */
  public final CopyProgress copyProgress;

  /** Per origin: apply state. */
  public final Map<ReplicaId, OriginState> origins = new ConcurrentHashMap<>();

  /** The applied vector (watermark per origin), as the scheduler last published it. */
  public final AtomicReference<VersionVector> applied =
      new AtomicReference<>(VersionVector.empty());

  /**
   * Remote transactions with changes applied since start, over every origin: what makes a region
   * that ships nothing write a causal tick (the other regions' ticks, which carry no changes, do
   * not count, or idle regions would answer each other's ticks for ever).
   */
  public final AtomicLong changingTransactionsApplied = new AtomicLong();

  /** The causally stable frontier last computed. */
  public final AtomicReference<VersionVector> stableFrontier =
      new AtomicReference<>(VersionVector.empty());

  /** The latest heartbeat of each region, with the local time it arrived. */
  public final Map<ReplicaId, SeenHeartbeat> heartbeats = new ConcurrentHashMap<>();

  /**
   * Standing warnings by subject (a topic, an origin): conditions that need an operator but stop
   * nothing. They are listed as {@code warnings} in the status and never make the agent unready.
   */
  public final Map<String, String> warnings = new ConcurrentHashMap<>();

  /**
   * Sets or clears the warning about a subject.
   *
   * @param subject what the warning is about, e.g. a topic name
   * @param warning the warning, or empty to clear it
   */
  public void warn(String subject, Optional<String> warning) {
    if (warning.isPresent()) {
      warnings.put(subject, warning.get());
    } else {
      warnings.remove(subject);
    }
  }

  /**
   * A heartbeat and when it arrived.
   *
   * @param heartbeat the newest heartbeat of the region seen
   * @param receivedAtMillis local wall time of the last live heartbeat's arrival, 0 if only
   *     heartbeats replayed from the control stream's history were seen
   */
  public record SeenHeartbeat(Heartbeat heartbeat, long receivedAtMillis) {}

  /** The apply state of one origin. */
  public static final class OriginState {
    /** What the origin reports of itself on the control stream: its up/down state and lag. */
    public final OriginLag lag;

    /**
     * Creates the state of an origin.
     *
     * @param startedAtMillis when this agent started (local wall time)
     */
    public OriginState(long startedAtMillis) {
      this.lag = new OriginLag(startedAtMillis);
    }

    /** Running, restarting or halted. */
    public final AtomicReference<StreamState> state = new AtomicReference<>(StreamState.STARTING);

    /** Why it halted (names topic, partition and offset for a poison record). */
    public final AtomicReference<String> halt = new AtomicReference<>();

    /** The open gap in its stream (transactions dropped, waiting for a re-shipment), or null. */
    public final AtomicReference<String> gap = new AtomicReference<>();

    /** How many times the receiver has read to the end of the stream (a counter). */
    public final AtomicLong readsToEnd = new AtomicLong();

    /** The last failure its receiver restarts after; cleared when it runs again. */
    public final AtomicReference<String> failure = new AtomicReference<>();

    /**
     * Regions this origin's transactions wait for at the causal gate that are not in the agent's
     * {@code regions}: they can never pass until the region is added (the region's name, once).
     */
    public final Set<ReplicaId> waitsForUnknown = ConcurrentHashMap.newKeySet();

    /**
     * Tables whose changes from this origin wait because the local table differs from the origin's
     * (schema drift), by table ({@code schema.name}), with the difference and the fix.
     */
    public final Map<String, String> parked = new ConcurrentHashMap<>();

    /** The applied watermark. */
    public final AtomicLong appliedSeq = new AtomicLong();

    /** Transactions applied since start. */
    public final AtomicLong transactionsApplied = new AtomicLong();

    /** Received, not yet applied. */
    public final AtomicLong pending = new AtomicLong();

    /** Commit wall time (ms) of the oldest pending transaction, 0 if none. */
    public final AtomicLong oldestPendingWallMillis = new AtomicLong();

    /** Records between the receiver's position and the end of the stream, -1 if unknown. */
    public final AtomicLong recordsBehind = new AtomicLong(-1);

    /**
     * Returns the replication lag of this origin in seconds: see {@link OriginLag}.
     *
     * @param nowMillis the local wall time
     * @param regionTimeoutMillis {@code control.region.timeout}
     * @return the lag, 0 when everything the origin reported is applied and it was heard recently
     */
    public double lagSeconds(long nowMillis, long regionTimeoutMillis) {
      return lag.lagMillis(
              appliedSeq.get(), oldestPendingWallMillis.get(), nowMillis, regionTimeoutMillis)
          / 1000.0;
    }
  }

  /**
   * Records a heartbeat read from a control stream: the newest one of its region (by its send time)
   * is kept, and for a remote origin its position feeds the origin's {@link OriginLag}.
   *
   * @param heartbeat the heartbeat
   * @param arrivedAtMillis when it was read (local wall time)
   * @param live false for a heartbeat replayed from the stream's history when a reader (re)starts:
   *     it tells the region's position, not that the region is alive now
   */
  public void heard(Heartbeat heartbeat, long arrivedAtMillis, boolean live) {
    heartbeats.compute(
        heartbeat.region(),
        (region, old) -> {
          long received = live ? arrivedAtMillis : old == null ? 0 : old.receivedAtMillis();
          Heartbeat newest =
              old == null || heartbeat.sentAtMillis() >= old.heartbeat().sentAtMillis()
                  ? heartbeat
                  : old.heartbeat();
          return new SeenHeartbeat(newest, received);
        });
    OriginState origin = origins.get(heartbeat.region());
    if (origin != null) {
      origin.lag.reported(heartbeat.shippedSeq(), heartbeat.shippedWallMillis());
      if (live) {
        origin.lag.heard(arrivedAtMillis);
      }
    }
  }

  /**
   * Returns the state of an origin, creating it.
   *
   * @param origin the origin
   * @return its state
   */
  public OriginState origin(ReplicaId origin) {
    return origins.computeIfAbsent(origin, o -> new OriginState(clock.getAsLong()));
  }

  /**
   * Marks an origin halted.
   *
   * @param origin the origin
   * @param reason why, naming topic, partition and offset where known
   */
  public void halt(ReplicaId origin, String reason) {
    OriginState s = origin(origin);
    s.halt.compareAndSet(null, reason);
    s.state.set(StreamState.HALTED);
  }

  /**
   * Returns why an origin halted, if it did.
   *
   * @param origin the origin
   * @return the reason
   */
  public Optional<String> haltOf(ReplicaId origin) {
    OriginState s = origins.get(origin);
    return s == null ? Optional.empty() : Optional.ofNullable(s.halt.get());
  }
}
