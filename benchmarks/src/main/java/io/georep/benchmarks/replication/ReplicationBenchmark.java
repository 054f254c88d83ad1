package io.georep.benchmarks.replication;

import io.georep.testkit.EmbeddedKafka;
import io.georep.testkit.EmbeddedRegionDatabase;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The replication benchmark: georep (capture → Kafka → apply, two agents and an in-process KRaft
 * broker) against PostgreSQL's native logical replication (publication and subscription), on one
 * machine, in one run, on the same workloads and the same two embedded PostgreSQL 17 servers (each
 * system in its own pair of databases, one system at a time).
 *
 * <p>Workloads: (a) inserts of ~200-byte rows, 1,000 per transaction, into one table; (b) updates
 * of those rows changing 1 of 8 columns; (c) inserts over 8 tables, each transaction into one of
 * them in turn; (d) single-row insert transactions. Figures per workload: apply throughput (rows
 * per second from the start of the load until the target shows every row) and catch-up time after
 * the load, bytes shipped per change, CPU seconds (agents, broker, servers) and the agents' peak
 * heap; then replication lag p50/p99 at a fixed offered rate (half of native's measured rate of (d)
 * and of (a)). Prints a table and a Markdown section for {@code docs/benchmarks.md}.
 *
 * <p>Run (from the repository root):
 *
 * <pre>
 * mvn -B -q -pl benchmarks -am package -DskipTests -Dquick
 * java -cp benchmarks/target/benchmarks.jar io.georep.benchmarks.replication.ReplicationBenchmark
 * </pre>
 *
 * <p>About 700 lines: the command line, validation and the run loop that drives both systems
 * through the same workloads in the same order. The systems ({@code GeorepReplication}, {@code
 * NativeReplication}), the probes and the {@code Report} already live apart; the next seam is the
 * per-workload measurement ({@code measure}, {@code runSystem}).
 */
@Command(
    name = "replication-benchmark",
    mixinStandardHelpOptions = true,
    description = "georep against PostgreSQL native logical replication, in one run.")
public final class ReplicationBenchmark implements Callable<Integer> {

  /** georep's settings under test. */
  static final class GeorepOptions {
    @Option(
        names = "--apply-workers",
        defaultValue = "4",
        description = "apply.workers (default: ${DEFAULT-VALUE})")
    int applyWorkers;

    @Option(
        names = "--group-max-transactions",
        defaultValue = "50",
        description = "apply.group.max.transactions (default: ${DEFAULT-VALUE})")
    int groupMaxTransactions;

    @Option(
        names = "--window-transactions",
        defaultValue = "2000",
        description = "apply.window.transactions (default: ${DEFAULT-VALUE})")
    int windowTransactions;

    @Option(
        names = "--batch-max-transactions",
        defaultValue = "500",
        description = "shipping.batch.max.transactions (default: ${DEFAULT-VALUE})")
    int batchMaxTransactions;

    @Option(
        names = "--batch-max-changes",
        defaultValue = "20000",
        description = "shipping.batch.max.changes (default: ${DEFAULT-VALUE})")
    int batchMaxChanges;

    @Option(
        names = "--linger-ms",
        defaultValue = "20",
        description = "shipping.linger in ms (default: ${DEFAULT-VALUE})")
    long lingerMillis;

    @Option(
        names = "--agent-heap",
        defaultValue = "1g",
        description = "-Xmx of the agents' JVM (default: ${DEFAULT-VALUE})")
    String agentHeap;

    @Option(
        names = "--agent-jvm-options",
        defaultValue = "",
        description = "further options of the agents' JVM, e.g. -XX:StartFlightRecording=…")
    String agentJvmOptions;

    @Option(
        names = "--agent-log",
        description = "copy the agents' log (their JVM's standard error) to this file at the end")
    Path agentLog;

    @Option(
        names = "--replica-identity",
        defaultValue = "full",
        description =
            "replica identity of the georep source tables: full (updates ship only changed"
                + " columns) or default (default: ${DEFAULT-VALUE})")
    String replicaIdentity;
  }

  @Option(names = "--rows", defaultValue = "200000", description = "rows of (a), (b), (c)")
  int rows;

  @Option(names = "--rows-per-transaction", defaultValue = "1000", description = "for (a)–(c)")
  int rowsPerTransaction;

  @Option(names = "--tables", defaultValue = "8", description = "tables of (c)")
  int tables;

  @Option(
      names = "--single-transactions",
      defaultValue = "20000",
      description = "single-row transactions of (d)")
  int singleTransactions;

  @Option(
      names = "--workloads",
      defaultValue = "a,b,c,d",
      split = ",",
      description = "workloads to run (default: ${DEFAULT-VALUE})")
  List<String> workloads;

  @Option(
      names = "--systems",
      defaultValue = "native,georep",
      split = ",",
      description = "systems to run, in this order (default: ${DEFAULT-VALUE})")
  List<String> systems;

  @Option(
      names = "--lag",
      defaultValue = "oltp,bulk",
      split = ",",
      description =
          "lag probes: oltp (single-row transactions at half native's rate of (d)), bulk"
              + " (transactions as (a) at half native's rate of (a)); 'none' for none")
  List<String> lagProbes;

  @Option(
      names = "--warmup-rows",
      defaultValue = "20000",
      description =
          "before measuring, each system replicates this many inserts, as many updates and a"
              + " tenth as many single-row transactions into a table of its own, unmeasured (the"
              + " agents' JIT compilation; 0: no warm-up)")
  int warmupRows;

  @Option(names = "--lag-seconds", defaultValue = "10", description = "length of a lag probe")
  double lagSeconds;

  @Option(names = "--lag-warmup-seconds", defaultValue = "3", description = "not measured")
  double lagWarmupSeconds;

  @Option(
      names = "--lag-rate-oltp",
      defaultValue = "0",
      description = "offered rows/s of the oltp probe (0: half native's (d) rate)")
  double lagRateOltp;

  @Option(
      names = "--lag-rate-bulk",
      defaultValue = "0",
      description = "offered rows/s of the bulk probe (0: half native's (a) rate)")
  double lagRateBulk;

  @Option(
      names = "--catch-up-timeout-seconds",
      defaultValue = "600",
      description = "give up waiting for the target after this long")
  int catchUpTimeoutSeconds;

  @Option(names = "--seed", defaultValue = "42", description = "seed of the generated rows")
  long seed;

  @Option(
      names = "--progress",
      description = "print the system's counters every second while waiting for the target")
  boolean progress;

  @Option(names = "--markdown", description = "also write the Markdown section to this file")
  Path markdown;

  @CommandLine.ArgGroup(exclusive = false, heading = "georep settings%n")
  GeorepOptions georep = new GeorepOptions();

  /** The last run's report (for tests). */
  Report report;

  private String commandLine = "";

  /**
   * Runs the benchmark.
   *
   * @param args the options ({@code --help} lists them)
   */
  public static void main(String[] args) {
    quietLogging();
    System.exit(new CommandLine(new ReplicationBenchmark().withCommandLine(args)).execute(args));
  }

  /**
   * Runs the benchmark and returns its report, without exiting (for tests).
   *
   * @param args the options
   * @return the report
   * @throws IllegalStateException if the run fails
   */
  static Report run(String... args) {
    quietLogging();
    ReplicationBenchmark b = new ReplicationBenchmark().withCommandLine(args);
    CommandLine cl = new CommandLine(b);
    cl.setExecutionExceptionHandler(
        (e, c, p) -> {
          throw e;
        });
    int code = cl.execute(args);
    if (code != 0 || b.report == null) {
      throw new IllegalStateException("the benchmark failed with exit code " + code);
    }
    return b.report;
  }

  private ReplicationBenchmark withCommandLine(String[] args) {
    commandLine =
        "java -cp benchmarks/target/benchmarks.jar "
            + getClass().getName()
            + (args.length == 0 ? "" : " " + String.join(" ", args));
    return this;
  }

  private static void quietLogging() {
    System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", "warn");
    System.setProperty("org.slf4j.simpleLogger.log.org.apache.kafka", "error");
    System.setProperty("org.slf4j.simpleLogger.log.kafka", "error");
    System.setProperty("org.slf4j.simpleLogger.log.org.apache.zookeeper", "error");
  }

  @Override
  public Integer call() throws Exception {
    report = new BenchmarkRun(this).run();
    String md = report.markdown();
    System.out.println();
    System.out.println(md);
    if (markdown != null) {
      Files.writeString(markdown, md, StandardCharsets.UTF_8);
    }
    return 0;
  }

  String commandLine() {
    return commandLine;
  }

  /** The run itself: servers, systems, workloads, probes. */
  static final class BenchmarkRun {
    private static final String[] DATABASES = {"native_bench", "georep_bench"};
    private final ReplicationBenchmark o;
    private final ThreadMXBean threads = ManagementFactory.getThreadMXBean();
    private final Report report = new Report();
    private final List<Workload> workloads = new ArrayList<>();
    private Workload seedA;
    private final List<Workload> warmup = new ArrayList<>();
    private final List<AutoCloseable> open = new ArrayList<>();
    private long srcPostmaster;
    private long dstPostmaster;

    BenchmarkRun(ReplicationBenchmark options) {
      this.o = options;
    }

    Report run() throws Exception {
      long started = System.nanoTime();
      validate();
      report.command = o.commandLine();
      Machine.describe(report.machine);
      report.settings.put("apply.workers", Integer.toString(o.georep.applyWorkers));
      report.settings.put(
          "apply.group.max.transactions", Integer.toString(o.georep.groupMaxTransactions));
      report.settings.put(
          "apply.window.transactions", Integer.toString(o.georep.windowTransactions));
      report.settings.put(
          "shipping.batch.max.transactions", Integer.toString(o.georep.batchMaxTransactions));
      report.settings.put("shipping.batch.max.changes", Integer.toString(o.georep.batchMaxChanges));
      report.settings.put("shipping.linger", o.georep.lingerMillis + " ms");
      report.settings.put("replica identity", o.georep.replicaIdentity.toUpperCase(Locale.ROOT));
      report.settings.put("agents' heap", "-Xmx" + o.georep.agentHeap);
      generate();
      Path work = Files.createTempDirectory("georep-replication-bench-");
      // A run stopped from outside (Ctrl-C, a timeout) still stops its servers and agents.
      Thread cleanup = new Thread(this::closeOnExit, "replication-benchmark-cleanup");
      Runtime.getRuntime().addShutdownHook(cleanup);
      try (EmbeddedRegionDatabase source = opened(EmbeddedRegionDatabase.start());
          EmbeddedRegionDatabase target = opened(EmbeddedRegionDatabase.start());
          EmbeddedKafka kafka =
              o.systems.contains("georep") ? opened(EmbeddedKafka.start()) : null) {
        try (Connection c = BenchDatabases.connect(source, "postgres")) {
          srcPostmaster = CpuMeter.postmasterOf(c);
          report.machine.put(
              "PostgreSQL", Workload.queryString(c, "SHOW server_version") + " (embedded)");
        }
        try (Connection c = BenchDatabases.connect(target, "postgres")) {
          dstPostmaster = CpuMeter.postmasterOf(c);
        }
        for (String system : o.systems) {
          runSystem(system, source, target, kafka, work);
        }
      } finally {
        deleteTree(work);
        try {
          Runtime.getRuntime().removeShutdownHook(cleanup);
        } catch (IllegalStateException e) {
          // The JVM is already exiting: the hook runs.
        }
      }
      report.machine.put("load average after the run", Machine.loadAverage());
      report.wallSeconds = (System.nanoTime() - started) / 1e9;
      return report;
    }

    /** Remembers a resource for {@link #closeOnExit}. */
    private <T extends AutoCloseable> T opened(T resource) {
      synchronized (open) {
        open.add(0, resource);
      }
      return resource;
    }

    /** Closes what is still open, newest first; every close is idempotent. */
    private void closeOnExit() {
      synchronized (open) {
        for (AutoCloseable c : open) {
          try {
            c.close();
          } catch (Exception e) {
            System.err.println("cannot close " + c + ": " + e);
          }
        }
      }
    }

    private void validate() {
      for (String s : o.systems) {
        if (!s.equals("native") && !s.equals("georep")) {
          throw new CommandLine.ParameterException(
              new CommandLine(o), "--systems takes native and/or georep, not " + s);
        }
      }
      for (String w : o.workloads) {
        if (!List.of("a", "b", "c", "d").contains(w)) {
          throw new CommandLine.ParameterException(
              new CommandLine(o), "--workloads takes a, b, c and/or d, not " + w);
        }
      }
      for (String l : o.lagProbes) {
        if (!List.of("oltp", "bulk", "none").contains(l)) {
          throw new CommandLine.ParameterException(
              new CommandLine(o), "--lag takes oltp, bulk or none, not " + l);
        }
      }
    }

    private List<String> allTables() {
      List<String> t = new ArrayList<>();
      t.add("bench_a");
      for (int i = 1; i <= o.tables; i++) {
        t.add("bench_c" + i);
      }
      t.add("bench_d");
      t.add("lag_events");
      t.add("warmup_events");
      return t;
    }

    private void generate() {
      List<String> cTables = new ArrayList<>();
      for (int i = 1; i <= o.tables; i++) {
        cTables.add("bench_c" + i);
      }
      Workload a =
          new Workload.Inserts(
              "a",
              "inserts, 1 table, " + o.rowsPerTransaction + " rows per transaction",
              List.of("bench_a"),
              o.rows,
              o.rowsPerTransaction,
              1,
              o.seed);
      for (String id : o.workloads) {
        switch (id) {
          case "a" -> workloads.add(a);
          case "b" -> {
            if (!o.workloads.contains("a")) {
              seedA = a;
            }
            workloads.add(
                new Workload.Updates(
                    "b",
                    "updates of 1 of 8 columns, " + o.rowsPerTransaction + " per transaction",
                    "bench_a",
                    o.rows,
                    o.rowsPerTransaction,
                    o.seed + 1));
          }
          case "c" ->
              workloads.add(
                  new Workload.Inserts(
                      "c",
                      "inserts over " + o.tables + " tables (each transaction into one)",
                      cTables,
                      o.rows,
                      o.rowsPerTransaction,
                      1,
                      o.seed + 2));
          case "d" ->
              workloads.add(
                  new Workload.Inserts(
                      "d",
                      "single-row insert transactions",
                      List.of("bench_d"),
                      o.singleTransactions,
                      1,
                      1,
                      o.seed + 3));
          default -> throw new IllegalArgumentException(id);
        }
      }
      workloads.sort(Comparator.comparing(Workload::id));
      if (o.warmupRows > 0) {
        List<String> table = List.of("warmup_events");
        warmup.add(
            new Workload.Inserts(
                "warm-up inserts", "", table, o.warmupRows, o.rowsPerTransaction, 1, o.seed + 20));
        warmup.add(
            new Workload.Updates(
                "warm-up updates",
                "",
                "warmup_events",
                o.warmupRows,
                o.rowsPerTransaction,
                o.seed + 21));
        warmup.add(
            new Workload.Inserts(
                "warm-up single-row transactions",
                "",
                table,
                Math.max(1, o.warmupRows / 10),
                1,
                o.warmupRows + 1L,
                o.seed + 22));
      }
    }

    private void runSystem(
        String name,
        EmbeddedRegionDatabase source,
        EmbeddedRegionDatabase target,
        EmbeddedKafka kafka,
        Path work)
        throws Exception {
      String db = name.equals("native") ? DATABASES[0] : DATABASES[1];
      BenchDatabases.create(source, db);
      BenchDatabases.create(target, db);
      for (EmbeddedRegionDatabase server : List.of(source, target)) {
        try (Connection c = BenchDatabases.connect(server, db);
            Statement s = c.createStatement()) {
          for (String t : allTables()) {
            s.execute("CREATE TABLE " + t + " (" + BenchRow.COLUMNS + ")");
            if (name.equals("georep") && o.georep.replicaIdentity.equals("full")) {
              s.execute("ALTER TABLE " + t + " REPLICA IDENTITY FULL");
            }
          }
        }
      }
      System.out.printf("== %s: starting%n", name);
      try (ReplicationSystem system =
          opened(
              name.equals("native")
                  ? new NativeReplication(source, target, db, allTables())
                  : new GeorepReplication(
                      source,
                      target,
                      db,
                      allTables(),
                      kafka.bootstrapServers(),
                      work,
                      o.georep,
                      db))) {
        system.start();
        for (Workload w : warmup) {
          long t = System.nanoTime();
          measure(system, w, source, target, db);
          System.out.printf(
              Locale.ROOT, "   %s: %.1f s (not measured)%n", w.id(), (System.nanoTime() - t) / 1e9);
        }
        if (seedA != null) {
          measure(system, seedA, source, target, db);
          report.workloads.removeIf(f -> f.workload().equals("a") && f.system().equals(name));
        }
        for (Workload w : workloads) {
          Report.WorkloadFigures f = measure(system, w, source, target, db);
          report.workloads.add(f);
          System.out.printf(
              Locale.ROOT,
              "   (%s) %-7s %,10.0f rows/s  load %6.2f s  catch-up %6.2f s  %7.1f B/change"
                  + "  CPU agents %s broker+harness %s PostgreSQL %s  heap %s MiB%n",
              w.id(),
              name,
              f.rowsPerSecond(),
              f.loadSeconds(),
              f.catchUpSeconds(),
              f.bytesPerChange(),
              Report.dec(f.agentCpuSeconds()),
              Report.dec(f.harnessOtherCpuSeconds()),
              Report.dec(f.postgresCpuSeconds()),
              f.heapPeakBytes() < 0 ? "—" : Report.num(f.heapPeakBytes() / 1048576.0));
        }
        long nextId = 1;
        for (String probe : o.lagProbes) {
          if (probe.equals("none")) {
            continue;
          }
          int perTx = probe.equals("oltp") ? 1 : o.rowsPerTransaction;
          double rate = lagRate(probe);
          if (rate <= 0) {
            System.out.printf(
                "   lag %s skipped: no native rate measured; give --lag-rate-%s%n", probe, probe);
            continue;
          }
          LagProbe.Result r;
          try (Connection src = BenchDatabases.connect(source, db + "?reWriteBatchedInserts=true");
              Connection dst = BenchDatabases.connect(target, db)) {
            r =
                LagProbe.run(
                    src, dst, perTx, rate, o.lagSeconds, o.lagWarmupSeconds, nextId, o.seed + 10);
          }
          nextId += (long) Math.ceil(o.lagSeconds * rate / perTx + 1) * perTx + perTx;
          report.lags.add(new Report.LagFigures(probe, perTx, name, r));
          System.out.printf(
              Locale.ROOT,
              "   lag %-4s %-7s offered %,.0f rows/s achieved %,.0f  p50 %.1f ms  p99 %.1f ms"
                  + "  max %.1f ms%s%s%n",
              probe,
              name,
              r.offeredRowsPerSecond(),
              r.achievedRowsPerSecond(),
              r.p50Millis(),
              r.p99Millis(),
              r.maxMillis(),
              // The native subscriber commits with the origin's commit time (replication origins),
              // so the servers' commit times tell nothing about its lag.
              name.equals("georep")
                  ? String.format(
                      Locale.ROOT,
                      " (commit to commit: p50 %.1f ms, p99 %.1f ms)",
                      r.commitP50Millis(),
                      r.commitP99Millis())
                  : "",
              r.caughtUp() ? "" : " (did not catch up)");
          system.counters();
        }
      }
    }

    private double lagRate(String probe) {
      double explicit = probe.equals("oltp") ? o.lagRateOltp : o.lagRateBulk;
      if (explicit > 0) {
        return explicit;
      }
      String from = probe.equals("oltp") ? "d" : "a";
      return report.find(from, "native").map(f -> f.rowsPerSecond() / 2).orElse(0.0);
    }

    private Report.WorkloadFigures measure(
        ReplicationSystem system,
        Workload w,
        EmbeddedRegionDatabase source,
        EmbeddedRegionDatabase target,
        String db)
        throws Exception {
      try (Connection loader = BenchDatabases.connect(source, db + "?reWriteBatchedInserts=true");
          Connection srcCheck = BenchDatabases.connect(source, db);
          Connection dstCheck = BenchDatabases.connect(target, db)) {
        long[] sessions = {
          Workload.queryLong(loader, "SELECT pg_backend_pid()"),
          Workload.queryLong(srcCheck, "SELECT pg_backend_pid()"),
          Workload.queryLong(dstCheck, "SELECT pg_backend_pid()")
        };
        system.resetPeak();
        ReplicationSystem.Counters c0 = system.counters();
        long self = ProcessHandle.current().pid();
        long pg0 = CpuMeter.serverNanos(srcPostmaster) + CpuMeter.serverNanos(dstPostmaster);
        long sessions0 = sessionNanos(sessions);
        long agent0 = c0.agentPid() < 0 ? 0 : CpuMeter.processNanos(c0.agentPid(), false);
        long harness0 = CpuMeter.processNanos(self, false);
        long main0 = threads.getCurrentThreadCpuTime();
        long t0 = System.nanoTime();
        w.load(loader);
        long t1 = System.nanoTime();
        long deadline = t1 + o.catchUpTimeoutSeconds * 1_000_000_000L;
        long lastProgress = t1;
        while (!w.caughtUp(srcCheck, dstCheck)) {
          if (System.nanoTime() > deadline) {
            throw new IllegalStateException(
                "the target did not catch up with workload ("
                    + w.id()
                    + ") of "
                    + system.name()
                    + " within "
                    + o.catchUpTimeoutSeconds
                    + " s: "
                    + w.differences(srcCheck, dstCheck)
                    + "\n"
                    + system.diagnostics());
          }
          if (o.progress && System.nanoTime() - lastProgress > 1_000_000_000L) {
            lastProgress = System.nanoTime();
            System.out.printf(
                Locale.ROOT,
                "      %.1f s: %s%n",
                (lastProgress - t0) / 1e9,
                system.counters().detail());
          }
          Thread.sleep(10);
        }
        long t2 = System.nanoTime();
        long main1 = threads.getCurrentThreadCpuTime();
        long harness1 = CpuMeter.processNanos(self, false);
        long sessions1 = sessionNanos(sessions);
        long pg1 = CpuMeter.serverNanos(srcPostmaster) + CpuMeter.serverNanos(dstPostmaster);
        ReplicationSystem.Counters c1 = system.counters();
        long agent1 = c1.agentPid() < 0 ? 0 : CpuMeter.processNanos(c1.agentPid(), false);
        List<String> differences = w.differences(srcCheck, dstCheck);
        if (!differences.isEmpty()) {
          throw new IllegalStateException(
              "workload ("
                  + w.id()
                  + ") of "
                  + system.name()
                  + ": target rows differ from the source's: "
                  + differences);
        }
        return new Report.WorkloadFigures(
            w.id(),
            w.title(),
            system.name(),
            w.changes(),
            w.transactions(),
            (t1 - t0) / 1e9,
            (t2 - t1) / 1e9,
            c1.bytesShipped() - c0.bytesShipped(),
            c1.payloadBytes() - c0.payloadBytes(),
            c1.agentPid() < 0 ? Double.NaN : (agent1 - agent0) / 1e9,
            ((harness1 - harness0) - (main1 - main0)) / 1e9,
            ((pg1 - pg0) - (sessions1 - sessions0)) / 1e9,
            c1.heapPeakBytes());
      }
    }

    private static long sessionNanos(long[] pids) {
      long total = 0;
      for (long pid : pids) {
        total += CpuMeter.processNanos(pid, false);
      }
      return total;
    }

    private static void deleteTree(Path dir) throws java.io.IOException {
      try (Stream<Path> files = Files.walk(dir)) {
        files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      }
    }
  }

  /** Reads what the report says about the machine. */
  static final class Machine {
    private Machine() {}

    static void describe(java.util.Map<String, String> m) throws java.io.IOException {
      m.put("cores", Integer.toString(Runtime.getRuntime().availableProcessors()));
      String model = "unknown";
      String memory = "unknown";
      try (Stream<String> lines = Files.lines(Path.of("/proc/cpuinfo"))) {
        model =
            lines
                .filter(l -> l.startsWith("model name"))
                .map(l -> l.substring(l.indexOf(':') + 1).trim())
                .findFirst()
                .orElse(model);
      }
      try (Stream<String> lines = Files.lines(Path.of("/proc/meminfo"))) {
        memory =
            lines
                .filter(l -> l.startsWith("MemTotal"))
                .map(
                    l ->
                        String.format(
                            Locale.ROOT,
                            "%.0f GiB",
                            Long.parseLong(l.replaceAll("[^0-9]", "")) / 1048576.0))
                .findFirst()
                .orElse(memory);
      }
      m.put("CPU", model);
      m.put("memory", memory);
      m.put("OS", System.getProperty("os.name") + " " + System.getProperty("os.version"));
      m.put(
          "JDK",
          System.getProperty("java.vm.name") + " " + System.getProperty("java.runtime.version"));
      m.put("load average before the run", loadAverage());
    }

    static String loadAverage() {
      try {
        String[] f = Files.readString(Path.of("/proc/loadavg")).trim().split(" ", -1);
        return f[0] + " / " + f[1] + " / " + f[2] + " (1 / 5 / 15 min)";
      } catch (java.io.IOException e) {
        return "unknown";
      }
    }
  }
}
