package io.georep.connectors.postgres;

import static io.georep.connectors.postgres.CaptureFixture.REGION;
import static io.georep.connectors.postgres.CaptureFixture.config;
import static io.georep.connectors.postgres.CaptureFixture.execute;
import static org.assertj.core.api.Assertions.assertThat;

import io.georep.connector.RowChange;
import io.georep.connector.SourceTransaction;
import io.georep.connector.Value;
import io.georep.publication.Publication;
import io.georep.testkit.EmbeddedRegionDatabase;
import io.georep.vectorclock.Dot;
import io.georep.vectorclock.HybridTimestamp;
import io.georep.vectorclock.ReplicaId;
import io.georep.vectorclock.VersionVector;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Echo suppression and a basic capture round on PostgreSQL 14 (no {@code origin = none}) and 17: a
 * transaction carrying a {@code georep.apply} mark is never emitted, and its watermark becomes part
 * of the next local transaction's causal context.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class EchoSuppressionIT {

  private static final ReplicaId REMOTE = ReplicaId.of("eu-west");

  private final Map<PgVersion, EmbeddedRegionDatabase> databases = new EnumMap<>(PgVersion.class);

  private final Publication publication =
      CaptureFixture.publication(
          """
          publication: echo
          regions: all
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

  @ParameterizedTest(name = "{0}")
  @EnumSource(PgVersion.class)
  void capture_applyTransactions_neverEmittedButAdvanceContext(PgVersion version) throws Exception {
    EmbeddedRegionDatabase database = version.start();
    databases.put(version, database);
    try (Connection connection = database.connect()) {
      assertThat(CaptureFixture.queryLong(connection, "SHOW server_version_num") / 10_000)
          .isEqualTo(version == PgVersion.PG14 ? 14L : 17L);
      execute(connection, "CREATE TABLE items (id int PRIMARY KEY, name text)");
      RecordingHandler handler = new RecordingHandler();
      try (PostgresChangeSource source =
          new PostgresChangeSource(config(database, "echo", publication))) {
        source.start(handler, 0);
        execute(connection, "INSERT INTO items VALUES (1, 'local')");
        // What the applier does: rows plus the mark, in one transaction. The remote commit
        // timestamp lies 30 s ahead of this region's clock (skew within the 60 s limit).
        HybridTimestamp remoteTime =
            new HybridTimestamp(System.currentTimeMillis() + 30_000, 7, REMOTE);
        connection.setAutoCommit(false);
        execute(connection, "INSERT INTO items VALUES (2, 'applied')");
        try (PreparedStatement mark = connection.prepareStatement(ApplyMark.SQL)) {
          mark.setBytes(
              1,
              ApplyMark.inOrder(List.of(new Dot(REMOTE, 500)), VersionVector.empty(), remoteTime)
                  .encode());
          mark.execute();
        }
        execute(connection, "UPDATE items SET name = 'applied too' WHERE id = 1");
        connection.commit();
        connection.setAutoCommit(true);
        execute(
            connection,
            "UPDATE items SET name = 'local again' WHERE id = 2",
            "DELETE FROM items WHERE id = 1");
        List<SourceTransaction> txs = handler.awaitCount(3);
        assertThat(txs).hasSize(3);
        assertThat(txs.get(0).causalContext().get(REMOTE)).isZero();
        RowChange.Insert insert = (RowChange.Insert) txs.get(0).changes().get(0);
        assertThat(insert.values()).containsEntry("name", new Value.Text("local"));
        for (SourceTransaction tx : txs) {
          for (RowChange change : tx.changes()) {
            assertThat(change.toString()).doesNotContain("applied too");
            if (change instanceof RowChange.Insert i) {
              assertThat(i.values().get("id")).isNotEqualTo(new Value.Int4(2));
            }
          }
        }
        SourceTransaction update = txs.get(1);
        assertThat(update.causalContext())
            .isEqualTo(VersionVector.of(Map.of(REMOTE, 500L, REGION, txs.get(0).seq())));
        assertThat(((RowChange.Update) update.changes().get(0)).changed())
            .containsEntry("name", new Value.Text("local again"));
        assertThat(txs.get(2).changes().get(0)).isInstanceOf(RowChange.Delete.class);
        // The HLC respects causality: transactions after the apply order after what it applied.
        assertThat(txs.get(1).commitTimestamp()).isGreaterThan(remoteTime);
        assertThat(txs.get(0).commitTimestamp()).isLessThan(remoteTime);
        assertThat(txs.get(2).causalContext().get(REMOTE)).isEqualTo(500L);
      }
    } finally {
      databases.remove(version).close();
    }
  }
}
