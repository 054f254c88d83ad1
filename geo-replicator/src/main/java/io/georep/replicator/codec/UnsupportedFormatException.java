package io.georep.replicator.codec;

/**
 * The frame was written in a format this reader does not know: another major version, or flags it
 * does not understand. The batch comes from an incompatible georep version.
 */
public final class UnsupportedFormatException extends WireFormatException {
  private static final long serialVersionUID = 1L;

  /**
   * Creates the exception.
   *
   * @param message what is unsupported and what to do; never null
   */
  public UnsupportedFormatException(String message) {
    super(message);
  }
}
