package io.georep.cli.demo;

import io.georep.vectorclock.ReplicaId;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.Consumer;
import java.util.function.LongSupplier;

/**
 * The wait, after the load, until every region has applied everything every other region wrote —
 * decided from the agents' positions and a checkpoint row per region, never from a quiet spell.
 *
 * <p>Not thread-safe: called by the thread that runs the demo.
 */
final class Quiescence {
  private final List<String> regions;
  private final DemoOptions options;
  private final DemoCluster cluster;
  private final LongSupplier nanoClock;
  private final StopSignal stop;
  private final Consumer<String> print;

  /**
   * Prepares the wait.
   *
   * @param options the regions, the seed and the quiescence timeout
   * @param cluster the servers and agents
   * @param nanoClock a monotonic clock in nanoseconds
   * @param stop ends the wait when the run is being stopped
   * @param print where the progress goes
   */
  Quiescence(
      DemoOptions options,
      DemoCluster cluster,
      LongSupplier nanoClock,
      StopSignal stop,
      Consumer<String> print) {
    this.regions = options.regionNames();
    this.options = options;
    this.cluster = cluster;
    this.nanoClock = nanoClock;
    this.stop = stop;
    this.print = print;
  }

  /**
   * Waits until every region has applied everything every other region wrote: each region writes a
   * checkpoint row after its load stopped; once every region has every checkpoint, everything
   * written before them was shipped (capture is in commit order), and once every applied watermark
   * covers every shipped position, it was applied.
   *
   * @param problems receives, after the quiescence timeout, what was not applied where
   * @return whether every region applied everything in time
   * @throws SQLException on a database failure
   * @throws InterruptedException if interrupted while waiting
   */
  boolean await(List<String> problems) throws SQLException, InterruptedException {
    long round = options.seed() ^ nanoClock.getAsLong();
    for (String region : regions) {
      cluster
          .database(region)
          .execute(
              "INSERT INTO checkpoints (region, round) VALUES ('"
                  + region
                  + "', "
                  + round
                  + ") ON CONFLICT (region) DO UPDATE SET round = excluded.round");
    }
    long settleStart = nanoClock.getAsLong();
    long deadline = settleStart + options.quiescenceTimeout().toNanos();
    while (!checkpointsEverywhere(round) || !appliedEverything()) {
      if (nanoClock.getAsLong() > deadline) {
        problems.add(
            "not every region applied everything within "
                + Durations.format(options.quiescenceTimeout())
                + " (--quiescence-timeout): "
                + behind());
        return false;
      }
      stop.pause(Duration.ofMillis(100));
    }
    print.accept(
        String.format(
            Locale.ROOT,
            "every region applied everything %.1f s after the load stopped",
            (nanoClock.getAsLong() - settleStart) / 1e9));
    return true;
  }

  private boolean checkpointsEverywhere(long round) throws SQLException {
    for (String region : regions) {
      try (Connection c = cluster.database(region).connect();
          Statement s = c.createStatement();
          ResultSet rs =
              s.executeQuery("SELECT count(*) FROM checkpoints WHERE round = " + round)) {
        rs.next();
        if (rs.getLong(1) != regions.size()) {
          return false;
        }
      }
    }
    return true;
  }

  private boolean appliedEverything() {
    for (String region : regions) {
      for (String origin : regions) {
        if (!origin.equals(region)
            && cluster.agent(region).appliedVector().get(ReplicaId.of(origin))
                < cluster.agent(origin).shippedSeq()) {
          return false;
        }
      }
    }
    return true;
  }

  private String behind() {
    List<String> parts = new ArrayList<>();
    for (String region : regions) {
      for (String origin : regions) {
        if (origin.equals(region)) {
          continue;
        }
        long applied = cluster.agent(region).appliedVector().get(ReplicaId.of(origin));
        long shipped = cluster.agent(origin).shippedSeq();
        if (applied < shipped) {
          parts.add(region + " applied " + origin + " up to seq " + applied + " of " + shipped);
        }
      }
      parts.addAll(
          cluster.agent(region).status().alerts().stream().map(a -> region + ": " + a).toList());
    }
    return parts.isEmpty()
        ? "the checkpoint rows did not reach every region"
        : String.join("; ", parts);
  }
}
