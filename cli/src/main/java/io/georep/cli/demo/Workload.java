package io.georep.cli.demo;

import io.georep.testkit.EmbeddedRegionDatabase;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.function.Function;
import java.util.function.LongSupplier;

/**
 * The write load of one run: a {@link RegionLoad} per region, each on a thread of its own, seeded
 * from the run's seed, with their totals and the sum of the increments they committed to each
 * seeded balance (what every region's balance must equal at the end).
 *
 * <p>{@link #start} and {@link #stopAndAwait} are called by the thread that runs the demo; {@link
 * #stop()} and the totals from any thread.
 */
final class Workload {
  private final List<String> regions;
  private final DemoOptions options;
  private final LongSupplier nanoClock;
  private final ExecutorService workers;

  private final List<RegionLoad> loads = new ArrayList<>();
  private final List<Future<?>> runs = new ArrayList<>();
  private volatile boolean stopped;
  private final AtomicLongArray increments = new AtomicLongArray(DemoSchema.SEEDED_ACCOUNTS + 1);

  /**
   * Prepares the load; nothing starts before {@link #start}.
   *
   * @param options the rate and the seed
   * @param nanoClock a monotonic clock in nanoseconds
   * @param workers runs each region's load
   */
  Workload(DemoOptions options, LongSupplier nanoClock, ExecutorService workers) {
    this.regions = options.regionNames();
    this.options = options;
    this.nanoClock = nanoClock;
    this.workers = workers;
  }

  /**
   * Starts the load of every region.
   *
   * @param databases each region's database
   * @param startNanos when the load starts, the origin of its time slots
   */
  void start(Function<String, EmbeddedRegionDatabase> databases, long startNanos) {
    for (int i = 0; i < regions.size(); i++) {
      EmbeddedRegionDatabase db = databases.apply(regions.get(i));
      loads.add(
          new RegionLoad(
              regions.get(i),
              i,
              db::connect,
              options.seed() * 31 + i,
              options.rate(),
              nanoClock,
              startNanos,
              () -> stopped,
              increments));
    }
    for (RegionLoad load : loads) {
      runs.add(workers.submit(load));
    }
  }

  /** Returns the first failure of a region's load, naming the region. */
  Optional<String> failure() {
    for (int i = 0; i < loads.size(); i++) {
      Exception e = loads.get(i).failure();
      if (e != null) {
        return Optional.of("the write load of " + regions.get(i) + " failed: " + e);
      }
    }
    return Optional.empty();
  }

  /** Asks every region's load to stop after its current write, without waiting. */
  void stop() {
    stopped = true;
  }

  /**
   * Stops every region's load and waits until each has.
   *
   * @throws IllegalStateException if a region's load failed
   * @throws InterruptedException if interrupted while waiting
   */
  void stopAndAwait() throws InterruptedException {
    stop();
    for (Future<?> run : runs) {
      try {
        run.get();
      } catch (ExecutionException e) {
        throw new IllegalStateException("the write load failed: " + e.getCause(), e.getCause());
      }
    }
  }

  /** Returns the writes committed in all regions so far. */
  long writes() {
    return loads.stream().mapToLong(RegionLoad::writes).sum();
  }

  /** Returns the writes rolled back in all regions so far. */
  long rejected() {
    return loads.stream().mapToLong(RegionLoad::rejected).sum();
  }

  /**
   * Returns the sum of the increments committed in all regions to one seeded balance.
   *
   * @param accountId a seeded account, 1 to {@link DemoSchema#SEEDED_ACCOUNTS}
   */
  long increments(int accountId) {
    return increments.get(accountId);
  }
}
