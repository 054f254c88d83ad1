package io.georep.replicator.internal.receive;

import io.georep.connector.SourceTransaction;
import io.georep.replicator.codec.WireBatch;
import io.georep.replicator.internal.transport.FragmentSpill;
import java.util.List;
import java.util.function.Function;

/**
 * Puts a transaction shipped in fragments ({@link WireBatch.Fragment}) back together from one
 * origin's stream, so that it is applied whole or not at all.
 *
 * <p>A run of fragments is complete when indexes 0, 1, 2, … of one transaction follow each other up
 * to the one marked last. Anything else ends an incomplete run, which is dropped: the origin
 * stopped shipping it (a restart, a failed producer) and ships the whole transaction again from
 * fragment 0, because the slot passes a transaction only once its last fragment is acknowledged. A
 * fragment other than 0 without its predecessors is dropped the same way; it is either such an
 * abandoned run or, at the position a receiver starts from, the tail of a transaction already
 * applied (the stored position is the record of the watermark transaction's last fragment).
 *
 * <p>The run's frames go to a {@link FragmentSpill} on disk, not into the heap: a complete run is
 * handed on as the transaction's identity (no changes) with the spill, and applied in parts, one
 * fragment in memory at a time. Not thread-safe; one per receiver thread.
 */
final class FragmentAssembler {
  /**
   * What a fragment did.
   *
   * @param complete the transaction's identity (without changes), when this fragment completed it;
   *     else null
   * @param parts the completed transaction's fragments, sealed, when {@code complete} is set
   * @param dropped what was dropped, for the log, or null
   * @param droppedFragments how many fragments were dropped
   */
  record Step(
      SourceTransaction complete, FragmentSpill parts, String dropped, int droppedFragments) {
    static final Step NONE = new Step(null, null, null, 0);
  }

  private final Function<byte[], SourceTransaction> decode;
  private SourceTransaction head;
  private FragmentSpill spill;
  private int next;

  /**
   * Creates an assembler.
   *
   * @param decode decodes a fragment's frame into the fragment, with the changes meant for this
   *     region: how the spill reads it back
   */
  FragmentAssembler(Function<byte[], SourceTransaction> decode) {
    this.decode = decode;
  }

  /**
   * Takes the next fragment of the stream.
   *
   * @param batch a fragment's batch, decoded
   * @param frame the batch's frame, as received
   * @return the completed transaction, if any, and what was dropped
   * @throws IllegalArgumentException if the batch is not a fragment
   */
  Step fragment(WireBatch batch, byte[] frame) {
    WireBatch.Fragment f = batch.fragment();
    if (f == null) {
      throw new IllegalArgumentException("not a fragment: " + batch.firstSeq());
    }
    SourceTransaction slice = batch.transactions().get(0);
    Step dropped = Step.NONE;
    boolean continues =
        head != null && f.index() == next && head.dot().equals(slice.dot()) && f.index() > 0;
    if (!continues) {
      dropped = interrupt();
      if (f.index() > 0) {
        String orphan =
            "fragment " + f.index() + " of transaction " + slice.dot() + " without its start";
        return new Step(
            null,
            null,
            dropped.dropped() == null ? orphan : dropped.dropped() + "; " + orphan,
            dropped.droppedFragments() + 1);
      }
      head = slice.withChanges(List.of());
      spill = FragmentSpill.create(decode);
    }
    spill.append(frame, slice.changes().size());
    next = f.index() + 1;
    if (!f.last()) {
      return dropped;
    }
    Step done = new Step(head, spill.seal(), dropped.dropped(), dropped.droppedFragments());
    head = null;
    spill = null;
    next = 0;
    return done;
  }

  /**
   * Ends an incomplete run, if one is open, because something other than its next fragment follows.
   * Its spill is deleted.
   *
   * @return what was dropped ({@link Step#NONE} if nothing)
   */
  Step interrupt() {
    if (head == null) {
      return Step.NONE;
    }
    Step dropped =
        new Step(
            null,
            null,
            "the incomplete fragments 0.."
                + (next - 1)
                + " of transaction "
                + head.dot()
                + " ("
                + spill.changes()
                + " changes; the origin ships it again)",
            next);
    close();
    return dropped;
  }

  /** Returns whether a run is open. */
  boolean assembling() {
    return head != null;
  }

  /** Deletes the spill of an open run, if any (the receiver stops). */
  void close() {
    if (spill != null) {
      spill.close();
    }
    head = null;
    spill = null;
    next = 0;
  }
}
