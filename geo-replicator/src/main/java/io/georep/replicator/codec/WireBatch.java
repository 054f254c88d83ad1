package io.georep.replicator.codec;

import io.georep.connector.SourceTransaction;
import io.georep.vectorclock.ReplicaId;
import java.util.List;

/**
 * A batch of consecutive source transactions of one origin: the unit the wire codec encodes into
 * one frame (one Kafka record).
 *
 * @param transactions the transactions; never null or empty, copied; all of one origin, in strictly
 *     increasing {@code seq}
 */
public record WireBatch(List<SourceTransaction> transactions) {
  /**
   * Validates the batch.
   *
   * @throws IllegalArgumentException if it is empty, mixes origins or is not in increasing {@code
   *     seq}
   */
  public WireBatch {
    transactions = List.copyOf(transactions);
    if (transactions.isEmpty()) {
      throw new IllegalArgumentException("a batch holds at least one transaction");
    }
    SourceTransaction first = transactions.get(0);
    for (int i = 1; i < transactions.size(); i++) {
      SourceTransaction previous = transactions.get(i - 1);
      SourceTransaction tx = transactions.get(i);
      if (!tx.origin().equals(first.origin())) {
        throw new IllegalArgumentException(
            "a batch holds transactions of one origin: transaction "
                + (i + 1)
                + " is from "
                + tx.origin()
                + ", the first from "
                + first.origin());
      }
      if (tx.seq() <= previous.seq()) {
        throw new IllegalArgumentException(
            "transactions of a batch must be in strictly increasing seq: "
                + tx.origin()
                + ":"
                + tx.seq()
                + " follows "
                + previous.origin()
                + ":"
                + previous.seq());
      }
    }
  }

  /**
   * Returns the batch of the given transactions.
   *
   * @param transactions the transactions; never null or empty
   * @return the batch
   */
  public static WireBatch of(SourceTransaction... transactions) {
    return new WireBatch(List.of(transactions));
  }

  /**
   * Returns the origin of every transaction in the batch.
   *
   * @return the origin; never null
   */
  public ReplicaId origin() {
    return transactions.get(0).origin();
  }

  /**
   * Returns the {@code seq} of the first transaction.
   *
   * @return the first seq
   */
  public long firstSeq() {
    return transactions.get(0).seq();
  }

  /**
   * Returns the {@code seq} of the last transaction.
   *
   * @return the last seq
   */
  public long lastSeq() {
    return transactions.get(transactions.size() - 1).seq();
  }

  /**
   * Returns the number of row changes over all transactions.
   *
   * @return the change count
   */
  public int changeCount() {
    int n = 0;
    for (SourceTransaction tx : transactions) {
      n += tx.changes().size();
    }
    return n;
  }
}
