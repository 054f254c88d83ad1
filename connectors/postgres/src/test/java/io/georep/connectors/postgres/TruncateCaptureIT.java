package io.georep.connectors.postgres;

import static io.georep.connectors.postgres.CaptureFixture.execute;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.georep.connector.RowChange;
import io.georep.connector.SourceTransaction;
import io.georep.connector.Value;
import io.georep.publication.Publication;
import io.georep.testkit.EmbeddedRegionDatabase;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A TRUNCATE of a published table is captured as the deletes of the rows it removed (children of a
 * foreign key before their parents, keyless rows whole), never halts the capture; a TRUNCATE of a
 * table whose publications leave truncate out is refused; one that bypassed georep's trigger halts
 * the capture with a message naming the trigger and the way out.
 */
class TruncateCaptureIT {

  private EmbeddedRegionDatabase database;
  private Connection connection;

  @BeforeEach
  void start() throws Exception {
    database = PgVersion.PG17.start();
    connection = database.connect();
    execute(
        connection,
        "CREATE TABLE parents (id int PRIMARY KEY, name text)",
        "CREATE TABLE children (id int PRIMARY KEY, parent_id int REFERENCES parents (id), v text)",
        "CREATE TABLE log_t (line text, n int)",
        "ALTER TABLE log_t REPLICA IDENTITY FULL",
        "CREATE TABLE kept (id int PRIMARY KEY, v text)",
        "INSERT INTO parents SELECT g, 'p' || g FROM generate_series(1, 5) g",
        "INSERT INTO children SELECT g, 1 + g % 5, 'c' || g FROM generate_series(1, 12) g",
        "INSERT INTO log_t VALUES ('x', NULL), ('x', NULL), ('y', 1)",
        "INSERT INTO kept VALUES (1, 'stays')");
  }

  @AfterEach
  void stop() throws Exception {
    if (connection != null) {
      connection.close();
    }
    if (database != null) {
      database.close();
    }
  }

  private static Publication publication(String operations) {
    return CaptureFixture.publication(
        """
        publication: truncated
        operations: %s
        tables:
          - table: public.parents
          - table: public.children
          - table: public.log_t
        """
            .formatted(operations));
  }

  private static Publication keptOut() {
    return CaptureFixture.publication(
        """
        publication: kept
        operations: [insert, update, delete]
        tables:
          - table: public.kept
        """);
  }

  @Test
  void truncateCascade_isCapturedAsTheDeletesOfEveryRow_childrenFirst() throws Exception {
    RecordingHandler handler = new RecordingHandler();
    try (PostgresChangeSource source =
        new PostgresChangeSource(
            CaptureFixture.config(
                database, "trunc", publication("[insert, update, delete, truncate]")))) {
      source.start(handler, 0);
      execute(
          connection,
          "BEGIN",
          "TRUNCATE parents, log_t CASCADE",
          "INSERT INTO parents VALUES (100, 'reloaded')",
          "COMMIT");
      execute(connection, "INSERT INTO children VALUES (100, 100, 'after')");
      List<SourceTransaction> txs = handler.awaitCount(2);
      assertThat(handler.failure).isNull();
      Map<String, Integer> deletes = new TreeMap<>();
      List<String> order = new ArrayList<>();
      for (RowChange change : txs.get(0).changes()) {
        String table = change.tableId().name();
        if (change instanceof RowChange.Delete) {
          deletes.merge(table, 1, Integer::sum);
          if (order.isEmpty() || !order.get(order.size() - 1).equals(table)) {
            order.add(table);
          }
        } else {
          assertThat(change).isInstanceOf(RowChange.Insert.class);
          assertThat(change.key().values()).containsExactly(new Value.Int4(100));
        }
      }
      assertThat(deletes)
          .containsExactly(
              Map.entry("children", 12), Map.entry("log_t", 3), Map.entry("parents", 5));
      // The children's deletes come before their parents' (the foreign key holds at every step).
      assertThat(order.indexOf("children")).isLessThan(order.indexOf("parents"));
      assertThat(txs.get(1).changes()).hasSize(1);
      assertThat(CaptureFixture.queryLong(connection, "SELECT count(*) FROM children"))
          .isEqualTo(1);
    }
    CaptureFixture.dropSlot(connection, "trunc");
  }

  @Test
  void truncate_ofATableWhosePublicationsLeaveTruncateOut_isRefusedNamingTheWayOut()
      throws Exception {
    RecordingHandler handler = new RecordingHandler();
    try (PostgresChangeSource source =
        new PostgresChangeSource(CaptureFixture.config(database, "refuse", keptOut()))) {
      source.start(handler, 0);
      assertThatThrownBy(() -> execute(connection, "TRUNCATE kept"))
          .isInstanceOf(SQLException.class)
          .hasMessageContaining("TRUNCATE of public.kept is not replicated")
          .hasMessageContaining("Use DELETE");
      assertThat(CaptureFixture.queryLong(connection, "SELECT count(*) FROM kept")).isEqualTo(1);
      execute(connection, "DELETE FROM kept");
      assertThat(handler.awaitCount(1).get(0).changes()).hasSize(1);
    }
    CaptureFixture.dropSlot(connection, "refuse");
  }

  @Test
  void truncate_withoutGeorepsTrigger_haltsNamingTheTriggerAndTheWayOut() throws Exception {
    RecordingHandler handler = new RecordingHandler();
    try (PostgresChangeSource source =
        new PostgresChangeSource(
            CaptureFixture.config(
                database, "bypass", publication("[insert, update, delete, truncate]")))) {
      source.start(handler, 0);
      execute(connection, "DROP TRIGGER georep_truncate ON log_t", "TRUNCATE log_t");
      handler.await(() -> handler.failure != null, "the capture to fail");
      assertThat(handler.failure)
          .isInstanceOf(CaptureException.class)
          .hasMessageContaining("ran without georep's trigger georep_truncate")
          .hasMessageContaining("drop slot bypass");
    }
    CaptureFixture.dropSlot(connection, "bypass");
  }

  @Test
  void restart_recreatesADroppedTrigger() throws Exception {
    Publication publication = publication("[insert, update, delete, truncate]");
    try (PostgresChangeSource source =
        new PostgresChangeSource(CaptureFixture.config(database, "again", publication))) {
      source.start(new RecordingHandler(), 0);
    }
    execute(connection, "DROP TRIGGER georep_truncate ON parents");
    RecordingHandler handler = new RecordingHandler();
    try (PostgresChangeSource source =
        new PostgresChangeSource(CaptureFixture.config(database, "again", publication))) {
      source.start(handler, 0);
      execute(connection, "TRUNCATE parents CASCADE");
      assertThat(handler.awaitCount(1).get(0).changes()).hasSize(5 + 12);
      assertThat(handler.failure).isNull();
    }
    CaptureFixture.dropSlot(connection, "again");
  }

  @Test
  void aTableTakenOutOfThePublications_losesTheTrigger_andTruncatesAsUsual() throws Exception {
    try (PostgresChangeSource source =
        new PostgresChangeSource(
            CaptureFixture.config(
                database, "narrowed", publication("[insert, update, delete, truncate]")))) {
      source.start(new RecordingHandler(), 0);
    }
    assertThat(triggers()).isEqualTo(3);
    RecordingHandler handler = new RecordingHandler();
    try (PostgresChangeSource source =
        new PostgresChangeSource(CaptureFixture.config(database, "narrowed", keptOut()))) {
      source.start(handler, 0);
      assertThat(triggers()).isEqualTo(1);
      execute(connection, "TRUNCATE log_t", "INSERT INTO kept VALUES (2, 'after')");
      assertThat(handler.awaitCount(1).get(0).changes()).hasSize(1);
      assertThat(handler.failure).isNull();
    }
    CaptureFixture.dropSlot(connection, "narrowed");
  }

  private long triggers() throws SQLException {
    return CaptureFixture.queryLong(
        connection, "SELECT count(*) FROM pg_trigger WHERE tgname = 'georep_truncate'");
  }
}
