package io.georep.connector.spi;

import io.georep.connector.SourceTransaction;
import java.util.List;

/**
 * A capability of a {@link ChangeApplier}: versioning the local region's own writes exactly as the
 * other regions merge them. Applications write the database directly, so the applier learns of a
 * local write only when the capture hands it on; folding records it in the row's version metadata
 * as the write its dot, timestamp and causal context describe, so that a remote write concurrent
 * with it is detected as a conflict here as it is everywhere else ({@code docs/apply.md}).
 *
 * <p>The agent folds every transaction its capture hands on, in capture order. Folding is
 * idempotent: rows whose metadata already covers a transaction are skipped.
 */
public interface LocalWriteFolding {
  /**
   * Folds captured local transactions into the row metadata, in one database transaction.
   *
   * @param transactions this region's transactions, in capture order; never null or empty
   * @throws ApplyRetryException if the call should be retried later (nothing was folded)
   * @throws ApplyException if a transaction cannot be folded (a schema mismatch, a failing
   *     resolver)
   */
  void foldLocal(List<SourceTransaction> transactions);

  /**
   * Folds one large local transaction in parts, holding one part in memory at a time, in the same
   * parts the other regions apply it in.
   *
   * @param head the transaction's identity (its changes are not read)
   * @param parts its changes in consecutive parts; iterated once per attempt
   * @throws ApplyRetryException if the call should be retried later (nothing was folded)
   * @throws ApplyException if the transaction cannot be folded
   */
  void foldInParts(SourceTransaction head, Iterable<SourceTransaction> parts);
}
