package io.georep.replicator.codec;

import io.georep.vectorclock.GeorepException;

/**
 * Bytes that are not a valid georep wire frame. The root of the codec's typed decode errors; each
 * subclass names one way a frame can be wrong.
 *
 * <p>All are permanent: the same bytes will never decode. A consumer meeting one must halt the
 * stream it came from and alert, never skip the record: skipping would make regions diverge.
 */
public class WireFormatException extends GeorepException {
  private static final long serialVersionUID = 1L;

  /**
   * Creates the exception.
   *
   * @param message what was wrong and where; never null
   */
  protected WireFormatException(String message) {
    super(message);
  }

  /**
   * Creates the exception with its cause.
   *
   * @param message what was wrong and where; never null
   * @param cause the underlying failure; may be null
   */
  protected WireFormatException(String message, Throwable cause) {
    super(message, cause);
  }
}
