package io.georep.connector.spi;

import io.georep.connector.SourceTransaction;
import io.georep.vectorclock.ReplicaId;
import java.util.List;
import java.util.Map;

/**
 * A capability of a {@link ChangeApplier}: applying an origin's transactions out of stream order,
 * so that several appliers (per-table workers) apply one origin in parallel, and applying a
 * transaction too large for memory in parts.
 *
 * <p>Each transaction carries its predecessor in its origin's stream ({@link
 * PositionedTransaction}); the applier advances an origin's watermark only over the contiguous
 * prefix of the stream and keeps what it applied above it until the prefix reaches it. Applying a
 * transaction again (same dot) has no effect. Every call is atomic: everything or nothing.
 */
public interface PositionedApply {
  /**
   * Applies transactions atomically, in the given order, each at its place in its origin's stream.
   *
   * @param transactions the transactions with their stream positions; never null or empty; causally
   *     ready; at most the applier's coalescing limit
   * @throws IllegalArgumentException if the list is empty or longer than the coalescing limit
   * @throws ApplyRetryException if the call should be retried later; nothing was applied
   * @throws ApplyException if a transaction cannot be applied; nothing was applied
   */
  void applyPositioned(List<PositionedTransaction> transactions);

  /**
   * Applies one large transaction in parts, in one database transaction that holds one part in
   * memory at a time: all of it or nothing, like {@link #applyPositioned} with one transaction.
   *
   * @param head the transaction's identity and stream position (its changes are not read)
   * @param parts its changes in consecutive parts, each a transaction with the head's identity;
   *     iterated once per attempt
   * @throws ApplyRetryException if the call should be retried later; nothing was applied
   * @throws ApplyException if the transaction cannot be applied; nothing was applied
   */
  void applyInParts(PositionedTransaction head, Iterable<SourceTransaction> parts);

  /**
   * Returns the durable apply progress of every origin. A receiver resumes its origin's stream at
   * the progress's stream offset; what it reads again is deduplicated by {@code (origin, seq)}.
   *
   * @return the progress by origin; never null
   * @throws ApplyRetryException if the database is unavailable
   */
  Map<ReplicaId, OriginProgress> appliedProgress();
}
