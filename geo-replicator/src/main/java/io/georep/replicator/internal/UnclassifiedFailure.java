package io.georep.replicator.internal;

import io.georep.vectorclock.RetriableGeorepException;

/**
 * A failure no component classified: not a {@link io.georep.vectorclock.GeorepException} (a bug, an
 * unexpected driver or client error, an {@link Error} such as {@link OutOfMemoryError}). It may be
 * transient (memory pressure, a flaky connection), so it is retried like a transient failure, but
 * only within a {@link RetryBudget}: when the same step keeps failing without progress, the stream
 * halts with an alert instead of retrying (and logging an ERROR) forever.
 */
public final class UnclassifiedFailure extends RetriableGeorepException {
  private static final long serialVersionUID = 1L;

  /**
   * Creates the failure.
   *
   * @param message what failed, naming the stream and position; never null
   * @param cause the unclassified failure; never null
   */
  public UnclassifiedFailure(String message, Throwable cause) {
    super(message + ": " + describe(cause), cause);
  }

  /** The failure and, if it wraps others, the innermost one: usually the one that says why. */
  private static String describe(Throwable cause) {
    Throwable root = cause;
    while (root.getCause() != null && root.getCause() != root) {
      root = root.getCause();
    }
    return root == cause ? cause.toString() : cause + " (caused by " + root + ")";
  }
}
