package io.georep.replicator;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.georep.replicator.cli.GeorepCommand;
import io.georep.testkit.Await;
import io.georep.testkit.EmbeddedKafka;
import io.georep.testkit.EmbeddedRegionDatabase;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import picocli.CommandLine;

/**
 * The operator's view of two regions, end to end on real servers (two embedded PostgreSQL, one
 * in-process Kafka broker): each agent is started by {@code georep run --config agent.yaml} —
 * eu-west in a child JVM (secrets from environment variables, stopped by SIGTERM), us-east on a
 * thread of this JVM (secrets from files, stopped by an interrupt). A conflicting write in both
 * regions is forced, the regions converge, and then {@code /metrics} must show every meter {@code
 * docs/metrics.md} lists and the conflict with its table, type and resolver; {@code /api/status}
 * and {@code georep status} must show lag and conflicts; {@code georep publication validate|plan}
 * run against a live database; and no secret appears in any output, log or status document.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class AgentCliIT {
  private static final String EU = "eu-west";
  private static final String US = "us-east";
  private static final String EU_DB_SECRET = "eu-Db-Secret-5b1d";
  private static final String EU_KAFKA_SECRET = "eu-Kafka-Secret-77aa";
  private static final String US_DB_SECRET = "us-Db-Secret-c3f0";
  private static final String US_KAFKA_SECRET = "us-Kafka-Secret-9e42";
  private static final List<String> SECRETS =
      List.of(EU_DB_SECRET, EU_KAFKA_SECRET, US_DB_SECRET, US_KAFKA_SECRET);
  private static final Pattern HTTP = Pattern.compile("http://127\\.0\\.0\\.1:(\\d+)");

  private final HttpClient http = HttpClient.newHttpClient();
  private final ObjectMapper json = new ObjectMapper();
  private final List<String> statusDocuments = new ArrayList<>();

  private Path dir;
  private EmbeddedKafka kafka;
  private EmbeddedRegionDatabase euDb;
  private EmbeddedRegionDatabase usDb;
  private Process euProcess;
  private Path euOut;
  private Path euErr;
  private String euUrl;
  private Thread usThread;
  private final StringWriter usOut = new StringWriter();
  private final StringWriter usErr = new StringWriter();
  private final AtomicInteger usExit = new AtomicInteger(-1);
  private String usUrl;
  private OutputCapture thisJvm;

  @BeforeAll
  void start() throws Exception {
    thisJvm = OutputCapture.start();
    dir = Files.createTempDirectory("georep-cli-it-");
    kafka = EmbeddedKafka.start();
    euDb = EmbeddedRegionDatabase.start();
    usDb = EmbeddedRegionDatabase.start();
    euDb.execute(Topology.SCHEMA);
    usDb.execute(Topology.SCHEMA);
    Files.createDirectories(dir.resolve("publications"));
    Files.writeString(dir.resolve("publications/workload.yaml"), Topology.PUBLICATION);

    startEuWestInAChildJvm();
    startUsEastOnAThread();
    Await.until(
        "both agents report ready on /health",
        Duration.ofSeconds(90),
        () ->
            get(euUrl + "/health").statusCode() == 200
                && get(usUrl + "/health").statusCode() == 200);
  }

  private static final String TUNING =
      """
      topics: {replication.factor: 1, retention: 1d}
      control: {heartbeat.interval: 200ms, region.timeout: 5s, gc.interval: 2s}
      apply: {retry.min: 20ms, retry.max: 1s, group.max.transactions: 20}
      http: {host: 127.0.0.1, port: 0}
      """;

  /** eu-west: a shared Kafka section, secrets from the environment, run as its own process. */
  private void startEuWestInAChildJvm() throws Exception {
    Files.createDirectories(dir.resolve(EU));
    Path config =
        Files.writeString(
            dir.resolve(EU).resolve("agent.yaml"),
            """
            region: eu-west
            database:
              url: %s
              user: postgres
              password: ${env:GEOREP_IT_DB_PASSWORD}
            publications: [../publications/workload.yaml]
            kafka:
              bootstrap.servers: %s
              ssl.key.password: ${env:GEOREP_IT_KAFKA_PASSWORD}
            regions: [eu-west, us-east]
            """
                    .formatted(euDb.jdbcUrl(), kafka.bootstrapServers())
                + TUNING);
    euOut = dir.resolve("eu-west.out");
    euErr = dir.resolve("eu-west.err");
    List<String> command =
        List.of(
            Path.of(System.getProperty("java.home"), "bin", "java").toString(),
            "-Xmx384m",
            "-cp",
            System.getProperty("java.class.path"),
            "-Dorg.slf4j.simpleLogger.defaultLogLevel=info",
            GeorepCommand.class.getName(),
            "run",
            "--config",
            config.toString());
    ProcessBuilder builder =
        new ProcessBuilder(command).redirectOutput(euOut.toFile()).redirectError(euErr.toFile());
    builder.environment().put("GEOREP_IT_DB_PASSWORD", EU_DB_SECRET);
    builder.environment().put("GEOREP_IT_KAFKA_PASSWORD", EU_KAFKA_SECRET);
    euProcess = builder.start();
    euUrl = awaitUrl("eu-west's summary line", () -> Files.readString(euOut));
  }

  /** us-east: a Kafka map per region, secrets from files, run by GeorepCommand on a thread. */
  private void startUsEastOnAThread() throws Exception {
    Path regionDir = Files.createDirectories(dir.resolve(US));
    Files.writeString(regionDir.resolve("db-password"), US_DB_SECRET + "\n");
    Files.writeString(regionDir.resolve("kafka-password"), US_KAFKA_SECRET);
    Path config =
        Files.writeString(
            regionDir.resolve("agent.yaml"),
            """
            region: us-east
            database:
              url: %s
              user: postgres
              password: ${file:db-password}
            publications: [../publications/workload.yaml]
            regions:
              - name: eu-west
                kafka: {bootstrap.servers: '%s'}
              - name: us-east
                kafka:
                  bootstrap.servers: %s
                  ssl.key.password: ${file:kafka-password}
            """
                    .formatted(usDb.jdbcUrl(), kafka.bootstrapServers(), kafka.bootstrapServers())
                + TUNING);
    CommandLine cl = GeorepCommand.commandLine();
    cl.setOut(new PrintWriter(usOut, true));
    cl.setErr(new PrintWriter(usErr, true));
    usThread =
        new Thread(
            () -> usExit.set(cl.execute("run", "--config", config.toString())), "georep-run-us");
    usThread.start();
    usUrl = awaitUrl("us-east's summary line", usOut::toString);
  }

  private interface Text {
    String read() throws Exception;
  }

  private String awaitUrl(String what, Text output) throws Exception {
    String[] url = new String[1];
    Await.until(
        what,
        Duration.ofSeconds(60),
        () -> {
          Matcher m = HTTP.matcher(output.read());
          if (m.find()) {
            url[0] = m.group();
            return true;
          }
          assertThat(euProcess.isAlive()).as("eu-west's process runs").isTrue();
          return false;
        });
    return url[0];
  }

  private HttpResponse<String> get(String url) throws Exception {
    return http.send(
        HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(10)).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  private JsonNode status(String url) throws Exception {
    String body = get(url + "/api/status").body();
    statusDocuments.add(body);
    return json.readTree(body);
  }

  @Test
  @Order(1)
  void run_printsASummaryAndLogsTheInitialCopy() throws Exception {
    assertThat(Files.readString(euOut))
        .contains(
            "georep agent running: region eu-west; database "
                + euDb.jdbcUrl()
                + " as postgres, slot georep_eu_west; publications workload; regions eu-west@",
            ". Stop with SIGTERM or Ctrl-C.");
    assertThat(usOut.toString()).contains("georep agent running: region us-east;");
    assertThat(get(euUrl + "/health/live").statusCode()).isEqualTo(200);
    // A new slot begins with an initial copy (of empty tables here): its progress is logged and
    // shown in /api/status.
    Await.until(
        "eu-west logs the initial copy of public.items",
        Duration.ofSeconds(30),
        () -> Files.readString(euErr).contains("initial copy: public.items done, 0 rows"));
    JsonNode copy = status(euUrl).path("initialCopy").path("public.items");
    assertThat(copy.path("rowsCopied").asLong()).isZero();
    assertThat(copy.path("done").asBoolean()).isTrue();
  }

  @Test
  @Order(2)
  void concurrentWrites_converge_andTheConflictIsCountedByTableTypeAndResolver() throws Exception {
    euDb.execute("INSERT INTO items (id, name) VALUES (1, 'seed')");
    Await.until(
        "row 1 reaches us-east",
        Duration.ofSeconds(60),
        () -> usDb.rows("SELECT id FROM items WHERE id = 1").size() == 1);

    // A write in us-east that eu-west's concurrent write cannot have seen: us-east holds the row
    // lock until eu-west's write arrives and waits for it, so both versions are concurrent.
    try (Connection c = usDb.connect();
        Statement s = c.createStatement()) {
      c.setAutoCommit(false);
      s.executeUpdate("UPDATE items SET name = 'from-us-east' WHERE id = 1");
      euDb.execute("UPDATE items SET name = 'from-eu-west' WHERE id = 1");
      Await.until(
          "eu-west's write waits for the row in us-east",
          Duration.ofSeconds(60),
          () ->
              !usDb.rows(
                      "SELECT pid FROM pg_stat_activity WHERE wait_event_type = 'Lock'"
                          + " AND pid <> pg_backend_pid()")
                  .isEmpty());
      c.commit();
    }
    runWorkloads();
    awaitConverged();

    String euScrape = get(euUrl + "/metrics").body();
    String usScrape = get(usUrl + "/metrics").body();
    List<String> documented = documentedMeters();
    assertThat(documented).hasSizeGreaterThan(15);
    for (String name : documented) {
      assertThat(exposes(euScrape, name) && exposes(usScrape, name))
          .as("both agents' /metrics expose %s (docs/metrics.md)", name)
          .isTrue();
    }
    Matcher conflict =
        Pattern.compile(
                "(?m)^georep_conflicts_total\\{region=\"us-east\",resolver=\"([^\"]+)\","
                    + "table=\"public\\.items\",type=\"update-update-same-columns\"} (\\d+)\\.0$")
            .matcher(usScrape);
    assertThat(conflict.find()).as("us-east counts the conflict on row 1:%n%s", usScrape).isTrue();
    assertThat(conflict.group(1)).isEqualTo("lww");
    assertThat(Long.parseLong(conflict.group(2))).isPositive();
    assertThat(euScrape)
        .containsPattern(
            "(?m)^georep_transactions_applied_total\\{origin=\"us-east\",region=\"eu-west\"} [1-9]")
        .containsPattern(
            "(?m)^georep_wire_bytes_total\\{direction=\"sent\",origin=\"eu-west\",region=\"eu-west\"} [1-9]");
  }

  private void runWorkloads() throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(2);
    try {
      long seed = Long.getLong("georep.seed", System.nanoTime());
      System.out.println("AgentCliIT seed=" + seed);
      List<Future<?>> runs = new ArrayList<>();
      runs.add(
          pool.submit(
              () -> {
                new Workload(EU, 0, seed, euDb, Workload.newIncrements()).run(60);
                return null;
              }));
      runs.add(
          pool.submit(
              () -> {
                new Workload(US, 1, seed + 1, usDb, Workload.newIncrements()).run(60);
                return null;
              }));
      for (Future<?> run : runs) {
        run.get(2, TimeUnit.MINUTES);
      }
    } finally {
      pool.shutdownNow();
    }
  }

  /** Waits until a marker written last in each region is everywhere and every table is equal. */
  private void awaitConverged() throws Exception {
    int round = (int) (System.nanoTime() & 0x3fffffff);
    Topology.writeMarker(euDb, EU, round);
    Topology.writeMarker(usDb, US, round);
    diagnosed(
        "both regions hold the same rows, both markers included",
        Duration.ofSeconds(90),
        () -> {
          if (usDb.rows("SELECT 1 FROM markers WHERE v = " + round).size() != 2
              || euDb.rows("SELECT 1 FROM markers WHERE v = " + round).size() != 2) {
            return false;
          }
          for (String query : Topology.SNAPSHOT_QUERIES) {
            if (!euDb.rows(query).equals(usDb.rows(query))) {
              return false;
            }
          }
          return true;
        });
    assertThat(euDb.rows("SELECT name FROM items WHERE id = 1"))
        .isEqualTo(usDb.rows("SELECT name FROM items WHERE id = 1"));
  }

  /** Awaits a condition; on a timeout, prints both agents' state and eu-west's log first. */
  private void diagnosed(String what, Duration timeout, Await.Condition condition)
      throws Exception {
    try {
      Await.until(what, timeout, condition);
    } catch (AssertionError e) {
      for (String url : List.of(euUrl, usUrl)) {
        try {
          System.out.println("status of " + url + ": " + get(url + "/api/status").body());
        } catch (IOException | RuntimeException unreachable) {
          System.out.println("status of " + url + ": " + unreachable);
        }
      }
      List<String> log = Files.readAllLines(euErr);
      System.out.println("eu-west's log, last lines:");
      log.subList(Math.max(0, log.size() - 80), log.size()).forEach(System.out::println);
      throw e;
    }
  }

  private static List<String> documentedMeters() throws IOException {
    Matcher m =
        Pattern.compile("(?m)^\\| `(georep_[a-z_]+)` \\|")
            .matcher(Files.readString(Path.of("..", "docs", "metrics.md")));
    List<String> names = new ArrayList<>();
    while (m.find()) {
      names.add(m.group(1));
    }
    return names;
  }

  private static boolean exposes(String scrape, String name) {
    return Pattern.compile("(?m)^" + name + "(_bucket|_count|_sum|_max)?[{ ]")
        .matcher(scrape)
        .find();
  }

  @Test
  @Order(3)
  void apiStatus_showsLagPerOriginAndConflictsPerTable() throws Exception {
    diagnosed(
        "both agents' lag is back to zero",
        Duration.ofSeconds(30),
        () ->
            status(euUrl).path("origins").path(US).path("lagTransactions").asLong() == 0
                && status(usUrl).path("origins").path(EU).path("lagTransactions").asLong() == 0);
    JsonNode us = status(usUrl);
    assertThat(us.path("region").asText()).isEqualTo(US);
    assertThat(us.path("ready").asBoolean()).isTrue();
    assertThat(us.path("capture").path("state").asText()).isEqualTo("running");
    assertThat(us.path("capture").path("transactionsShipped").asLong()).isPositive();
    JsonNode fromEu = us.path("origins").path(EU);
    assertThat(fromEu.path("state").asText()).isEqualTo("running");
    assertThat(fromEu.path("appliedSeq").asLong()).isPositive();
    assertThat(fromEu.path("transactionsApplied").asLong()).isPositive();
    assertThat(fromEu.has("lagSeconds")).isTrue();
    assertThat(fromEu.has("lagRecords")).isTrue();
    assertThat(us.path("regions").path(EU).path("up").asBoolean()).isTrue();
    assertThat(us.path("regions").path(US).path("up").asBoolean()).isTrue();
    assertThat(
            us.path("conflicts").path("public.items").path("update-update-same-columns").asLong())
        .isPositive();
    assertThat(us.path("alerts")).isEmpty();
    // One test broker: the topics have one replica, a standing warning that stops nothing.
    assertThat(us.path("warnings"))
        .anySatisfy(
            w ->
                assertThat(w.asText())
                    .contains("topic georep.us-east.changes has replication factor 1"));
    assertThat(status(euUrl).path("origins").path(US).path("appliedSeq").asLong()).isPositive();
  }

  @Test
  @Order(4)
  void statusCommand_summarisesTheAgentAndExitsWithZeroWhenReady() throws Exception {
    CliResult us = CliResult.georep("status", "--url", usUrl);
    assertThat(us.code()).as(us.err()).isZero();
    assertThat(us.out())
        .contains("georep agent of region us-east: READY")
        .containsPattern("(?m)^  eu-west +running +\\d+ +0 +")
        .contains("conflicts since start (by table and type):")
        .containsPattern("(?m)^  public\\.items +\\d+ .*update-update-same-columns=\\d+")
        .containsPattern("(?m)^  eu-west +up +last heartbeat 20")
        .contains("alerts: none");

    CliResult eu = CliResult.georep("status", "--url", euUrl, "--json");
    assertThat(eu.code()).as(eu.err()).isZero();
    statusDocuments.add(eu.out());
    assertThat(json.readTree(eu.out()).path("region").asText()).isEqualTo(EU);
  }

  @Test
  @Order(5)
  void publicationCommands_checkAndPlanAgainstALiveDatabase() throws Exception {
    String workload = dir.resolve("publications/workload.yaml").toString();
    CliResult valid =
        CliResult.georep(
            "publication", "validate", workload, "--db", usDb.jdbcUrl(), "-U", "postgres");
    assertThat(valid.code()).as(valid.err()).isZero();
    int historyLine =
        Topology.PUBLICATION.lines().toList().indexOf("  - table: public.history") + 1;
    assertThat(historyLine).isPositive();
    assertThat(valid.out())
        .contains(workload + ": publication 'workload' is valid (7 tables)")
        .contains(
            workload
                + ":"
                + historyLine
                + ":12: table 'public.history' has no primary key: it replicates as a multiset"
                + " of whole rows")
        .contains(
            workload
                + ":1:14: a TRUNCATE of a table of publication 'workload' is refused (operations"
                + " leave truncate out)")
        .contains("Checked against the live schema of " + usDb.jdbcUrl());

    Path missing =
        Files.writeString(
            dir.resolve("missing.yaml"),
            "publication: missing\ntables:\n  - table: public.items\n  - table: public.nope\n");
    CliResult invalid =
        CliResult.georep("publication", "validate", missing.toString(), "--db", usDb.jdbcUrl());
    assertThat(invalid.code()).isEqualTo(1);
    assertThat(invalid.err()).contains(missing + ":4:12:", "public.nope");

    CliResult plan =
        CliResult.georep(
            "publication",
            "plan",
            workload,
            "--db",
            euDb.jdbcUrl(),
            "--user",
            "postgres",
            "--password",
            "${file:" + dir.resolve(US).resolve("db-password") + "}");
    assertThat(plan.code()).as(plan.err()).isZero();
    assertThat(plan.out())
        .startsWith("-- georep publication plan for PostgreSQL ")
        .contains("-- publication workload (" + workload + ")")
        .contains("PUBLICATION \"georep_workload\"")
        .contains(
            "CREATE OR REPLACE TRIGGER georep_truncate BEFORE TRUNCATE ON \"public\".\"items\""
                + " FOR EACH STATEMENT EXECUTE FUNCTION georep.truncate_as_deletes('refuse');");
    assertThat(plan.out() + plan.err()).doesNotContain(US_DB_SECRET);
  }

  @Test
  @Order(6)
  void configCheck_unsetSecretVariable_namesItWithoutStarting() {
    CliResult check =
        CliResult.georep(
            "config", "check", "--config", dir.resolve(EU).resolve("agent.yaml").toString());

    assertThat(check.code()).isEqualTo(1);
    assertThat(check.err())
        .contains(
            "agent.yaml:5:13: environment variable GEOREP_IT_DB_PASSWORD (for database.password)"
                + " is not set");
  }

  @Test
  @Order(7)
  void stop_bySigtermAndInterrupt_isClean_andNoSecretIsEverShown() throws Exception {
    euProcess.destroy(); // SIGTERM
    assertThat(euProcess.waitFor(90, TimeUnit.SECONDS)).as("eu-west stops on SIGTERM").isTrue();
    assertThat(euProcess.exitValue()).isEqualTo(143);
    assertThat(Files.readString(euErr)).contains("agent of region eu-west stopped");

    usThread.interrupt();
    usThread.join(TimeUnit.SECONDS.toMillis(90));
    assertThat(usThread.isAlive()).as("us-east stops when its thread is interrupted").isFalse();
    assertThat(usExit.get()).isZero();
    assertThat(usOut.toString()).contains("georep agent of region us-east stopped");

    CliResult unreachable = CliResult.georep("status", "--url", euUrl);
    assertThat(unreachable.code()).isEqualTo(1);
    assertThat(unreachable.err()).contains("cannot reach the agent at " + euUrl);

    Map<String, String> outputs =
        Map.of(
            "eu-west stdout", Files.readString(euOut),
            "eu-west stderr (its log)", Files.readString(euErr),
            "us-east stdout", usOut.toString(),
            "us-east stderr", usErr.toString(),
            "this JVM's output (us-east's log)", thisJvmOutput(),
            "/api/status documents", String.join("\n", statusDocuments));
    assertThat(outputs.get("eu-west stderr (its log)")).contains("capturing georep_eu_west");
    assertThat(outputs.get("this JVM's output (us-east's log)"))
        .contains("agent of region us-east started");
    outputs.forEach(
        (what, text) ->
            assertThat(text)
                .as("no secret in %s", what)
                .doesNotContain(SECRETS.toArray(String[]::new)));
  }

  private String thisJvmOutput() {
    return thisJvm.text();
  }

  @AfterAll
  void stop() throws Exception {
    try {
      if (euProcess != null && euProcess.isAlive()) {
        euProcess.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
      }
      if (usThread != null && usThread.isAlive()) {
        usThread.interrupt();
        usThread.join(TimeUnit.SECONDS.toMillis(60));
      }
      for (EmbeddedRegionDatabase db : new EmbeddedRegionDatabase[] {euDb, usDb}) {
        if (db != null) {
          db.close();
        }
      }
      if (kafka != null) {
        kafka.close();
      }
    } finally {
      thisJvm.close();
      if (dir != null) {
        try (var files = Files.walk(dir)) {
          files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
      }
    }
  }
}
