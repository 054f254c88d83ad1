package io.georep.replicator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;

import io.georep.connector.spi.DatabaseSettings;
import io.georep.connectors.postgres.PostgresConnector;
import io.georep.replicator.internal.control.GarbageCollector;
import io.georep.replicator.internal.status.AgentState;
import io.georep.testkit.EmbeddedRegionDatabase;
import io.georep.vectorclock.ReplicaId;
import io.georep.vectorclock.VersionVector;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The agent's garbage collector against a real database: a collection that fails for good (here a
 * corrupt metadata row) shows a warning and never throws, so the control actor that runs it keeps
 * sending heartbeats; the warning clears once a collection succeeds.
 */
class GarbageCollectorIT {
  @Test
  void run_permanentFailure_warnsAndKeepsGoing_thenClears() throws Exception {
    try (EmbeddedRegionDatabase db = EmbeddedRegionDatabase.start()) {
      ReplicaId region = ReplicaId.of("eu-west");
      io.georep.connector.spi.RegionDatabase database =
          new PostgresConnector()
              .open(
                  new DatabaseSettings(
                      db.jdbcUrl(),
                      "postgres",
                      "",
                      region,
                      List.of(Topology.publication()),
                      null,
                      DatabaseSettings.DEFAULT_COPY_CHUNK_ROWS,
                      DatabaseSettings.DEFAULT_COPY_PARALLEL,
                      10));
      // Creates the georep schema.
      database.openApplier().close();
      db.execute(
          "INSERT INTO georep.keyless_meta (table_schema, table_name, row_key, state, live,"
              + " removed) VALUES ('public', 'history', '\\x01'::bytea, '\\x07'::bytea, 0, 1)");
      AgentState state = new AgentState(() -> 1_000L);
      state.stableFrontier.set(VersionVector.empty().advance(ReplicaId.of("us-east"), 5));
      GarbageCollector gc = new GarbageCollector(database, state, Duration.ZERO, () -> 1_000L);
      try {
        assertThatCode(gc::run).doesNotThrowAnyException();
        assertThat(state.warnings.get(GarbageCollector.WARNING))
            .startsWith("garbage collection fails: ")
            .contains("row multiset format 7");

        db.execute("DELETE FROM georep.keyless_meta");
        state.stableFrontier.set(VersionVector.empty().advance(ReplicaId.of("us-east"), 6));
        gc.run();
        assertThat(state.warnings).doesNotContainKey(GarbageCollector.WARNING);
      } finally {
        gc.close();
      }
    }
  }
}
