package io.georep.connector;

import io.georep.vectorclock.Dot;
import io.georep.vectorclock.HybridTimestamp;
import io.georep.vectorclock.ReplicaId;
import io.georep.vectorclock.VersionVector;
import java.util.List;
import java.util.Objects;

/**
 * One committed transaction of one origin region: the unit georep captures, ships, orders and
 * applies all-or-nothing.
 *
 * <p>Its identity is the {@linkplain #dot() dot} {@code (origin, seq)}: {@code seq} is the
 * transaction's position in its origin's stream (for PostgreSQL, the commit LSN), so a re-capture
 * after a crash yields the same identity and duplicates are dropped by it.
 *
 * <p>The causal context is the transaction's causal past: for every origin, the highest {@code seq}
 * whose transactions had been applied in the origin region when this one committed. It excludes the
 * transaction itself: its entry for {@code origin}, if any, is below {@code seq}. A receiver
 * applies the transaction only after it has applied the whole context; a change dominates a row
 * version iff the context covers that version's dot.
 *
 * <p>The <b>horizon</b> is what the origin region had applied when the transaction committed,
 * counted by the highest {@code seq} per origin rather than by the contiguous prefix: an applier
 * that applies an origin's transactions out of order (per-table workers) lets local writers see a
 * transaction above its watermark, which the context, a prefix, cannot name. A receiver's causal
 * gate waits for the horizon (its watermark of each other origin reaching the horizon's entry,
 * which waits for the gaps below as well: more than necessary, never less), while conflict
 * detection uses the context (a dot the context does not cover is concurrent: when unsure,
 * concurrent). The horizon covers the context; for an origin applied in order they are equal.
 *
 * <p>A transaction may have no row changes (for example when every change was filtered out of the
 * publication); it still advances its origin's applied watermark.
 *
 * @param origin the region where the transaction committed; never null
 * @param seq the transaction's position in its origin's stream; at least 1
 * @param commitTimestamp the hybrid-logical-clock commit timestamp; issued by {@code origin}
 * @param causalContext the causal past; never null
 * @param horizon the highest seq per origin applied at the origin when it committed; never null,
 *     covers {@code causalContext}; its entry for {@code origin} is ignored and kept below {@code
 *     seq}
 * @param changes the row changes in commit order; never null, copied
 */
public record SourceTransaction(
    ReplicaId origin,
    long seq,
    HybridTimestamp commitTimestamp,
    VersionVector causalContext,
    VersionVector horizon,
    List<RowChange> changes) {
  /**
   * Validates the transaction.
   *
   * @throws IllegalArgumentException if {@code seq} is below 1, the commit timestamp was issued by
   *     another replica, or the causal context already covers this transaction's own dot
   */
  public SourceTransaction {
    Objects.requireNonNull(origin, "origin");
    Objects.requireNonNull(commitTimestamp, "commitTimestamp");
    Objects.requireNonNull(causalContext, "causalContext");
    Objects.requireNonNull(horizon, "horizon");
    changes = List.copyOf(changes);
    if (seq < 1) {
      throw new IllegalArgumentException(
          "transaction of " + origin + ": seq starts at 1, got " + seq);
    }
    if (!commitTimestamp.origin().equals(origin)) {
      throw new IllegalArgumentException(
          "transaction "
              + origin
              + ":"
              + seq
              + " has commit timestamp "
              + commitTimestamp
              + " issued by "
              + commitTimestamp.origin()
              + "; a transaction's commit timestamp comes from its origin's clock");
    }
    if (causalContext.get(origin) >= seq) {
      throw new IllegalArgumentException(
          "transaction "
              + origin
              + ":"
              + seq
              + " has causal context "
              + causalContext
              + " whose entry for its own origin ("
              + causalContext.get(origin)
              + ") is not below its seq; the context is the causal past and excludes the"
              + " transaction itself");
    }
    if (horizon.get(origin) >= seq || !horizon.covers(causalContext)) {
      throw new IllegalArgumentException(
          "transaction "
              + origin
              + ":"
              + seq
              + " has horizon "
              + horizon
              + " that does not cover its causal context "
              + causalContext
              + " or names the transaction itself; the horizon is what the origin had applied");
    }
  }

  /**
   * Creates a transaction whose horizon is its causal context: its origin applied every other
   * origin in order.
   *
   * @param origin the region where the transaction committed; never null
   * @param seq the transaction's position in its origin's stream; at least 1
   * @param commitTimestamp the hybrid-logical-clock commit timestamp; issued by {@code origin}
   * @param causalContext the causal past; never null
   * @param changes the row changes in commit order; never null, copied
   */
  public SourceTransaction(
      ReplicaId origin,
      long seq,
      HybridTimestamp commitTimestamp,
      VersionVector causalContext,
      List<RowChange> changes) {
    this(origin, seq, commitTimestamp, causalContext, causalContext, changes);
  }

  /**
   * Returns this transaction with other changes: the same identity, clock, context and horizon (a
   * fragment's slice, or the changes left after filtering).
   *
   * @param other the changes; never null, copied
   * @return the transaction
   */
  public SourceTransaction withChanges(List<RowChange> other) {
    return new SourceTransaction(origin, seq, commitTimestamp, causalContext, horizon, other);
  }

  /**
   * Returns the transaction's identity {@code (origin, seq)}, also the dot of every row version it
   * writes.
   *
   * @return the dot
   */
  public Dot dot() {
    return new Dot(origin, seq);
  }

  /** Returns {@code origin:seq@timestamp} and the number of changes. */
  @Override
  public String toString() {
    return "transaction "
        + origin
        + ":"
        + seq
        + " at "
        + commitTimestamp
        + " after "
        + causalContext
        + (horizon.equals(causalContext) ? "" : " (horizon " + horizon + ")")
        + " with "
        + changes.size()
        + " changes";
  }
}
