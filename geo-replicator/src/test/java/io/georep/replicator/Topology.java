package io.georep.replicator;

import static org.assertj.core.api.Assertions.assertThat;

import io.georep.connector.SourceTransaction;
import io.georep.publication.Publication;
import io.georep.publication.PublicationParser;
import io.georep.replicator.codec.BatchCodec;
import io.georep.replicator.codec.WireBatch;
import io.georep.testkit.Await;
import io.georep.testkit.EmbeddedRegionDatabase;
import io.georep.vectorclock.ReplicaId;
import java.nio.charset.StandardCharsets;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.Function;
import java.util.function.UnaryOperator;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * Three regions for integration tests: one PostgreSQL per region with the workload schema, and one
 * agent per region; every region's stream on the given Kafka bootstrap servers (one shared broker,
 * or per-region addresses such as a TCP proxy). Closing stops the agents and the databases.
 */
final class Topology implements AutoCloseable {
  static final List<String> REGIONS = List.of("eu-west", "sa-east", "us-east");

  static final String SCHEMA =
      """
      CREATE TABLE items (id int PRIMARY KEY, name text, qty bigint NOT NULL DEFAULT 0,
                          tags text[] NOT NULL DEFAULT '{}', once text[] NOT NULL DEFAULT '{}');
      ALTER TABLE items REPLICA IDENTITY FULL;
      CREATE TABLE counters (id int PRIMARY KEY, n bigint NOT NULL DEFAULT 0,
                             g bigint NOT NULL DEFAULT 0);
      ALTER TABLE counters REPLICA IDENTITY FULL;
      CREATE TABLE accounts (id int PRIMARY KEY, email text NOT NULL UNIQUE, note text);
      CREATE TABLE parents (id int PRIMARY KEY, name text NOT NULL);
      CREATE TABLE children (id int PRIMARY KEY,
                             parent_id int NOT NULL REFERENCES parents (id) DEFERRABLE,
                             v text);
      CREATE TABLE markers (region text PRIMARY KEY, v int NOT NULL);
      CREATE TABLE history (tid int, bid int, aid int, delta int, mtime timestamp,
                            filler char(22));
      ALTER TABLE history REPLICA IDENTITY FULL;
      """;

  static final String PUBLICATION =
      """
      publication: workload
      regions: all
      operations: [insert, update, delete]
      tables:
        - table: public.items
          resolver: lww
          column-resolvers:
            qty: counter
            tags: or-set
            once: 2p-set
        - table: public.counters
          column-resolvers:
            n: counter
            g: g-counter
        - table: public.accounts
        - table: public.parents
        - table: public.children
        - table: public.markers
        - table: public.history
      """;

  /** The comparable content of every table, sets sorted, in key order. */
  static final List<String> SNAPSHOT_QUERIES =
      List.of(
          "SELECT id, name, qty, ARRAY(SELECT DISTINCT t FROM unnest(tags) t ORDER BY 1) AS tags,"
              + " ARRAY(SELECT DISTINCT t FROM unnest(once) t ORDER BY 1) AS once"
              + " FROM items ORDER BY id",
          "SELECT id, n, g FROM counters ORDER BY id",
          "SELECT id, email, note FROM accounts ORDER BY id",
          "SELECT id, name FROM parents ORDER BY id",
          "SELECT id, parent_id, v FROM children ORDER BY id",
          "SELECT region, v FROM markers ORDER BY region",
          "SELECT tid, bid, aid, delta, mtime, filler FROM history ORDER BY 1, 2, 3, 4, 5, 6");

  /**
   * What the regions replicate: the schema created in every database, the publication file, and the
   * queries whose results must be equal everywhere after quiescence.
   *
   * @param schema SQL run in every database before its agent starts
   * @param publication the publication file's YAML
   * @param snapshotQueries the comparable content of every table
   */
  record Replicated(String schema, String publication, List<String> snapshotQueries) {
    /** The workload tables of {@link #SCHEMA}, {@link #PUBLICATION}, {@link #SNAPSHOT_QUERIES}. */
    static final Replicated WORKLOAD = new Replicated(SCHEMA, PUBLICATION, SNAPSHOT_QUERIES);

    Publication parsed() {
      return PublicationParser.create()
          .parse("workload.yaml", publication.getBytes(StandardCharsets.UTF_8));
    }
  }

  final Map<String, EmbeddedRegionDatabase> databases = new LinkedHashMap<>();
  final Map<String, Agent> agents = new LinkedHashMap<>();
  final Map<String, AgentSettings> settings = new LinkedHashMap<>();
  private final Function<String, String> bootstrapOf;
  private final UnaryOperator<AgentSettings> customize;

  private final Replicated replicated;

  private Topology(
      Replicated replicated,
      Function<String, String> bootstrapOf,
      UnaryOperator<AgentSettings> customize) {
    this.replicated = replicated;
    this.bootstrapOf = bootstrapOf;
    this.customize = customize;
  }

  private io.opentelemetry.api.OpenTelemetry openTelemetry;

  static Publication publication() {
    return Replicated.WORKLOAD.parsed();
  }

  /**
   * Starts three databases and agents.
   *
   * @param bootstrapOf the bootstrap servers an agent of region (first) uses for every region
   * @param customize adjusts each agent's settings
   */
  static Topology start(
      Function<String, String> bootstrapOf, UnaryOperator<AgentSettings> customize)
      throws Exception {
    return start(bootstrapOf, customize, Map.of());
  }

  /**
   * Starts the topology with rows that exist before the agents start (each agent's first start
   * copies its region's rows to the others).
   *
   * @param bootstrapOf the bootstrap servers an agent of region (first) uses for every region
   * @param customize adjusts each agent's settings
   * @param existing per region, SQL run after the schema and before its agent starts
   */
  static Topology start(
      Function<String, String> bootstrapOf,
      UnaryOperator<AgentSettings> customize,
      Map<String, String> existing)
      throws Exception {
    return start(Replicated.WORKLOAD, bootstrapOf, customize, existing);
  }

  /**
   * Starts the topology on other tables than the workload's.
   *
   * @param replicated the schema, publication and comparable content
   * @param bootstrapOf the bootstrap servers an agent of region (first) uses for every region
   * @param customize adjusts each agent's settings
   * @param existing per region, SQL run after the schema and before its agent starts
   */
  static Topology start(
      Replicated replicated,
      Function<String, String> bootstrapOf,
      UnaryOperator<AgentSettings> customize,
      Map<String, String> existing)
      throws Exception {
    Topology t = databasesOnly(replicated, bootstrapOf, customize, existing);
    try {
      for (String region : REGIONS) {
        t.startAgent(region);
      }
      t.awaitReady(Duration.ofMinutes(1));
      return t;
    } catch (Exception | AssertionError e) {
      // A timed-out wait is an AssertionError: the servers started must stop all the same.
      t.close();
      throw e;
    }
  }

  /**
   * Starts the databases only; the test starts the agents ({@link #startAgent}) when it chooses.
   *
   * @param replicated the schema, publication and comparable content
   * @param bootstrapOf the bootstrap servers an agent of region (first) uses for every region
   * @param customize adjusts each agent's settings
   * @param existing per region, SQL run after the schema
   */
  static Topology databasesOnly(
      Replicated replicated,
      Function<String, String> bootstrapOf,
      UnaryOperator<AgentSettings> customize,
      Map<String, String> existing)
      throws Exception {
    Topology t = new Topology(replicated, bootstrapOf, customize);
    try {
      for (String region : REGIONS) {
        EmbeddedRegionDatabase db = EmbeddedRegionDatabase.start();
        t.databases.put(region, db);
        db.execute(replicated.schema());
        if (existing.containsKey(region)) {
          db.execute(existing.get(region));
        }
      }
      return t;
    } catch (Exception | AssertionError e) {
      t.close();
      throw e;
    }
  }

  /**
   * The convergence checks over databases a test started itself, whose agents run elsewhere (child
   * processes): no agent can be started through it. Closing it closes the databases.
   *
   * @param replicated the comparable content
   * @param databases the database of every region of {@link #REGIONS}
   */
  static Topology over(Replicated replicated, Map<String, EmbeddedRegionDatabase> databases) {
    Topology t =
        new Topology(
            replicated,
            region -> {
              throw new IllegalStateException("this topology's agents run elsewhere");
            },
            s -> s);
    t.databases.putAll(databases);
    return t;
  }

  /**
   * Writes a record that is not a georep frame into partition 0 of a topic: a poison record.
   *
   * @param bootstrapServers the broker
   * @param topic the topic, e.g. {@code georep.us-east.changes}
   * @return the record's offset
   */
  static long writeCorruptFrame(String bootstrapServers, String topic) throws Exception {
    try (org.apache.kafka.clients.producer.KafkaProducer<byte[], byte[]> producer =
        new org.apache.kafka.clients.producer.KafkaProducer<>(
            Map.of("bootstrap.servers", bootstrapServers),
            new org.apache.kafka.common.serialization.ByteArraySerializer(),
            new org.apache.kafka.common.serialization.ByteArraySerializer())) {
      return producer
          .send(
              new org.apache.kafka.clients.producer.ProducerRecord<>(
                  topic, 0, null, "not a georep frame".getBytes(StandardCharsets.UTF_8)))
          .get()
          .offset();
    }
  }

  /**
   * The distinct seqs of the transactions with changes in a region's changes topic (causal ticks,
   * which carry none, left out), read from its beginning; asserts that every transaction has that
   * region as its origin (an echo would not).
   *
   * @param bootstrapServers where the topic is
   * @param prefix the topics' prefix ({@code topics.prefix})
   * @param region the origin region
   */
  static Set<Long> distinctShippedSeqs(String bootstrapServers, String prefix, String region) {
    Map<String, Object> props = new HashMap<>();
    props.put("bootstrap.servers", bootstrapServers);
    BatchCodec codec = BatchCodec.create();
    Set<Long> seqs = new HashSet<>();
    try (KafkaConsumer<byte[], byte[]> c =
        new KafkaConsumer<>(props, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
      TopicPartition tp = new TopicPartition(prefix + "." + region + ".changes", 0);
      c.assign(List.of(tp));
      c.seekToBeginning(List.of(tp));
      long end = c.endOffsets(List.of(tp)).get(tp);
      while (c.position(tp) < end) {
        for (ConsumerRecord<byte[], byte[]> r : c.poll(Duration.ofMillis(500))) {
          WireBatch batch = codec.decode(r.value());
          for (SourceTransaction tx : batch.transactions()) {
            assertThat(tx.origin().name())
                .as("origin of a transaction in %s", tp)
                .isEqualTo(region);
            if (!tx.changes().isEmpty()) {
              seqs.add(tx.seq());
            }
          }
        }
      }
    }
    return seqs;
  }

  AgentSettings settingsOf(String region) {
    List<AgentSettings.Region> regions = new ArrayList<>();
    for (String r : REGIONS) {
      regions.add(AgentSettings.Region.of(r, bootstrapOf.apply(region)));
    }
    AgentSettings s =
        AgentSettings.of(
                ReplicaId.of(region),
                new AgentSettings.Database(databases.get(region).jdbcUrl(), "postgres", "", null),
                List.of(replicated.parsed()),
                regions)
            .withHttp(new AgentSettings.Http(true, "127.0.0.1", 0))
            .withTopics(new AgentSettings.Topics("georep", 1, 1, Duration.ofDays(1), 8 << 20))
            .withControl(
                new AgentSettings.Control(
                    Duration.ofMillis(200), Duration.ofSeconds(5), Duration.ofSeconds(2)))
            .withApply(
                new AgentSettings.Apply(
                    4, 20, 2_000, 16L << 20, Duration.ofMillis(20), Duration.ofSeconds(1)));
    return customize.apply(s);
  }

  /**
   * Makes the agents started from now on trace through this OpenTelemetry instance.
   *
   * @param openTelemetry the instance, or null for the settings' tracing
   */
  void tracing(io.opentelemetry.api.OpenTelemetry openTelemetry) {
    this.openTelemetry = openTelemetry;
  }

  Agent startAgent(String region) {
    AgentSettings s = settingsOf(region);
    settings.put(region, s);
    Agent agent = openTelemetry == null ? Agent.start(s) : Agent.start(s, openTelemetry);
    agents.put(region, agent);
    return agent;
  }

  /**
   * Writes an agent.yaml for every region (its database, the publication file, every region on one
   * Kafka cluster), for the command-line tools that read one.
   *
   * @param dir where the files go
   * @param bootstrap the Kafka cluster's bootstrap servers
   * @return each region's file
   */
  Map<String, java.nio.file.Path> writeConfigs(java.nio.file.Path dir, String bootstrap)
      throws java.io.IOException {
    java.nio.file.Path publication = dir.resolve("workload.yaml");
    java.nio.file.Files.writeString(publication, replicated.publication());
    Map<String, java.nio.file.Path> configs = new LinkedHashMap<>();
    for (String region : REGIONS) {
      StringBuilder yaml = new StringBuilder();
      yaml.append("region: ").append(region).append('\n');
      yaml.append("database:\n  url: ").append(db(region).jdbcUrl()).append('\n');
      yaml.append("  user: postgres\n");
      yaml.append("publications:\n  - ").append(publication).append('\n');
      yaml.append("regions:\n");
      for (String r : REGIONS) {
        yaml.append("  - name: ").append(r).append('\n');
        yaml.append("    kafka:\n      bootstrap.servers: ").append(bootstrap).append('\n');
      }
      java.nio.file.Path config = dir.resolve(region + ".yaml");
      java.nio.file.Files.writeString(config, yaml);
      configs.put(region, config);
    }
    return configs;
  }

  /** A load run in one region: its name and index in {@link #REGIONS}. */
  interface RegionTask {
    void run(String region, int index) throws Exception;
  }

  /** Runs a task in every region at once and waits for all; the first failure is rethrown. */
  static void inEveryRegion(RegionTask task) throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(REGIONS.size());
    try {
      List<Future<?>> runs = new ArrayList<>();
      for (int i = 0; i < REGIONS.size(); i++) {
        String region = REGIONS.get(i);
        int index = i;
        runs.add(
            pool.submit(
                () -> {
                  task.run(region, index);
                  return null;
                }));
      }
      for (Future<?> run : runs) {
        run.get();
      }
    } finally {
      pool.shutdownNow();
    }
  }

  /** Waits until every agent's streams run (capture has its slot: later writes are captured). */
  void awaitReady(Duration timeout) throws Exception {
    Await.until(
        "every agent is ready",
        timeout,
        () -> agents.values().stream().allMatch(a -> a.status().ready()));
  }

  /** The running agent of a region. */
  Agent agent(String region) {
    return agents.get(region);
  }

  void stopAgent(String region) {
    Agent a = agents.remove(region);
    if (a != null) {
      a.close();
    }
  }

  EmbeddedRegionDatabase db(String region) {
    return databases.get(region);
  }

  /** Runs a query of one number (a {@code count(*)}) in a region's database and returns it. */
  long count(String region, String sql) throws SQLException {
    String row = db(region).rows(sql).get(0);
    return Long.parseLong(row.substring(row.indexOf('=') + 1));
  }

  /**
   * Waits until every region has applied everything every other region shipped, after a final
   * marker transaction in each region (everything committed before a region's marker is shipped
   * once its marker is, since capture is in commit order).
   */
  void awaitQuiescence(Duration timeout) throws Exception {
    try {
      awaitMarkersAndApplied(timeout);
    } catch (AssertionError e) {
      for (Agent a : agents.values()) {
        System.out.println("status at timeout: " + a.status());
        a.scrapeMetrics()
            .lines()
            .filter(l -> l.startsWith("georep_queue") || l.startsWith("georep_replication_lag"))
            .forEach(l -> System.out.println("  " + l));
      }
      throw e;
    }
  }

  /**
   * Writes a region's marker row for a round: the last transaction of the region before a
   * convergence check, so that once every region has it, everything before it was shipped.
   */
  static void writeMarker(EmbeddedRegionDatabase db, String region, int round) throws SQLException {
    db.execute(
        "INSERT INTO markers (region, v) VALUES ('"
            + region
            + "', "
            + round
            + ") ON CONFLICT (region) DO UPDATE SET v = excluded.v");
  }

  private void awaitMarkersAndApplied(Duration timeout) throws Exception {
    int round = (int) (System.nanoTime() & 0x3fffffff);
    Map<String, String> afterMarker = new LinkedHashMap<>();
    for (String region : REGIONS) {
      writeMarker(db(region), region, round);
      afterMarker.put(region, db(region).rows("SELECT pg_current_wal_lsn() AS l").get(0));
    }
    // Every local transaction before the marker is folded: a fold may still change the table
    // (a keyless local delete puts back a row every other region keeps), and the slot passes a
    // transaction only once it is folded.
    Await.until(
        "every region's capture has folded its writes before the marker",
        timeout,
        () -> {
          for (String region : REGIONS) {
            String lsn = afterMarker.get(region).substring("l=".length());
            if (!db(region)
                .rows(
                    "SELECT bool_and(confirmed_flush_lsn >= '"
                        + lsn
                        + "'::pg_lsn) AS ok FROM pg_replication_slots"
                        + " WHERE slot_type = 'logical' AND active")
                .equals(List.of("ok=t"))) {
              return false;
            }
          }
          return true;
        });
    Await.until(
        "every region has every marker",
        timeout,
        () -> {
          for (String region : REGIONS) {
            List<String> rows = db(region).rows("SELECT region, v FROM markers ORDER BY region");
            if (rows.size() != REGIONS.size()) {
              return false;
            }
            for (String row : rows) {
              if (!row.endsWith("v=" + round)) {
                return false;
              }
            }
          }
          return true;
        });
    awaitApplied(timeout);
  }

  /** How long {@link #assertConverged()} waits for equal digests after quiescence. */
  private static final Duration CONVERGENCE_GRACE = Duration.ofSeconds(20);

  private void awaitApplied(Duration timeout) throws Exception {
    Await.until(
        "applied vectors cover every shipped seq",
        timeout,
        () -> {
          for (String region : REGIONS) {
            Agent a = agents.get(region);
            for (String other : REGIONS) {
              if (!other.equals(region)
                  && a.appliedVector().get(ReplicaId.of(other)) < agents.get(other).shippedSeq()) {
                return false;
              }
            }
          }
          return true;
        });
  }

  /**
   * Asserts that all regions hold identical rows in every table: first by a digest computed in each
   * database (row count and MD5 over the sorted MD5s of the rows' text, so tables far larger than
   * the test's heap compare cheaply), then, for a table whose digests differ, row by row for the
   * diagnosis (each row's MD5 and the start of its text).
   */
  void assertConverged() throws SQLException {
    if (awaitDigestsBriefly()) {
      return;
    }
    for (String query : replicated.snapshotQueries()) {
      if (new HashSet<>(rowsInEveryRegion(digest(query))).size() == 1) {
        continue;
      }
      String byRow = "SELECT md5(t::text) AS md5, left(t::text, 200) AS row FROM (" + query + ") t";
      List<String> first = db(REGIONS.get(0)).rows(byRow);
      for (String region : REGIONS.subList(1, REGIONS.size())) {
        List<String> rows = db(region).rows(byRow);
        if (!rows.equals(first)) {
          dumpConflicts();
        }
        assertThat(rows)
            .as("%s in %s vs %s", query, region, REGIONS.get(0))
            .containsExactlyElementsOf(first);
      }
      throw new AssertionError(
          "the digests of " + query + " differ between regions although its rows compare equal");
    }
  }

  /**
   * Gives the regions up to {@link #CONVERGENCE_GRACE} to show equal digests before {@link
   * #assertConverged()} compares them. Quiescence is judged from markers, slots and applied
   * vectors, which a transaction still committing can pass; a divergence outlasts the grace and
   * fails as before, and a region that needed it is named on stdout, with each table's row count
   * per region.
   *
   * @return true if every table's digests are equal in every region
   */
  private boolean awaitDigestsBriefly() throws SQLException {
    long start = System.nanoTime();
    long deadline = start + CONVERGENCE_GRACE.toNanos();
    List<String> counts = null;
    while (!digestsEqual()) {
      if (counts == null) {
        counts = new ArrayList<>();
        for (String query : replicated.snapshotQueries()) {
          counts.add(
              query.replaceAll("\\s+", " ")
                  + ": "
                  + rowsInEveryRegion("SELECT count(*) AS n FROM (" + query + ") t"));
        }
      }
      if (System.nanoTime() > deadline) {
        System.out.println("Topology: digests still differ after the grace; counts at first look:");
        counts.forEach(c -> System.out.println("  " + c));
        return false;
      }
      try {
        Thread.sleep(200);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return false;
      }
    }
    if (counts != null) {
      System.out.printf(
          "Topology: digests became equal %.1f s after quiescence; counts at first look (%s):%n",
          (System.nanoTime() - start) / 1e9, REGIONS);
      counts.forEach(c -> System.out.println("  " + c));
    }
    return true;
  }

  /** Whether every table's digest (see {@link #assertConverged()}) is equal in every region. */
  boolean digestsEqual() throws SQLException {
    for (String query : replicated.snapshotQueries()) {
      if (new HashSet<>(rowsInEveryRegion(digest(query))).size() != 1) {
        return false;
      }
    }
    return true;
  }

  /** A query's row count and MD5 over the sorted MD5s of its rows' text. */
  private static String digest(String query) {
    return "SELECT count(*) AS rows, md5(coalesce(string_agg(h, '' ORDER BY h), '')) AS digest"
        + " FROM (SELECT md5(t::text) AS h FROM ("
        + query
        + ") t) r";
  }

  /** Runs a query in every region at once; the results in {@link #REGIONS} order. */
  private List<List<String>> rowsInEveryRegion(String sql) throws SQLException {
    ExecutorService pool = Executors.newFixedThreadPool(REGIONS.size());
    try {
      List<Future<List<String>>> results = new ArrayList<>();
      for (String region : REGIONS) {
        results.add(pool.submit(() -> db(region).rows(sql)));
      }
      List<List<String>> out = new ArrayList<>();
      for (Future<List<String>> r : results) {
        out.add(r.get());
      }
      return out;
    } catch (ExecutionException e) {
      if (e.getCause() instanceof SQLException failure) {
        throw failure;
      }
      throw new IllegalStateException("query failed: " + sql, e.getCause());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted running " + sql, e);
    } finally {
      pool.shutdownNow();
    }
  }

  /** Writes every region's conflict log to target/ for the failure's diagnosis. */
  private void dumpConflicts() throws SQLException {
    try (java.io.PrintWriter out =
        new java.io.PrintWriter(
            java.nio.file.Files.newBufferedWriter(
                java.nio.file.Path.of("target", "conflicts-" + System.nanoTime() + ".txt")))) {
      for (String region : REGIONS) {
        out.println("== " + region);
        for (String row :
            db(region)
                .rows(
                    "SELECT id, type, table_name, row_key, resolver, winner, columns, local,"
                        + " remote FROM georep.conflict_log ORDER BY id")) {
          out.println(row);
        }
      }
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  /**
   * Closes what a test started, in order (the topology before the broker it runs on); a null
   * resource (its start failed) is skipped, and a failure to close one does not keep the others
   * open.
   *
   * @param resources the resources, nulls allowed
   * @throws Exception the first failure, with later ones suppressed
   */
  static void closeAll(AutoCloseable... resources) throws Exception {
    Exception failure = null;
    for (AutoCloseable r : resources) {
      if (r == null) {
        continue;
      }
      try {
        r.close();
      } catch (Exception e) {
        if (failure == null) {
          failure = e;
        } else {
          failure.addSuppressed(e);
        }
      }
    }
    if (failure != null) {
      throw failure;
    }
  }

  @Override
  public void close() {
    for (String region : List.copyOf(agents.keySet())) {
      stopAgent(region);
    }
    for (EmbeddedRegionDatabase db : databases.values()) {
      try {
        db.close();
      } catch (Exception e) {
        // Best effort: the data directory is temporary; the failure shows in the log.
        System.err.println("cannot stop database: " + e);
      }
    }
  }
}
