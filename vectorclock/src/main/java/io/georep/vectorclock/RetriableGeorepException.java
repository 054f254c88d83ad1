package io.georep.vectorclock;

/**
 * A transient failure: the same operation may succeed when tried again later, for example after a
 * broker or database comes back. Components retry these with backoff instead of stopping.
 */
public class RetriableGeorepException extends GeorepException {
  private static final long serialVersionUID = 1L;

  /**
   * Creates a transient failure.
   *
   * @param message what failed and what is being retried; never null
   */
  public RetriableGeorepException(String message) {
    super(message);
  }

  /**
   * Creates a transient failure with its cause.
   *
   * @param message what failed and what is being retried; never null
   * @param cause the underlying failure; may be null
   */
  public RetriableGeorepException(String message, Throwable cause) {
    super(message, cause);
  }
}
