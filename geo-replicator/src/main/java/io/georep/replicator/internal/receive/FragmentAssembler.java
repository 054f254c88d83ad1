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
   * @param droppedFragments how many fragments were dropped
   */
  record Step(SourceTransaction complete, String dropped, int droppedFragments) {
    static final Step NONE = new Step(null, null, 0);
  }

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
            dropped.dropped() == null ? orphan : dropped.dropped() + "; " + orphan,
            dropped.droppedFragments() + 1);
      }
      head = slice;
      changes = new ArrayList<>(slice.changes());
    } else {
      changes.addAll(slice.changes());
    }
    next = f.index() + 1;
    if (!f.last()) {
      return dropped;
    }
    SourceTransaction whole = head.withChanges(changes);
    reset();
    return new Step(whole, dropped.dropped(), dropped.droppedFragments());
  }

  /**
   * Ends an incomplete run, if one is open, because something other than its next fragment follows.
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
            "the incomplete fragments 0.."
                + (next - 1)
                + " of transaction "
                + head.dot()
                + " ("
                + changes.size()
                + " changes; the origin ships it again)",
            next);
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
