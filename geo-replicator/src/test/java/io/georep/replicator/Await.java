package io.georep.replicator;

import java.time.Duration;

/** Waits for a condition with a deadline, polling; never a fixed sleep for synchronisation. */
final class Await {
  /** A condition that may throw. */
  interface Condition {
    boolean holds() throws Exception;
  }

  private Await() {}

  /**
   * Lets a fault last: returns after {@code duration} (the length of an outage the scenario
   * prescribes, not a synchronisation), checking {@code invariant} meanwhile.
   */
  static void during(Duration duration, Condition invariant) throws Exception {
    long end = System.nanoTime() + duration.toNanos();
    while (System.nanoTime() < end) {
      if (!invariant.holds()) {
        throw new AssertionError("invariant broken during the fault");
      }
      java.util.concurrent.locks.LockSupport.parkNanos(200_000_000L);
    }
  }

  static void until(String what, Duration timeout, Condition condition) throws Exception {
    long deadline = System.nanoTime() + timeout.toNanos();
    Exception last = null;
    while (System.nanoTime() < deadline) {
      try {
        if (condition.holds()) {
          return;
        }
      } catch (Exception e) {
        last = e;
      }
      Thread.onSpinWait();
      java.util.concurrent.locks.LockSupport.parkNanos(50_000_000L);
    }
    AssertionError error =
        new AssertionError("timed out after " + timeout + " waiting for: " + what);
    if (last != null) {
      error.initCause(last);
    }
    throw error;
  }
}
