package io.georep.replicator.internal.receive;

import io.georep.connector.RowChange;
import io.georep.connector.SourceTransaction;
import io.georep.replicator.codec.WireBatch;
import java.util.ArrayList;
import java.util.List;

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
 * <p>Holds the changes of the run in memory until it completes. Not thread-safe; one per receiver
 * thread.
 */
final class FragmentAssembler {
  /**
   * What a fragment did.
   *
   * @param complete the whole transaction, when this fragment completed it; else null
   * @param dropped what was dropped, for the log, or null
   */
  record Step(SourceTransaction complete, String dropped) {}

  private SourceTransaction head;
  private List<RowChange> changes;
  private int next;

  /**
   * Takes the next fragment of the stream.
   *
   * @param batch a fragment's batch
   * @return the completed transaction, if any, and what was dropped
   * @throws IllegalArgumentException if the batch is not a fragment
   */
  Step fragment(WireBatch batch) {
    WireBatch.Fragment f = batch.fragment();
    if (f == null) {
      throw new IllegalArgumentException("not a fragment: " + batch.firstSeq());
    }
    SourceTransaction slice = batch.transactions().get(0);
    String dropped = null;
    boolean continues =
        head != null && f.index() == next && head.dot().equals(slice.dot()) && f.index() > 0;
    if (!continues) {
      dropped = interrupt();
      if (f.index() > 0) {
        String orphan =
            "fragment " + f.index() + " of transaction " + slice.dot() + " without its start";
        return new Step(null, dropped == null ? orphan : dropped + "; " + orphan);
      }
      head = slice;
      changes = new ArrayList<>(slice.changes());
    } else {
      changes.addAll(slice.changes());
    }
    next = f.index() + 1;
    if (!f.last()) {
      return new Step(null, dropped);
    }
    SourceTransaction whole =
        new SourceTransaction(
            head.origin(), head.seq(), head.commitTimestamp(), head.causalContext(), changes);
    reset();
    return new Step(whole, dropped);
  }

  /**
   * Ends an incomplete run, if one is open, because something other than its next fragment follows.
   *
   * @return what was dropped, for the log, or null
   */
  String interrupt() {
    if (head == null) {
      return null;
    }
    String dropped =
        "the incomplete fragments 0.."
            + (next - 1)
            + " of transaction "
            + head.dot()
            + " ("
            + changes.size()
            + " changes; the origin ships it again)";
    reset();
    return dropped;
  }

  /** Returns whether a run is open. */
  boolean assembling() {
    return head != null;
  }

  private void reset() {
    head = null;
    changes = null;
    next = 0;
  }
}
