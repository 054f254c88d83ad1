package io.georep.replicator.codec;

/**
 * The frame is shorter than its header says: fewer bytes arrived than the header and the declared
 * payload length need.
 */
public final class TruncatedFrameException extends WireFormatException {
  private static final long serialVersionUID = 1L;

  private final long expectedBytes;
  private final long actualBytes;

  /**
   * Creates the exception.
   *
   * @param expectedBytes how many bytes the frame needs
   * @param actualBytes how many bytes there are
   */
  public TruncatedFrameException(long expectedBytes, long actualBytes) {
    super(
        "truncated frame: needs "
            + expectedBytes
            + " bytes but has "
            + actualBytes
            + "; the record was cut short in transit or storage and must be re-produced by its"
            + " origin");
    this.expectedBytes = expectedBytes;
    this.actualBytes = actualBytes;
  }

  /**
   * Returns how many bytes the frame needs.
   *
   * @return the expected size
   */
  public long expectedBytes() {
    return expectedBytes;
  }

  /**
   * Returns how many bytes there were.
   *
   * @return the actual size
   */
  public long actualBytes() {
    return actualBytes;
  }
}
