package io.georep.connectors.postgres;

import static io.georep.connectors.postgres.CaptureFixture.REGION;
import static io.georep.connectors.postgres.CaptureFixture.config;
import static io.georep.connectors.postgres.CaptureFixture.execute;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.georep.connector.ArrayType;
import io.georep.connector.ColumnType;
import io.georep.connector.RowChange;
import io.georep.connector.ScalarType;
import io.georep.connector.SourceTransaction;
import io.georep.connector.Value;
import io.georep.connectors.postgres.internal.capture.PgText;
import io.georep.publication.Publication;
import io.georep.testkit.EmbeddedRegionDatabase;
import io.georep.vectorclock.Dot;
import io.georep.vectorclock.GeorepException;
import io.georep.vectorclock.HybridTimestamp;
import io.georep.vectorclock.ReplicaId;
import io.georep.vectorclock.RetriableGeorepException;
import io.georep.vectorclock.VersionVector;
import io.georep.vectorclock.testkit.Seeds;
import java.math.BigDecimal;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/** Capture against a real PostgreSQL 17: values, delta columns, TOAST, ordering, crashes. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class CaptureIT {

  private static final List<ColumnType> TYPES = new ArrayList<>();

  static {
    for (ScalarType t : ScalarType.values()) {
      TYPES.add(t);
      TYPES.add(t.arrayType());
    }
  }

  private EmbeddedRegionDatabase database;
  private Connection connection;
  private Publication publication;

  @BeforeAll
  void start() throws Exception {
    database = PgVersion.PG17.start();
    connection = database.connect();
    StringBuilder typed = new StringBuilder("CREATE TABLE typed (id int PRIMARY KEY");
    for (int i = 0; i < TYPES.size(); i++) {
      typed.append(", c").append(i).append(' ').append(sqlType(TYPES.get(i)));
    }
    typed.append(", c_varchar varchar(20), c_interval interval, c_json json)");
    execute(
        connection,
        "CREATE TABLE wide (id int PRIMARY KEY, c1 text, c2 int, c3 int, c4 text, c5 bool,"
            + " c6 numeric, c7 date)",
        "ALTER TABLE wide REPLICA IDENTITY FULL",
        "CREATE TABLE toasty (id int PRIMARY KEY, note text, big text)",
        "CREATE TABLE stock (id int PRIMARY KEY, on_hand int NOT NULL, tags text[])",
        "ALTER TABLE stock REPLICA IDENTITY FULL",
        "CREATE TABLE events (id bigserial PRIMARY KEY, writer int NOT NULL, n int NOT NULL)",
        "CREATE TABLE nokey (a int, b text)",
        "CREATE TABLE history (tid int NOT NULL, delta int, filler char(22))",
        "ALTER TABLE history REPLICA IDENTITY FULL",
        typed.toString());
    publication =
        CaptureFixture.publication(
            """
            publication: capture
            regions: all
            operations: [insert, update, delete]
            tables:
              - table: public.wide
              - table: public.toasty
              - table: public.typed
              - table: public.events
              - table: public.stock
                column-resolvers:
                  on_hand: counter
                  tags: or-set
            """);
  }

  @AfterAll
  void stop() throws Exception {
    if (connection != null) {
      connection.close();
    }
    if (database != null) {
      database.close();
    }
  }

  private static String sqlType(ColumnType type) {
    if (type instanceof ArrayType a) {
      return a.elementType().typeName() + "[]";
    }
    return type.typeName();
  }

  @Test
  void capture_insertUpdateDelete_shipsOnlyChangedColumns() throws Exception {
    RecordingHandler handler = new RecordingHandler();
    try (PostgresChangeSource source =
        new PostgresChangeSource(config(database, "t_basic", publication))) {
      source.start(handler, 0);
      execute(
          connection,
          "INSERT INTO wide VALUES (1, 'a', 2, 3, 'd', true, 1.5, '2024-01-02')",
          "UPDATE wide SET c3 = 30 WHERE id = 1",
          "DELETE FROM wide WHERE id = 1");
      List<SourceTransaction> txs = handler.awaitCount(3);
      assertThat(txs).hasSize(3);
      RowChange.Insert insert = (RowChange.Insert) txs.get(0).changes().get(0);
      assertThat(insert.values())
          .hasSize(8)
          .containsEntry("c6", new Value.Numeric(new BigDecimal("1.5")));
      RowChange.Update update = (RowChange.Update) txs.get(1).changes().get(0);
      assertThat(update.changed()).containsExactly(Map.entry("c3", new Value.Int4(30)));
      assertThat(update.key().values()).containsExactly(new Value.Int4(1));
      RowChange.Delete delete = (RowChange.Delete) txs.get(2).changes().get(0);
      assertThat(delete.key().values()).containsExactly(new Value.Int4(1));
      for (int i = 0; i < 3; i++) {
        SourceTransaction tx = txs.get(i);
        assertThat(tx.origin()).isEqualTo(REGION);
        if (i > 0) {
          assertThat(tx.seq()).isGreaterThan(txs.get(i - 1).seq());
          assertThat(tx.causalContext().get(REGION)).isEqualTo(txs.get(i - 1).seq());
          assertThat(tx.commitTimestamp()).isGreaterThan(txs.get(i - 1).commitTimestamp());
        }
      }
      // The stamp of every handed-on transaction is durable in georep.xid_stamp.
      assertThat(
              CaptureFixture.queryLong(
                  connection,
                  "SELECT count(*) FROM georep.xid_stamp WHERE origin = 'us-east' AND seq IN ("
                      + txs.get(0).seq()
                      + ","
                      + txs.get(1).seq()
                      + ","
                      + txs.get(2).seq()
                      + ")"))
          .isEqualTo(3);
    }
    CaptureFixture.dropSlot(connection, "t_basic");
  }

  @Test
  void capture_keyChangingUpdate_shipsTheWholeNewRow() throws Exception {
    RecordingHandler handler = new RecordingHandler();
    try (PostgresChangeSource source =
        new PostgresChangeSource(config(database, "t_keymove", publication))) {
      source.start(handler, 0);
      execute(
          connection,
          "INSERT INTO wide VALUES (2, 'a', 2, 3, 'd', true, 1.5, '2024-01-02')",
          "UPDATE wide SET id = 3, c3 = 31 WHERE id = 2");
      List<SourceTransaction> txs = handler.awaitCount(2);
      RowChange.Update move = (RowChange.Update) txs.get(1).changes().get(0);
      // Other regions insert the new key from this alone, never from their copy of the old row.
      assertThat(move.key().values()).containsExactly(new Value.Int4(2));
      assertThat(move.changed())
          .hasSize(8)
          .containsEntry("id", new Value.Int4(3))
          .containsEntry("c1", new Value.Text("a"))
          .containsEntry("c3", new Value.Int4(31))
          .containsEntry("c7", new Value.Date(java.time.LocalDate.of(2024, 1, 2)));
    }
    execute(connection, "DELETE FROM wide WHERE id = 3");
    CaptureFixture.dropSlot(connection, "t_keymove");
  }

  @Test
  void capture_keylessTable_shipsWholeRowsWithNulls() throws Exception {
    Publication keyless =
        CaptureFixture.publication(
            """
            publication: keyless
            regions: all
            operations: [insert, update, delete]
            tables:
              - table: public.history
            """);
    RecordingHandler handler = new RecordingHandler();
    try (PostgresChangeSource source =
        new PostgresChangeSource(config(database, "t_keyless", keyless))) {
      source.start(handler, 0);
      execute(
          connection,
          "INSERT INTO history (tid, delta) VALUES (1, 5), (1, 5)",
          "UPDATE history SET delta = 6 WHERE ctid = (SELECT min(ctid) FROM history)",
          "DELETE FROM history WHERE delta = 5");
      List<SourceTransaction> txs = handler.awaitCount(3);
      RowChange.Insert insert = (RowChange.Insert) txs.get(0).changes().get(0);
      assertThat(insert.table().keyless()).isTrue();
      assertThat(insert.table().column(insert.table().indexOf("filler")).nullable()).isTrue();
      assertThat(insert.table().column(insert.table().indexOf("tid")).nullable()).isFalse();
      assertThat(txs.get(0).changes()).hasSize(2);
      assertThat(insert.key().values())
          .containsExactly(new Value.Int4(1), new Value.Int4(5), Value.NULL);
      RowChange.Update update = (RowChange.Update) txs.get(1).changes().get(0);
      // The old row identifies the copy; the new row is shipped whole.
      assertThat(update.key().values())
          .containsExactly(new Value.Int4(1), new Value.Int4(5), Value.NULL);
      assertThat(update.changed())
          .containsEntry("delta", new Value.Int4(6))
          .containsEntry("filler", Value.NULL);
      RowChange.Delete delete = (RowChange.Delete) txs.get(2).changes().get(0);
      assertThat(delete.key().values())
          .containsExactly(new Value.Int4(1), new Value.Int4(5), Value.NULL);
    }
    execute(connection, "DELETE FROM history");
    CaptureFixture.dropSlot(connection, "t_keyless");
  }

  @Test
  void capture_toastedValues_unchangedIsNeverNull() throws Exception {
    SplittableRandom random = new SplittableRandom(Seeds.of("toast").findFirst().getAsLong());
    byte[] bytes = new byte[5000];
    random.nextBytes(bytes);
    String big = HexFormat.of().formatHex(bytes); // 10 kB that compress poorly: TOASTed
    random.nextBytes(bytes);
    String big2 = HexFormat.of().formatHex(bytes);
    RecordingHandler handler = new RecordingHandler();
    try (PostgresChangeSource source =
        new PostgresChangeSource(config(database, "t_toast", publication))) {
      source.start(handler, 0);
      try (PreparedStatement insert =
          connection.prepareStatement("INSERT INTO toasty VALUES (1, 'n', ?)")) {
        insert.setString(1, big);
        insert.execute();
      }
      execute(connection, "UPDATE toasty SET note = 'm' WHERE id = 1");
      try (PreparedStatement update =
          connection.prepareStatement("UPDATE toasty SET big = ? WHERE id = 1")) {
        update.setString(1, big2);
        update.execute();
      }
      List<SourceTransaction> txs = handler.awaitCount(3);
      assertThat(((RowChange.Insert) txs.get(0).changes().get(0)).values())
          .containsEntry("big", new Value.Text(big));
      RowChange.Update unchanged = (RowChange.Update) txs.get(1).changes().get(0);
      assertThat(unchanged.changed())
          .containsEntry("note", new Value.Text("m"))
          .containsEntry("big", Value.UNCHANGED);
      RowChange.Update changed = (RowChange.Update) txs.get(2).changes().get(0);
      assertThat(changed.changed()).containsEntry("big", new Value.Text(big2));
    }
    CaptureFixture.dropSlot(connection, "t_toast");
  }

  @Test
  void capture_counterAndSetColumns_shipDeltas() throws Exception {
    RecordingHandler handler = new RecordingHandler();
    try (PostgresChangeSource source =
        new PostgresChangeSource(config(database, "t_delta", publication))) {
      source.start(handler, 0);
      execute(
          connection,
          "INSERT INTO stock VALUES (1, 10, '{a,b}')",
          "UPDATE stock SET on_hand = on_hand - 3, tags = '{b,c}' WHERE id = 1");
      List<SourceTransaction> txs = handler.awaitCount(2);
      RowChange.Update update = (RowChange.Update) txs.get(1).changes().get(0);
      assertThat(update.changed())
          .containsEntry("on_hand", Value.CounterDelta.of(-3))
          .containsEntry(
              "tags",
              new Value.SetDelta(List.of(new Value.Text("c")), List.of(new Value.Text("a"))));
    }
    CaptureFixture.dropSlot(connection, "t_delta");
  }

  @Test
  void capture_everyColumnType_roundTripsThroughTheServer() throws Exception {
    long seed = Seeds.of("capture-types").findFirst().getAsLong();
    SplittableRandom random = new SplittableRandom(seed);
    int rows = 100;
    List<Value[]> expected = new ArrayList<>();
    RecordingHandler handler = new RecordingHandler();
    try (PostgresChangeSource source =
        new PostgresChangeSource(config(database, "t_types", publication))) {
      source.start(handler, 0);
      StringBuilder sql = new StringBuilder("INSERT INTO typed VALUES (?");
      for (ColumnType type : TYPES) {
        sql.append(", ?::").append(sqlType(type));
      }
      sql.append(", ?::varchar, ?::interval, ?::json)");
      connection.setAutoCommit(false);
      try (PreparedStatement insert = connection.prepareStatement(sql.toString())) {
        for (int r = 0; r < rows; r++) {
          Value[] values = new Value[TYPES.size()];
          insert.setInt(1, r);
          for (int i = 0; i < TYPES.size(); i++) {
            values[i] = random.nextInt(10) == 0 ? Value.NULL : PgText.random(TYPES.get(i), random);
            insert.setString(
                i + 2, values[i] instanceof Value.Null ? null : PgText.format(values[i]));
          }
          insert.setString(TYPES.size() + 2, "v" + r);
          insert.setString(TYPES.size() + 3, "1 day 02:00:00");
          insert.setString(TYPES.size() + 4, "{\"a\" :  1}");
          insert.addBatch();
          expected.add(values);
        }
        insert.executeBatch();
        connection.commit();
      } finally {
        connection.setAutoCommit(true);
      }
      List<SourceTransaction> txs = handler.awaitCount(1);
      List<RowChange> changes = txs.get(0).changes();
      assertThat(changes).as("seed %s", seed).hasSize(rows);
      for (int r = 0; r < rows; r++) {
        RowChange.Insert insert = (RowChange.Insert) changes.get(r);
        for (int i = 0; i < TYPES.size(); i++) {
          assertThat(insert.valueAt(i + 1))
              .as("seed %s row %s column c%s (%s)", seed, r, i, TYPES.get(i))
              .isEqualTo(expected.get(r)[i]);
        }
        assertThat(insert.values().get("c_varchar")).isEqualTo(new Value.Text("v" + r));
        assertThat(insert.values().get("c_interval")).isEqualTo(new Value.Text("1 day 02:00:00"));
        assertThat(insert.values().get("c_json")).isEqualTo(new Value.Text("{\"a\" :  1}"));
      }
    }
    CaptureFixture.dropSlot(connection, "t_types");
  }

  @Test
  void start_tableWithoutKey_isRefusedNamingBothFixes() {
    Publication bad =
        CaptureFixture.publication(
            """
            publication: nokey
            regions: all
            operations: [insert, update, delete]
            tables:
              - table: public.nokey
            """);
    PostgresChangeSource source = new PostgresChangeSource(config(database, "t_nokey", bad));
    assertThatThrownBy(() -> source.start(new RecordingHandler(), 0))
        .isInstanceOf(CaptureException.class)
        .hasMessageContaining("public.nokey")
        .hasMessageContaining("ADD PRIMARY KEY")
        .hasMessageContaining("REPLICA IDENTITY FULL");
    source.close();
  }

  @Test
  void capture_concurrentWriters_preservesCommitOrder() throws Exception {
    int writers = 4;
    int perWriter = 40;
    RecordingHandler handler = new RecordingHandler();
    try (PostgresChangeSource source =
        new PostgresChangeSource(config(database, "t_concurrent", publication))) {
      source.start(handler, 0);
      ExecutorService pool = Executors.newFixedThreadPool(writers);
      try {
        List<Future<?>> futures = new ArrayList<>();
        for (int w = 0; w < writers; w++) {
          int writer = w;
          futures.add(
              pool.submit(
                  () -> {
                    try (Connection c = database.connect()) {
                      for (int n = 0; n < perWriter; n++) {
                        execute(
                            c, "INSERT INTO events (writer, n) VALUES (" + writer + ", " + n + ")");
                      }
                    }
                    return null;
                  }));
        }
        for (Future<?> f : futures) {
          f.get();
        }
      } finally {
        pool.shutdown();
      }
      List<SourceTransaction> txs = handler.awaitCount(writers * perWriter);
      assertThat(txs).hasSize(writers * perWriter);
      int[] next = new int[writers];
      for (int i = 0; i < txs.size(); i++) {
        if (i > 0) {
          assertThat(txs.get(i).seq()).isGreaterThan(txs.get(i - 1).seq());
        }
        RowChange.Insert insert = (RowChange.Insert) txs.get(i).changes().get(0);
        int writer = ((Value.Int4) insert.values().get("writer")).value();
        int n = ((Value.Int4) insert.values().get("n")).value();
        // Each writer committed its rows in order, so commit order shows them in order.
        assertThat(n).isEqualTo(next[writer]++);
      }
      assertThat(next).containsOnly(perWriter);
      // seq is the commit LSN: the last one is below the current WAL position.
      assertThat(txs.get(txs.size() - 1).seq())
          .isLessThan(CaptureFixture.queryLong(connection, "SELECT pg_current_wal_lsn() - '0/0'"));
    }
    CaptureFixture.dropSlot(connection, "t_concurrent");
  }

  @Test
  void restart_afterHandOffBeforeConfirm_reEmitsIdenticalTransactions() throws Exception {
    String slot = "t_crash_after";
    RecordingHandler first = new RecordingHandler();
    List<SourceTransaction> before;
    try (PostgresChangeSource source =
        new PostgresChangeSource(config(database, slot, publication))) {
      source.start(first, 0);
      for (int i = 0; i < 3; i++) {
        execute(connection, "INSERT INTO events (writer, n) VALUES (100, " + i + ")");
      }
      before = first.awaitCount(3);
      source.acknowledge(before.get(0).seq());
      first.await(
          () -> confirmedFlush(slot) > before.get(0).seq(), "the slot to confirm the first");
      // Crash: the walsender dies after hand-off, before transactions 2 and 3 are confirmed.
      execute(
          connection,
          "SELECT pg_terminate_backend(active_pid) FROM pg_replication_slots WHERE slot_name = '"
              + slot
              + "'");
      first.await(() -> first.failure != null, "the source to fail");
      assertThat(first.failure).isInstanceOf(RetriableGeorepException.class);
    }
    CaptureFixture.awaitInactive(connection, slot);
    execute(connection, "INSERT INTO events (writer, n) VALUES (100, 3)");
    RecordingHandler second = new RecordingHandler();
    try (PostgresChangeSource source =
        new PostgresChangeSource(config(database, slot, publication))) {
      source.start(second, 0);
      List<SourceTransaction> after = second.awaitCount(3);
      assertThat(after.get(0)).isEqualTo(before.get(1));
      assertThat(after.get(1)).isEqualTo(before.get(2));
      assertThat(after.get(0).commitTimestamp()).isEqualTo(before.get(1).commitTimestamp());
      assertThat(after.get(2).seq()).isGreaterThan(before.get(2).seq());
      assertThat(after.get(2).causalContext().get(REGION)).isEqualTo(before.get(2).seq());
      assertThat(after.get(2).commitTimestamp()).isGreaterThan(before.get(2).commitTimestamp());
    }
    CaptureFixture.dropSlot(connection, slot);
  }

  /**
   * Per-table workers apply an origin out of order: an apply transaction can name a dot above its
   * watermark, and a local writer after it may have read that dot's rows. Its context (a prefix)
   * cannot name the dot; its horizon must, or a receiver lets it pass before the dot (a child
   * before its parent). The horizon survives a restart (persisted with the capture state) and the
   * context never over-claims.
   */
  @Test
  void capture_applyAboveTheWatermark_horizonNamesItAndContextDoesNot() throws Exception {
    String slot = "t_horizon";
    ReplicaId remote = ReplicaId.of("eu-west");
    RecordingHandler first = new RecordingHandler();
    List<SourceTransaction> before;
    try (PostgresChangeSource source =
        new PostgresChangeSource(config(database, slot, publication))) {
      source.start(first, 0);
      // Applied: eu-west 900 while the prefix of eu-west stands at 400 (700 is still in flight).
      writeMark(
          new ApplyMark(
              List.of(new Dot(remote, 900)),
              VersionVector.of(Map.of(remote, 400L)),
              new HybridTimestamp(System.currentTimeMillis(), 0, remote)));
      execute(connection, "INSERT INTO events (writer, n) VALUES (400, 0)");
      before = first.awaitCount(1);
      SourceTransaction tx = before.get(0);
      assertThat(tx.causalContext().get(remote)).isEqualTo(400L);
      assertThat(tx.horizon().get(remote)).isEqualTo(900L);
      source.acknowledge(tx.seq());
      first.await(() -> confirmedFlush(slot) > tx.seq(), "the slot to confirm it");
    }
    CaptureFixture.awaitInactive(connection, slot);
    RecordingHandler second = new RecordingHandler();
    try (PostgresChangeSource source =
        new PostgresChangeSource(config(database, slot, publication))) {
      source.start(second, 0);
      execute(connection, "INSERT INTO events (writer, n) VALUES (400, 1)");
      SourceTransaction next = second.awaitCount(1).get(0);
      assertThat(next.causalContext().get(remote)).isEqualTo(400L);
      assertThat(next.horizon().get(remote)).isEqualTo(900L);
      // The prefix catches up past the dot: context and horizon agree again.
      writeMark(
          new ApplyMark(
              List.of(new Dot(remote, 700)),
              VersionVector.of(Map.of(remote, 900L)),
              new HybridTimestamp(System.currentTimeMillis(), 0, remote)));
      execute(connection, "INSERT INTO events (writer, n) VALUES (400, 2)");
      SourceTransaction last = second.awaitCount(2).get(1);
      assertThat(last.causalContext().get(remote)).isEqualTo(900L);
      assertThat(last.horizon()).isEqualTo(last.causalContext());
    }
    CaptureFixture.dropSlot(connection, slot);
  }

  private void writeMark(ApplyMark mark) throws Exception {
    connection.setAutoCommit(false);
    try (PreparedStatement statement = connection.prepareStatement(ApplyMark.SQL)) {
      statement.setBytes(1, mark.encode());
      statement.execute();
      connection.commit();
    } finally {
      connection.setAutoCommit(true);
    }
  }

  /**
   * After a server crash a logical slot can go back: PostgreSQL saves its confirmed position only
   * at checkpoints. Here the slot is put back the same way (a copy taken before the transactions
   * replaces it), after the capture persisted their acknowledgment and the garbage collection
   * removed the stamps below it. The restarted capture must skip them rather than emit them again
   * (without their stamps it could not even rebuild them, and halted).
   */
  @Test
  void restart_slotWentBackBehindTheAcknowledgment_emitsNothingAcknowledgedAgain()
      throws Exception {
    String slot = "t_went_back";
    RecordingHandler first = new RecordingHandler();
    List<SourceTransaction> before;
    try (PostgresChangeSource source =
        new PostgresChangeSource(config(database, slot, publication))) {
      source.start(first, 0);
      execute(connection, "SELECT pg_copy_logical_replication_slot('" + slot + "', 't_saved')");
      for (int i = 0; i < 3; i++) {
        execute(connection, "INSERT INTO events (writer, n) VALUES (300, " + i + ")");
      }
      before = first.awaitCount(3);
      long last = before.get(2).seq();
      source.acknowledge(last);
      first.await(() -> confirmedFlush(slot) > last, "the slot to confirm all three");
      // What the garbage collection removes once they are acknowledged (MetadataCollection).
      execute(
          connection,
          "DELETE FROM georep.xid_stamp WHERE origin = '"
              + REGION.name()
              + "' AND seq < (SELECT min(acknowledged_seq) FROM georep.capture_state"
              + " WHERE origin = '"
              + REGION.name()
              + "')");
    }
    CaptureFixture.awaitInactive(connection, slot);
    CaptureFixture.dropSlot(connection, slot);
    execute(connection, "SELECT pg_copy_logical_replication_slot('t_saved', '" + slot + "')");
    CaptureFixture.dropSlot(connection, "t_saved");
    assertThat(confirmedFlush(slot)).isLessThan(before.get(0).seq());
    execute(connection, "INSERT INTO events (writer, n) VALUES (300, 3)");
    RecordingHandler second = new RecordingHandler();
    try (PostgresChangeSource source =
        new PostgresChangeSource(config(database, slot, publication))) {
      source.start(second, 0);
      List<SourceTransaction> after = second.awaitCount(1);
      assertThat(second.failure).isNull();
      assertThat(after.get(0).seq()).isGreaterThan(before.get(2).seq());
      assertThat(after.get(0).causalContext().get(REGION)).isEqualTo(before.get(2).seq());
      execute(connection, "INSERT INTO events (writer, n) VALUES (300, 4)");
      List<SourceTransaction> then = second.awaitCount(2);
      assertThat(then.get(1).seq()).isGreaterThan(then.get(0).seq());
      assertThat(second.failure).isNull();
    }
    CaptureFixture.dropSlot(connection, slot);
  }

  @Test
  void restart_afterFailureBeforeHandOff_deliversEverything() throws Exception {
    String slot = "t_crash_before";
    AtomicInteger calls = new AtomicInteger();
    List<SourceTransaction> delivered = new ArrayList<>();
    RecordingHandler first =
        new RecordingHandler() {
          @Override
          public synchronized void onTransaction(SourceTransaction transaction) {
            if (calls.incrementAndGet() == 2) {
              throw new IllegalStateException("simulated crash before hand-off");
            }
            super.onTransaction(transaction);
          }
        };
    try (PostgresChangeSource source =
        new PostgresChangeSource(config(database, slot, publication))) {
      source.start(first, 0);
      execute(connection, "INSERT INTO events (writer, n) VALUES (200, 0)");
      first.awaitCount(1);
      source.acknowledge(first.snapshot().get(0).seq());
      execute(connection, "INSERT INTO events (writer, n) VALUES (200, 1)");
      execute(connection, "INSERT INTO events (writer, n) VALUES (200, 2)");
      first.await(() -> first.failure != null, "the handler failure to stop the source");
      assertThat(first.failure).isInstanceOf(GeorepException.class);
      delivered.addAll(first.snapshot());
    }
    CaptureFixture.awaitInactive(connection, slot);
    RecordingHandler second = new RecordingHandler();
    try (PostgresChangeSource source =
        new PostgresChangeSource(config(database, slot, publication))) {
      source.start(second, delivered.get(0).seq());
      List<SourceTransaction> after = second.awaitCount(2);
      List<Integer> ns = new ArrayList<>();
      for (SourceTransaction tx : after) {
        assertThat(tx.seq()).isGreaterThan(delivered.get(0).seq());
        ns.add(((Value.Int4) ((RowChange.Insert) tx.changes().get(0)).values().get("n")).value());
      }
      assertThat(ns).containsExactly(1, 2);
      assertThat(after.get(0).causalContext().get(REGION)).isEqualTo(delivered.get(0).seq());
    }
    CaptureFixture.dropSlot(connection, slot);
  }

  private long confirmedFlush(String slot) {
    try {
      return CaptureFixture.queryLong(
          connection,
          "SELECT coalesce(confirmed_flush_lsn - '0/0', 0) FROM pg_replication_slots"
              + " WHERE slot_name = '"
              + slot
              + "'");
    } catch (java.sql.SQLException e) {
      throw new AssertionError(e);
    }
  }
}
