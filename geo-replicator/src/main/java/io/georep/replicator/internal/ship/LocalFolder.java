package io.georep.replicator.internal.ship;

import io.georep.connector.SourceTransaction;
import io.georep.connectors.postgres.ApplyException;
import io.georep.connectors.postgres.PostgresChangeApplier;
import io.georep.connectors.postgres.PostgresSinkConfig;
import io.georep.replicator.internal.metrics.AgentMetrics;
import io.georep.replicator.internal.status.AgentState;
import io.georep.vectorclock.RetriableGeorepException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Folds every captured local transaction into the local row metadata ({@link
 * PostgresChangeApplier#foldLocal}), in capture order, on its own thread: each local transaction
 * becomes exactly the write the other regions merge, so this region never lumps several local
 * transactions of a row into one write (which could make LWW pick differently here than elsewhere).
 * The agent's appliers run with {@code agentFoldsLocalWrites}, so an apply that meets a local write
 * not folded yet retries until this has caught up.
 *
 * <p>Bounded by the shipping permits ({@link InFlight}): every transaction queued or being folded
 * here still holds its {@code shipping.max.in.flight.*} permits, which return only once it is
 * folded (and Kafka has acknowledged it), so a database that folds slowly or not at all stops the
 * capture instead of growing this queue. The shipping thread never waits here. Transactions are
 * folded in capture order, whole shipping batches at a time, per database transaction until 200
 * transactions or 10,000 row changes are taken (one shipping batch may exceed either; it is folded
 * whole): a fold holds every row it touches, with its merge state, in memory and locked in the
 * database until it commits. Re-delivered transactions after a restart are skipped by the applier
 * (idempotent). The slot passes a transaction only once it is folded (and Kafka has acknowledged
 * it), so a restart re-delivers what was shipped but not folded. A transaction that cannot be
 * folded (an {@link ApplyException}: a schema mismatch, a failing resolver) halts the local stream
 * with an alert, as a poison record halts its origin; nothing after it is let go.
 */
final class LocalFolder implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(LocalFolder.class);
  private static final int BATCH_TRANSACTIONS = 200;
  private static final int BATCH_CHANGES = 10_000;

  /** Transactions of one shipping batch and what to call once they are folded. */
  private record Pending(List<SourceTransaction> transactions, Runnable folded) {}

  private final PostgresSinkConfig config;
  private final AgentMetrics metrics;
  private final AgentState state;
  private final BlockingQueue<Pending> queue = new LinkedBlockingQueue<>();
  private final Thread thread;
  private volatile boolean closed;

  LocalFolder(PostgresSinkConfig config, AgentMetrics metrics, AgentState state, String region) {
    this.config = config;
    this.metrics = metrics;
    this.state = state;
    this.thread = new Thread(this::run, "georep-fold-" + region);
    this.thread.setDaemon(true);
    this.thread.start();
  }

  /**
   * Queues transactions for folding, without waiting; they hold shipping permits, which bound the
   * queue.
   *
   * @param transactions the transactions, in capture order
   * @param folded called on the folding thread once all of them are folded; never if closed first
   */
  void submit(List<SourceTransaction> transactions, Runnable folded) {
    queue.add(new Pending(List.copyOf(transactions), folded));
  }

  private void run() {
    PostgresChangeApplier applier = null;
    long backoff = 20;
    List<Pending> taken = new ArrayList<>();
    List<SourceTransaction> batch = new ArrayList<>();
    try {
      while (!closed) {
        if (batch.isEmpty()) {
          Pending first = queue.poll(100, TimeUnit.MILLISECONDS);
          if (first == null) {
            continue;
          }
          taken.add(first);
          batch.addAll(first.transactions());
          int changes = changes(first);
          Pending next;
          while (batch.size() < BATCH_TRANSACTIONS
              && changes < BATCH_CHANGES
              && (next = queue.poll()) != null) {
            taken.add(next);
            batch.addAll(next.transactions());
            changes += changes(next);
          }
        }
        try {
          if (applier == null) {
            applier = PostgresChangeApplier.start(config);
            applier.setConflictListener(metrics::conflicts);
          }
          if (!fold(applier, batch)) {
            // Halted: nothing more is folded and nothing of this batch is let go, so the slot
            // keeps it and the capture stops once the permits run out; a restart of the agent
            // folds it again.
            return;
          }
          batch.clear();
          for (Pending p : taken) {
            p.folded().run();
          }
          taken.clear();
          backoff = 20;
        } catch (RetriableGeorepException e) {
          LOG.debug("folding local transactions is retried: {}", e.getMessage());
          Thread.sleep(backoff);
          backoff = Math.min(2_000, backoff * 2);
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } finally {
      if (applier != null) {
        applier.close();
      }
    }
  }

  private static int changes(Pending p) {
    int n = 0;
    for (SourceTransaction tx : p.transactions()) {
      n += tx.changes().size();
    }
    return n;
  }

  /**
   * Folds a batch; a batch that fails for good is folded one transaction at a time, to name the one
   * that fails.
   *
   * @return false if a transaction cannot be folded: the local stream is halted with an alert
   */
  private boolean fold(PostgresChangeApplier applier, List<SourceTransaction> batch) {
    try {
      applier.foldLocal(batch);
      return true;
    } catch (ApplyException e) {
      if (batch.size() == 1) {
        String message =
            "cannot fold local transaction "
                + batch.get(0).dot()
                + " into the row metadata: "
                + e.getMessage()
                + "; the local stream is halted (remote changes of its rows would wait for it),"
                + " fix the cause and restart the agent";
        LOG.error(message, e);
        state.captureError.set(message);
        state.captureState.set(AgentState.StreamState.HALTED);
        return false;
      }
      for (SourceTransaction tx : batch) {
        if (!fold(applier, List.of(tx))) {
          return false;
        }
      }
      return true;
    }
  }

  @Override
  public void close() {
    // No interrupt: the thread notices within 100 ms and closes its pool without being interrupted.
    closed = true;
    try {
      thread.join(5_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
