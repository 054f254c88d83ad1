package io.georep.replicator.internal.ship;

import io.georep.connector.SourceTransaction;
import io.georep.replicator.internal.TransactionSize;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;

/**
 * The shipping permits of one capture session: how many captured transactions, and how many KiB of
 * their estimated heap size ({@link TransactionSize}), may be held by the agent between the capture
 * and the moment the last holder lets go of them ({@code shipping.max.in.flight.transactions} and
 * {@code shipping.max.in.flight.bytes}).
 *
 * <p>A transaction is held by the shipping queue, then by two parties at once: the Kafka producer
 * (until the broker acknowledges its record) and the {@link LocalFolder} (until it is folded into
 * the local row metadata). Its permits return only when both are done ({@link Hold}), so neither a
 * slow database nor a slow broker lets transactions pile up outside the bound. The capture thread
 * waits in {@link #acquire} while the permits are used up: backpressure reaches the replication
 * slot and the database keeps the backlog in its WAL.
 *
 * <p>A transaction heavier than the whole byte bound weighs exactly the bound, so it still ships —
 * alone. Thread-safe: one thread acquires, any thread releases.
 */
final class InFlight {
  private final Semaphore transactions;
  private final Semaphore kib;
  private final int maxTransactions;
  private final int maxKib;

  /**
   * Creates full permits.
   *
   * @param maxTransactions transactions; at least 1
   * @param maxBytes estimated bytes; rounded down to KiB, at least 1 KiB
   */
  InFlight(int maxTransactions, long maxBytes) {
    if (maxTransactions < 1) {
      throw new IllegalArgumentException("maxTransactions must be positive: " + maxTransactions);
    }
    this.maxTransactions = maxTransactions;
    this.maxKib = (int) Math.min(Integer.MAX_VALUE, Math.max(1, maxBytes >> 10));
    this.transactions = new Semaphore(maxTransactions);
    this.kib = new Semaphore(maxKib);
  }

  /**
   * Returns the KiB permits a transaction takes: its estimated size, at most the whole bound.
   *
   * @param tx the transaction
   * @return the weight, at least 1
   */
  int weight(SourceTransaction tx) {
    return Math.min(maxKib, TransactionSize.kib(tx));
  }

  /**
   * Takes the permits of one transaction, waiting while they are used up.
   *
   * @param weight the transaction's weight in KiB ({@link #weight})
   * @param stopped checked every 100 ms while waiting; when it returns true the wait ends
   * @return true if the permits were taken, false if {@code stopped} ended the wait
   * @throws InterruptedException if the waiting thread is interrupted
   */
  boolean acquire(int weight, BooleanSupplier stopped) throws InterruptedException {
    while (!transactions.tryAcquire(100, TimeUnit.MILLISECONDS)) {
      if (stopped.getAsBoolean()) {
        return false;
      }
    }
    while (!kib.tryAcquire(weight, 100, TimeUnit.MILLISECONDS)) {
      if (stopped.getAsBoolean()) {
        transactions.release();
        return false;
      }
    }
    return true;
  }

  /**
   * Returns a hold on the permits of a batch, released when every party is done with it.
   *
   * @param count the batch's transactions
   * @param weight the batch's KiB
   * @param parties how many {@link Hold#done} calls release it; at least 1
   * @return the hold
   */
  Hold hold(int count, int weight, int parties) {
    return new Hold(count, weight, parties, () -> {});
  }

  /**
   * Returns a hold on the permits of a batch that also runs an action when every party is done,
   * before the permits return, on the thread of the last party.
   *
   * @param count the batch's transactions
   * @param weight the batch's KiB
   * @param parties how many {@link Hold#done} calls release it; at least 1
   * @param whenDone run once, by the last party
   * @return the hold
   */
  Hold hold(int count, int weight, int parties, Runnable whenDone) {
    return new Hold(count, weight, parties, whenDone);
  }

  /** Returns the transaction permits not taken. */
  int availableTransactions() {
    return transactions.availablePermits();
  }

  /** Returns the KiB permits not taken. */
  int availableKib() {
    return kib.availablePermits();
  }

  /** Returns the bound in transactions. */
  int maxTransactions() {
    return maxTransactions;
  }

  /** Returns the bound in KiB. */
  int maxKib() {
    return maxKib;
  }

  /** The permits of one batch, shared by the parties that hold it. Thread-safe. */
  final class Hold {
    private final int count;
    private final int weight;
    private final AtomicInteger parties;
    private final Runnable whenDone;

    private Hold(int count, int weight, int parties, Runnable whenDone) {
      if (parties < 1) {
        throw new IllegalArgumentException("parties must be positive: " + parties);
      }
      this.count = count;
      this.weight = weight;
      this.parties = new AtomicInteger(parties);
      this.whenDone = whenDone;
    }

    /**
     * One party is done; the last one runs the action and returns the permits. Extra calls are
     * ignored.
     */
    void done() {
      if (parties.getAndUpdate(p -> Math.max(0, p - 1)) == 1) {
        try {
          whenDone.run();
        } finally {
          transactions.release(count);
          kib.release(weight);
        }
      }
    }
  }
}
