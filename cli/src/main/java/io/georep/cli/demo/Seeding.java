package io.georep.cli.demo;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.function.Consumer;
import java.util.function.LongSupplier;

/**
 * The seeding of one run: the seeded accounts and profiles written in the first region, and the
 * wait until every region has them — which also times the first change replicated between regions.
 *
 * <p>Not thread-safe: called by the thread that runs the demo.
 */
final class Seeding {
  private static final Duration SEED_TIMEOUT = Duration.ofMinutes(1);

  private final List<String> regions;
  private final DemoCluster cluster;
  private final LongSupplier nanoClock;
  private final StopSignal stop;
  private final Consumer<String> print;

  /**
   * Prepares the seeding.
   *
   * @param regions the regions, the first of which is seeded
   * @param cluster the started servers and ready agents
   * @param nanoClock a monotonic clock in nanoseconds
   * @param stop ends the wait when the run is being stopped
   * @param print where the progress goes
   */
  Seeding(
      List<String> regions,
      DemoCluster cluster,
      LongSupplier nanoClock,
      StopSignal stop,
      Consumer<String> print) {
    this.regions = regions;
    this.cluster = cluster;
    this.nanoClock = nanoClock;
    this.stop = stop;
    this.print = print;
  }

  /**
   * Creates the seeded accounts and profiles in the first region and waits until every region has
   * them; returns when the first of them became visible in another region.
   *
   * @param startNanos when the run started
   * @return the time from the start until a seeded row was first visible in another region
   * @throws IllegalStateException if a region lacks the seeded rows after a minute
   * @throws SQLException on a database failure
   * @throws InterruptedException if interrupted while waiting
   */
  Optional<Duration> seed(long startNanos) throws SQLException, InterruptedException {
    String first = regions.get(0);
    cluster.database(first).execute(DemoSchema.seedSql());
    Optional<Duration> firstChange = Optional.empty();
    long deadline = nanoClock.getAsLong() + SEED_TIMEOUT.toNanos();
    Set<String> complete = new HashSet<>(Set.of(first));
    while (complete.size() < regions.size()) {
      for (String region : regions) {
        if (complete.contains(region)) {
          continue;
        }
        long[] counts = seededCounts(region);
        if (firstChange.isEmpty() && counts[0] + counts[1] > 0) {
          long elapsed = nanoClock.getAsLong() - startNanos;
          firstChange = Optional.of(Duration.ofNanos(elapsed));
          print.accept(
              String.format(
                  Locale.ROOT,
                  "first replicated change %.1f s after start: a write in %s is visible in %s",
                  elapsed / 1e9,
                  first,
                  region));
        }
        if (counts[0] == DemoSchema.SEEDED_ACCOUNTS && counts[1] == DemoSchema.PROFILES) {
          complete.add(region);
        }
      }
      if (complete.size() < regions.size()) {
        if (nanoClock.getAsLong() > deadline) {
          throw new IllegalStateException(
              "the seeded rows written in "
                  + first
                  + " did not reach "
                  + regions.stream().filter(r -> !complete.contains(r)).toList()
                  + " within "
                  + Durations.format(SEED_TIMEOUT)
                  + "; agent status: "
                  + cluster.agent(first).status());
        }
        stop.pause(Duration.ofMillis(20));
      }
    }
    return firstChange;
  }

  private long[] seededCounts(String region) throws SQLException {
    try (Connection c = cluster.database(region).connect();
        Statement s = c.createStatement();
        ResultSet rs =
            s.executeQuery(
                "SELECT (SELECT count(*) FROM accounts WHERE id <= "
                    + DemoSchema.SEEDED_ACCOUNTS
                    + "), (SELECT count(*) FROM profiles)")) {
      rs.next();
      return new long[] {rs.getLong(1), rs.getLong(2)};
    }
  }
}
