package io.georep.connectors.postgres;

import static io.georep.connectors.postgres.CaptureFixture.execute;
import static org.assertj.core.api.Assertions.assertThat;

import io.georep.connector.RowChange;
import io.georep.connector.SourceTransaction;
import io.georep.connector.Value;
import io.georep.publication.Publication;
import java.nio.file.Path;
import java.sql.Connection;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * A new slot starts with a copy of the existing rows, from the slot's exported snapshot, delivered
 * before the changes the slot streams; a copy interrupted by a crash is done again, whole, from a
 * new slot.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class InitialCopyIT {

  private final Map<EmbeddedDatabase.Version, EmbeddedDatabase> databases =
      new EnumMap<>(EmbeddedDatabase.Version.class);

  @TempDir Path spill;

  private final Publication publication =
      CaptureFixture.publication(
          """
          publication: copied
          operations: [insert, update, delete]
          tables:
            - table: public.items
              filter: "id % 2 = 0"
              masks:
                name: redact
          """);

  @AfterAll
  void stop() throws Exception {
    for (EmbeddedDatabase database : databases.values()) {
      database.close();
    }
  }

  private PostgresSourceConfig config(EmbeddedDatabase database, String slot) {
    return CaptureFixture.config(database, slot, publication)
        .withInitialCopy(true)
        .withLargeTransactions(5, 1L << 20, spill);
  }

  private static List<Integer> ids(SourceTransaction tx) {
    List<Integer> ids = new ArrayList<>();
    for (RowChange change : tx.changes()) {
      assertThat(change).isInstanceOf(RowChange.Insert.class);
      ids.add(((Value.Int4) change.key().values().get(0)).value());
    }
    return ids;
  }

  @ParameterizedTest(name = "{0}")
  @EnumSource(EmbeddedDatabase.Version.class)
  void newSlot_existingRows_copiedBeforeLiveChanges(EmbeddedDatabase.Version version)
      throws Exception {
    EmbeddedDatabase database = EmbeddedDatabase.start(version);
    databases.put(version, database);
    try (Connection connection = database.connect()) {
      execute(
          connection,
          "CREATE TABLE items (id int PRIMARY KEY, name text)",
          "INSERT INTO items SELECT g, 'secret-' || g FROM generate_series(25, 1, -1) g",
          "ANALYZE items");
      RecordingHandler handler = new RecordingHandler();
      List<String> progress = Collections.synchronizedList(new ArrayList<>());
      try (PostgresChangeSource source = new PostgresChangeSource(config(database, "copy"))) {
        source.setCopyProgressListener(
            (table, rows, estimate, done) ->
                progress.add(table.name() + " " + rows + "/" + estimate + (done ? " done" : "")));
        source.start(handler, 0);
        execute(connection, "INSERT INTO items VALUES (100, 'secret-live')");
        List<SourceTransaction> txs = handler.awaitCount(2);
        SourceTransaction copy = txs.get(0);
        SourceTransaction live = txs.get(1);
        assertThat(ids(copy)).containsExactly(2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24);
        assertThat(copy.changes())
            .allSatisfy(
                c ->
                    assertThat(((RowChange.Insert) c).values())
                        .containsEntry("name", new Value.Text("****")));
        assertThat(copy.toString() + copy.changes()).doesNotContain("secret");
        assertThat(ids(live)).containsExactly(100);
        assertThat(live.seq()).isGreaterThan(copy.seq());
        assertThat(live.causalContext().get(CaptureFixture.REGION)).isEqualTo(copy.seq());
        assertThat(progress).contains("items 25/25 done");
        source.acknowledge(live.seq());
        handler.await(
            () -> {
              try {
                return CaptureFixture.queryLong(
                        connection,
                        "SELECT count(*) FROM georep.initial_copy WHERE slot_name = 'copy'"
                            + " AND status = 'done' AND seq = "
                            + copy.seq())
                    == 1;
              } catch (java.sql.SQLException e) {
                throw new IllegalStateException(e);
              }
            },
            "the copy to be marked done");
      }
      CaptureFixture.dropSlot(connection, "copy");
    } finally {
      databases.remove(version).close();
    }
  }

  @Test
  void copyInterruptedByCrash_restartCopiesEverythingAgainBeforeLiveChanges() throws Exception {
    EmbeddedDatabase database = EmbeddedDatabase.start();
    databases.put(EmbeddedDatabase.Version.PG17, database);
    try (Connection connection = database.connect()) {
      execute(
          connection,
          "CREATE TABLE items (id int PRIMARY KEY, name text)",
          "INSERT INTO items SELECT g, 'n' || g FROM generate_series(1, 80) g");
      PostgresChangeSource[] crashing = new PostgresChangeSource[1];
      RecordingHandler first =
          new RecordingHandler() {
            @Override
            public synchronized void onFragment(SourceTransaction fragment, int i, boolean last) {
              super.onFragment(fragment, i, last);
              if (i == 2) {
                crashing[0].close(); // what a crash after three chunks leaves behind
              }
            }
          };
      crashing[0] = new PostgresChangeSource(config(database, "crash"));
      crashing[0].start(first, 0);
      first.await(() -> first.fragments.size() == 3, "three fragments");
      CaptureFixture.awaitInactive(connection, "crash");
      long firstSeq = first.fragments.get(0).seq();
      assertThat(first.snapshot()).isEmpty();

      RecordingHandler second = new RecordingHandler();
      try (PostgresChangeSource source = new PostgresChangeSource(config(database, "crash"))) {
        source.start(second, 0);
        execute(connection, "INSERT INTO items VALUES (1000, 'live')");
        List<SourceTransaction> txs = second.awaitCount(2);
        List<Integer> expected = new ArrayList<>();
        for (int id = 2; id <= 80; id += 2) {
          expected.add(id);
        }
        assertThat(ids(txs.get(0))).containsExactlyElementsOf(expected);
        assertThat(txs.get(0).seq()).isGreaterThan(firstSeq);
        assertThat(ids(txs.get(1))).containsExactly(1000);
        assertThat(txs.get(1).seq()).isGreaterThan(txs.get(0).seq());
      }
      CaptureFixture.dropSlot(connection, "crash");
    } finally {
      databases.remove(EmbeddedDatabase.Version.PG17).close();
    }
  }

  @Test
  void copyFolded_isDone_andARestartBeforeTheSlotIsConfirmedDoesNotCopyAgain() throws Exception {
    Publication plain =
        CaptureFixture.publication(
            """
            publication: plain
            operations: [insert, update, delete]
            tables:
              - table: public.items
            """);
    EmbeddedDatabase database = EmbeddedDatabase.start();
    databases.put(EmbeddedDatabase.Version.PG17, database);
    try (Connection connection = database.connect()) {
      execute(
          connection,
          "CREATE TABLE items (id int PRIMARY KEY, name text)",
          "INSERT INTO items SELECT g, 'n' || g FROM generate_series(1, 30) g");
      PostgresSourceConfig source = CaptureFixture.config(database, "folded", plain);
      source = source.withInitialCopy(true);
      RecordingHandler first = new RecordingHandler();
      SourceTransaction copy;
      try (PostgresChangeSource capture = new PostgresChangeSource(source)) {
        capture.start(first, 0);
        copy = first.awaitCount(1).get(0);
        // Kafka acknowledged the copy and the agent folds it; the capture has not confirmed it
        // (nothing acknowledged to the source) when the process dies.
        try (PostgresChangeApplier folder =
            PostgresChangeApplier.start(
                ApplyFixture.config(database, CaptureFixture.REGION, plain))) {
          folder.foldLocal(List.of(copy));
        }
        assertThat(
                CaptureFixture.queryLong(
                    connection,
                    "SELECT count(*) FROM georep.initial_copy WHERE slot_name = 'folded'"
                        + " AND status = 'done' AND seq = "
                        + copy.seq()))
            .isEqualTo(1);
      }
      CaptureFixture.awaitInactive(connection, "folded");

      RecordingHandler second = new RecordingHandler();
      try (PostgresChangeSource capture = new PostgresChangeSource(source)) {
        capture.start(second, 0);
        execute(connection, "INSERT INTO items VALUES (1000, 'live')");
        SourceTransaction next = second.awaitCount(1).get(0);
        // The live insert, not a second copy of the 30 rows under a new seq.
        assertThat(ids(next)).containsExactly(1000);
        assertThat(next.seq()).isGreaterThan(copy.seq());
      }
      CaptureFixture.dropSlot(connection, "folded");
    } finally {
      databases.remove(EmbeddedDatabase.Version.PG17).close();
    }
  }
}
