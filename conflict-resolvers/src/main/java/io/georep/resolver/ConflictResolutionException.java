package io.georep.resolver;

import io.georep.vectorclock.GeorepException;

/**
 * A merge that cannot proceed: a resolver threw or answered outside its contract, an incoming write
 * does not fit the table's policy (a plain value for a counter column), a stored row state was
 * written under a different policy, or a counter sum no longer fits its column. Permanent: the same
 * input fails the same way, so the applier stops the table's stream and alerts rather than skip the
 * write (skipping would make regions diverge). The message names the table, the column and the
 * resolver, never row values.
 */
public class ConflictResolutionException extends GeorepException {
  private static final long serialVersionUID = 1L;

  /**
   * Creates the exception.
   *
   * @param message what happened, why it matters and what to do; never null
   */
  public ConflictResolutionException(String message) {
    super(message);
  }

  /**
   * Creates the exception with its cause.
   *
   * @param message what happened, why it matters and what to do; never null
   * @param cause the underlying failure; may be null
   */
  public ConflictResolutionException(String message, Throwable cause) {
    super(message, cause);
  }
}
