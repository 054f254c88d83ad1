package io.georep.replicator.internal.apply;

import io.georep.connector.SourceTransaction;
import io.georep.replicator.internal.transport.FragmentSpill;
import java.util.Objects;

/**
 * A transaction as the receiver hands it to the scheduler: with its predecessor in the origin's
 * stream (the own-origin entry of its causal context) and the offset of the record that carried it.
 *
 * @param transaction the transaction, already filtered to the changes meant for this region
 * @param previousSeq its predecessor in the origin's stream, 0 for the first
 * @param offset the Kafka offset of its record
 * @param weightKib the window permits (KiB of estimated heap) the receiver took for it
 * @param parts for a transaction shipped in fragments: its fragments on disk, and {@code
 *     transaction} is its identity without changes; null for a transaction received whole
 * @param trace its trace context and arrival, when its origin traced it; else null
 */
public record Received(
    SourceTransaction transaction,
    long previousSeq,
    long offset,
    int weightKib,
    FragmentSpill parts,
    Trace trace) {
  /**
   * A traced transaction's link to its origin's trace.
   *
   * @param traceparent the W3C trace context of the origin's ship span
   * @param receivedEpochNanos when its record arrived here
   */
  public record Trace(String traceparent, long receivedEpochNanos) {}

  /**
   * A transaction without a trace.
   *
   * @param transaction the transaction
   * @param previousSeq its predecessor
   * @param offset its record's offset
   * @param weightKib its window permits
   * @param parts its fragments on disk, or null
   */
  public Received(
      SourceTransaction transaction,
      long previousSeq,
      long offset,
      int weightKib,
      FragmentSpill parts) {
    this(transaction, previousSeq, offset, weightKib, parts, null);
  }

  /**
   * A transaction received whole.
   *
   * @param transaction the transaction
   * @param previousSeq its predecessor
   * @param offset its record's offset
   * @param weightKib its window permits
   */
  public Received(SourceTransaction transaction, long previousSeq, long offset, int weightKib) {
    this(transaction, previousSeq, offset, weightKib, null, null);
  }

  /** Returns its row changes: those it carries, or those of its fragments on disk. */
  public long changeCount() {
    return parts == null ? transaction.changes().size() : parts.changes();
  }

  /** Validates. */
  public Received {
    Objects.requireNonNull(transaction, "transaction");
  }

  /**
   * Returns the predecessor a transaction names: its causal context's entry for its own origin.
   *
   * @param tx the transaction
   * @return the predecessor's seq, 0 if none
   */
  public static long predecessor(SourceTransaction tx) {
    return tx.causalContext().get(tx.origin());
  }
}
