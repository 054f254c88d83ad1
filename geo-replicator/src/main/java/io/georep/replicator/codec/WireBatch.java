package io.georep.replicator.codec;

import io.georep.connector.SourceTransaction;
import io.georep.vectorclock.ReplicaId;
import java.util.List;

/**
 * A batch of consecutive source transactions of one origin: the unit the wire codec encodes into
 * one frame (one Kafka record). A large transaction travels as several batches instead, one per
 * fragment: each holds the transaction's identity, timestamp and context with the next slice of its
 * changes, and says which fragment it is.
 *
 * @param transactions the transactions; never null or empty, copied; all of one origin, in strictly
 *     increasing {@code seq}; exactly one for a fragment
 * @param fragment which fragment of its one transaction the batch is, or null for whole
 *     transactions
 */
public record WireBatch(List<SourceTransaction> transactions, Fragment fragment) {
  /**
   * The place of a batch in a transaction shipped in fragments. The fragments of a transaction are
   * consecutive records of its origin's stream, with indexes 0, 1, 2, … and {@code last} on the
   * final one; concatenated, their changes are the transaction's, and a receiver applies all of
   * them or none. After a restart of the origin the stream may hold an incomplete run of fragments
   * followed by the whole run again from index 0.
   *
   * @param index the fragment's position in its transaction, from 0
   * @param last whether it is the transaction's final fragment
   */
  public record Fragment(int index, boolean last) {
    /**
     * Validates the fragment.
     *
     * @throws IllegalArgumentException if the index is negative
     */
    public Fragment {
      if (index < 0) {
        throw new IllegalArgumentException("a fragment index is not negative: " + index);
      }
    }
  }

  /**
   * Validates the batch.
   *
   * @throws IllegalArgumentException if it is empty, mixes origins, is not in increasing {@code
   *     seq}, or is a fragment of more than one transaction
   */
  public WireBatch {
    transactions = List.copyOf(transactions);
    if (transactions.isEmpty()) {
      throw new IllegalArgumentException("a batch holds at least one transaction");
    }
    if (fragment != null && transactions.size() != 1) {
      throw new IllegalArgumentException(
          "a fragment holds one transaction's slice, got " + transactions.size() + " transactions");
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
   * Returns a batch of whole transactions.
   *
   * @param transactions the transactions; never null or empty
   * @throws IllegalArgumentException as the canonical constructor
   */
  public WireBatch(List<SourceTransaction> transactions) {
    this(transactions, null);
  }

  /**
   * Returns the batch of one fragment of a transaction.
   *
   * @param slice the transaction's identity, timestamp and context with the fragment's changes;
   *     never null
   * @param index the fragment's position, from 0
   * @param last whether it is the final fragment
   * @return the batch
   */
  public static WireBatch fragment(SourceTransaction slice, int index, boolean last) {
    return new WireBatch(List.of(slice), new Fragment(index, last));
  }

  /**
   * Returns whether the batch is a fragment of one transaction rather than whole transactions.
   *
   * @return true for a fragment
   */
  public boolean isFragment() {
    return fragment != null;
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
