package io.georep.vectorclock;

/**
 * A source of physical (wall-clock) time, injected so that tests control time.
 *
 * <p>Implementations must be thread-safe. They need not be monotonic: the hybrid logical clock
 * absorbs wall clocks that step backwards.
 */
@FunctionalInterface
public interface PhysicalClock {
  /**
   * Returns the current physical time.
   *
   * @return milliseconds since the Unix epoch
   */
  long currentTimeMillis();

  /**
   * Returns the machine's wall clock.
   *
   * @return a clock backed by {@link System#currentTimeMillis()}
   */
  static PhysicalClock system() {
    return System::currentTimeMillis;
  }
}
