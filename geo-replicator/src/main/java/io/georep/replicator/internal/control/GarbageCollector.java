package io.georep.replicator.internal.control;

import io.georep.connector.spi.GarbageCollecting;
import io.georep.connector.spi.RegionApplier;
import io.georep.connector.spi.RegionDatabase;
import io.georep.replicator.internal.status.AgentState;
import io.georep.vectorclock.RetriableGeorepException;
import io.georep.vectorclock.VersionVector;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Removes metadata below the stable frontier, local stamps no one needs any more, and conflict log
 * entries older than their retention; opens its applier lazily. Tombstones and stamps are collected
 * when the frontier moved; the conflict log is pruned at most hourly (its retention is counted in
 * days, and a pass ends with one look at the oldest entries).
 */
public final class GarbageCollector {
  /** The subject of the collector's warning in {@link AgentState#warnings}. */
  public static final String WARNING = "garbage-collection";

  private static final Logger LOG = LoggerFactory.getLogger(GarbageCollector.class);
  private static final long PRUNE_EVERY_MILLIS = Duration.ofHours(1).toMillis();

  private final RegionDatabase database;
  private final AgentState state;
  private final Duration conflictLogRetention;
  private final LongSupplier clock;
  private RegionApplier applier;
  private long prunedAtMillis = Long.MIN_VALUE;

  /** The shipped transaction count at the previous run, for ticks. */
  private long shippedBefore = -1;

  /** The applied transaction count read before the latest tick: the tick's context covers those. */
  private long appliedCovered;

  /**
   * Creates the collector; it opens its applier at the first run.
   *
   * @param database this region's database
   * @param state the agent state: the stable frontier is read from it, failures are shown in it
   * @param conflictLogRetention how long conflict log entries are kept; zero keeps them
   * @param clock the wall clock (ms)
   */
  public GarbageCollector(
      RegionDatabase database,
      AgentState state,
      Duration conflictLogRetention,
      LongSupplier clock) {
    this.database = database;
    this.state = state;
    this.conflictLogRetention = conflictLogRetention;
    this.clock = clock;
  }

  /**
   * Runs one collection. Never throws: a transient failure is retried at the next interval, any
   * other one is shown as a warning ({@value #WARNING}) until a later run succeeds, so that a
   * failing collection never stops the heartbeats of the actor that runs it.
   */
  public void run() {
    tickIfIdle();
    try {
      pruneConflictLog();
      VersionVector frontier = state.stableFrontier.get();
      // An unchanged frontier is passed on too: the connector may have held it back until its
      // capture caught up (PostgreSQL: holdGarbageForCapture), and uses it now.
      if (frontier.isEmpty()) {
        state.warn(WARNING, Optional.empty());
        return;
      }
      GarbageCollecting.Collected gc = applier().collectGarbage(frontier);
      LOG.debug(
          "garbage collection at {}: {} tombstones, {} apply stamps, {} local stamps removed",
          frontier,
          gc.tombstones(),
          gc.stamps(),
          gc.localStamps());
      state.warn(WARNING, Optional.empty());
    } catch (RetriableGeorepException e) {
      LOG.warn("garbage collection failed, retried at the next interval: {}", e.getMessage());
    } catch (RuntimeException e) {
      String warning =
          "garbage collection fails: "
              + e
              + "; tombstones, stamps and old conflict log entries are kept until it is fixed"
              + " (retried every control.gc.interval; docs/operations.md)";
      if (!warning.equals(state.warnings.get(WARNING))) {
        LOG.error("garbage collection failed; retried at the next interval", e);
      }
      state.warn(WARNING, Optional.of(warning));
    }
  }

  /**
   * Writes a causal tick ({@link GarbageCollecting#tick}) when this region shipped nothing since
   * the previous run while it applied other regions' transactions with changes (ticks do not count,
   * or idle regions would answer each other's ticks for ever): the other regions' stable frontier
   * takes this region's part from the context of its latest transaction, so a region that only
   * reads would otherwise hold every region's garbage collection where its last write left it (and
   * an agent restarted elsewhere would have no frontier at all). At most one tick per run.
   */
  private void tickIfIdle() {
    long shipped = state.transactionsShipped.get();
    long applied = state.changingTransactionsApplied.get();
    // Compared with what the latest tick covered, not with the previous run: a transaction
    // applied while the previous tick was being shipped must still get a tick of its own.
    boolean idle = shipped == shippedBefore && applied != appliedCovered;
    shippedBefore = shipped;
    if (!idle) {
      return;
    }
    try {
      if (applier().tick()) {
        appliedCovered = applied;
        LOG.debug(
            "causal tick written: nothing shipped since the last run, {} transactions applied",
            applied);
      }
    } catch (RuntimeException e) {
      LOG.warn("cannot write a causal tick, tried again at the next interval: {}", e.getMessage());
    }
  }

  private void pruneConflictLog() {
    long now = clock.getAsLong();
    if (conflictLogRetention.isZero()
        || (prunedAtMillis != Long.MIN_VALUE && now - prunedAtMillis < PRUNE_EVERY_MILLIS)) {
      return;
    }
    int removed = applier().pruneConflictLog(Instant.ofEpochMilli(now).minus(conflictLogRetention));
    prunedAtMillis = now;
    if (removed > 0) {
      LOG.info(
          "removed {} entries of georep.conflict_log older than {}"
              + " (control.conflict.log.retention)",
          removed,
          conflictLogRetention);
    }
  }

  private RegionApplier applier() {
    if (applier == null) {
      applier = database.openApplier();
    }
    return applier;
  }

  /** Closes the applier. Idempotent. */
  public void close() {
    if (applier != null) {
      applier.close();
    }
  }
}
