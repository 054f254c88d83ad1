package io.georep.replicator.codec;

/**
 * The frame's checksum is right but its content is not a valid batch: invalid Avro, a bad integer
 * encoding, a count exceeding the data, invalid UTF-8, a value that does not fit its column, or a
 * change that violates the change model. A writer bug or a forged frame.
 */
public final class MalformedBatchException extends WireFormatException {
  private static final long serialVersionUID = 1L;

  /**
   * Creates the exception.
   *
   * @param message what was wrong and where; never null
   */
  public MalformedBatchException(String message) {
    super("malformed batch: " + message);
  }

  /**
   * Creates the exception with its cause.
   *
   * @param message what was wrong and where; never null
   * @param cause the underlying failure; may be null
   */
  public MalformedBatchException(String message, Throwable cause) {
    super("malformed batch: " + message, cause);
  }
}
