package io.georep.vectorclock;

/**
 * The root of every exception georep throws on purpose.
 *
 * <p>All georep exceptions are unchecked. A failure that may succeed when tried again extends
 * {@link RetriableGeorepException}, so callers decide about retrying by type; every other subclass
 * is permanent and stops the component that met it. The type lives in the lowest module so that
 * every other module can extend it.
 */
public class GeorepException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  /**
   * Creates an exception with a message that says what happened, why it matters and what to do.
   *
   * @param message the complete, user-facing message; never null
   */
  public GeorepException(String message) {
    super(message);
  }

  /**
   * Creates an exception with a message and the failure that caused it.
   *
   * @param message the complete, user-facing message; never null
   * @param cause the underlying failure; may be null
   */
  public GeorepException(String message, Throwable cause) {
    super(message, cause);
  }
}
