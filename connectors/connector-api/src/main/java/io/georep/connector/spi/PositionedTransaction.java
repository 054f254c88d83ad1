package io.georep.connector.spi;

import io.georep.connector.SourceTransaction;
import java.util.Objects;

/**
 * A source transaction with its place in its origin's ordered stream, for appliers that apply an
 * origin's transactions out of order (per-table workers).
 *
 * <p>Seqs are commit LSNs with gaps, so only the stream knows which transaction follows which; the
 * predecessor lets {@link PositionedApply#applyPositioned} keep the watermark a contiguous prefix
 * of the stream while later transactions are applied first.
 *
 * @param transaction the transaction; never null
 * @param previousSeq the seq of the transaction before it in its origin's stream, 0 if it is the
 *     first; below the transaction's seq
 * @param streamOffset the offset of the stream batch (Kafka record) that carried it, or -1 if
 *     unknown; stored with the watermark so that a restarted receiver resumes there
 */
public record PositionedTransaction(
    SourceTransaction transaction, long previousSeq, long streamOffset) {
  /**
   * Validates the position.
   *
   * @throws IllegalArgumentException if the predecessor is not below the seq or negative, or the
   *     offset is below -1
   */
  public PositionedTransaction {
    Objects.requireNonNull(transaction, "transaction");
    if (previousSeq < 0 || previousSeq >= transaction.seq()) {
      throw new IllegalArgumentException(
          "the predecessor of "
              + transaction.dot()
              + " must be 0 to "
              + (transaction.seq() - 1)
              + ", got "
              + previousSeq);
    }
    if (streamOffset < -1) {
      throw new IllegalArgumentException("stream offset must be -1 or more, got " + streamOffset);
    }
  }
}
