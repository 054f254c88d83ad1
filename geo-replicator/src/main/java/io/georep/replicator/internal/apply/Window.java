package io.georep.replicator.internal.apply;

import io.georep.connector.SourceTransaction;
import io.georep.replicator.internal.TransactionSize;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;

/**
 * The apply window of one origin: how many transactions, and how many KiB of their estimated heap
 * size, may be received beyond the origin's applied prefix. The receiver thread takes permits
 * before it hands a transaction on and waits (stops reading Kafka) when they run out; the scheduler
 * returns them as the prefix advances. Thread-safe.
 */
public final class Window {
  private final Semaphore transactions;
  private final Semaphore kib;
  private final int maxKib;
  private final int maxTransactions;

  /**
   * Creates a full window.
   *
   * @param maxTransactions transactions
   * @param maxBytes estimated bytes
   */
  public Window(int maxTransactions, long maxBytes) {
    this.maxTransactions = maxTransactions;
    this.maxKib = (int) Math.min(Integer.MAX_VALUE, Math.max(1, maxBytes >> 10));
    this.transactions = new Semaphore(maxTransactions);
    this.kib = new Semaphore(maxKib);
  }

  /**
   * Returns the permits a transaction takes (its size in KiB, at most the whole window).
   *
   * @param tx the transaction
   * @return the weight
   */
  public int weight(SourceTransaction tx) {
    return Math.min(maxKib, TransactionSize.kib(tx));
  }

  /**
   * Takes one transaction and {@code weight} KiB, waiting up to {@code millis}.
   *
   * @param weight the KiB
   * @param millis how long to wait
   * @return whether the permits were taken
   * @throws InterruptedException if interrupted
   */
  public boolean tryAcquire(int weight, long millis) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(millis);
    if (!transactions.tryAcquire(millis, TimeUnit.MILLISECONDS)) {
      return false;
    }
    long left = Math.max(0, deadline - System.nanoTime());
    if (!kib.tryAcquire(weight, left, TimeUnit.NANOSECONDS)) {
      transactions.release();
      return false;
    }
    return true;
  }

  /**
   * Returns permits.
   *
   * @param count transactions
   * @param weight KiB
   */
  public void release(int count, long weight) {
    transactions.release(count);
    kib.release((int) Math.min(Integer.MAX_VALUE, weight));
  }

  /**
   * Returns the transactions that may still be received.
   *
   * @return the free transaction permits
   */
  public int availableTransactions() {
    return transactions.availablePermits();
  }

  /**
   * Returns the window's size in transactions.
   *
   * @return the size
   */
  public int maxTransactions() {
    return maxTransactions;
  }
}
