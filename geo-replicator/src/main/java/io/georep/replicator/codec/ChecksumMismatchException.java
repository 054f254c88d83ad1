package io.georep.replicator.codec;

/** The frame's CRC32C checksum does not match its header and payload: the bytes were corrupted. */
public final class ChecksumMismatchException extends WireFormatException {
  private static final long serialVersionUID = 1L;

  private final int expected;
  private final int actual;

  /**
   * Creates the exception.
   *
   * @param expected the checksum stored in the frame
   * @param actual the checksum computed over the received bytes
   * @param frameLength the frame's length in bytes
   */
  public ChecksumMismatchException(int expected, int actual, int frameLength) {
    super(
        String.format(
            "checksum mismatch: frame of %d bytes carries CRC32C 0x%08x but its bytes give"
                + " 0x%08x; the record was corrupted in transit or storage and must be"
                + " re-produced by its origin",
            frameLength, expected, actual));
    this.expected = expected;
    this.actual = actual;
  }

  /**
   * Returns the checksum stored in the frame.
   *
   * @return the stored CRC32C
   */
  public int expected() {
    return expected;
  }

  /**
   * Returns the checksum of the received bytes.
   *
   * @return the computed CRC32C
   */
  public int actual() {
    return actual;
  }
}
