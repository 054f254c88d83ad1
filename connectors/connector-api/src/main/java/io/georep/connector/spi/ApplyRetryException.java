package io.georep.connector.spi;

import io.georep.vectorclock.RetriableGeorepException;

/**
 * A transient apply failure: the applier rolled back and applied nothing, and the same call should
 * be retried later with backoff. Causes: the database is unreachable or terminated the session; a
 * serialization failure or deadlock; a foreign-key parent that has not arrived yet; a local write
 * the capture has not stamped yet; a concurrent local insert of the same key. {@link #reason()}
 * tells which.
 */
public class ApplyRetryException extends RetriableGeorepException {
  private static final long serialVersionUID = 1L;

  /** Why the apply must be retried. */
  public enum Reason {
    /** The database is unavailable, or the session or connection failed. */
    UNAVAILABLE,
    /** A serialization failure or deadlock; retry at once. */
    CONCURRENCY,
    /** A foreign-key parent is missing: the child waits for it. */
    MISSING_PARENT,
    /** A local write of a row is not yet stamped by the capture. */
    STAMP_PENDING,
    /** A local write raced with the apply on the same key. */
    LOCAL_RACE
  }

  private final Reason reason;

  /**
   * Creates the exception.
   *
   * @param reason why; never null
   * @param message what, where and what the caller should do
   * @param cause the underlying failure, or null
   */
  public ApplyRetryException(Reason reason, String message, Throwable cause) {
    super(message, cause);
    this.reason = java.util.Objects.requireNonNull(reason, "reason");
  }

  /**
   * Returns why the apply must be retried.
   *
   * @return the reason; never null
   */
  public Reason reason() {
    return reason;
  }
}
