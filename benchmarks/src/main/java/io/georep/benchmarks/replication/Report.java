package io.georep.benchmarks.replication;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import java.util.function.ToDoubleFunction;

/** The figures of one benchmark run, and their rendering as a plain table and as Markdown. */
final class Report {

  /**
   * One workload replicated by one system.
   *
   * @param workload the workload's letter
   * @param title its description
   * @param system {@code georep} or {@code native}
   * @param changes row changes committed at the source
   * @param transactions source transactions
   * @param loadSeconds from the first statement to the last commit at the source
   * @param catchUpSeconds from the last commit until the target showed everything
   * @param bytes bytes shipped (see each system's class comment)
   * @param payloadBytes the part of them that is the changes' own encoding (georep: LZ4 frames;
   *     native: pgoutput messages)
   * @param agentCpuSeconds CPU time of the agents' JVM, or NaN without agents
   * @param harnessOtherCpuSeconds CPU time of the harness JVM less its load and check threads (the
   *     in-process Kafka broker, and the harness's GC and compiler)
   * @param postgresCpuSeconds CPU time of both PostgreSQL servers less the load and check sessions
   * @param heapPeakBytes the agents' peak heap, or -1 without agents
   */
  record WorkloadFigures(
      String workload,
      String title,
      String system,
      long changes,
      long transactions,
      double loadSeconds,
      double catchUpSeconds,
      long bytes,
      long payloadBytes,
      double agentCpuSeconds,
      double harnessOtherCpuSeconds,
      double postgresCpuSeconds,
      long heapPeakBytes) {

    /** Rows replicated per second, from the load's start until the target showed everything. */
    double rowsPerSecond() {
      return changes / (loadSeconds + catchUpSeconds);
    }

    /** Rows the source committed per second. */
    double loadRowsPerSecond() {
      return changes / loadSeconds;
    }

    double bytesPerChange() {
      return (double) bytes / changes;
    }

    /** All CPU spent on replication: agents, broker (harness less load) and servers. */
    double totalCpuSeconds() {
      return (Double.isNaN(agentCpuSeconds) ? 0 : agentCpuSeconds)
          + harnessOtherCpuSeconds
          + postgresCpuSeconds;
    }
  }

  /**
   * One lag probe of one system.
   *
   * @param probe {@code oltp} or {@code bulk}
   * @param rowsPerTransaction rows per transaction
   * @param system the system
   * @param result the figures
   */
  record LagFigures(String probe, int rowsPerTransaction, String system, LagProbe.Result result) {}

  final List<WorkloadFigures> workloads = new ArrayList<>();
  final List<LagFigures> lags = new ArrayList<>();
  final Map<String, String> machine = new LinkedHashMap<>();
  final Map<String, String> settings = new LinkedHashMap<>();
  String command = "";
  double wallSeconds;

  Optional<WorkloadFigures> find(String workload, String system) {
    return workloads.stream()
        .filter(w -> w.workload().equals(workload) && w.system().equals(system))
        .findFirst();
  }

  Optional<LagFigures> findLag(String probe, String system) {
    return lags.stream()
        .filter(l -> l.probe().equals(probe) && l.system().equals(system))
        .findFirst();
  }

  private List<String> workloadIds() {
    List<String> ids = new ArrayList<>();
    for (WorkloadFigures w : workloads) {
      if (!ids.contains(w.workload())) {
        ids.add(w.workload());
      }
    }
    return ids;
  }

  private List<String> probeIds() {
    List<String> ids = new ArrayList<>();
    for (LagFigures l : lags) {
      if (!ids.contains(l.probe())) {
        ids.add(l.probe());
      }
    }
    return ids;
  }

  /** The throughput goal of a workload, as a ratio georep / native. */
  static double throughputGoal(String workload) {
    return workload.equals("c") ? 1.5 : 1.0;
  }

  /** Renders the Markdown section. */
  String markdown() {
    StringBuilder md = new StringBuilder();
    md.append("**Command:**\n\n```\n").append(command).append("\n```\n\n");
    md.append("**Machine:** ");
    List<String> parts = new ArrayList<>();
    machine.forEach((k, v) -> parts.add(k + " " + v));
    md.append(String.join("; ", parts)).append(".\n\n");
    md.append("**georep settings:** ");
    List<String> s = new ArrayList<>();
    settings.forEach((k, v) -> s.add("`" + k + "` = " + v));
    md.append(String.join(", ", s)).append(".\n\n");
    md.append(String.format(Locale.ROOT, "Wall time of the run: %.0f s.%n%n", wallSeconds));

    md.append(
        "### Apply throughput (rows/s from the load's start until the target shows every row)\n\n");
    List<List<String>> rows =
        perWorkload(
            (id, g, n) -> {
              String title = g.or(() -> n).map(WorkloadFigures::title).orElse(id);
              return List.of(
                  "(" + id + ") " + title,
                  cell(g, f -> num(f.rowsPerSecond())),
                  cell(n, f -> num(f.rowsPerSecond())),
                  ratio(g, n, WorkloadFigures::rowsPerSecond),
                  String.format(Locale.ROOT, "≥ %.1f×", throughputGoal(id)),
                  cell(g, Report::times),
                  cell(n, Report::times));
            });
    table(
        md,
        1,
        List.of(
            "workload",
            "georep rows/s",
            "native rows/s",
            "georep / native",
            "goal",
            "georep load + catch-up s",
            "native load + catch-up s"),
        rows);

    md.append("\n### Bytes shipped per change\n\n");
    rows =
        perWorkload(
            (id, g, n) ->
                List.of(
                    "(" + id + ")",
                    cell(g, f -> dec(f.bytesPerChange())),
                    cell(n, f -> dec(f.bytesPerChange())),
                    ratio(g, n, WorkloadFigures::bytesPerChange)));
    table(
        md,
        1,
        List.of("workload", "georep (Kafka log)", "native (pgoutput + framing)", "georep / native"),
        rows);

    md.append("\n### CPU seconds and heap per workload\n\n");
    rows =
        perWorkload(
            (id, g, n) ->
                List.of(
                    "(" + id + ")",
                    cell(g, f -> dec(f.agentCpuSeconds())),
                    cell(g, f -> dec(f.harnessOtherCpuSeconds())),
                    cell(g, f -> dec(f.postgresCpuSeconds())),
                    cell(g, f -> dec(f.totalCpuSeconds())),
                    cell(n, f -> dec(f.postgresCpuSeconds())),
                    cell(n, f -> dec(f.harnessOtherCpuSeconds())),
                    cell(n, f -> dec(f.totalCpuSeconds())),
                    ratio(g, n, WorkloadFigures::totalCpuSeconds),
                    cell(g, f -> num(f.heapPeakBytes() / 1048576.0))));
    table(
        md,
        1,
        List.of(
            "workload",
            "georep agents",
            "georep broker + harness",
            "georep PostgreSQL",
            "georep total",
            "native PostgreSQL",
            "native broker + harness",
            "native total",
            "georep / native",
            "agents' peak heap MiB"),
        rows);

    if (!lags.isEmpty()) {
      md.append("\n### Replication lag (commit at the source → visible at the target)\n\n");
      rows = new ArrayList<>();
      for (String probe : probeIds()) {
        Optional<LagFigures> g = findLag(probe, "georep");
        Optional<LagFigures> n = findLag(probe, "native");
        LagFigures any = g.or(() -> n).orElseThrow();
        List<String> row = new ArrayList<>();
        row.add(
            probe
                + " ("
                + any.rowsPerTransaction()
                + (any.rowsPerTransaction() == 1 ? " row" : " rows")
                + " per transaction)");
        row.add(num(any.result().offeredRowsPerSecond()));
        row.addAll(lagCells(g, true));
        row.addAll(lagCells(n, false));
        rows.add(row);
      }
      table(
          md,
          1,
          List.of(
              "probe",
              "offered rows/s",
              "georep achieved",
              "georep p50 ms",
              "georep p99 ms",
              "georep max ms",
              "georep commit→commit p50 / p99 ms",
              "native achieved",
              "native p50 ms",
              "native p99 ms",
              "native max ms"),
          rows);
    }

    md.append("\n### Details\n\n");
    rows = new ArrayList<>();
    for (WorkloadFigures f : workloads) {
      rows.add(
          List.of(
              "(" + f.workload() + ")",
              f.system(),
              num((double) f.changes()),
              num((double) f.transactions()),
              dec(f.loadSeconds()),
              num(f.loadRowsPerSecond()),
              dec(f.catchUpSeconds()),
              num((double) f.bytes()),
              num((double) f.payloadBytes()),
              dec((double) f.payloadBytes() / f.changes())));
    }
    table(
        md,
        2,
        List.of(
            "workload",
            "system",
            "changes",
            "transactions",
            "load s",
            "source rows/s",
            "catch-up s",
            "bytes shipped",
            "of which payload (frames / pgoutput messages)",
            "payload B/change"),
        rows);
    return md.toString();
  }

  private static List<String> lagCells(Optional<LagFigures> l, boolean commitTimes) {
    List<String> cells = new ArrayList<>();
    if (l.isEmpty()) {
      for (int i = commitTimes ? 5 : 4; i > 0; i--) {
        cells.add("—");
      }
      return cells;
    }
    LagProbe.Result r = l.get().result();
    cells.add(num(r.achievedRowsPerSecond()));
    cells.add(dec(r.p50Millis()));
    cells.add(dec(r.p99Millis()) + (r.caughtUp() ? "" : " (did not catch up)"));
    cells.add(dec(r.maxMillis()));
    if (commitTimes) {
      cells.add(dec(r.commitP50Millis()) + " / " + dec(r.commitP99Millis()));
    }
    return cells;
  }

  /**
   * Appends a Markdown table: the first {@code textColumns} columns left-aligned, the others (the
   * figures) right-aligned.
   */
  private static void table(
      StringBuilder md, int textColumns, List<String> header, List<List<String>> rows) {
    md.append("| ").append(String.join(" | ", header)).append(" |\n");
    for (int i = 0; i < header.size(); i++) {
      md.append(i < textColumns ? "|---" : "|---:");
    }
    md.append("|\n");
    for (List<String> row : rows) {
      md.append("| ").append(String.join(" | ", row)).append(" |\n");
    }
  }

  /** A row of a per-workload table from the workload's figures of each system, if it ran. */
  @FunctionalInterface
  private interface WorkloadRow {
    List<String> of(String id, Optional<WorkloadFigures> georep, Optional<WorkloadFigures> nativ);
  }

  private List<List<String>> perWorkload(WorkloadRow row) {
    List<List<String>> rows = new ArrayList<>();
    for (String id : workloadIds()) {
      rows.add(row.of(id, find(id, "georep"), find(id, "native")));
    }
    return rows;
  }

  /** A cell of a figure that one system may lack. */
  private static <T> String cell(Optional<T> figures, Function<T, String> format) {
    return figures.map(format).orElse("—");
  }

  private static String times(WorkloadFigures f) {
    return dec(f.loadSeconds()) + " + " + dec(f.catchUpSeconds());
  }

  private static String ratio(
      Optional<WorkloadFigures> georep,
      Optional<WorkloadFigures> nativ,
      ToDoubleFunction<WorkloadFigures> figure) {
    if (georep.isEmpty() || nativ.isEmpty() || figure.applyAsDouble(nativ.get()) == 0) {
      return "—";
    }
    return String.format(
        Locale.ROOT,
        "%.2f×",
        figure.applyAsDouble(georep.get()) / figure.applyAsDouble(nativ.get()));
  }

  static String num(double v) {
    return String.format(Locale.ROOT, "%,.0f", v).replace(',', ' ');
  }

  static String dec(double v) {
    if (Double.isNaN(v)) {
      return "—";
    }
    return String.format(Locale.ROOT, Math.abs(v) >= 100 ? "%.0f" : "%.2f", v);
  }
}
