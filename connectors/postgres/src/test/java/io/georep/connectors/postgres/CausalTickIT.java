package io.georep.connectors.postgres;

import static io.georep.connectors.postgres.CaptureFixture.REGION;
import static io.georep.connectors.postgres.CaptureFixture.execute;
import static org.assertj.core.api.Assertions.assertThat;

import io.georep.connector.ScalarType;
import io.georep.connector.SourceTransaction;
import io.georep.connector.TableSchema;
import io.georep.publication.Publication;
import io.georep.testkit.EmbeddedRegionDatabase;
import io.georep.vectorclock.ReplicaId;
import java.sql.Connection;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * A causal tick ({@code PostgresChangeApplier.tick}) is captured as a local transaction without
 * changes whose context holds what the region applied before it; a restarted capture does not ship
 * an acknowledged tick again.
 */
class CausalTickIT {
  private static final ReplicaId REMOTE = ReplicaId.of("eu-west");

  private static final Publication PUBLICATION =
      CaptureFixture.publication(
          """
          publication: ticks
          regions: all
          operations: [insert, update, delete]
          tables:
            - table: public.items
          """);

  private static final TableSchema ITEMS = ApplyFixture.table("items", "name", ScalarType.TEXT);

  @ParameterizedTest(name = "{0}")
  @EnumSource(PgVersion.class)
  void tick_isShippedEmpty_withTheAppliedContext_once(PgVersion version) throws Exception {
    try (EmbeddedRegionDatabase database = version.start();
        Connection connection = database.connect()) {
      execute(connection, "CREATE TABLE items (id int PRIMARY KEY, name text)");
      PostgresSourceConfig config = CaptureFixture.config(database, "ticks", PUBLICATION);
      RecordingHandler handler = new RecordingHandler();
      long tickSeq;
      try (PostgresChangeSource source = new PostgresChangeSource(config);
          PostgresChangeApplier applier =
              PostgresChangeApplier.start(ApplyFixture.config(database, REGION, PUBLICATION))) {
        source.start(handler, 0);
        applier.apply(
            List.of(
                ApplyFixture.tx(
                    REMOTE,
                    100,
                    System.currentTimeMillis(),
                    ApplyFixture.context(),
                    ApplyFixture.insert(ITEMS, 1, "name", "applied"))));
        assertThat(applier.tick()).isTrue();
        List<SourceTransaction> txs = handler.awaitCount(1);
        assertThat(txs).hasSize(1);
        SourceTransaction tick = txs.get(0);
        assertThat(tick.origin()).isEqualTo(REGION);
        assertThat(tick.changes()).isEmpty();
        assertThat(tick.causalContext().get(REMOTE)).isEqualTo(100L);
        tickSeq = tick.seq();
        source.acknowledge(tickSeq);
        execute(connection, "INSERT INTO items VALUES (2, 'local')");
        List<SourceTransaction> after = handler.awaitCount(2);
        assertThat(after.get(1).causalContext().get(REGION)).isEqualTo(tickSeq);
      }
      // From the slot's start again (its confirmed position may lag): the acknowledged tick is not
      // shipped a second time.
      RecordingHandler again = new RecordingHandler();
      try (PostgresChangeSource source = new PostgresChangeSource(config)) {
        source.start(again, tickSeq);
        execute(connection, "INSERT INTO items VALUES (3, 'later')");
        List<SourceTransaction> txs = again.awaitCount(1);
        for (SourceTransaction tx : txs) {
          assertThat(tx.seq()).isGreaterThan(tickSeq);
        }
      }
    }
  }
}
