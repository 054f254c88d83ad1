package io.georep.connectors.postgres;

import io.georep.vectorclock.RetriableGeorepException;

/**
 * A transient failure of PostgreSQL capture: the database connection was lost or refused, or the
 * replication slot is in use by another process. A new source started later resumes from the slot's
 * confirmed position, so nothing is lost.
 */
public class CaptureUnavailableException extends RetriableGeorepException {
  private static final long serialVersionUID = 1L;

  /**
   * Creates the exception.
   *
   * @param message what failed and what is retried; never null
   * @param cause the underlying failure; may be null
   */
  public CaptureUnavailableException(String message, Throwable cause) {
    super(message, cause);
  }
}
