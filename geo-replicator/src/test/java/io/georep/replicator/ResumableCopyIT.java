package io.georep.replicator;

import static org.assertj.core.api.Assertions.assertThat;

import io.georep.testkit.Await;
import io.georep.testkit.ChildKafka;
import io.georep.testkit.EmbeddedRegionDatabase;
import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.locks.LockSupport;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The chunked, resumable initial copy survives a crash of the copying agent, at the scale of its
 * acceptance line: 2,000,000 rows in four tables (800,000, 600,000, 400,000 and 200,000) exist in
 * us-east before any agent starts; eu-west and sa-east start empty. Each region has its own
 * embedded PostgreSQL, the three share one Kafka broker (a child JVM), and each agent is a child
 * JVM ({@link AgentProcess}, {@code -Xmx512m}, {@code database.copy.chunk.rows} 20,000, {@code
 * database.copy.parallel} 2). While us-east copies, writers run in all three regions: us-east adds
 * to the {@code balance} counter of copied and not yet copied rows alike and inserts rows of its
 * own; eu-west and sa-east insert rows in their own id ranges and add to their balances. At half
 * the rows copied, us-east's agent is killed (SIGKILL) and started again on the same configuration.
 *
 * <p>Checked: (1) every region ends with identical rows in every table; (2) the counters are exact:
 * in every region, each table's row count and {@code sum(balance)} are the loaded rows plus what
 * the writers' committed transactions inserted and added; (3) the copy resumed instead of starting
 * over: us-east's chunks of each table are numbered 1…n, their key ranges strictly increase, they
 * add up to the table's {@code rows_copied}, the chunks committed before the kill are unchanged,
 * and each table copied in part at the kill logged its resumption and went on with the next chunk
 * past the last committed key, so at most the one uncommitted chunk per table was read twice; (4)
 * no agent halted ({@code /health} answers 200). Timings are printed, not asserted. The writers'
 * operations follow the printed seed ({@code -Dgeorep.seed}); their interleaving does not.
 */
class ResumableCopyIT {
  private static final List<String> TABLES =
      List.of("balances_a", "balances_b", "balances_c", "balances_d");
  private static final List<Long> LOADED = List.of(800_000L, 600_000L, 400_000L, 200_000L);
  private static final long TOTAL = 2_000_000L;
  private static final String COPYING = "us-east";

  /** Where each region's writer starts its own ids, above every loaded id. */
  private static final Map<String, Long> ID_BASE =
      Map.of("us-east", 10_000_000L, "eu-west", 20_000_000L, "sa-east", 30_000_000L);

  /**
   * The pause after each writer transaction: some 5 a second per region, on two cores. Every writer
   * transaction is applied in two other regions, on the two cores the copy needs too.
   */
  private static final long PAUSE_NANOS = 200_000_000L;

  /** SQLSTATEs of a writer transaction that is rolled back and not counted. */
  private static final Set<String> RETRIABLE = Set.of("55P03", "40P01", "40001");

  /** The application name of the writers' sessions, which outlive the killed agent's. */
  private static final String WRITER = "resumable-copy-writer";

  private static final String AGENT_SESSIONS =
      "SELECT count(*) FROM pg_stat_activity WHERE pid <> pg_backend_pid()"
          + " AND backend_type IN ('client backend', 'walsender') AND application_name <> '"
          + WRITER
          + "'";
  private static final String ROWS_COPIED =
      "SELECT coalesce(sum(rows_copied), 0) FROM georep.initial_copy_table";
  private static final String TABLES_DONE =
      "SELECT count(*) FROM georep.initial_copy_table WHERE done";
  private static final String PROGRESS =
      "SELECT t.rows_copied, t.done, c.chunk_no, c.rows, c.first_key, c.last_key,"
          + " c.created_at::text FROM georep.initial_copy_table t"
          + " LEFT JOIN georep.initial_copy_chunk c USING (slot_name, table_schema, table_name)"
          + " WHERE t.table_schema = 'public' AND t.table_name = ? ORDER BY c.chunk_no";
  private static final String ROWS_MD5 =
      ", md5(coalesce(string_agg(id || ':' || balance || ':' || coalesce(payload, ''), ','"
          + " ORDER BY id), '')) AS md5";
  private static final Pattern RESUMING =
      Pattern.compile("initial copy: resuming \"?public\"?\\.\"?(\\w+)\"? after chunk (\\d+)");
  private static final String TABLE_SQL =
      "CREATE TABLE %1$s (id bigint PRIMARY KEY, balance bigint NOT NULL, payload text);"
          + " ALTER TABLE %1$s REPLICA IDENTITY FULL;";

  /** The publication; balance is a counter (its deltas need the old row: replica identity). */
  private static final String PUBLICATION =
      "publication: resumable_copy\nregions: all\noperations: [insert, update, delete]\ntables:\n";

  private static final String PUBLICATION_TABLE =
      "  - table: public.%s\n    column-resolvers: {balance: counter}\n";

  private static final String AGENT_YAML =
      """
      region: %s
      database: {url: '%s', user: postgres, copy.chunk.rows: 20000, copy.parallel: 2}
      publications: ['%s']
      kafka: {bootstrap.servers: '%s'}
      regions: [eu-west, sa-east, us-east]
      topics: {prefix: %s, replication.factor: 1, retention: 1d}
      control: {heartbeat.interval: 200ms, region.timeout: 5s, gc.interval: 2s}
      apply: {retry.min: 20ms, retry.max: 1s}
      http: {host: 127.0.0.1, port: 0}
      """;

  private final Map<String, EmbeddedRegionDatabase> databases = new LinkedHashMap<>();
  private final Map<String, AgentProcess> agents = new LinkedHashMap<>();
  private final List<Long> loadedSums = new ArrayList<>();
  private final List<Writer> writers = new ArrayList<>();
  private final AtomicBoolean stopWriters = new AtomicBoolean();
  private final ExecutorService writerPool = Executors.newFixedThreadPool(Topology.REGIONS.size());
  private ChildKafka kafka;
  private Path dir;

  @BeforeEach
  void start() throws Exception {
    dir = Files.createTempDirectory("georep-resumable-copy-");
    kafka = ChildKafka.start();
    StringBuilder schema = new StringBuilder();
    StringBuilder publication = new StringBuilder(PUBLICATION);
    for (String table : TABLES) {
      schema.append(TABLE_SQL.formatted(table));
      publication.append(PUBLICATION_TABLE.formatted(table));
    }
    for (String region : Topology.REGIONS) {
      EmbeddedRegionDatabase db = EmbeddedRegionDatabase.start();
      databases.put(region, db);
      db.execute(schema.toString());
    }
    EmbeddedRegionDatabase source = databases.get(COPYING);
    for (int t = 0; t < TABLES.size(); t++) {
      source.execute(
          "INSERT INTO "
              + TABLES.get(t)
              + " (id, balance, payload) SELECT g, g % 100, 'p' || g || '-' || md5(g::text)"
              + " FROM generate_series(1, "
              + LOADED.get(t)
              + ") g");
      loadedSums.add(single(source, "SELECT sum(balance) FROM " + TABLES.get(t)));
    }
    // Hint bits set and statistics fresh: the copy reads the rows, not the load's aftermath.
    source.execute("VACUUM ANALYZE " + String.join(", ", TABLES));
    Path publicationFile = Files.writeString(dir.resolve("resumable-copy.yaml"), publication);
    String prefix = "resumable-" + ChildKafka.id().substring(0, 8);
    for (String region : Topology.REGIONS) {
      String yaml =
          AGENT_YAML.formatted(
              region,
              databases.get(region).jdbcUrl(),
              publicationFile,
              kafka.bootstrapServers(),
              prefix);
      Path config = Files.writeString(dir.resolve(region + ".yaml"), yaml);
      agents.put(region, new AgentProcess(region, config, dir, "512m"));
    }
  }

  @AfterEach
  void stop() throws Exception {
    stopWriters.set(true);
    writerPool.shutdownNow();
    List<AutoCloseable> all = new ArrayList<>(agents.values());
    all.addAll(databases.values());
    all.add(kafka);
    try {
      Topology.closeAll(all.toArray(AutoCloseable[]::new));
    } finally {
      AgentProcess.keepLogs(dir, "resumable-copy");
    }
  }

  @Test
  void initialCopy_copyingAgentKilledHalfway_resumesAfterLastChunkAndRegionsConverge()
      throws Exception {
    long seed = Long.getLong("georep.seed", System.nanoTime());
    System.out.println("ResumableCopyIT seed=" + seed + " (replay: -Dgeorep.seed=" + seed + ")");
    long began = System.nanoTime();
    for (AgentProcess agent : agents.values()) {
      agent.start();
    }
    List<Future<Void>> running = new ArrayList<>();
    for (int i = 0; i < Topology.REGIONS.size(); i++) {
      String region = Topology.REGIONS.get(i);
      Writer writer = new Writer(region, databases.get(region), new SplittableRandom(seed + i));
      writers.add(writer);
      running.add(writerPool.submit(() -> writer.run(stopWriters)));
    }
    EmbeddedRegionDatabase source = databases.get(COPYING);
    Await.until(
        "us-east has copied half the rows",
        Duration.ofMinutes(10),
        () -> alive(COPYING) && single(source, ROWS_COPIED) >= TOTAL / 2);
    agents.get(COPYING).kill();
    long killed = System.nanoTime();
    // Once the killed agent's sessions are gone, nothing it sent can commit any more.
    Await.until(
        "the killed agent's sessions are gone from us-east's database",
        Duration.ofMinutes(1),
        () -> single(source, AGENT_SESSIONS) == 0);
    Map<String, Progress> atKill = new LinkedHashMap<>();
    for (String table : TABLES) {
      atKill.put(table, progress(source, table));
    }
    System.out.println("ResumableCopyIT: us-east's agent killed; its copy had committed " + atKill);
    assertThat(atKill.values().stream().filter(Progress::partial).count())
        .as("tables copied in part at the kill: %s", atKill)
        .isPositive();
    Await.during(Duration.ofSeconds(2), () -> true);
    agents.get(COPYING).start();
    long restarted = System.nanoTime();
    Await.until(
        "us-east's initial copy is done after the restart",
        Duration.ofMinutes(15),
        () -> alive(COPYING) && single(source, TABLES_DONE) == TABLES.size());
    long copied = System.nanoTime();
    // Writes go on for a while after the copy, now replicating in every direction.
    Await.during(Duration.ofSeconds(15), () -> true);
    stopWriters.set(true);
    for (Future<Void> run : running) {
      run.get(1, TimeUnit.MINUTES);
    }
    long stopped = System.nanoTime();
    Map<String, List<String>> digests = awaitIdentical(Duration.ofMinutes(10));
    System.out.printf(
        "ResumableCopyIT: copy done %.1f s after the agents started (killed at %.1f s, restarted"
            + " at %.1f s); regions identical %.1f s after the writers stopped; writers: %s%n",
        seconds(began, copied),
        seconds(began, killed),
        seconds(began, restarted),
        seconds(stopped, System.nanoTime()),
        writers);

    for (String region : Topology.REGIONS) {
      assertThat(digests.get(region))
          .as("count, sum(balance) and MD5 of the rows per table, %s vs us-east", region)
          .isEqualTo(digests.get(COPYING));
    }
    assertCountersExact(digests);
    assertResumed(atKill);
    assertHealthy();
  }

  /**
   * Waits until every region holds identical rows in all four tables (counts and sums first, the
   * MD5 over every row once they agree; at most every 5 s); returns each region's digests.
   */
  private Map<String, List<String>> awaitIdentical(Duration timeout) throws Exception {
    Map<String, List<String>> last = new LinkedHashMap<>();
    long[] next = {0};
    try {
      Await.until(
          "every region holds identical rows in all four tables",
          timeout,
          () -> {
            if (System.nanoTime() < next[0]) {
              return false;
            }
            next[0] = System.nanoTime() + 5_000_000_000L;
            for (boolean rows : new boolean[] {false, true}) {
              for (String region : Topology.REGIONS) {
                last.put(region, digests(databases.get(region), rows));
              }
              if (new HashSet<>(last.values()).size() != 1) {
                return false;
              }
            }
            return true;
          });
    } catch (AssertionError e) {
      throw new AssertionError(
          e.getMessage() + "; last digests " + last + AgentProcess.describe(agents), e);
    }
    return Map.copyOf(last);
  }

  /**
   * Checks the counters: in every region, each table's row count and sum(balance) (in the digests)
   * are the loaded rows plus what the writers' committed transactions inserted and added.
   */
  private void assertCountersExact(Map<String, List<String>> digests) {
    for (int t = 0; t < TABLES.size(); t++) {
      String table = TABLES.get(t);
      long rows = LOADED.get(t);
      long sum = loadedSums.get(t);
      for (Writer w : writers) {
        rows += w.inserted.get(t);
        sum += w.increments.get(t) + w.insertedBalance.get(t);
      }
      String expected = "t=" + table + ",n=" + rows + ",sum=" + sum + ",md5=";
      for (String region : Topology.REGIONS) {
        assertThat(digests.get(region).get(t))
            .as("count, sum(balance) of %s in %s: loaded plus committed writes", table, region)
            .startsWith(expected);
      }
    }
  }

  /**
   * Checks us-east's chunks per table: numbered 1…n, key ranges strictly increasing, adding up to
   * rows_copied; those committed before the kill unchanged; a table copied in part at the kill
   * logged its resumption and went on with the next chunk, past its last committed key.
   */
  private void assertResumed(Map<String, Progress> atKill) throws Exception {
    Map<String, Long> resumed = new LinkedHashMap<>();
    Matcher m = RESUMING.matcher(Files.readString(dir.resolve(COPYING + ".log")));
    while (m.find()) {
      resumed.put(m.group(1), Long.parseLong(m.group(2)));
    }
    for (int t = 0; t < TABLES.size(); t++) {
      String table = TABLES.get(t);
      Progress before = atKill.get(table);
      Progress after = progress(databases.get(COPYING), table);
      List<String> violations = new ArrayList<>();
      long previousLast = Long.MIN_VALUE;
      for (int i = 0; i < after.chunks().size(); i++) {
        Chunk chunk = after.chunks().get(i);
        boolean empty = chunk.firstKey() == null && chunk.lastKey() == null && chunk.rows() == 0;
        boolean ordered =
            chunk.firstKey() != null
                && chunk.lastKey() != null
                && previousLast < chunk.firstKey()
                && chunk.firstKey() <= chunk.lastKey();
        if (chunk.no() != i + 1 || !(empty || ordered)) {
          violations.add("after key " + previousLast + ": " + chunk);
        }
        if (ordered) {
          previousLast = chunk.lastKey();
        }
      }
      assertThat(violations)
          .as("chunks of %s: numbered 1…n, key ranges strictly increasing", table)
          .isEmpty();
      assertThat(after.done()).as("%s done in us-east", table).isTrue();
      assertThat(after.rowsCopied())
          .as("rows_copied of %s = the rows of its chunks", table)
          .isEqualTo(after.chunkRows());
      long loaded = LOADED.get(t);
      assertThat(after.rowsCopied())
          .as("rows_copied of %s: every loaded row once, at most us-east's inserts more", table)
          .isGreaterThanOrEqualTo(loaded)
          .isLessThanOrEqualTo(loaded + writer(COPYING).inserted.get(t));
      int kept = Math.min(before.chunks().size(), after.chunks().size());
      assertThat(after.chunks().subList(0, kept))
          .as("chunks of %s committed before the kill, unchanged", table)
          .isEqualTo(before.chunks());
      if (!before.partial()) {
        continue;
      }
      long last = before.last().no();
      assertThat(resumed)
          .as("'initial copy: resuming public.%s after chunk %d' in us-east's log", table, last)
          .containsEntry(table, last);
      if (after.chunks().size() > before.chunks().size()) {
        Chunk next = after.chunks().get(before.chunks().size());
        Long lastKey = before.last().lastKey();
        assertThat(next.no()).as("first chunk of %s after the restart", table).isEqualTo(last + 1);
        assertThat(next.firstKey() == null || lastKey == null || next.firstKey() > lastKey)
            .as("first chunk of %s after the restart, %s, past the kill's last key", table, next)
            .isTrue();
      }
    }
  }

  /** Every agent ready, with no origin halted. */
  private void assertHealthy() throws Exception {
    try {
      Await.until(
          "every agent answers /health with 200",
          Duration.ofMinutes(2),
          () -> agents.values().stream().allMatch(AgentProcess::ready));
    } catch (AssertionError e) {
      throw new AssertionError(e.getMessage() + AgentProcess.describe(agents), e);
    }
    for (Map.Entry<String, AgentProcess> e : agents.entrySet()) {
      HttpResponse<String> health = e.getValue().get("/health");
      assertThat(health.statusCode())
          .as("/health of %s: %s", e.getKey(), health.body())
          .isEqualTo(200);
      assertThat(health.body()).as("/health of %s", e.getKey()).doesNotContain("\"halt\"");
    }
  }

  /** True while the region's agent runs; fails the test at once, with its log, when it exited. */
  private boolean alive(String region) throws IOException {
    AgentProcess agent = agents.get(region);
    if (!agent.isAlive()) {
      throw new AssertionError(
          "the agent of " + region + " exited; its log ends with:\n" + agent.tail(40));
    }
    return true;
  }

  private Writer writer(String region) {
    return writers.get(Topology.REGIONS.indexOf(region));
  }

  private static double seconds(long fromNanos, long toNanos) {
    return (toNanos - fromNanos) / 1e9;
  }

  /** Per table: its row count, sum(balance) and, with {@code rows}, an MD5 over its rows by id. */
  private static List<String> digests(EmbeddedRegionDatabase db, boolean rows) throws SQLException {
    List<String> out = new ArrayList<>();
    for (String table : TABLES) {
      out.addAll(
          db.rows(
              "SELECT '"
                  + table
                  + "' AS t, count(*) AS n, coalesce(sum(balance), 0) AS sum"
                  + (rows ? ROWS_MD5 : "")
                  + " FROM "
                  + table));
    }
    return out;
  }

  /** The first column of a query's one row, as a long. */
  private static long single(EmbeddedRegionDatabase db, String sql) throws SQLException {
    try (Connection c = db.connect();
        Statement s = c.createStatement();
        ResultSet rs = s.executeQuery(sql)) {
      if (!rs.next()) {
        throw new IllegalStateException("no row from " + sql);
      }
      return rs.getLong(1);
    }
  }

  /** A table's copy in us-east: its georep.initial_copy_table row and its chunks in order. */
  private static Progress progress(EmbeddedRegionDatabase db, String table) throws SQLException {
    long rowsCopied = -1;
    boolean done = false;
    List<Chunk> chunks = new ArrayList<>();
    try (Connection c = db.connect();
        PreparedStatement s = c.prepareStatement(PROGRESS)) {
      s.setString(1, table);
      try (ResultSet rs = s.executeQuery()) {
        while (rs.next()) {
          rowsCopied = rs.getLong(1);
          done = rs.getBoolean(2);
          if (rs.getString(3) != null) {
            chunks.add(
                new Chunk(
                    rs.getLong(3),
                    rs.getLong(4),
                    key(rs.getString(5)),
                    key(rs.getString(6)),
                    rs.getString(7)));
          }
        }
      }
    }
    assertThat(rowsCopied).as("rows_copied of %s in us-east", table).isNotNegative();
    return new Progress(rowsCopied, done, List.copyOf(chunks));
  }

  /** The bigint of a one-column key as {@code ROW(id)::text} prints it, {@code (123)}; or null. */
  private static Long key(String text) {
    if (text == null) {
      return null;
    }
    if (!text.startsWith("(") || !text.endsWith(")")) {
      throw new AssertionError("a chunk key reads like (123), found " + text);
    }
    return Long.valueOf(text.substring(1, text.length() - 1));
  }

  /** One committed chunk; the keys are null for an empty chunk. */
  private record Chunk(long no, long rows, Long firstKey, Long lastKey, String createdAt) {}

  /** A table's copy progress: rows_copied and done, and its committed chunks by number. */
  private record Progress(long rowsCopied, boolean done, List<Chunk> chunks) {
    boolean partial() {
      return !done && !chunks.isEmpty();
    }

    long chunkRows() {
      return chunks.stream().mapToLong(Chunk::rows).sum();
    }

    Chunk last() {
      return chunks.get(chunks.size() - 1);
    }

    @Override
    public String toString() {
      return "rows_copied=" + rowsCopied + " chunks=" + chunks.size() + (done ? " done" : "");
    }
  }

  /**
   * One region's writer: transactions of one to three operations on random tables, a pause after
   * each, counting per table what its committed transactions inserted and added. us-east adds to
   * loaded rows (copied or not) and to its own; the others to their own rows only. A transaction
   * that meets a lock timeout (a chunk holds its table in SHARE mode), deadlock or serialization
   * failure is rolled back and not counted; any other failure, a commit in doubt too, fails the
   * test.
   */
  private static final class Writer {
    private final String region;
    private final EmbeddedRegionDatabase db;
    private final SplittableRandom random;
    private final long idBase;

    /** Per table, committed: rows inserted (ids idBase + 1 …), their balances, increments. */
    final AtomicLongArray inserted = new AtomicLongArray(TABLES.size());

    final AtomicLongArray insertedBalance = new AtomicLongArray(TABLES.size());
    final AtomicLongArray increments = new AtomicLongArray(TABLES.size());
    private long committed;
    private long rolledBack;

    Writer(String region, EmbeddedRegionDatabase db, SplittableRandom random) {
      this.region = region;
      this.db = db;
      this.random = random;
      this.idBase = ID_BASE.get(region);
    }

    Void run(AtomicBoolean stop) throws SQLException {
      String url = db.jdbcUrl() + "?ApplicationName=" + WRITER;
      try (Connection c = DriverManager.getConnection(url, "postgres", "")) {
        try (Statement s = c.createStatement()) {
          s.execute("SET lock_timeout = '5s'");
        }
        c.setAutoCommit(false);
        while (!stop.get()) {
          LockSupport.parkNanos(PAUSE_NANOS);
          try {
            transaction(c);
            committed++;
          } catch (SQLException e) {
            if (!RETRIABLE.contains(e.getSQLState())) {
              throw e;
            }
            c.rollback();
            rolledBack++;
          }
        }
      }
      return null;
    }

    private void transaction(Connection c) throws SQLException {
      long[] added = new long[TABLES.size()];
      long[] rows = new long[TABLES.size()];
      long[] balances = new long[TABLES.size()];
      for (int ops = 1 + random.nextInt(3); ops > 0; ops--) {
        int t = random.nextInt(TABLES.size());
        String table = TABLES.get(t);
        long own = inserted.get(t);
        int choice = random.nextInt(10);
        long id;
        if (choice >= 3 && COPYING.equals(region) && (choice < 7 || own == 0)) {
          id = 1 + random.nextLong(LOADED.get(t));
        } else if (choice >= 3 && own > 0) {
          id = idBase + 1 + random.nextLong(own);
        } else {
          id = idBase + own + rows[t] + 1;
          long balance = random.nextInt(100);
          String insert = "INSERT INTO " + table + " (id, balance, payload) VALUES (?, ?, ?)";
          execute(c, insert, id, balance, region + "-" + id);
          rows[t]++;
          balances[t] += balance;
          continue;
        }
        long k = 1L + random.nextInt(9);
        String update = "UPDATE " + table + " SET balance = balance + ? WHERE id = ?";
        if (execute(c, update, k, id) != 1) {
          throw new IllegalStateException(region + ": no row " + id + " in " + table);
        }
        added[t] += k;
      }
      c.commit();
      for (int t = 0; t < TABLES.size(); t++) {
        increments.addAndGet(t, added[t]);
        inserted.addAndGet(t, rows[t]);
        insertedBalance.addAndGet(t, balances[t]);
      }
    }

    private static int execute(Connection c, String sql, Object... params) throws SQLException {
      try (PreparedStatement s = c.prepareStatement(sql)) {
        for (int i = 0; i < params.length; i++) {
          s.setObject(i + 1, params[i]);
        }
        return s.executeUpdate();
      }
    }

    @Override
    public String toString() {
      return region + " " + committed + " transactions committed, " + rolledBack + " rolled back";
    }
  }
}
