package io.georep.vectorclock.testkit;

import io.georep.vectorclock.PhysicalClock;
import java.util.concurrent.atomic.AtomicLong;

/** A physical clock that tests set and advance by hand. Thread-safe. */
public final class ManualClock implements PhysicalClock {
  private final AtomicLong millis;

  /**
   * Creates a clock reading {@code startMillis}.
   *
   * @param startMillis the initial time in milliseconds since the epoch
   */
  public ManualClock(long startMillis) {
    this.millis = new AtomicLong(startMillis);
  }

  @Override
  public long currentTimeMillis() {
    return millis.get();
  }

  /**
   * Sets the time, forwards or backwards.
   *
   * @param newMillis the new time
   */
  public void set(long newMillis) {
    millis.set(newMillis);
  }

  /**
   * Moves the time by {@code deltaMillis}, which may be negative.
   *
   * @param deltaMillis the change
   */
  public void advance(long deltaMillis) {
    millis.addAndGet(deltaMillis);
  }
}
