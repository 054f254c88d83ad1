package io.georep.cli.demo;

import java.time.Duration;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * The waits of one run that end early once it is being stopped: every poll of the run pauses here,
 * so that a {@link Demo#close()} from another thread (a Ctrl-C) ends {@link Demo#run()} at once
 * rather than after the current wait.
 *
 * <p>Thread-safe.
 */
final class StopSignal {
  private final CountDownLatch stopped = new CountDownLatch(1);

  /**
   * Waits, returning early when the demo is being closed.
   *
   * @param d how long to wait
   * @throws CancellationException if the demo is being closed
   * @throws InterruptedException if the waiting thread is interrupted
   */
  void pause(Duration d) throws InterruptedException {
    if (stopped.await(d.toNanos(), TimeUnit.NANOSECONDS)) {
      throw new CancellationException("stopped");
    }
  }

  /** Ends every pause under way and every later one. Idempotent. */
  void fire() {
    stopped.countDown();
  }
}
