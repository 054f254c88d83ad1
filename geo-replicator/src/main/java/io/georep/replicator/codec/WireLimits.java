package io.georep.replicator.codec;

/**
 * The limits that bound what encoding and decoding may allocate.
 *
 * @param maxBatchBytes the largest uncompressed envelope, in bytes; 1 KiB to 1 GiB
 * @param maxCells the most row-by-column cells a batch may expand to when decoded (the sum over its
 *     tables of rows times columns); at least 1
 */
public record WireLimits(int maxBatchBytes, int maxCells) {
  /** 64 MiB of uncompressed envelope and 16 Mi cells per batch. */
  public static final WireLimits DEFAULT = new WireLimits(64 << 20, 16 << 20);

  /**
   * Validates the limits.
   *
   * @throws IllegalArgumentException if a limit is out of range
   */
  public WireLimits {
    if (maxBatchBytes < 1024 || maxBatchBytes > 1 << 30) {
      throw new IllegalArgumentException(
          "maximum batch size must be 1 KiB to 1 GiB, got " + maxBatchBytes + " bytes");
    }
    if (maxCells < 1) {
      throw new IllegalArgumentException("maximum cell count must be positive, got " + maxCells);
    }
  }
}
