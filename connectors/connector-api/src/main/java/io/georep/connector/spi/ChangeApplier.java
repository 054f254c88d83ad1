package io.georep.connector.spi;

import io.georep.connector.SourceTransaction;
import io.georep.vectorclock.VersionVector;
import java.util.List;

/**
 * Applies transactions of other regions to the local database.
 *
 * <p>Each call to {@link #apply} is atomic: the row changes of all given transactions and the
 * applied progress of their origins commit in one database transaction, or nothing does. Applying a
 * transaction that was applied before (same {@linkplain SourceTransaction#dot() dot}) has no
 * effect, so redelivery is harmless. The applier marks what it writes so that the local {@link
 * ChangeSource} does not ship it back to its origin.
 *
 * <p>Lifecycle: created, then any number of {@link #apply} calls, then {@link #close}. Threading:
 * not thread-safe; one applier is used by one worker at a time. Run several appliers for parallel
 * apply.
 */
public interface ChangeApplier extends AutoCloseable {
  /**
   * Applies the transactions atomically, in the given order, with their applied progress.
   *
   * @param transactions the transactions; never null or empty; causally ready (their contexts
   *     applied) and, per origin, in increasing {@code seq}
   * @throws io.georep.vectorclock.RetriableGeorepException if the database is unavailable or the
   *     transaction must be retried (for example after a serialization failure); nothing was
   *     applied
   * @throws io.georep.vectorclock.GeorepException if a change cannot be applied (for example, the
   *     table no longer matches the change's schema); nothing was applied
   * @throws IllegalStateException if the applier is closed
   */
  void apply(List<SourceTransaction> transactions);

  /**
   * Returns the durable applied watermark: for each origin, the {@code seq} up to which every
   * transaction of that origin has been applied here (or skipped as not meant for this region).
   *
   * @return the watermark as a version vector; never null
   * @throws IllegalStateException if the applier is closed
   */
  VersionVector appliedWatermark();

  /** Releases the applier's connections. Idempotent: later calls do nothing. */
  @Override
  void close();
}
