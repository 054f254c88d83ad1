package io.georep.replicator.internal.status;

import java.util.ArrayDeque;

/**
 * How far this region is behind one remote origin, from what the origin itself reports on the
 * control stream, so that a region which cannot read an origin's stream, cannot apply it, or cannot
 * hear from the origin at all shows a growing lag instead of 0.
 *
 * <p>Design. What the receiver holds (the oldest received, unapplied transaction) says nothing
 * about what it never received. The origin's heartbeat does: it names the seq of the newest
 * transaction Kafka acknowledged for its stream and that transaction's commit wall time. The lag is
 * the largest of three lower bounds, each 0 when it knows of nothing missing:
 *
 * <ol>
 *   <li><b>reported</b>: the age (origin commit time) of the oldest reported shipped transaction
 *       above the local applied watermark. Every heartbeat that advances the reported seq is kept
 *       (one entry per new seq, in seq order, at most {@link #MAX_REPORTS}; past that the oldest is
 *       dropped, which only loosens the bound), and entries the watermark covers are discarded.
 *       Since that transaction is not applied here, the true lag is at least its age; the oldest
 *       unapplied one may be older by at most one heartbeat interval.
 *   <li><b>received</b>: the age of the oldest received, unapplied transaction (the receiver's own
 *       view, passed in).
 *   <li><b>silence</b>: the time since the origin was last heard from (local clock; since this
 *       agent started when never), once it exceeds {@code control.region.timeout}. A region that
 *       cannot be heard may have committed anything since; the lag reads as if it had, so a cut
 *       region shows a lag that grows with the cut, not 0.
 * </ol>
 *
 * <p>0 thus means: everything the origin reported is applied here and the origin was heard from
 * within the timeout. Thread-safe (the control reader reports, scrapes and status read).
 */
public final class OriginLag {
  /** Reports kept above the applied watermark: about an hour of 1 s heartbeats. */
  static final int MAX_REPORTS = 4096;

  private record Report(long seq, long commitMillis) {}

  private final ArrayDeque<Report> unapplied = new ArrayDeque<>();
  private long reportedSeq;
  private long heardAtMillis;
  private boolean heard;

  /**
   * Creates the lag of an origin not heard from yet.
   *
   * @param startedAtMillis when this agent started (local wall time), the start of silence
   */
  public OriginLag(long startedAtMillis) {
    this.heardAtMillis = startedAtMillis;
  }

  /**
   * Records the position a heartbeat of the origin reports.
   *
   * @param shippedSeq the newest seq Kafka acknowledged for its stream
   * @param shippedCommitMillis that transaction's commit wall time (origin clock), 0 if none yet
   */
  public synchronized void reported(long shippedSeq, long shippedCommitMillis) {
    if (shippedSeq > reportedSeq && shippedCommitMillis > 0) {
      if (unapplied.size() == MAX_REPORTS) {
        unapplied.pollFirst();
      }
      unapplied.addLast(new Report(shippedSeq, shippedCommitMillis));
      reportedSeq = shippedSeq;
    }
  }

  /**
   * Records that a live heartbeat of the origin arrived (not one replayed from the control stream's
   * history: that says where the origin was, not that it is alive now).
   *
   * @param arrivedAtMillis when it arrived (local clock)
   */
  public synchronized void heard(long arrivedAtMillis) {
    heardAtMillis = heard ? Math.max(heardAtMillis, arrivedAtMillis) : arrivedAtMillis;
    heard = true;
  }

  /**
   * Returns whether the origin was heard from within {@code timeoutMillis}.
   *
   * @param nowMillis the local wall time
   * @param timeoutMillis {@code control.region.timeout}
   * @return true if up
   */
  public synchronized boolean up(long nowMillis, long timeoutMillis) {
    return heard && nowMillis - heardAtMillis <= timeoutMillis;
  }

  /**
   * Returns the lag in milliseconds (see the class comment), never negative.
   *
   * @param appliedSeq the applied watermark of the origin here
   * @param oldestPendingCommitMillis commit wall time of the oldest received, unapplied
   *     transaction, 0 if none
   * @param nowMillis the local wall time
   * @param timeoutMillis {@code control.region.timeout}: silence beyond it counts as lag
   * @return the lag
   */
  public synchronized long lagMillis(
      long appliedSeq, long oldestPendingCommitMillis, long nowMillis, long timeoutMillis) {
    while (!unapplied.isEmpty() && unapplied.peekFirst().seq() <= appliedSeq) {
      unapplied.pollFirst();
    }
    long lag = 0;
    if (!unapplied.isEmpty()) {
      lag = nowMillis - unapplied.peekFirst().commitMillis();
    }
    if (oldestPendingCommitMillis != 0) {
      lag = Math.max(lag, nowMillis - oldestPendingCommitMillis);
    }
    long silence = nowMillis - heardAtMillis;
    if (silence > timeoutMillis) {
      lag = Math.max(lag, silence);
    }
    return Math.max(0, lag);
  }
}
