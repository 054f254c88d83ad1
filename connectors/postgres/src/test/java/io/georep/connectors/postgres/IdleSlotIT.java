package io.georep.connectors.postgres;

import static io.georep.connectors.postgres.CaptureFixture.config;
import static io.georep.connectors.postgres.CaptureFixture.execute;
import static io.georep.connectors.postgres.CaptureFixture.queryLong;
import static org.assertj.core.api.Assertions.assertThat;

import io.georep.connector.SourceTransaction;
import io.georep.publication.Publication;
import io.georep.testkit.EmbeddedRegionDatabase;
import java.sql.Connection;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * A slot whose published tables are idle does not hold the server's WAL: while the database writes
 * only to tables no publication names (or to other databases of the cluster), the capture has
 * nothing pending, and the slot's confirmed position follows the server's WAL, so the WAL can be
 * recycled. PostgreSQL 15 and later send no empty transactions for such writes, only keepalives;
 * PostgreSQL 14 sends each as an empty transaction.
 */
class IdleSlotIT {
  private static final String CONFIRMED =
      "SELECT (confirmed_flush_lsn - '0/0'::pg_lsn)::bigint FROM pg_replication_slots"
          + " WHERE slot_name = 'idle'";

  private final Publication publication =
      CaptureFixture.publication(
          """
          publication: idle
          regions: all
          operations: [insert, update, delete]
          tables:
            - table: public.items
          """);

  @ParameterizedTest(name = "{0}")
  @EnumSource(PgVersion.class)
  void slot_followsTheWalOfUnpublishedWrites_whileNothingIsPending(PgVersion version)
      throws Exception {
    try (EmbeddedRegionDatabase database = version.start();
        Connection connection = database.connect()) {
      execute(
          connection,
          "CREATE TABLE items (id int PRIMARY KEY, name text)",
          "CREATE TABLE noise (id int PRIMARY KEY, filler text)");
      RecordingHandler handler = new RecordingHandler();
      try (PostgresChangeSource source =
          new PostgresChangeSource(config(database, "idle", publication))) {
        source.start(handler, 0);
        execute(connection, "INSERT INTO items VALUES (1, 'published')");
        SourceTransaction published = handler.awaitCount(1).get(0);
        source.acknowledge(published.seq());
        handler.await(
            () -> confirmed(connection) >= published.seq(), "the published transaction confirmed");

        long before = confirmed(connection);
        // About 30 MB of WAL that no publication names, in many transactions.
        for (int batch = 0; batch < 20; batch++) {
          execute(
              connection,
              "INSERT INTO noise SELECT g, repeat('x', 200) FROM generate_series("
                  + (batch * 5_000 + 1)
                  + ", "
                  + ((batch + 1) * 5_000)
                  + ") g");
        }
        long written =
            queryLong(connection, "SELECT (pg_current_wal_lsn() - '0/0'::pg_lsn)::bigint");
        assertThat(written - before)
            .as("WAL written by the unpublished writes")
            .isGreaterThan(20_000_000);

        handler.await(
            () -> confirmed(connection) >= written,
            "the slot's confirmed position to pass the unpublished writes (at "
                + written
                + ", confirmed "
                + confirmed(connection)
                + ")");
        assertThat(handler.snapshot()).as("nothing of them is shipped").hasSize(1);
      }
      CaptureFixture.dropSlot(connection, "idle");
    }
  }

  private static long confirmed(Connection connection) {
    try {
      return queryLong(connection, CONFIRMED);
    } catch (java.sql.SQLException e) {
      throw new IllegalStateException(e);
    }
  }
}
