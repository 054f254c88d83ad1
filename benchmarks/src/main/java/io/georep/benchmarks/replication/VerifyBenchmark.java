package io.georep.benchmarks.replication;

import io.georep.connectors.postgres.internal.schema.MetadataSchema;
import io.georep.replicator.cli.GeorepCommand;
import io.georep.testkit.EmbeddedRegionDatabase;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The verify benchmark: the time {@code georep verify} takes to compare the tables of {@code
 * pgbench -i -s N} in two regions, beside the naive baseline, {@code pg_dump --data-only | md5sum}
 * of the same tables in both regions (run at once, and one after the other), in one run on one
 * machine.
 *
 * <p>Each region is its own PostgreSQL server (PostgreSQL 15's binaries, so that Debian's {@code
 * pg_dump} matches) holding the same generated rows, with georep's metadata schema installed and
 * the database's region recorded as an agent records it. No agent runs and nothing writes, so
 * verify runs with {@code --settle-timeout 0s}: what is timed is its comparison. Verify reads each
 * region through the command line's code path ({@code georep verify -c A.yaml -c B.yaml}), with its
 * default chunk size unless {@code --chunk-rows} says otherwise. Both must find the regions
 * identical; anything else fails the run.
 */
@Command(
    name = "verify-benchmark",
    mixinStandardHelpOptions = true,
    description =
        "Times georep verify over pgbench's tables in two regions beside pg_dump | md5sum of both.")
public final class VerifyBenchmark implements Callable<Integer> {
  private static final String DB = "bench_verify";
  private static final List<String> TABLES =
      List.of("pgbench_branches", "pgbench_tellers", "pgbench_accounts", "pgbench_history");

  @Option(
      names = "--scale",
      defaultValue = "100",
      description = "pgbench's scale factor: 100,000 accounts each (default: ${DEFAULT-VALUE})")
  int scale;

  @Option(
      names = "--chunk-rows",
      defaultValue = "10000",
      description = "verify's --chunk-rows (default: ${DEFAULT-VALUE})")
  int chunkRows;

  @Option(
      names = "--binaries-jar",
      defaultValue = "benchmarks/target/pg-binaries/pg15-binaries.jar",
      description =
          "zonky PostgreSQL binaries jar the servers run from; its major version must match"
              + " pg_dump's (default: ${DEFAULT-VALUE})")
  Path binariesJar;

  @Option(
      names = "--pg-bin",
      defaultValue = "/usr/lib/postgresql/15/bin",
      description = "directory of pg_dump (default: ${DEFAULT-VALUE})")
  Path pgBin;

  @Option(names = "--markdown", description = "also write the results as Markdown to this file")
  Path markdown;

  /**
   * Runs the benchmark.
   *
   * @param args see {@code --help}
   */
  public static void main(String[] args) {
    System.exit(new CommandLine(new VerifyBenchmark()).execute(args));
  }

  @Override
  public Integer call() throws Exception {
    if (scale < 1 || chunkRows < 1) {
      throw new CommandLine.ParameterException(
          new CommandLine(this), "--scale and --chunk-rows must be at least 1");
    }
    if (!Files.isExecutable(pgBin.resolve("pg_dump"))) {
      throw new CommandLine.ParameterException(
          new CommandLine(this),
          "--pg-bin "
              + pgBin
              + " has no pg_dump: install Debian's postgresql-client-15 or name another directory"
              + " (its major version must match --binaries-jar's)");
    }
    Path work = Files.createTempDirectory("georep-verify-bench-");
    try (EmbeddedRegionDatabase a = server();
        EmbeddedRegionDatabase b = server()) {
      String version;
      try (Connection c = a.connect()) {
        version = Workload.queryString(c, "SHOW server_version");
      }
      List<String> names = List.of("eu-west", "us-east");
      for (EmbeddedRegionDatabase server : List.of(a, b)) {
        long g = System.nanoTime();
        InitialCopyBenchmark.generate(server, DB, scale);
        try (Connection c = BenchDatabases.connect(server, DB);
            Statement s = c.createStatement()) {
          MetadataSchema.migrate(c);
          // The region of this database, as its agent records it (no agent runs here).
          String region = names.get(server == a ? 0 : 1);
          s.execute(
              "INSERT INTO georep.region_progress (region, origin, applied, heard_at, local,"
                  + " number) VALUES ('"
                  + region
                  + "', '"
                  + region
                  + "', 0, now(), true, "
                  + (server == a ? 1 : 2)
                  + ")");
        }
        System.out.printf(
            Locale.ROOT,
            "generated pgbench -s %d on port %d in %.1f s%n",
            scale,
            server.port(),
            (System.nanoTime() - g) / 1e9);
      }
      long rows;
      try (Connection c = BenchDatabases.connect(a, DB)) {
        rows = 0;
        for (String t : TABLES) {
          rows += Workload.queryLong(c, "SELECT count(*) FROM " + t);
        }
      }
      // Warm both servers' caches the same way for every contender: one read of every table.
      for (EmbeddedRegionDatabase server : List.of(a, b)) {
        try (Connection c = BenchDatabases.connect(server, DB)) {
          for (String t : TABLES) {
            Workload.queryLong(c, "SELECT count(*) FROM " + t);
          }
        }
      }
      double together = dumps(List.of(a, b), true);
      double oneByOne = dumps(List.of(a, b), false);
      double verify = verify(a, b, work);
      // The chunk walk alone, as a table that differs is compared: a rate bound too high to ever
      // sleep switches the whole-table pass off.
      double chunks = verify(a, b, work, "--max-rows-per-second", "1000000000000");
      String md =
          markdown(
              version,
              rows,
              verify,
              chunks,
              together,
              oneByOne,
              Runtime.getRuntime().availableProcessors());
      System.out.println();
      System.out.println(md);
      if (markdown != null) {
        Files.writeString(markdown, md, StandardCharsets.UTF_8);
      }
    } finally {
      InitialCopyBenchmark.deleteTree(work);
    }
    return 0;
  }

  private EmbeddedRegionDatabase server() {
    return EmbeddedRegionDatabase.builder()
        .binariesJar(binariesJar)
        .serverConfig("max_wal_size", "4GB")
        .startupTimeout(Duration.ofMinutes(3))
        .start();
  }

  /** {@code pg_dump --data-only | md5sum} of every region, at once or one after the other. */
  private double dumps(List<EmbeddedRegionDatabase> servers, boolean atOnce) throws Exception {
    StringBuilder tables = new StringBuilder();
    for (String t : TABLES) {
      tables.append(" -t public.").append(t);
    }
    long start = System.nanoTime();
    List<String> digests = new ArrayList<>();
    List<Process> running = new ArrayList<>();
    for (EmbeddedRegionDatabase server : servers) {
      String pipeline =
          String.format(
              Locale.ROOT,
              "set -o pipefail; '%s' --data-only -h 127.0.0.1 -p %d -U postgres -d %s%s"
                  // pg_dump 15.14 and later fence a dump with a restrict line of a random key.
                  + " | grep -v -E '^\\\\(un)?restrict ' | md5sum",
              pgBin.resolve("pg_dump"),
              server.port(),
              DB,
              tables);
      Process p = new ProcessBuilder("bash", "-c", pipeline).start();
      running.add(p);
      if (!atOnce) {
        digests.add(finish(p));
      }
    }
    if (atOnce) {
      for (Process p : running) {
        digests.add(finish(p));
      }
    }
    double seconds = (System.nanoTime() - start) / 1e9;
    if (digests.stream().distinct().count() != 1) {
      throw new IllegalStateException("the regions' dumps differ: " + digests);
    }
    System.out.printf(
        Locale.ROOT,
        "pg_dump | md5sum of both regions %s: %.1f s%n",
        atOnce ? "at once" : "one after the other",
        seconds);
    return seconds;
  }

  private static String finish(Process p) throws Exception {
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!p.waitFor(60, TimeUnit.MINUTES) || p.exitValue() != 0) {
      throw new IllegalStateException("pg_dump | md5sum failed: " + err);
    }
    return out.strip();
  }

  private double verify(
      EmbeddedRegionDatabase a, EmbeddedRegionDatabase b, Path work, String... options)
      throws IOException {
    Path publication = work.resolve("pgbench.yaml");
    StringBuilder pub =
        new StringBuilder(
            "publication: pgbench\nregions: all\noperations: [insert, update, delete]\ntables:\n");
    for (String t : TABLES) {
      pub.append("  - table: public.").append(t).append('\n');
    }
    Files.writeString(publication, pub);
    List<String> args = new ArrayList<>(List.of("verify"));
    for (var region : List.of(List.of("eu-west", a), List.of("us-east", b))) {
      String name = (String) region.get(0);
      EmbeddedRegionDatabase server = (EmbeddedRegionDatabase) region.get(1);
      Path config = work.resolve(name + ".yaml");
      Files.writeString(
          config,
          "region: "
              + name
              + "\ndatabase:\n  url: "
              + BenchDatabases.jdbcUrl(server, DB)
              + "\n  user: postgres\npublications:\n  - "
              + publication
              + "\nregions:\n  - name: eu-west\n    kafka:\n      bootstrap.servers: 127.0.0.1:9\n"
              + "  - name: us-east\n    kafka:\n      bootstrap.servers: 127.0.0.1:9\n");
      args.add("-c");
      args.add(config.toString());
    }
    // Nothing writes and no agent runs: the common causal point is not waited for.
    args.add("--settle-timeout");
    args.add("0s");
    args.add("--chunk-rows");
    args.add(Integer.toString(chunkRows));
    args.addAll(List.of(options));
    StringWriter out = new StringWriter();
    CommandLine cli = GeorepCommand.commandLine();
    cli.setOut(new PrintWriter(out));
    cli.setErr(
        new PrintWriter(new java.io.OutputStreamWriter(System.err, StandardCharsets.UTF_8), true));
    long start = System.nanoTime();
    int code = cli.execute(args.toArray(String[]::new));
    double seconds = (System.nanoTime() - start) / 1e9;
    System.out.print(out);
    if (code != 0) {
      throw new IllegalStateException("georep verify exited with " + code + ": " + out);
    }
    System.out.printf(Locale.ROOT, "georep verify of both regions: %.1f s%n", seconds);
    return seconds;
  }

  private String markdown(
      String version,
      long rows,
      double verify,
      double chunks,
      double together,
      double oneByOne,
      int cores) {
    StringBuilder md = new StringBuilder();
    md.append(
        String.format(
            Locale.ROOT,
            "pgbench -s %d (%,d rows in %d tables) in each of two regions, PostgreSQL %s, %d"
                + " cores, one machine; verify --chunk-rows %d.%n%n",
            scale,
            rows,
            TABLES.size(),
            version,
            cores,
            chunkRows));
    // The baseline is the faster way of running the naive check.
    double baseline = Math.min(together, oneByOne);
    md.append("| | time | rows/s read per database | vs baseline |\n");
    md.append("|---|---:|---:|---:|\n");
    md.append(row("`georep verify` (whole-table digests first)", verify, rows, baseline));
    md.append(row("`georep verify`, by chunks only", chunks, rows, baseline));
    md.append(
        row("`pg_dump --data-only \\| md5sum`, both regions at once", together, rows, baseline));
    md.append(
        row(
            "`pg_dump --data-only \\| md5sum`, one region after the other",
            oneByOne,
            rows,
            baseline));
    return md.toString();
  }

  private static String row(String what, double seconds, long rows, double baseline) {
    return String.format(
        Locale.ROOT,
        "| %s | %.1f s | %,d | %.2f× |%n",
        what,
        seconds,
        Math.round(rows / seconds),
        seconds / baseline);
  }
}
