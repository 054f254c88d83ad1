package io.georep.vectorclock.encoding;

import io.georep.vectorclock.GeorepException;

/**
 * Bytes that are not a valid encoding of the expected value: truncated, over-long, with a count
 * larger than the input could hold, with an unknown tag or with trailing garbage.
 *
 * <p>The message names what was being read and the byte offset where decoding failed. The failure
 * is permanent: the same bytes will never decode.
 */
public class MalformedEncodingException extends GeorepException {
  private static final long serialVersionUID = 1L;

  private final int offset;

  /**
   * Creates the exception.
   *
   * @param message what was expected and what was found; never null
   * @param offset the byte offset where decoding failed
   */
  public MalformedEncodingException(String message, int offset) {
    super(message + " (at byte offset " + offset + ")");
    this.offset = offset;
  }

  /**
   * Returns the byte offset, from the start of the decoded buffer, where decoding failed.
   *
   * @return the offset; zero or more
   */
  public int offset() {
    return offset;
  }
}
