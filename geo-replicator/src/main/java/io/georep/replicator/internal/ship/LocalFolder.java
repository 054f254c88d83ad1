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
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
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
 * <p>Bounded: the queue holds at most 1,000 transactions; the shipping thread blocks when it is
 * full (backpressure to the capture). Re-delivered transactions after a restart are skipped by the
 * applier (idempotent).
 */
final class LocalFolder implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(LocalFolder.class);
  private static final int CAPACITY = 1_000;
  private static final int BATCH = 200;

  private final PostgresSinkConfig config;
  private final AgentMetrics metrics;
  private final AgentState state;
  private final BlockingQueue<SourceTransaction> queue = new ArrayBlockingQueue<>(CAPACITY);
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

  /** Queues transactions for folding; blocks while the queue is full. */
  void submit(List<SourceTransaction> transactions) throws InterruptedException {
    for (SourceTransaction tx : transactions) {
      while (!queue.offer(tx, 100, TimeUnit.MILLISECONDS)) {
        if (closed) {
          return;
        }
      }
    }
  }

  private void run() {
    PostgresChangeApplier applier = null;
    long backoff = 20;
    List<SourceTransaction> batch = new ArrayList<>();
    try {
      while (!closed) {
        if (batch.isEmpty()) {
          SourceTransaction first = queue.poll(100, TimeUnit.MILLISECONDS);
          if (first == null) {
            continue;
          }
          batch.add(first);
          queue.drainTo(batch, BATCH - 1);
        }
        try {
          if (applier == null) {
            applier = PostgresChangeApplier.start(config);
            applier.setConflictListener(metrics::conflicts);
          }
          fold(applier, batch);
          batch.clear();
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

  private void fold(PostgresChangeApplier applier, List<SourceTransaction> batch) {
    try {
      applier.foldLocal(batch);
    } catch (ApplyException e) {
      if (batch.size() == 1) {
        String message =
            "cannot fold local transaction "
                + batch.get(0).dot()
                + " into the row metadata: "
                + e.getMessage()
                + "; remote changes of its rows wait until this is fixed";
        LOG.error(message, e);
        state.captureError.set(message);
        return;
      }
      for (SourceTransaction tx : batch) {
        fold(applier, List.of(tx));
      }
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
