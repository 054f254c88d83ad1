package io.georep.connectors.postgres;

import static io.georep.connectors.postgres.CaptureFixture.execute;
import static org.assertj.core.api.Assertions.assertThat;

import io.georep.connector.RowChange;
import io.georep.connector.SourceTransaction;
import io.georep.connector.Value;
import io.georep.publication.Publication;
import io.georep.testkit.EmbeddedRegionDatabase;
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
 * A new slot starts with a copy of the existing rows, read in chunks by key range, each chunk a
 * transaction of the stream: live changes to rows of chunks not handed on yet are not shipped (the
 * chunk carries them), later ones are; a crashed copy resumes after its last committed chunk, and
 * chunks committed but not acknowledged come again, identical, from the slot.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class InitialCopyIT {

  private final Map<PgVersion, EmbeddedRegionDatabase> databases = new EnumMap<>(PgVersion.class);

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

  private final Publication plain =
      CaptureFixture.publication(
          """
          publication: plain
          operations: [insert, update, delete]
          tables:
            - table: public.items
          """);

  @AfterAll
  void stop() throws Exception {
    for (EmbeddedRegionDatabase database : databases.values()) {
      database.close();
    }
  }

  private PostgresSourceConfig config(EmbeddedRegionDatabase database, String slot, Publication p) {
    return CaptureFixture.config(database, slot, p)
        .withInitialCopy(true)
        .withLargeTransactions(1_000, 1L << 20, spill)
        .withCopy(100, 1);
  }

  private static List<Integer> ids(SourceTransaction tx) {
    List<Integer> ids = new ArrayList<>();
    for (RowChange change : tx.changes()) {
      assertThat(change).isInstanceOf(RowChange.Insert.class);
      ids.add(((Value.Int4) change.key().values().get(0)).value());
    }
    return ids;
  }

  private static List<Integer> range(int from, int to, int step) {
    List<Integer> ids = new ArrayList<>();
    for (int id = from; id <= to; id += step) {
      ids.add(id);
    }
    return ids;
  }

  @ParameterizedTest(name = "{0}")
  @EnumSource(PgVersion.class)
  void newSlot_rowsCopiedInChunks_liveChangesToUncopiedRowsRideInTheirChunk(PgVersion version)
      throws Exception {
    EmbeddedRegionDatabase database = version.start();
    databases.put(version, database);
    try (Connection connection = database.connect();
        Connection writer = database.connect()) {
      execute(
          connection,
          "CREATE TABLE items (id int PRIMARY KEY, name text)",
          "INSERT INTO items SELECT g, 'secret-' || g FROM generate_series(250, 1, -1) g",
          "ANALYZE items");
      // The truncate trigger first (creating it waits for the lock below), then a writer holds
      // the table (no xid yet, so the slot is created without waiting): the first chunk waits for
      // the update below, which commits before it and is not shipped by itself.
      io.georep.connectors.postgres.internal.schema.MetadataSchema.migrate(connection);
      io.georep.connectors.postgres.internal.capture.TruncateTriggers.install(
          connection, List.of(publication));
      writer.setAutoCommit(false);
      execute(writer, "LOCK TABLE items IN ROW EXCLUSIVE MODE");
      RecordingHandler handler = new RecordingHandler();
      List<String> progress = Collections.synchronizedList(new ArrayList<>());
      try (PostgresChangeSource source =
          new PostgresChangeSource(config(database, "copy", publication))) {
        source.setCopyProgressListener(
            (table, rows, estimate, done) ->
                progress.add(table.name() + " " + rows + "/" + estimate + (done ? " done" : "")));
        source.start(handler, 0);
        execute(writer, "UPDATE items SET name = 'secret-changed' WHERE id IN (2, 240)");
        writer.commit();
        List<SourceTransaction> txs = handler.awaitCount(4);
        // The update, emptied: both rows were in chunks to come.
        assertThat(txs.get(0).changes()).isEmpty();
        assertThat(ids(txs.get(1))).containsExactlyElementsOf(range(2, 100, 2));
        assertThat(ids(txs.get(2))).containsExactlyElementsOf(range(102, 200, 2));
        assertThat(ids(txs.get(3))).containsExactlyElementsOf(range(202, 250, 2));
        for (SourceTransaction chunk : txs.subList(1, 4)) {
          assertThat(chunk.changes())
              .allSatisfy(
                  c ->
                      assertThat(((RowChange.Insert) c).values())
                          .containsEntry("name", new Value.Text("****")));
          assertThat(chunk.toString() + chunk.changes()).doesNotContain("secret");
          assertThat(chunk.seq()).isGreaterThan(txs.get(0).seq());
        }
        assertThat(progress).contains("items 250/250 done");
        assertThat(
                CaptureFixture.queryLong(
                    connection,
                    "SELECT count(*) FROM georep.initial_copy_chunk WHERE slot_name = 'copy'"))
            .isEqualTo(3);

        // The fold marks the copied rows synchronised, also those the emptied update wrote.
        try (PostgresChangeApplier folder =
            PostgresChangeApplier.start(
                ApplyFixture.config(database, CaptureFixture.REGION, publication))) {
          folder.foldLocal(txs.subList(0, 4));
        }
        assertThat(
                CaptureFixture.queryLong(
                    connection,
                    "SELECT count(*) FROM georep.row_meta"
                        + " WHERE table_name = 'items' AND writer_xid32 IS NOT NULL"))
            .isEqualTo(125);
        assertThat(
                CaptureFixture.queryLong(
                    connection,
                    "SELECT count(*) FROM georep.row_meta WHERE table_name = 'items'"
                        + " AND writer_xid32 NOT IN (SELECT xmin::text::bigint FROM items)"))
            .isZero();

        // Masks apply to what leaves the region, never to the origin's own rows.
        assertThat(
                CaptureFixture.queryLong(
                    connection, "SELECT count(*) FROM items WHERE name = '****'"))
            .isZero();

        // After the copy, changes to copied rows ship as they are.
        execute(connection, "UPDATE items SET name = 'x' WHERE id = 4");
        SourceTransaction live = handler.awaitCount(5).get(4);
        assertThat(live.changes()).singleElement().isInstanceOf(RowChange.Update.class);
        assertThat(live.causalContext().get(CaptureFixture.REGION)).isEqualTo(txs.get(3).seq());

        source.acknowledge(live.seq());
        handler.await(
            () -> {
              try {
                return CaptureFixture.queryLong(
                        connection,
                        "SELECT count(*) FROM georep.initial_copy WHERE slot_name = 'copy'"
                            + " AND status = 'done'")
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
  void copyInterruptedByCrash_resumesAfterItsLastCommittedChunk() throws Exception {
    EmbeddedRegionDatabase database = PgVersion.PG17.start();
    databases.put(PgVersion.PG17, database);
    try (Connection connection = database.connect()) {
      execute(
          connection,
          "CREATE TABLE items (id int PRIMARY KEY, name text)",
          "INSERT INTO items SELECT g, 'n' || g FROM generate_series(1, 2000) g");
      // The first chunk handed on blocks the capture, so the reader stops a few chunks ahead.
      java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
      RecordingHandler first =
          new RecordingHandler() {
            // Blocks outside the monitor, so that the test can read what arrived.
            @Override
            @SuppressWarnings("UnsynchronizedOverridesSynchronized")
            public void onTransaction(SourceTransaction transaction) {
              super.onTransaction(transaction);
              try {
                release.await();
              } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
              }
            }
          };
      PostgresChangeSource crashing =
          new PostgresChangeSource(config(database, "crash", plain).withStampBatchChanges(100));
      crashing.start(first, 0);
      first.awaitCount(1);
      Thread.sleep(500);
      long readBefore =
          CaptureFixture.queryLong(connection, "SELECT read_chunk FROM georep.initial_copy_table");
      assertThat(readBefore).isBetween(1L, 19L);
      // "Crash": nothing acknowledged.
      Thread closer = new Thread(crashing::close);
      closer.start();
      Thread.sleep(200);
      release.countDown();
      closer.join();
      CaptureFixture.awaitInactive(connection, "crash");
      SourceTransaction firstChunk = first.snapshot().get(0);

      RecordingHandler second = new RecordingHandler();
      try (PostgresChangeSource source =
          new PostgresChangeSource(config(database, "crash", plain))) {
        source.start(second, 0);
        List<SourceTransaction> chunks = second.awaitCount(20);
        List<Integer> all = new ArrayList<>();
        long seq = 0;
        for (SourceTransaction chunk : chunks) {
          all.addAll(ids(chunk));
          assertThat(chunk.seq()).isGreaterThan(seq);
          seq = chunk.seq();
        }
        // Every row once (20 chunks; the 21st, empty, is placed without a transaction): the
        // chunks committed before the crash come again from the slot (the first identical), the
        // reader continued after them.
        assertThat(all).containsExactlyElementsOf(range(1, 2000, 1));
        assertThat(chunks.get(0)).isEqualTo(firstChunk);
        execute(connection, "INSERT INTO items VALUES (5000, 'live')");
        assertThat(ids(second.awaitCount(21).get(20))).containsExactly(5000);
      }
      assertThat(
              CaptureFixture.queryLong(
                  connection,
                  "SELECT count(*) FROM georep.initial_copy_chunk WHERE slot_name = 'crash'"))
          .isEqualTo(21);
      assertThat(
              CaptureFixture.queryLong(
                  connection,
                  "SELECT sum(rows) FROM georep.initial_copy_chunk WHERE slot_name = 'crash'"))
          .isEqualTo(2000);
      CaptureFixture.dropSlot(connection, "crash");
    } finally {
      databases.remove(PgVersion.PG17).close();
    }
  }

  @Test
  void copyAcknowledged_isDone_andARestartDoesNotCopyAgain() throws Exception {
    EmbeddedRegionDatabase database = PgVersion.PG17.start();
    databases.put(PgVersion.PG17, database);
    try (Connection connection = database.connect()) {
      execute(
          connection,
          "CREATE TABLE items (id int PRIMARY KEY, name text)",
          "INSERT INTO items SELECT g, 'n' || g FROM generate_series(1, 30) g");
      PostgresSourceConfig source = config(database, "folded", plain);
      RecordingHandler first = new RecordingHandler();
      SourceTransaction copy;
      try (PostgresChangeSource capture = new PostgresChangeSource(source)) {
        capture.start(first, 0);
        copy = first.awaitCount(1).get(0);
        assertThat(ids(copy)).containsExactlyElementsOf(range(1, 30, 1));
        capture.acknowledge(copy.seq());
        first.await(
            () -> {
              try {
                return CaptureFixture.queryLong(
                        connection,
                        "SELECT count(*) FROM georep.initial_copy WHERE slot_name = 'folded'"
                            + " AND status = 'done'")
                    == 1;
              } catch (java.sql.SQLException e) {
                throw new IllegalStateException(e);
              }
            },
            "the copy to be marked done");
      }
      CaptureFixture.awaitInactive(connection, "folded");

      RecordingHandler second = new RecordingHandler();
      try (PostgresChangeSource capture = new PostgresChangeSource(source)) {
        capture.start(second, 0);
        execute(connection, "INSERT INTO items VALUES (1000, 'live')");
        SourceTransaction next = second.awaitCount(1).get(0);
        // The live insert, not a second copy of the 30 rows.
        assertThat(ids(next)).containsExactly(1000);
        assertThat(next.seq()).isGreaterThan(copy.seq());
      }
      CaptureFixture.dropSlot(connection, "folded");
    } finally {
      databases.remove(PgVersion.PG17).close();
    }
  }
}
