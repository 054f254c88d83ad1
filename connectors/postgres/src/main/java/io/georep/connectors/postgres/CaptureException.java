package io.georep.connectors.postgres;

import io.georep.vectorclock.GeorepException;

/**
 * A permanent failure of PostgreSQL capture: a configuration, privilege, slot or schema problem, or
 * a change that cannot be represented. The message names what is wrong (setting, slot, table,
 * column, LSN) and the SQL or configuration key that fixes it. Capture stops; it must not be
 * retried unchanged.
 */
public class CaptureException extends GeorepException {
  private static final long serialVersionUID = 1L;

  /**
   * Creates the exception.
   *
   * @param message what happened, why it matters and how to fix it; never null
   */
  public CaptureException(String message) {
    super(message);
  }

  /**
   * Creates the exception with its cause.
   *
   * @param message what happened, why it matters and how to fix it; never null
   * @param cause the underlying failure; may be null
   */
  public CaptureException(String message, Throwable cause) {
    super(message, cause);
  }
}
