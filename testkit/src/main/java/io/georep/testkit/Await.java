package io.georep.testkit;

import java.time.Duration;
import java.util.concurrent.locks.LockSupport;

/** Waits for a condition with a deadline, polling; never a fixed sleep for synchronisation. */
public final class Await {
  /** A condition that may throw. */
  @FunctionalInterface
  public interface Condition {
    /**
     * Tells whether the condition holds now.
     *
     * @return whether it holds
     * @throws Exception if it cannot be evaluated now; {@link #until} tries again
     */
    boolean holds() throws Exception;
  }

  private Await() {}

  /**
   * Lets a fault last: returns after {@code duration} (the length of an outage a scenario
   * prescribes, not a synchronisation), checking {@code invariant} meanwhile.
   *
   * @param duration how long
   * @param invariant what must hold throughout
   * @throws AssertionError if the invariant is broken
   * @throws Exception if evaluating the invariant throws
   */
  public static void during(Duration duration, Condition invariant) throws Exception {
    long end = System.nanoTime() + duration.toNanos();
    while (System.nanoTime() < end) {
      if (!invariant.holds()) {
        throw new AssertionError("invariant broken during the fault");
      }
      LockSupport.parkNanos(200_000_000L);
    }
  }

  /**
   * Polls a condition every 50 ms until it holds.
   *
   * @param what what is awaited, for the failure's message
   * @param timeout how long to wait at most
   * @param condition the condition; an exception counts as "not yet" and becomes the cause of the
   *     timeout's error
   * @throws AssertionError if the condition does not hold in time
   */
  public static void until(String what, Duration timeout, Condition condition) {
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
      LockSupport.parkNanos(50_000_000L);
    }
    AssertionError error =
        new AssertionError("timed out after " + timeout + " waiting for: " + what);
    if (last != null) {
      error.initCause(last);
    }
    throw error;
  }
}
