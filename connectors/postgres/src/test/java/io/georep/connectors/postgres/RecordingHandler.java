package io.georep.connectors.postgres;

import io.georep.connector.SourceTransaction;
import io.georep.connector.spi.FragmentHandler;
import io.georep.vectorclock.GeorepException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BooleanSupplier;

/** A handler that records what a source delivers, and a polling await with a deadline. */
class RecordingHandler implements FragmentHandler {

  final List<SourceTransaction> transactions = new ArrayList<>();
  final List<SourceTransaction> fragments = new ArrayList<>();
  volatile GeorepException failure;

  @Override
  public synchronized void onTransaction(SourceTransaction transaction) {
    transactions.add(transaction);
  }

  @Override
  public synchronized void onFragment(SourceTransaction fragment, int index, boolean last) {
    fragments.add(fragment);
    if (last) {
      List<io.georep.connector.RowChange> all = new ArrayList<>();
      fragments.forEach(f -> all.addAll(f.changes()));
      transactions.add(
          new SourceTransaction(
              fragment.origin(),
              fragment.seq(),
              fragment.commitTimestamp(),
              fragment.causalContext(),
              all));
      fragments.clear();
    }
  }

  @Override
  public void onFailure(GeorepException failure) {
    this.failure = failure;
  }

  synchronized List<SourceTransaction> snapshot() {
    return List.copyOf(transactions);
  }

  /** Waits until {@code count} transactions arrived, failing on a capture failure or timeout. */
  List<SourceTransaction> awaitCount(int count) {
    await(() -> snapshot().size() >= count, "at least " + count + " transactions");
    return snapshot();
  }

  void await(BooleanSupplier condition, String what) {
    long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
    while (!condition.getAsBoolean()) {
      if (failure != null) {
        throw new AssertionError("capture failed while waiting for " + what, failure);
      }
      if (System.nanoTime() > deadline) {
        throw new AssertionError("timed out waiting for " + what + "; got " + snapshot());
      }
      Thread.onSpinWait();
      synchronized (this) {
        try {
          wait(5);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new AssertionError(e);
        }
      }
    }
  }
}
