package io.georep.connector.spi;

import java.util.List;

/**
 * Receives the conflicts of each committed apply transaction, for example to count them as metrics
 * ({@code georep_conflicts_total{table, type, resolver}}). The same conflicts are in the conflict
 * log a connector writes in the apply transaction itself (PostgreSQL: {@code georep.conflict_log}).
 *
 * <p>Called on the applying thread after the commit, only for committed transactions, never with an
 * empty list. Must be quick and must not throw; an exception is logged and ignored, since the
 * transaction is already committed.
 */
@FunctionalInterface
public interface ConflictListener {
  /** The listener that ignores conflicts. */
  ConflictListener NONE = conflicts -> {};

  /**
   * Receives the conflicts one committed apply transaction recorded.
   *
   * @param conflicts the conflicts in detection order; never null or empty
   */
  void onConflicts(List<? extends ConflictReport> conflicts);
}
