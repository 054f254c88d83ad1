package io.georep.connector.spi;

import io.georep.vectorclock.GeorepException;

/**
 * A permanent apply failure: a transaction that cannot be applied as it is (a poison transaction, a
 * schema that no longer matches, a failing resolver). The applier rolled back and applied nothing;
 * the message names the origin, seq, table and key and says how to fix the cause. Apply of the
 * origin's stream must halt: skipping the transaction would make the regions diverge.
 */
public class ApplyException extends GeorepException {
  private static final long serialVersionUID = 1L;

  /**
   * Creates the exception.
   *
   * @param message what, where, why and how to fix
   */
  public ApplyException(String message) {
    super(message);
  }

  /**
   * Creates the exception with its cause.
   *
   * @param message what, where, why and how to fix
   * @param cause the underlying failure
   */
  public ApplyException(String message, Throwable cause) {
    super(message, cause);
  }
}
