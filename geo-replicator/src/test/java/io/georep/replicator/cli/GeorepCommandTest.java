package io.georep.replicator.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Model.PositionalParamSpec;

/**
 * The command line without servers: help texts, usage errors (exit 2), configuration problems (exit
 * 1 with file:line:column), {@code status} against a stand-in endpoint, and publication checks
 * without a database.
 */
class GeorepCommandTest {
  private static final String SECRET = "Pa55-word-never-shown";
  private static final Map<String, String> ENV = Map.of("DB_PASSWORD", SECRET);

  @TempDir Path dir;
  private HttpServer server;

  @AfterEach
  void stopServer() {
    if (server != null) {
      server.stop(0);
    }
  }

  private record Result(int code, String out, String err) {
    String all() {
      return out + err;
    }
  }

  private static Result run(String... args) {
    return run(GeorepCommand.commandLine(ENV::get), args);
  }

  private static Result run(CommandLine cl, String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    cl.setOut(new PrintWriter(out, true));
    cl.setErr(new PrintWriter(err, true));
    int code = cl.execute(args);
    return new Result(code, out.toString(), err.toString());
  }

  private static List<CommandLine> allCommands(CommandLine cl) {
    List<CommandLine> all = new ArrayList<>();
    all.add(cl);
    for (CommandLine sub : cl.getSubcommands().values()) {
      if (!sub.getCommandName().equals("help")) {
        all.addAll(allCommands(sub));
      }
    }
    return all;
  }

  @Test
  void help_everyCommand_describesEveryOptionAndParameter() {
    List<CommandLine> commands = allCommands(GeorepCommand.commandLine());
    assertThat(commands)
        .extracting(c -> c.getCommandSpec().qualifiedName())
        .contains(
            "georep run",
            "georep status",
            "georep config check",
            "georep publication validate",
            "georep publication plan");
    for (CommandLine c : commands) {
      String name = c.getCommandSpec().qualifiedName();
      Result help =
          run(GeorepCommand.commandLine(), (name.substring(6) + " --help").strip().split(" "));
      assertThat(help.code()).as("%s --help", name).isZero();
      for (OptionSpec o : c.getCommandSpec().options()) {
        assertThat(help.out())
            .as("%s --help shows %s", name, o.longestName())
            .contains(o.longestName());
        assertThat(String.join(" ", o.description()))
            .as("description of %s %s", name, o.longestName())
            .hasSizeGreaterThan(15);
        if (o.defaultValue() != null && !o.usageHelp() && !o.versionHelp()) {
          assertThat(String.join(" ", o.description()))
              .as("%s %s states its default", name, o.longestName())
              .contains("Default");
        }
      }
      for (PositionalParamSpec p : c.getCommandSpec().positionalParameters()) {
        assertThat(help.out()).contains(p.paramLabel());
        assertThat(String.join(" ", p.description())).hasSizeGreaterThan(15);
      }
      if (c.getSubcommands().isEmpty()) {
        assertThat(help.out()).as("%s --help lists its exit codes", name).contains("Exit codes:");
      }
    }
  }

  @Test
  void help_topLevel_listsTheCommandsAndExitCodes() {
    Result result = run("--help");

    assertThat(result.code()).isZero();
    assertThat(result.out())
        .contains("run", "status", "config", "publication", "Exit codes:", "usage error");
    assertThat(run().out()).isEqualTo(result.out());
    assertThat(run("run", "--help").out())
        .contains("--config=FILE", "${env:NAME}", "${file:/path}", "SIGTERM");
    assertThat(run("status", "--help").out())
        .contains("--url=URL", "Default: http://127.0.0.1:9464", "--json", "--timeout");
    assertThat(run("publication", "plan", "--help").out())
        .contains("--db=JDBC-URL", "--user", "--password", "PGPASSWORD", "${env:NAME}");
    assertThat(run("--version").code()).isZero();
  }

  @Test
  void usage_errors_exitWithTwoAndSayWhatToDo() {
    Result missing = run("run");
    assertThat(missing.code()).isEqualTo(2);
    assertThat(missing.err())
        .contains("georep run: Missing required option: '--config=FILE'")
        .contains("Run 'georep run --help' for the options.");

    Result unknownCommand = run("rnu");
    assertThat(unknownCommand.code()).isEqualTo(2);
    assertThat(unknownCommand.err())
        .contains("georep: unknown command 'rnu' — did you mean 'run'?");

    Result unknownSubcommand = run("publication", "valdate", "x.yaml");
    assertThat(unknownSubcommand.code()).isEqualTo(2);
    assertThat(unknownSubcommand.err())
        .contains("georep publication: unknown command 'valdate' — did you mean 'validate'?");

    Result unknownOption = run("status", "--urll", "http://x");
    assertThat(unknownOption.code()).isEqualTo(2);
    assertThat(unknownOption.err()).contains("Unknown option", "--url");

    Result planWithoutDb = run("publication", "plan", "orders.yaml");
    assertThat(planWithoutDb.code()).isEqualTo(2);
    assertThat(planWithoutDb.err()).contains("Missing required option: '--db=JDBC-URL'");

    Result badUrl = run("status", "--url", "not a url");
    assertThat(badUrl.code()).isEqualTo(2);
    assertThat(badUrl.err()).contains("--url 'not a url' is not a valid URL");

    Result badTimeout = run("status", "--timeout", "soon");
    assertThat(badTimeout.code()).isEqualTo(2);
    assertThat(badTimeout.err()).contains("--timeout", "soon");

    Result badDb = run("publication", "validate", "--db", "postgres://h/db", writeValid());
    assertThat(badDb.code()).isEqualTo(2);
    assertThat(badDb.err()).contains("--db must be a PostgreSQL URL such as jdbc:postgresql:");
  }

  private Path agentYaml(String password) throws IOException {
    Files.writeString(
        dir.resolve("orders.yaml"), "publication: orders\ntables:\n  - table: public.orders\n");
    return Files.writeString(
        dir.resolve("agent.yaml"),
        """
        region: eu-west
        database:
          url: jdbc:postgresql://127.0.0.1:1/app
          user: georep
          password: %s
        publications: [orders.yaml]
        regions:
          - name: eu-west
            kafka: {bootstrap.servers: 127.0.0.1:1}
          - name: us-east
            kafka: {bootstrap.servers: 127.0.0.1:2}
        http.port: 0
        """
            .formatted(password));
  }

  @Test
  void repair_usageErrors_exitWithTwoAndNameTheProblem() throws IOException {
    String a = agentYaml("secret").toString();
    Path other = dir.resolve("us-east.yaml");
    Files.writeString(
        other, Files.readString(Path.of(a)).replace("region: eu-west", "region: us-east"));
    String b = other.toString();

    Result noRows = run("repair", "-c", a, "-c", b, "--from", "eu-west");
    assertThat(noRows.code()).isEqualTo(2);
    assertThat(noRows.err()).contains("name the rows: --report FILE");

    Result keysWithoutTable = run("repair", "-c", a, "-c", b, "--from", "eu-west", "--keys", "7");
    assertThat(keysWithoutTable.code()).isEqualTo(2);
    assertThat(keysWithoutTable.err()).contains("--keys needs exactly one --tables TABLE");

    Result oneRegion = run("repair", "-c", a, "--from", "eu-west", "--tables", "t", "--keys", "7");
    assertThat(oneRegion.code()).isEqualTo(2);
    assertThat(oneRegion.err()).contains("give at least two regions' configurations");

    Result unknownSource =
        run("repair", "-c", a, "-c", b, "--from", "ap-south", "--tables", "t", "--keys", "7");
    assertThat(unknownSource.code()).isEqualTo(2);
    assertThat(unknownSource.err())
        .contains("--from ap-south is none of the configurations' regions [eu-west, us-east]");

    Result sameRegion = run("repair", "-c", a, "-c", a, "--from", "eu-west", "--report", a);
    assertThat(sameRegion.code()).isEqualTo(2);
    assertThat(sameRegion.err()).contains("two configurations are of region eu-west");

    Path notAReport = dir.resolve("report.json");
    Files.writeString(notAReport, "{\"regions\": []}");
    Result badReport =
        run("repair", "-c", a, "-c", b, "--from", "eu-west", "--report", notAReport.toString());
    assertThat(badReport.code()).isEqualTo(2);
    assertThat(badReport.err()).contains("is not a report of georep verify --json");

    Result badTimeout =
        run(
            "repair",
            "-c",
            a,
            "-c",
            b,
            "--from",
            "eu-west",
            "--tables",
            "t",
            "--keys",
            "7",
            "--capture-timeout",
            "soon");
    assertThat(badTimeout.code()).isEqualTo(2);
    assertThat(badTimeout.err()).contains("--capture-timeout soon is not a duration");
  }

  @Test
  void resync_usageErrors_exitWithTwoAndNameTheProblem() throws IOException {
    String a = agentYaml("secret").toString();
    Path other = dir.resolve("us-east.yaml");
    Files.writeString(
        other, Files.readString(Path.of(a)).replace("region: eu-west", "region: us-east"));
    String b = other.toString();

    Result noFrom = run("resync", "eu-west", "-c", a, "-c", b);
    assertThat(noFrom.code()).isEqualTo(2);
    assertThat(noFrom.err()).contains("Missing required option: '--from=HEALTHY'");

    Result noRegion = run("resync", "--from", "us-east", "-c", a, "-c", b);
    assertThat(noRegion.code()).isEqualTo(2);
    assertThat(noRegion.err()).contains("REGION");

    Result itself = run("resync", "eu-west", "--from", "eu-west", "-c", a, "-c", b);
    assertThat(itself.code()).isEqualTo(2);
    assertThat(itself.err()).contains("--from eu-west is the region to re-seed");

    Result oneRegion = run("resync", "eu-west", "--from", "us-east", "-c", a);
    assertThat(oneRegion.code()).isEqualTo(2);
    assertThat(oneRegion.err()).contains("give at least two regions' configurations");

    Result unknown = run("resync", "ap-south", "--from", "us-east", "-c", a, "-c", b);
    assertThat(unknown.code()).isEqualTo(2);
    assertThat(unknown.err())
        .contains("no configuration (-c) is of region ap-south")
        .contains("give ap-south's and us-east's agent.yaml");

    Result badTimeout =
        run("resync", "eu-west", "--from", "us-east", "-c", a, "-c", b, "--lock-timeout", "soon");
    assertThat(badTimeout.code()).isEqualTo(2);
    assertThat(badTimeout.err()).contains("--lock-timeout soon is not a duration");

    Result help = run("resync", "--help");
    assertThat(help.code()).isZero();
    assertThat(help.out())
        .contains("stop REGION's agent")
        .contains("--discard-unshipped")
        .contains("Exit codes:");
  }

  @Test
  void run_invalidConfiguration_exitsWithOneNamingFileLineAndColumn() throws IOException {
    Path config = agentYaml("${env:DB_PASSWORD}");
    Files.writeString(config, Files.readString(config) + "apply:\n  wrokers: 8\n");

    Result result = run("run", "--config", config.toString());

    assertThat(result.code()).isEqualTo(1);
    assertThat(result.err())
        .contains(
            config + ":14:3: unknown key 'apply.wrokers' — did you mean 'apply.workers'?",
            "The agent was not started.");
  }

  @Test
  void run_unsetSecretVariable_exitsWithOneNamingTheVariable() throws IOException {
    Path config = agentYaml("${env:GEOREP_TEST_UNSET_VARIABLE}");

    Result result = run("run", "-c", config.toString());

    assertThat(result.code()).isEqualTo(1);
    assertThat(result.err())
        .contains(
            config
                + ":5:13: environment variable GEOREP_TEST_UNSET_VARIABLE (for database.password)"
                + " is not set");
  }

  @Test
  void run_httpPortTaken_exitsWithOneSayingWhatToDo() throws IOException {
    try (java.net.ServerSocket taken =
        new java.net.ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      Path config = agentYaml("${env:DB_PASSWORD}");
      Files.writeString(
          config,
          Files.readString(config).replace("http.port: 0", "http.port: " + taken.getLocalPort()));

      Result result = run("run", "--config", config.toString());

      assertThat(result.code()).isEqualTo(1);
      assertThat(result.err())
          .contains(
              "cannot start the agent of region eu-west: cannot serve HTTP on 127.0.0.1:"
                  + taken.getLocalPort())
          .contains("choose another http.port or set http.enabled: false");
      assertThat(result.all()).doesNotContain(SECRET);
    }
  }

  @Test
  void configCheck_validConfiguration_describesItWithoutSecrets() throws IOException {
    Path config = agentYaml("${env:DB_PASSWORD}");

    Result result = run("config", "check", "--config", config.toString());

    assertThat(result.code()).isZero();
    assertThat(result.out())
        .contains(
            "is valid: region eu-west; database jdbc:postgresql://127.0.0.1:1/app as georep, slot"
                + " georep_eu_west; publications orders; regions eu-west@127.0.0.1:1,"
                + " us-east@127.0.0.1:2; http://127.0.0.1:0");
    assertThat(result.all()).doesNotContain(SECRET);
  }

  @Test
  void configCheck_invalidConfiguration_exitsWithOne() throws IOException {
    Path config = Files.writeString(dir.resolve("agent.yaml"), "region: eu-west\n");

    Result result = run("config", "check", "-c", config.toString());

    assertThat(result.code()).isEqualTo(1);
    assertThat(result.err())
        .contains("4 problems in the agent configuration:")
        .contains(config + ":1:1: missing required key 'database.url'");
  }

  private String writeValid() {
    try {
      Path good = dir.resolve("good.yaml");
      Files.writeString(good, "publication: good\ntables:\n  - table: public.t\n");
      return good.toString();
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  @Test
  void publicationValidate_filesOnly_reportsEachFileOrEveryProblem() throws IOException {
    String good = writeValid();
    Path bad = dir.resolve("bad.yaml");
    Files.writeString(bad, "publication: bad\ntables:\n  - tabel: public.t\n");

    Result ok = run("publication", "validate", good);
    assertThat(ok.code()).isZero();
    assertThat(ok.out())
        .contains(good + ": publication 'good' is valid (1 table)")
        .contains("add --db JDBC-URL to check them against a live schema");

    Result result = run("publication", "validate", good, bad.toString());
    assertThat(result.code()).isEqualTo(1);
    assertThat(result.err())
        .contains(bad + ":3:5: missing required key 'table'")
        .contains(bad + ":3:5: unknown key 'tabel' in table entry — did you mean 'table'?")
        .contains("2 problems found.");
  }

  @Test
  void publicationValidate_unreachableDatabase_exitsWithOneWithoutShowingThePassword() {
    Result result =
        run(
            "publication",
            "validate",
            writeValid(),
            "--db",
            "jdbc:postgresql://127.0.0.1:1/app?connectTimeout=2",
            "--user",
            "georep",
            "--password",
            SECRET);

    assertThat(result.code()).isEqualTo(1);
    assertThat(result.err())
        .contains("cannot connect to jdbc:postgresql://127.0.0.1:1/app?connectTimeout=2 as georep")
        .contains("check --db, --user and the password");
    assertThat(result.all()).doesNotContain(SECRET);
  }

  @Test
  void publicationPlan_passwordReferenceUnset_namesTheVariable() {
    Result result =
        run(
            "publication",
            "plan",
            writeValid(),
            "--db",
            "jdbc:postgresql://127.0.0.1:1/app",
            "--password",
            "${env:GEOREP_TEST_UNSET_VARIABLE}");

    assertThat(result.code()).isEqualTo(1);
    assertThat(result.err())
        .contains("environment variable GEOREP_TEST_UNSET_VARIABLE (for --password) is not set");
  }

  private String serve(int status, String body) throws IOException {
    server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    server.createContext(
        "/api/status",
        ex -> {
          byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
          ex.sendResponseHeaders(status, bytes.length);
          ex.getResponseBody().write(bytes);
          ex.close();
        });
    server.start();
    return "http://127.0.0.1:" + server.getAddress().getPort();
  }

  private static final String READY =
      """
      {"region": "eu-west", "ready": true,
       "capture": {"state": "running", "capturedSeq": 120, "shippedSeq": 118,
                   "transactionsShipped": 42},
       "origins": {"us-east": {"state": "running", "appliedSeq": 77, "transactionsApplied": 9,
                               "lagTransactions": 3, "lagSeconds": 1.5, "lagRecords": 1}},
       "regions": {"eu-west": {"up": true, "lastHeartbeat": "2026-11-21T10:00:00Z",
                               "applied": {}, "shippedSeq": 118},
                   "us-east": {"up": false, "applied": {}, "shippedSeq": 0}},
       "stableFrontier": {},
       "conflicts": {"public.items": {"insert-insert": 2, "update-update-same-columns": 5}},
       "initialCopy": {"public.items": {"rowsCopied": 1000, "estimatedRows": 1000,
                                        "percent": 100, "done": true}},
       "alerts": []}
      """;

  @Test
  void status_readyAgent_summarisesLagConflictsAndRegions() throws IOException {
    String url = serve(200, READY);

    Result result = run("status", "--url", url + "/");

    assertThat(result.code()).isZero();
    assertThat(result.out())
        .contains("georep agent of region eu-west: READY")
        .contains("capture: running, captured seq 120, shipped seq 118, 42 transactions shipped")
        .containsPattern("us-east +running +77 +3 +1\\.5 +1")
        .containsPattern("public\\.items +7  insert-insert=2, update-update-same-columns=5")
        .containsPattern("us-east +DOWN +last heartbeat never")
        .contains("public.items", "1,000 rows, done")
        .contains("alerts: none");
  }

  @Test
  void status_notReadyAgent_exitsWithOneAndShowsTheAlerts() throws IOException {
    String url =
        serve(
            200,
            READY
                .replace("\"ready\": true", "\"ready\": false")
                .replace("\"alerts\": []", "\"alerts\": [\"apply of origin us-east halted: x\"]"));

    Result result = run("status", "-u", url);

    assertThat(result.code()).isEqualTo(1);
    assertThat(result.out()).contains("NOT READY", "alerts:", "apply of origin us-east halted: x");
  }

  @Test
  void status_json_printsTheDocumentAsItIs() throws IOException {
    String url = serve(200, READY);

    Result result = run("status", "--url", url, "--json");

    assertThat(result.code()).isZero();
    assertThat(result.out().strip()).isEqualTo(READY.strip());
  }

  @Test
  void status_notAnAgent_exitsWithOne() throws IOException {
    String url = serve(404, "not found");

    Result result = run("status", "--url", url);

    assertThat(result.code()).isEqualTo(1);
    assertThat(result.err()).contains("answered HTTP 404 without an agent status");
  }

  @Test
  void status_unreachableAgent_exitsWithOne() {
    Result result = run("status", "--url", "http://127.0.0.1:1");

    assertThat(result.code()).isEqualTo(1);
    assertThat(result.err())
        .contains("cannot reach the agent at http://127.0.0.1:1: connection refused");
  }

  /** A launcher adds its own subcommands to the configured command line. */
  @Test
  void commandLine_acceptsMoreSubcommands() {
    @CommandLine.Command(name = "demo", description = "A stand-in for a launcher's command.")
    final class Demo implements Callable<Integer> {
      @Override
      public Integer call() {
        return 0;
      }
    }
    CommandLine cl = GeorepCommand.commandLine().addSubcommand(new Demo());

    assertThat(run(cl, "demo").code()).isZero();
    assertThat(run(GeorepCommand.commandLine().addSubcommand(new Demo()), "--help").out())
        .contains("demo", "run");
  }

  @Test
  void execute_returnsTheExitCode() {
    assertThat(GeorepCommand.execute("config", "check")).isEqualTo(2);
  }
}
