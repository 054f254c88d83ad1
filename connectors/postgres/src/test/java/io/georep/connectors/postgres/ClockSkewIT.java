package io.georep.connectors.postgres;

import static io.georep.connectors.postgres.CaptureFixture.config;
import static io.georep.connectors.postgres.CaptureFixture.execute;
import static org.assertj.core.api.Assertions.assertThat;

import io.georep.connector.SourceTransaction;
import io.georep.publication.Publication;
import io.georep.testkit.EmbeddedRegionDatabase;
import io.georep.vectorclock.Dot;
import io.georep.vectorclock.HybridTimestamp;
import io.georep.vectorclock.ReplicaId;
import io.georep.vectorclock.VersionVector;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

/**
 * A remote region whose clock is far ahead never halts the capture: the applied timestamp is
 * clamped to the maximum forward skew, reported, and later local transactions keep increasing
 * timestamps that stay within the bound of the local clock.
 */
class ClockSkewIT {

  private static final ReplicaId FAST = ReplicaId.of("ap-fast");

  private record Observed(ReplicaId origin, long skewMillis, boolean clamped) {}

  private final Publication publication =
      CaptureFixture.publication(
          """
          publication: skew
          regions: all
          operations: [insert, update, delete]
          tables:
            - table: public.items
          """);

  @Test
  void capture_appliedTimestampTenMinutesAhead_clampsReportsAndKeepsRunning() throws Exception {
    try (EmbeddedRegionDatabase database = PgVersion.PG17.start();
        Connection connection = database.connect()) {
      execute(connection, "CREATE TABLE items (id int PRIMARY KEY, name text)");
      RecordingHandler handler = new RecordingHandler();
      List<Observed> observed = new CopyOnWriteArrayList<>();
      try (PostgresChangeSource source =
          new PostgresChangeSource(config(database, "skew", publication))) {
        source.setClockSkewListener(
            (origin, skew, clamped) -> observed.add(new Observed(origin, skew, clamped)));
        source.start(handler, 0);
        execute(connection, "INSERT INTO items VALUES (1, 'before')");
        long tenMinutes = Duration.ofMinutes(10).toMillis();
        HybridTimestamp farAhead =
            new HybridTimestamp(System.currentTimeMillis() + tenMinutes, 0, FAST);
        connection.setAutoCommit(false);
        execute(connection, "INSERT INTO items VALUES (2, 'applied from the fast region')");
        try (PreparedStatement mark = connection.prepareStatement(ApplyMark.SQL)) {
          mark.setBytes(
              1,
              ApplyMark.inOrder(List.of(new Dot(FAST, 100)), VersionVector.empty(), farAhead)
                  .encode());
          mark.execute();
        }
        connection.commit();
        connection.setAutoCommit(true);
        execute(
            connection,
            "UPDATE items SET name = 'after' WHERE id = 1",
            "INSERT INTO items VALUES (3, 'after too')");

        List<SourceTransaction> txs = handler.awaitCount(3);

        assertThat(handler.failure).isNull();
        assertThat(txs.get(1).commitTimestamp()).isGreaterThan(txs.get(0).commitTimestamp());
        assertThat(txs.get(2).commitTimestamp()).isGreaterThan(txs.get(1).commitTimestamp());
        // The local clock moved at most the bound (60 s) ahead, not ten minutes.
        long bound = Duration.ofSeconds(60).toMillis();
        assertThat(txs.get(2).commitTimestamp().wallTimeMillis())
            .isLessThan(farAhead.wallTimeMillis() - tenMinutes + bound + 10_000);
        // Causality is still recorded by the context, whatever the timestamps say.
        assertThat(txs.get(1).causalContext().get(FAST)).isEqualTo(100L);
        assertThat(observed)
            .singleElement()
            .satisfies(
                o -> {
                  assertThat(o.origin()).isEqualTo(FAST);
                  assertThat(o.clamped()).isTrue();
                  assertThat(o.skewMillis()).isGreaterThan(tenMinutes - 10_000);
                });
      }
    }
  }
}
