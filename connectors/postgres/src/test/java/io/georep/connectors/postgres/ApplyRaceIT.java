package io.georep.connectors.postgres;

import static io.georep.connectors.postgres.ApplyFixture.context;
import static io.georep.connectors.postgres.ApplyFixture.execute;
import static io.georep.connectors.postgres.ApplyFixture.insert;
import static io.georep.connectors.postgres.ApplyFixture.rows;
import static io.georep.connectors.postgres.ApplyFixture.table;
import static io.georep.connectors.postgres.ApplyFixture.tx;
import static io.georep.connectors.postgres.ApplyFixture.update;
import static org.assertj.core.api.Assertions.assertThat;

import io.georep.connector.ScalarType;
import io.georep.connector.SourceTransaction;
import io.georep.connector.TableSchema;
import io.georep.publication.Publication;
import io.georep.testkit.EmbeddedRegionDatabase;
import io.georep.vectorclock.ReplicaId;
import java.sql.Connection;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * The races of DESIGN.md §6 on a database whose real capture ({@link PostgresChangeSource}) stamps
 * local writes: a local write committed but not yet captured when a remote change of the same row
 * arrives is concurrent (the resolver runs and the conflict log keeps the local version), while a
 * remote change that has seen the local version applies plainly. Apply transactions never reach the
 * capture's handler.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ApplyRaceIT {
  static final ReplicaId EU = ReplicaId.of("eu-west");
  static final ReplicaId US = ReplicaId.of("us-east");
  static final TableSchema RACE = table("race_t", "v", ScalarType.TEXT);

  static final Publication PUBLICATION =
      CaptureFixture.publication(
          """
          publication: race
          regions: all
          operations: [insert, update, delete]
          tables:
            - table: public.race_t
              resolver: lww
          """);

  private EmbeddedRegionDatabase database;
  private PostgresChangeSource source;
  private PostgresChangeApplier applier;
  private final RecordingHandler handler = new RecordingHandler();
  private Connection app;
  private long now;

  @BeforeAll
  void start() throws Exception {
    database = PgVersion.PG17.start();
    app = database.connect();
    execute(app, "CREATE TABLE race_t (id int PRIMARY KEY, v text)");
    source =
        new PostgresChangeSource(
            PostgresSourceConfig.of(database.jdbcUrl(), "postgres", "", EU, List.of(PUBLICATION))
                .withSlotName("race")
                // No initial copy: a copy whose snapshot caught the rows applied below would be
                // one more captured transaction and shift the ones the tests pick by position.
                .withInitialCopy(false));
    source.start(handler, 0);
    applier = PostgresChangeApplier.start(ApplyFixture.config(database, EU, PUBLICATION));
    now = System.currentTimeMillis();
    applier.apply(
        List.of(
            tx(
                US,
                1,
                now - 60_000,
                context(),
                insert(RACE, 1, "v", "base"),
                insert(RACE, 2, "v", "base"))));
  }

  @AfterAll
  void stop() throws Exception {
    applier.close();
    source.close();
    app.close();
    CaptureFixture.awaitInactive(database.connect(), "race");
    database.close();
  }

  private List<String> query(String sql) throws Exception {
    return rows(app, sql);
  }

  @Test
  @Order(1)
  void localWriteNotYetCaptured_thenRemoteUpdate_isConcurrentAndLogged() throws Exception {
    execute(app, "UPDATE race_t SET v = 'local' WHERE id = 1");
    // Applied at once, typically before the capture has stamped the local write: the applier
    // must wait for the stamp rather than take the local version as seen.
    applier.apply(List.of(tx(US, 2, now + 60_000, context(US, 1), update(RACE, 1, "v", "remote"))));
    assertThat(query("SELECT v FROM race_t WHERE id = 1")).containsExactly("v=remote");
    assertThat(
            query(
                "SELECT type, winner, local->'values'->>'v' AS lost, local->>'origin' AS origin"
                    + " FROM georep.conflict_log WHERE row_key = '[1]'"))
        .containsExactly("type=update-update-same-columns,winner=remote,lost=local,origin=eu-west");
  }

  @Test
  @Order(2)
  void remoteUpdateThatSawTheLocalVersion_appliesPlainly() throws Exception {
    execute(app, "UPDATE race_t SET v = 'local2' WHERE id = 2");
    List<SourceTransaction> captured = handler.awaitCount(2);
    SourceTransaction local = captured.get(1);
    assertThat(local.origin()).isEqualTo(EU);
    assertThat(local.changes())
        .singleElement()
        .satisfies(c -> assertThat(c.key()).isEqualTo(ApplyFixture.key(2)));
    applier.apply(
        List.of(
            tx(US, 3, now + 1, context(US, 2, EU, local.seq()), update(RACE, 2, "v", "remote2"))));
    assertThat(query("SELECT v FROM race_t WHERE id = 2")).containsExactly("v=remote2");
    assertThat(query("SELECT count(*) AS n FROM georep.conflict_log WHERE row_key = '[2]'"))
        .containsExactly("n=0");
  }

  @Test
  @Order(3)
  void localDelete_thenOlderConcurrentRemoteUpdate_doesNotResurrect() throws Exception {
    execute(app, "DELETE FROM race_t WHERE id = 1");
    handler.awaitCount(3);
    // Concurrent with the delete (its context lacks it) and older by HLC: lww keeps the delete.
    applier.apply(List.of(tx(US, 4, now - 30_000, context(US, 3), update(RACE, 1, "v", "late"))));
    assertThat(query("SELECT * FROM race_t WHERE id = 1")).isEmpty();
    assertThat(
            query(
                "SELECT type, winner FROM georep.conflict_log WHERE row_key = '[1]'"
                    + " AND type = 'update-delete'"))
        .containsExactly("type=update-delete,winner=local");
    // Apply transactions were never handed to the capture's handler (echo suppression).
    execute(app, "INSERT INTO race_t VALUES (3, 'after')");
    List<SourceTransaction> all = handler.awaitCount(4);
    assertThat(all).hasSize(4).allMatch(t -> t.origin().equals(EU));
  }
}
