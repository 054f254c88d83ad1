package io.georep.replicator.internal.ship;

import io.georep.connector.SourceTransaction;
import io.georep.connector.spi.ApplyException;
import io.georep.connector.spi.RegionApplier;
import io.georep.connector.spi.RegionDatabase;
import io.georep.replicator.internal.RetryBudget;
import io.georep.replicator.internal.metrics.AgentMetrics;
import io.georep.replicator.internal.status.AgentState;
import io.georep.replicator.internal.transport.FragmentSpill;
import io.georep.vectorclock.GeorepException;
import io.georep.vectorclock.RetriableGeorepException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Folds every captured local transaction into the local row metadata ({@link
 * RegionApplier#foldLocal}), in capture order, on its own thread: each local transaction becomes
 * exactly the write the other regions merge, so this region never lumps several local transactions
 * of a row into one write (which could make LWW pick differently here than elsewhere). The agent's
 * appliers run with {@code agentFoldsLocalWrites}, so an apply that meets a local write not folded
 * yet retries until this has caught up.
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
 * with an alert, as a poison record halts its origin; nothing after it is let go. So does any other
 * permanent failure, and an unclassified one (a bug, corrupt row metadata, an {@link Error}) once
 * it has failed {@link RetryBudget#ATTEMPTS} times in a row: the thread never ends without the
 * capture halting and {@code /health} saying why.
 */
final class LocalFolder implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(LocalFolder.class);
  private static final int BATCH_TRANSACTIONS = 200;
  private static final int BATCH_CHANGES = 10_000;

  /**
   * Transactions of one shipping batch and what to call once they are folded; or one transaction
   * shipped in fragments ({@code parts} set, {@code transactions} its identity without changes).
   */
  private record Pending(
      List<SourceTransaction> transactions, Runnable folded, FragmentSpill parts) {}

  /** What folds: the applier's {@code foldLocal} on one connection (a seam for tests). */
  interface Fold extends AutoCloseable {
    /** Folds transactions in one database transaction. */
    void fold(List<SourceTransaction> transactions);

    /**
     * Folds one transaction in parts, in one database transaction holding one part in memory. This
     * default assembles it and folds it whole (for seams that hold little).
     */
    default void foldInParts(SourceTransaction head, Iterable<SourceTransaction> parts) {
      List<io.georep.connector.RowChange> all = new ArrayList<>();
      for (SourceTransaction part : parts) {
        all.addAll(part.changes());
      }
      fold(List.of(head.withChanges(all)));
    }

    @Override
    void close();
  }

  private final Supplier<Fold> opener;
  private final AgentState state;
  private final Consumer<GeorepException> halted;
  private final RetryBudget unclassified = new RetryBudget();
  private final BlockingQueue<Pending> queue = new LinkedBlockingQueue<>();
  private final Thread thread;
  private volatile boolean closed;

  /**
   * Starts folding on the local database.
   *
   * @param halted told (on the folding thread) when folding halts for good; the capture stops
   */
  LocalFolder(
      RegionDatabase database,
      AgentMetrics metrics,
      AgentState state,
      String region,
      Consumer<GeorepException> halted) {
    this(
        () -> {
          RegionApplier applier = database.openApplier();
          applier.setConflictListener(metrics::conflicts);
          return new Fold() {
            @Override
            public void fold(List<SourceTransaction> transactions) {
              applier.foldLocal(transactions);
            }

            @Override
            public void foldInParts(SourceTransaction head, Iterable<SourceTransaction> parts) {
              applier.foldInParts(head, parts);
            }

            @Override
            public void close() {
              applier.close();
            }
          };
        },
        state,
        region,
        halted);
  }

  LocalFolder(
      Supplier<Fold> opener, AgentState state, String region, Consumer<GeorepException> halted) {
    this.opener = opener;
    this.state = state;
    this.halted = halted;
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
    queue.add(new Pending(List.copyOf(transactions), folded, null));
  }

  /**
   * Queues a transaction shipped in fragments for folding in parts, without waiting. Its spill is
   * deleted once it is folded.
   *
   * @param head the transaction's identity (no changes)
   * @param parts its fragments as shipped, sealed
   * @param folded called on the folding thread once it is folded; never if closed first
   */
  void submitInParts(SourceTransaction head, FragmentSpill parts, Runnable folded) {
    queue.add(new Pending(List.of(head), folded, parts));
  }

  /**
   * The folding loop. Every way out of it other than {@link #close} is a halt with an alert ({@link
   * #halt}): a thread that ended silently would let the capture run on until its permits ran out
   * and then block, with {@code /health} still saying RUNNING.
   */
  private void run() {
    Fold fold = null;
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
          while (first.parts() == null
              && batch.size() < BATCH_TRANSACTIONS
              && changes < BATCH_CHANGES
              && (next = queue.peek()) != null
              && next.parts() == null) {
            queue.poll();
            taken.add(next);
            batch.addAll(next.transactions());
            changes += changes(next);
          }
        }
        try {
          if (fold == null) {
            fold = opener.get();
          }
          FragmentSpill parts = taken.get(0).parts();
          String failure = parts == null ? fold(fold, batch) : foldInParts(fold, batch, parts);
          if (failure != null) {
            // Halted: nothing more is folded and nothing of this batch is let go, so the slot
            // keeps it; a restart of the agent folds it again.
            halt(failure, null);
            return;
          }
          batch.clear();
          for (Pending p : taken) {
            if (p.parts() != null) {
              p.parts().close();
            }
            p.folded().run();
          }
          taken.clear();
          backoff = 20;
        } catch (RetriableGeorepException e) {
          LOG.debug("folding local transactions is retried: {}", e.getMessage());
          Thread.sleep(backoff);
          backoff = Math.min(2_000, backoff * 2);
        } catch (GeorepException e) {
          // Permanent, and not about one transaction (a resolver's configuration, corrupt
          // row metadata): retrying cannot help.
          halt(haltMessage(batch, e), e);
          return;
        } catch (RuntimeException | Error e) {
          // Unclassified: retried on a new connection within the budget, then halted.
          fold = closeQuietly(fold);
          if (unclassified.spent(batch.get(0).seq())) {
            halt(haltMessage(batch, e) + " (failed " + RetryBudget.ATTEMPTS + " times)", e);
            return;
          }
          if (unclassified.failures() == 1) {
            LOG.warn("folding local transactions failed unexpectedly; retrying", e);
          }
          Thread.sleep(backoff);
          backoff = Math.min(2_000, backoff * 2);
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (RuntimeException | Error e) {
      halt("the local folder failed: " + e + "; restart the agent", e);
    } finally {
      closeQuietly(fold);
      for (Pending p : taken) {
        if (p.parts() != null) {
          p.parts().close();
        }
      }
    }
  }

  private static String haltMessage(List<SourceTransaction> batch, Throwable e) {
    return "cannot fold local transactions "
        + batch.get(0).dot()
        + (batch.size() == 1 ? "" : " to " + batch.get(batch.size() - 1).dot())
        + " into the row metadata: "
        + e
        + "; the local stream is halted (remote changes of their rows would wait for them),"
        + " fix the cause and restart the agent";
  }

  /**
   * Halts the local stream: the alert goes to {@code /health} at once, and the capture actor is
   * told, which closes capture and shipping and logs the alert once.
   */
  private void halt(String message, Throwable cause) {
    state.captureError.set(message);
    state.captureState.set(AgentState.StreamState.HALTED);
    if (!closed) {
      halted.accept(new GeorepException(message, cause));
    }
  }

  private static Fold closeQuietly(Fold fold) {
    if (fold != null) {
      try {
        fold.close();
      } catch (RuntimeException e) {
        LOG.debug("closing the folding connection failed: {}", e.toString());
      }
    }
    return null;
  }

  /**
   * Folds a transaction shipped in fragments, in parts.
   *
   * @return null when folded, else the alert: it cannot be folded
   */
  private static String foldInParts(Fold fold, List<SourceTransaction> batch, FragmentSpill parts) {
    try {
      fold.foldInParts(batch.get(0), parts);
      return null;
    } catch (ApplyException e) {
      return "cannot fold local transaction "
          + batch.get(0).dot()
          + " ("
          + parts.changes()
          + " row changes in "
          + parts.fragments()
          + " fragments) into the row metadata: "
          + e.getMessage()
          + "; the local stream is halted (remote changes of its rows would wait for it),"
          + " fix the cause and restart the agent";
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
   * @return null when folded, else the alert: a transaction cannot be folded
   */
  private static String fold(Fold fold, List<SourceTransaction> batch) {
    try {
      fold.fold(batch);
      return null;
    } catch (ApplyException e) {
      if (batch.size() == 1) {
        return "cannot fold local transaction "
            + batch.get(0).dot()
            + " into the row metadata: "
            + e.getMessage()
            + "; the local stream is halted (remote changes of its rows would wait for it),"
            + " fix the cause and restart the agent";
      }
      for (SourceTransaction tx : batch) {
        String failure = fold(fold, List.of(tx));
        if (failure != null) {
          return failure;
        }
      }
      return null;
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
    // Not folded: the slot delivers them again after a restart. Their spill files go now.
    for (Pending p : queue) {
      if (p.parts() != null) {
        p.parts().close();
      }
    }
  }
}
