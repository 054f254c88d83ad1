package io.georep.replicator.codec.internal;

/**
 * The header word that opens each transaction in the transaction vector: a varint {@code
 * changeCount << 3 | logicalPresent << 2 | contextForm} (docs/wire-format.md).
 */
final class TransactionHeader {
  /** The causal context equals the previous transaction's; nothing follows. */
  static final int CONTEXT_SAME = 0;

  /** The causal context follows in full ({@code VersionVector.writeTo}). */
  static final int CONTEXT_FULL = 1;

  /** The causal context follows as counter differences to the previous one's entries. */
  static final int CONTEXT_DELTA = 2;

  /** As {@link #CONTEXT_DELTA}, followed by the replicas the previous context did not have. */
  static final int CONTEXT_DELTA_ADDING = 3;

  /** Bits of the context form. */
  static final int CONTEXT_MASK = 3;

  /** Set when the HLC logical counter is not 0 and follows the commit time. */
  static final int LOGICAL_PRESENT = 4;

  /** The change count sits above the flags. */
  static final int COUNT_SHIFT = 3;

  private TransactionHeader() {}
}
