package io.georep.replicator.internal;

/**
 * How many times in a row one stream (the capture, one origin's receiver) may fail with an {@link
 * UnclassifiedFailure} before it halts: {@value #ATTEMPTS} attempts, each after the stream's
 * restart backoff. Progress (the stream failed at another position than last time) starts the count
 * again, so a rare unexpected failure is retried as often as it happens, and only a step that fails
 * every time at the same place halts.
 *
 * <p>Why bounded and not "retry forever": an unclassified failure that repeats without progress is
 * almost always deterministic (a bug, corrupt state, a bad keystore), and retrying it forever
 * stalls the stream while {@code /health} shows it restarting and the log fills with the same
 * ERROR. Why not "halt at once": an {@link OutOfMemoryError} or a client error may pass, and a halt
 * needs an operator. Thread-safe.
 */
public final class RetryBudget {
  /** Consecutive unclassified failures allowed; the next one halts. */
  public static final int ATTEMPTS = 5;

  private int failures;
  private long mark = Long.MIN_VALUE;

  /**
   * Counts a failure at a position of the stream.
   *
   * @param position how far the stream had got when it failed (the shipped seq, the offset of the
   *     record being handled): a position other than the last failure's is progress, and the count
   *     starts again
   * @return true if the budget is spent: the stream halts instead of retrying
   */
  public synchronized boolean spent(long position) {
    if (position != mark) {
      mark = position;
      failures = 0;
    }
    failures++;
    return failures >= ATTEMPTS;
  }

  /**
   * Returns the failures counted at the current position.
   *
   * @return the count
   */
  public synchronized int failures() {
    return failures;
  }
}
