package io.georep.cli.demo;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.Consumer;

/**
 * The end of one run: every table compared across the regions ({@link TableComparison}), every
 * seeded balance checked against the increments the load committed, the agents' alerts, the
 * conflicts counted by type; from these the {@link DemoResult} and the printed verdict.
 *
 * <p>Not thread-safe: called by the thread that runs the demo, once the regions have settled.
 */
final class ConvergenceReport {
  private final DemoOptions options;
  private final List<String> regions;
  private final DemoCluster cluster;
  private final Workload workload;
  private final Consumer<String> print;

  /**
   * Prepares the report.
   *
   * @param options the regions and the seed
   * @param cluster the servers and agents to compare
   * @param workload the load whose increments the balances must equal
   * @param print where the verdict goes
   */
  ConvergenceReport(
      DemoOptions options, DemoCluster cluster, Workload workload, Consumer<String> print) {
    this.options = options;
    this.regions = options.regionNames();
    this.cluster = cluster;
    this.workload = workload;
    this.print = print;
  }

  /**
   * Compares the regions, prints the verdict and returns the outcome.
   *
   * @param problems the problems found so far; receives those the comparison finds
   * @param firstChange when the first change was replicated
   * @return the outcome: converged if no problem was found
   * @throws SQLException on a database failure
   */
  DemoResult verify(List<String> problems, Optional<Duration> firstChange) throws SQLException {
    Map<String, Long> rows = new LinkedHashMap<>();
    for (Map.Entry<String, String> table : DemoSchema.SNAPSHOTS.entrySet()) {
      new TableComparison(regions, cluster.databases())
          .compare(table.getKey(), table.getValue(), rows, problems);
    }
    long incrementSum = compareBalances(problems);
    for (String region : regions) {
      for (String alert : cluster.agent(region).status().alerts()) {
        problems.add(region + " has an alert: " + alert);
      }
    }
    Map<String, Long> detected = LiveStatus.conflictsDetected(cluster.statuses());
    Map<String, Long> resolved = conflictsResolved();
    DemoResult.Verdict verdict =
        problems.isEmpty() ? DemoResult.Verdict.CONVERGED : DemoResult.Verdict.DIVERGED;
    DemoResult result =
        new DemoResult(
            verdict,
            problems,
            detected,
            resolved,
            firstChange,
            workload.writes(),
            workload.rejected(),
            rows,
            options.seed());
    printVerdict(result, incrementSum);
    return result;
  }

  /** Checks every seeded balance against the sum of the load's increments; returns that sum. */
  private long compareBalances(List<String> problems) throws SQLException {
    long sum = 0;
    for (int id = 1; id <= DemoSchema.SEEDED_ACCOUNTS; id++) {
      sum += workload.increments(id);
    }
    for (String region : regions) {
      try (Connection c = cluster.database(region).connect();
          Statement s = c.createStatement();
          ResultSet rs =
              s.executeQuery(
                  "SELECT id, balance FROM accounts WHERE id <= "
                      + DemoSchema.SEEDED_ACCOUNTS
                      + " ORDER BY id")) {
        while (rs.next()) {
          int id = rs.getInt(1);
          long expected = workload.increments(id);
          if (rs.getLong(2) != expected) {
            problems.add(
                "account "
                    + id
                    + " has balance "
                    + rs.getLong(2)
                    + " in "
                    + region
                    + ", but the increments committed in all regions sum to "
                    + expected);
          }
        }
      }
    }
    return sum;
  }

  /** Distinct conflicts per type over every region's conflict log. */
  private Map<String, Long> conflictsResolved() throws SQLException {
    Map<String, Set<String>> ids = new TreeMap<>();
    for (String region : regions) {
      try (Connection c = cluster.database(region).connect();
          Statement s = c.createStatement();
          ResultSet rs =
              s.executeQuery("SELECT DISTINCT type, conflict_id FROM georep.conflict_log")) {
        while (rs.next()) {
          ids.computeIfAbsent(rs.getString(1), t -> new HashSet<>()).add(rs.getString(2));
        }
      }
    }
    Map<String, Long> counts = new TreeMap<>();
    ids.forEach((type, set) -> counts.put(type, (long) set.size()));
    return counts;
  }

  private void printVerdict(DemoResult r, long incrementSum) {
    StringBuilder sb = new StringBuilder();
    if (r.converged()) {
      List<String> tables = new ArrayList<>();
      r.rows().forEach((t, n) -> tables.add(t + " " + n));
      sb.append("verdict: CONVERGED — ")
          .append(regions.size())
          .append(" regions hold identical rows (")
          .append(String.join(", ", tables))
          .append("); every balance equals the sum of the increments committed in all regions (")
          .append(String.format(Locale.ROOT, "%,d", incrementSum))
          .append(" in total)");
    } else {
      sb.append("verdict: DIVERGED");
      for (String p : r.problems()) {
        sb.append("\n  - ").append(p);
      }
    }
    sb.append(
        "\nconflicts by type: distinct conflicts in the conflict logs, each resolved with a winner"
            + " (detections summed over regions in brackets)");
    Set<String> types = new TreeSet<>(r.conflictsResolved().keySet());
    types.addAll(r.conflictsDetected().keySet());
    if (types.isEmpty()) {
      sb.append("\n  none");
    }
    for (String type : types) {
      sb.append(
          String.format(
              Locale.ROOT,
              "\n  %-32s %,7d  (%,d)",
              type,
              r.conflictsResolved().getOrDefault(type, 0L),
              r.conflictsDetected().getOrDefault(type, 0L)));
    }
    sb.append(
        String.format(
            Locale.ROOT, "\nwrites: %,d committed, %,d rolled back", r.writes(), r.rejected()));
    sb.append(
        r.firstReplicatedChange()
            .map(
                d ->
                    String.format(
                        Locale.ROOT,
                        "\nfirst replicated change: %.1f s after start",
                        d.toMillis() / 1000.0))
            .orElse("\nfirst replicated change: none"));
    print.accept(sb.toString());
  }
}
