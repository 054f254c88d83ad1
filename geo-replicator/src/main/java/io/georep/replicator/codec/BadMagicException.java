package io.georep.replicator.codec;

import java.util.HexFormat;

/** The bytes do not start with georep's frame magic {@code GRPB}: they are not a georep batch. */
public final class BadMagicException extends WireFormatException {
  private static final long serialVersionUID = 1L;

  /**
   * Creates the exception.
   *
   * @param found the first bytes found (up to 4); never null
   */
  public BadMagicException(byte[] found) {
    super(
        "not a georep batch: expected magic 0x47525042 (\"GRPB\") but found 0x"
            + HexFormat.of().formatHex(found)
            + "; check that the topic carries only georep batches");
  }
}
