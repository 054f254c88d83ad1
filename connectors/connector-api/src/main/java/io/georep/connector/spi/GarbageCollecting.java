package io.georep.connector.spi;

import io.georep.vectorclock.VersionVector;
import java.time.Instant;

/**
 * A capability of a {@link ChangeApplier}: removing the replication metadata that the causally
 * stable frontier makes useless (tombstones of deleted rows, apply stamps), and old conflict log
 * entries.
 */
public interface GarbageCollecting {
  /**
   * What one garbage collection removed.
   *
   * @param tombstones deleted rows' metadata removed
   * @param stamps apply stamps of remote transactions removed
   * @param localStamps stamps of local transactions removed
   */
  record Collected(int tombstones, int stamps, int localStamps) {}

  /**
   * Removes metadata whose whole history the frontier covers. The frontier must be causally stable,
   * not merely applied everywhere: every transaction any region committed without the frontier in
   * its causal past must already be applied here ({@code docs/apply.md}).
   *
   * @param stableFrontier the causally stable frontier, from the agents' applied vectors
   * @return what was removed
   * @throws ApplyRetryException if the database is unavailable
   */
  Collected collectGarbage(VersionVector stableFrontier);

  /**
   * Removes conflict log entries detected before a time, oldest first.
   *
   * @param detectedBefore entries detected before this instant are removed
   * @return how many entries were removed
   * @throws ApplyRetryException if the database is unavailable
   */
  int pruneConflictLog(Instant detectedBefore);

  /**
   * Writes a causal tick into the region's change log: a transaction without row changes that the
   * region's capture ships like a local transaction, with the causal context the region has applied
   * at that point. Other regions take the stable frontier from the context of each origin's latest
   * transaction, so without ticks a region that stops writing holds every region's frontier (and
   * garbage collection) where its last write left it. The agent writes one when the region has
   * shipped nothing while it applied others' transactions.
   *
   * @return whether a tick was written; false if the connector has none (the default)
   * @throws ApplyRetryException if the database is unavailable
   */
  default boolean tick() {
    return false;
  }
}
