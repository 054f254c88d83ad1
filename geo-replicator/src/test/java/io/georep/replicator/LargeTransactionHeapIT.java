package io.georep.replicator;

import static org.assertj.core.api.Assertions.assertThat;

import io.georep.testkit.Await;
import io.georep.testkit.ChildKafka;
import io.georep.testkit.EmbeddedRegionDatabase;
import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.LongStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * One transaction of 2,000,000 row changes replicates through agents with a heap of 256 MiB, at the
 * scale of its acceptance line: in eu-west, one transaction inserts 1,000,000 rows into {@code big}
 * and then adds one to the counter column {@code qty} of every one of them ({@code UPDATE big SET
 * qty = qty + 1}); sa-east and us-east apply it. Each region has its own embedded PostgreSQL, the
 * three share one Kafka broker (a child JVM), and each agent is a child JVM ({@link AgentProcess}:
 * {@code -Xmx256m}, the serial collector) with {@code shipping.max.in.flight.bytes} 16 MiB and
 * {@code apply.window.bytes} 8 MiB. Held whole, the transaction would take some 1 GiB of decoded
 * changes, four times an agent's heap: the test passes only if neither the capturing agent (for its
 * local fold) nor a receiving agent (putting the fragments back together) holds it whole.
 *
 * <p>From the start of the transaction until every region holds the same rows, each agent's heap in
 * use right after a full collection is sampled about every 15 s ({@code jcmd <pid> GC.run}, then
 * {@code GC.heap_info}: the use of the heap's generations, summed). A sample the agent does not
 * answer within a minute is skipped. A reading that would be an agent's new maximum is taken again
 * at once and the lower of the two counts: JDK 17 skips an explicit collection while a thread is in
 * a JNI critical region, as LZ4's are (JDK-8057586, fixed in JDK 21), and its reading then includes
 * garbage.
 *
 * <p>Checked: (1) sa-east and us-east hold all 1,000,000 rows with {@code sum(qty)} = Σ(g + 1) =
 * 500,001,500,000, and all three regions identical rows (count, sums and an MD5 over every row by
 * id); (2) every agent still runs, answers {@code /health} with 200 and logged no {@code
 * OutOfMemoryError}; (3) each agent's heap after a full collection stayed under {@link
 * #HEAP_AFTER_GC_BOUND_MIB} in every one of at least five samples. The maxima, each agent's idle
 * heap and the timings are printed (a line starting {@code LargeTransactionHeapIT:}) for
 * docs/configuration.md, "Memory"; beyond the bound, they are not asserted.
 *
 * <p>Why 160 MiB: a transaction streamed in fragments (10,000 changes each) needs, per agent, about
 * one fragment decoded and the capture's hand-off batch; twice {@code shipping.max.in.flight.bytes}
 * (32 MiB: in flight to Kafka, then waiting for the local fold); and, per origin it receives from,
 * {@code apply.window.bytes} (8 MiB), one record (at most 4 MiB, a quarter of the origin's
 * in-flight bytes) with the consumer's fetch buffers, and the fragment being applied into the open
 * database transaction: roughly 80 to 100 MiB with an idle agent's baseline. The rest of the 160
 * MiB is headroom for the merge states a fold touches and for byte estimates that run short; the
 * rest of the 256 MiB is room to allocate between collections.
 */
class LargeTransactionHeapIT {
  /**
   * The most heap, in MiB, that an agent at {@code -Xmx256m} may have in use right after a full
   * collection while the transaction replicates (the class comment gives the budget).
   */
  static final long HEAP_AFTER_GC_BOUND_MIB = 160;

  /** Each agent's maximum heap. */
  private static final String AGENT_HEAP = "256m";

  /** Where the transaction is written; the other regions apply it. */
  private static final String ORIGIN = "eu-west";

  private static final List<String> RECEIVERS =
      Topology.REGIONS.stream().filter(r -> !r.equals(ORIGIN)).toList();

  /** Rows the transaction inserts and then updates: twice as many row changes. */
  private static final long ROWS = 1_000_000L;

  private static final String INSERT =
      "INSERT INTO big (id, qty, note) SELECT g, g, 'n' || g FROM generate_series(1, "
          + ROWS
          + ") g";
  private static final String UPDATE = "UPDATE big SET qty = qty + 1";

  private static final String SUMS =
      "SELECT count(*) AS n, coalesce(sum(qty), 0) AS qty, coalesce(sum(length(note)), 0) AS note";
  private static final String ROWS_MD5 =
      ", md5(coalesce(string_agg(id || ':' || qty || ':' || coalesce(note, ''), ','"
          + " ORDER BY id), '')) AS md5";

  /** The sums once the transaction is applied: Σ(g + 1) for qty, Σ length('n' || g) for note. */
  private static final String EXPECTED_SUMS =
      "n="
          + ROWS
          + ",qty="
          + (ROWS * (ROWS + 1) / 2 + ROWS)
          + ",note="
          + LongStream.rangeClosed(1, ROWS).map(g -> 1L + Long.toString(g).length()).sum();

  private static final String COPY_DONE =
      "SELECT count(*) AS n FROM georep.initial_copy_table WHERE done";

  /** qty is a counter: its deltas need the old row (replica identity). */
  private static final String TABLE_SQL =
      "CREATE TABLE big (id bigint PRIMARY KEY, qty bigint NOT NULL, note text);"
          + " ALTER TABLE big REPLICA IDENTITY FULL;";

  private static final String PUBLICATION =
      """
      publication: large_transaction
      regions: all
      operations: [insert, update, delete]
      tables:
        - table: public.big
          column-resolvers: {qty: counter}
      """;

  private static final String AGENT_YAML =
      """
      region: %s
      database: {url: '%s', user: postgres}
      publications: ['%s']
      kafka: {bootstrap.servers: '%s'}
      regions: [eu-west, sa-east, us-east]
      topics: {prefix: %s, replication.factor: 1, retention: 1d}
      shipping: {max.in.flight.bytes: 16MiB}
      control: {heartbeat.interval: 200ms, region.timeout: 5s, gc.interval: 2s}
      apply: {window.bytes: 8MiB, retry.min: 20ms, retry.max: 1s}
      http: {host: 127.0.0.1, port: 0}
      """;

  private static final Path JCMD = Path.of(System.getProperty("java.home"), "bin", "jcmd");

  /**
   * The use of one generation (serial: {@code def new generation total 78656K, used 14073K [...};
   * G1: {@code garbage-first heap total 262144K, used 12345K [...}); Metaspace lines have no total.
   */
  private static final Pattern HEAP_USED = Pattern.compile("\\btotal\\b.*?\\bused (\\d+)K");

  private static final Duration SAMPLE_EVERY = Duration.ofSeconds(15);
  private static final Duration CHECK_EVERY = Duration.ofSeconds(5);
  private static final Duration JCMD_TIMEOUT = Duration.ofMinutes(1);
  private static final int MIN_SAMPLES = 5;

  private final Map<String, EmbeddedRegionDatabase> databases = new LinkedHashMap<>();
  private final Map<String, AgentProcess> agents = new LinkedHashMap<>();
  private final Map<String, HeapSamples> heaps = new LinkedHashMap<>();
  private final ExecutorService writer = Executors.newSingleThreadExecutor();
  private ChildKafka kafka;
  private Path dir;
  private Path jcmdCommands;
  private long began;
  private long nextRound;

  @BeforeEach
  void start() throws Exception {
    assertThat(JCMD).as("jcmd of the JDK that runs the test").isExecutable();
    dir = Files.createTempDirectory("georep-large-transaction-");
    jcmdCommands = Files.writeString(dir.resolve("heap-after-gc.jcmd"), "GC.run\nGC.heap_info\n");
    kafka = ChildKafka.start();
    for (String region : Topology.REGIONS) {
      EmbeddedRegionDatabase db = EmbeddedRegionDatabase.start();
      databases.put(region, db);
      db.execute(TABLE_SQL);
    }
    Path publicationFile = Files.writeString(dir.resolve("large-transaction.yaml"), PUBLICATION);
    String prefix = "large-tx-" + ChildKafka.id().substring(0, 8);
    for (String region : Topology.REGIONS) {
      String yaml =
          AGENT_YAML.formatted(
              region,
              databases.get(region).jdbcUrl(),
              publicationFile,
              kafka.bootstrapServers(),
              prefix);
      Path config = Files.writeString(dir.resolve(region + ".yaml"), yaml);
      agents.put(region, new AgentProcess(region, config, dir, AGENT_HEAP));
      heaps.put(region, new HeapSamples());
    }
  }

  @AfterEach
  void stop() throws Exception {
    writer.shutdownNow();
    List<AutoCloseable> all = new ArrayList<>(agents.values());
    all.addAll(databases.values());
    all.add(kafka);
    try {
      Topology.closeAll(all.toArray(AutoCloseable[]::new));
    } finally {
      AgentProcess.keepLogs(dir, "large-transaction-heap");
    }
  }

  @Test
  void largeTransaction_twoMillionChangesThroughAgentsAtXmx256m_replicatesWithHeapUnderBound()
      throws Exception {
    began = System.nanoTime();
    for (AgentProcess agent : agents.values()) {
      agent.start();
    }
    awaitReady(Duration.ofMinutes(3));
    Await.until(
        "every region's initial copy of big is done",
        Duration.ofMinutes(3),
        () -> {
          assertAllAlive();
          for (EmbeddedRegionDatabase db : databases.values()) {
            if (!db.rows(COPY_DONE).equals(List.of("n=1"))) {
              return false;
            }
          }
          return true;
        });
    for (String region : Topology.REGIONS) {
      heaps.get(region).idleKib = usedAfterFullGc(region).orElse(-1);
    }

    nextRound = System.nanoTime();
    Future<Long> committed = writer.submit(this::commitLargeTransaction);
    Await.until(
        "the transaction commits in " + ORIGIN,
        Duration.ofMinutes(15),
        () -> {
          sampleIfDue();
          return committed.isDone();
        });
    long transactionNanos = committed.get();
    long commit = System.nanoTime();
    awaitReceiversApplied(Duration.ofMinutes(20));
    long applied = System.nanoTime();
    Map<String, String> digests = awaitIdentical(Duration.ofMinutes(5));
    long identical = System.nanoTime();

    StringBuilder figures = new StringBuilder();
    for (String region : Topology.REGIONS) {
      figures.append("\n  ").append(region).append(": ").append(heaps.get(region));
    }
    System.out.printf(
        "LargeTransactionHeapIT: %d row changes in one transaction, committed in %s after %.1f s;"
            + " applied in %s %.1f s after the commit; regions identical %.1f s after that;"
            + " heap in use after a full collection (-Xmx%s, bound %d MiB):%s%n",
        2 * ROWS,
        ORIGIN,
        transactionNanos / 1e9,
        String.join(" and ", RECEIVERS),
        seconds(commit, applied),
        seconds(applied, identical),
        AGENT_HEAP,
        HEAP_AFTER_GC_BOUND_MIB,
        figures);

    for (String region : Topology.REGIONS) {
      assertThat(digests.get(region))
          .as("count, sum(qty), sum(length(note)) and MD5 of big, %s vs %s", region, ORIGIN)
          .startsWith(EXPECTED_SUMS + ",md5=")
          .isEqualTo(digests.get(ORIGIN));
    }
    assertHealthy();
    assertNoOutOfMemoryError();
    for (String region : Topology.REGIONS) {
      HeapSamples heap = heaps.get(region);
      assertThat(heap.taken)
          .as("heap samples of %s's agent (%s)", region, heap)
          .isGreaterThanOrEqualTo(MIN_SAMPLES);
      assertThat(heap.maxKib)
          .as("KiB in use after a full collection in %s's agent (-Xmx%s)", region, AGENT_HEAP)
          .isLessThan(HEAP_AFTER_GC_BOUND_MIB << 10);
    }
  }

  /** Inserts the rows and updates all of them in one transaction in the origin; returns nanos. */
  private long commitLargeTransaction() throws SQLException {
    long start = System.nanoTime();
    try (Connection c = databases.get(ORIGIN).connect()) {
      c.setAutoCommit(false);
      try (Statement s = c.createStatement()) {
        int inserted = s.executeUpdate(INSERT);
        int updated = s.executeUpdate(UPDATE);
        if (inserted != ROWS || updated != ROWS) {
          throw new IllegalStateException(
              ORIGIN + ": inserted " + inserted + " and updated " + updated + " rows, not " + ROWS);
        }
      }
      c.commit();
    }
    return System.nanoTime() - start;
  }

  /** Waits, sampling, until both receivers hold all the rows with their final sums. */
  private void awaitReceiversApplied(Duration timeout) throws Exception {
    Map<String, String> last = new LinkedHashMap<>();
    long[] next = {System.nanoTime()};
    try {
      Await.until(
          String.join(" and ", RECEIVERS) + " apply the transaction",
          timeout,
          () -> {
            sampleIfDue();
            if (System.nanoTime() - next[0] < 0) {
              return false;
            }
            next[0] = System.nanoTime() + CHECK_EVERY.toNanos();
            boolean all = true;
            for (String region : RECEIVERS) {
              String sums = digest(databases.get(region), false);
              last.put(region, sums);
              all &= sums.equals(EXPECTED_SUMS);
            }
            return all;
          });
    } catch (AssertionError e) {
      throw new AssertionError(
          e.getMessage()
              + "; last sums "
              + last
              + ", expected "
              + EXPECTED_SUMS
              + "; heaps "
              + heaps
              + AgentProcess.describe(agents),
          e);
    }
  }

  /**
   * Waits, sampling, until every region holds identical rows (sums first, the MD5 over every row
   * once they agree; at most every 5 s); returns each region's digest.
   */
  private Map<String, String> awaitIdentical(Duration timeout) throws Exception {
    Map<String, String> last = new LinkedHashMap<>();
    long[] next = {System.nanoTime()};
    try {
      Await.until(
          "every region holds identical rows in big",
          timeout,
          () -> {
            sampleIfDue();
            if (System.nanoTime() - next[0] < 0) {
              return false;
            }
            next[0] = System.nanoTime() + CHECK_EVERY.toNanos();
            for (boolean rows : new boolean[] {false, true}) {
              for (String region : Topology.REGIONS) {
                last.put(region, digest(databases.get(region), rows));
              }
              if (new HashSet<>(last.values()).size() != 1) {
                return false;
              }
            }
            return true;
          });
    } catch (AssertionError e) {
      throw new AssertionError(
          e.getMessage()
              + "; last digests "
              + last
              + "; heaps "
              + heaps
              + AgentProcess.describe(agents),
          e);
    }
    return Map.copyOf(last);
  }

  /**
   * Samples every agent's heap after a full collection once {@link #SAMPLE_EVERY} has passed since
   * the last round ended; a reading above the agent's maximum so far is taken again and the lower
   * of the two counts (see the class comment).
   */
  private void sampleIfDue() throws IOException, InterruptedException {
    if (System.nanoTime() - nextRound < 0) {
      return;
    }
    for (String region : Topology.REGIONS) {
      HeapSamples heap = heaps.get(region);
      OptionalLong used = usedAfterFullGc(region);
      if (used.isPresent() && used.getAsLong() > heap.maxKib) {
        OptionalLong again = usedAfterFullGc(region);
        if (again.isPresent()) {
          used = OptionalLong.of(Math.min(used.getAsLong(), again.getAsLong()));
        }
      }
      if (used.isPresent()) {
        heap.taken++;
        heap.maxKib = Math.max(heap.maxKib, used.getAsLong());
      } else {
        heap.failed++;
      }
    }
    nextRound = System.nanoTime() + SAMPLE_EVERY.toNanos();
  }

  /**
   * The KiB in use in a region's agent right after a full collection ({@code jcmd <pid> GC.run},
   * then {@code GC.heap_info}); empty, with the reason kept for the report, when jcmd did not
   * answer within {@link #JCMD_TIMEOUT} or printed no heap. Every answer is appended to {@code
   * heap-samples.log}.
   */
  private OptionalLong usedAfterFullGc(String region) throws IOException, InterruptedException {
    assertAlive(region);
    HeapSamples heap = heaps.get(region);
    Path output = dir.resolve("jcmd-" + region + ".txt");
    Process jcmd =
        new ProcessBuilder(
                JCMD.toString(),
                Long.toString(agents.get(region).pid()),
                "-f",
                jcmdCommands.toString())
            .redirectErrorStream(true)
            .redirectOutput(output.toFile())
            .start();
    if (!jcmd.waitFor(JCMD_TIMEOUT.toSeconds(), TimeUnit.SECONDS)) {
      jcmd.destroyForcibly();
      jcmd.waitFor();
      heap.lastFailure = "jcmd did not answer within " + JCMD_TIMEOUT;
      return OptionalLong.empty();
    }
    String printed = new String(Files.readAllBytes(output), StandardCharsets.UTF_8);
    Files.writeString(
        dir.resolve("heap-samples.log"),
        "== %s at %.1f s, jcmd exit %d%n%s%n"
            .formatted(region, seconds(began, System.nanoTime()), jcmd.exitValue(), printed),
        StandardOpenOption.CREATE,
        StandardOpenOption.APPEND);
    long used = 0;
    boolean found = false;
    Matcher m = HEAP_USED.matcher(printed);
    while (m.find()) {
      used += Long.parseLong(m.group(1));
      found = true;
    }
    if (jcmd.exitValue() != 0 || !found) {
      heap.lastFailure = "jcmd exited with " + jcmd.exitValue() + ": " + printed.strip();
      return OptionalLong.empty();
    }
    return OptionalLong.of(used);
  }

  private void awaitReady(Duration timeout) throws Exception {
    try {
      Await.until(
          "every agent answers /health with 200",
          timeout,
          () -> {
            assertAllAlive();
            return agents.values().stream().allMatch(AgentProcess::ready);
          });
    } catch (AssertionError e) {
      throw new AssertionError(e.getMessage() + AgentProcess.describe(agents), e);
    }
  }

  /** Every agent ready, with no origin halted. */
  private void assertHealthy() throws Exception {
    awaitReady(Duration.ofMinutes(2));
    for (Map.Entry<String, AgentProcess> e : agents.entrySet()) {
      HttpResponse<String> health = e.getValue().get("/health");
      assertThat(health.statusCode())
          .as("/health of %s: %s", e.getKey(), health.body())
          .isEqualTo(200);
      assertThat(health.body()).as("/health of %s", e.getKey()).doesNotContain("\"halt\"");
    }
  }

  /** No agent's log or output mentions an OutOfMemoryError (one caught and logged included). */
  private void assertNoOutOfMemoryError() throws IOException {
    for (String region : Topology.REGIONS) {
      for (String name : List.of(region + ".log", region + ".out")) {
        Path file = dir.resolve(name);
        if (!Files.exists(file)) {
          continue;
        }
        List<String> lines =
            new String(Files.readAllBytes(file), StandardCharsets.UTF_8)
                .lines()
                .filter(line -> line.contains("OutOfMemoryError"))
                .toList();
        assertThat(lines).as("lines of %s naming an OutOfMemoryError", name).isEmpty();
      }
    }
  }

  private void assertAllAlive() throws IOException {
    for (String region : Topology.REGIONS) {
      assertAlive(region);
    }
  }

  /** Fails the test at once, with its log, when the region's agent exited. */
  private void assertAlive(String region) throws IOException {
    AgentProcess agent = agents.get(region);
    if (!agent.isAlive()) {
      throw new AssertionError(
          "the agent of " + region + " exited; its log ends with:\n" + agent.tail(40));
    }
  }

  private static double seconds(long fromNanos, long toNanos) {
    return (toNanos - fromNanos) / 1e9;
  }

  /** big's row count, sum(qty) and sum(length(note)) and, with {@code rows}, an MD5 by id. */
  private static String digest(EmbeddedRegionDatabase db, boolean rows) throws SQLException {
    return String.join(";", db.rows(SUMS + (rows ? ROWS_MD5 : "") + " FROM big"));
  }

  private static String mebibytes(long kib) {
    return kib < 0 ? "n/a" : "%.1f MiB".formatted(kib / 1024.0);
  }

  /** One agent's heap samples: KiB in use right after a full collection. */
  private static final class HeapSamples {
    long idleKib = -1;
    long maxKib = -1;
    int taken;
    int failed;
    String lastFailure = "";

    @Override
    public String toString() {
      String failures = failed == 0 ? "" : ", " + failed + " failed, the last: " + lastFailure;
      String samples = taken + " samples" + failures;
      return "at most " + mebibytes(maxKib) + " (" + samples + "), idle " + mebibytes(idleKib);
    }
  }
}
