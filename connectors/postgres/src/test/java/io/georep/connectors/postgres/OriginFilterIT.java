package io.georep.connectors.postgres;

import static io.georep.connectors.postgres.CaptureFixture.REGION;
import static io.georep.connectors.postgres.CaptureFixture.execute;
import static io.georep.connectors.postgres.CaptureFixture.queryLong;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.georep.connector.RowChange;
import io.georep.connector.ScalarType;
import io.georep.connector.SourceTransaction;
import io.georep.connector.TableSchema;
import io.georep.connectors.postgres.internal.apply.ReplicationOrigins;
import io.georep.publication.Publication;
import io.georep.testkit.EmbeddedRegionDatabase;
import io.georep.vectorclock.GeorepException;
import io.georep.vectorclock.ReplicaId;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The applier's rows stay out of its own region's logical decoding on PostgreSQL 16+ (replication
 * origins and pgoutput's {@code origin = none}), while the apply marks still reach the capture; on
 * PostgreSQL 14 everything is decoded and dropped as echoes, as before. A probe slot with the
 * capture's options shows what the server decodes for the capture.
 */
class OriginFilterIT {
  private static final ReplicaId REMOTE = ReplicaId.of("eu-west");
  private static final int ROWS = 500;

  private static final Publication PUBLICATION =
      CaptureFixture.publication(
          """
          publication: origins
          regions: all
          operations: [insert, update, delete]
          tables:
            - table: public.items
          """);

  private static final TableSchema ITEMS = ApplyFixture.table("items", "name", ScalarType.TEXT);
  private static final TableSchema ABSENT = ApplyFixture.table("absent", "name", ScalarType.TEXT);

  @ParameterizedTest(name = "{0}")
  @EnumSource(PgVersion.class)
  void appliedRows_filteredByOrigin_marksStillArrive(PgVersion version) throws Exception {
    boolean filters = version == PgVersion.PG17;
    try (EmbeddedRegionDatabase database = version.start();
        Connection connection = database.connect()) {
      execute(connection, "CREATE TABLE items (id int PRIMARY KEY, name text)");
      PostgresSourceConfig config = CaptureFixture.config(database, "origins", PUBLICATION);
      RecordingHandler handler = new RecordingHandler();
      try (PostgresChangeSource source = new PostgresChangeSource(config);
          PostgresChangeApplier applier =
              PostgresChangeApplier.start(ApplyFixture.config(database, REGION, PUBLICATION))) {
        source.start(handler, 0);
        execute(connection, "SELECT pg_create_logical_replication_slot('probe', 'pgoutput')");

        // A failed apply (its table does not exist here) rolls back; its session's origin must not
        // stay set on the pooled connection, or the next transaction on it could not set one up.
        assertThatThrownBy(
                () ->
                    applier.apply(
                        List.of(
                            ApplyFixture.tx(
                                REMOTE,
                                50,
                                System.currentTimeMillis(),
                                ApplyFixture.context(),
                                ApplyFixture.insert(ABSENT, 1, "name", "x")))))
            .isInstanceOf(GeorepException.class);
        List<RowChange> inserts = new ArrayList<>();
        for (int i = 1; i <= ROWS; i++) {
          inserts.add(ApplyFixture.insert(ITEMS, i, "name", "applied " + i));
        }
        applier.apply(
            List.of(
                new SourceTransaction(
                    REMOTE,
                    100,
                    new io.georep.vectorclock.HybridTimestamp(
                        System.currentTimeMillis(), 0, REMOTE),
                    ApplyFixture.context(),
                    inserts)));
        applier.apply(
            List.of(
                ApplyFixture.tx(
                    REMOTE,
                    101,
                    System.currentTimeMillis(),
                    ApplyFixture.context(REMOTE, 100),
                    ApplyFixture.update(ITEMS, 1, "name", "applied again"))));
        assertThat(applier.untaggedTransactions()).isZero();
        execute(connection, "INSERT INTO items VALUES (0, 'local')");

        // The capture ships the local row only, and its context holds what was applied: the mark
        // of each apply transaction arrived.
        List<SourceTransaction> txs = handler.awaitCount(1);
        assertThat(txs).hasSize(1);
        assertThat(txs.get(0).changes()).hasSize(1);
        assertThat(txs.get(0).causalContext().get(REMOTE)).isEqualTo(101L);
        assertThat(queryLong(connection, "SELECT count(*) FROM items")).isEqualTo(ROWS + 1L);

        long georepOrigins =
            queryLong(
                connection,
                "SELECT count(*) FROM pg_replication_origin WHERE roname LIKE 'georep\\_%'");
        assertThat(georepOrigins).isEqualTo(filters ? ReplicationOrigins.COUNT : 0);
        String names = String.join(",", config.nativePublicationNames());
        // What the capture's slot decodes for it: on 16+ with origin = none, the local insert and
        // the marks; everything when every origin is decoded.
        if (filters) {
          Decoded filtered = peek(connection, names, "none");
          assertThat(filtered.inserts).isEqualTo(1);
          assertThat(filtered.updates).isZero();
          assertThat(filtered.marks).isEqualTo(2);
        }
        Decoded all = peek(connection, names, filters ? "any" : null);
        assertThat(all.inserts).isEqualTo(ROWS + 1);
        assertThat(all.updates).isEqualTo(1);
        assertThat(all.marks).isEqualTo(2);
      }
    }
  }

  @Test
  void foreignOrigin_appearing_restartsCaptureWithoutTheFilter_andItsRowsAreCaptured()
      throws Exception {
    try (EmbeddedRegionDatabase database = PgVersion.PG17.start();
        Connection connection = database.connect()) {
      execute(connection, "CREATE TABLE items (id int PRIMARY KEY, name text)");
      PostgresSourceConfig config = CaptureFixture.config(database, "foreign", PUBLICATION);
      RecordingHandler first = new RecordingHandler();
      try (PostgresChangeSource source = new PostgresChangeSource(config)) {
        source.start(first, 0);
        execute(connection, "INSERT INTO items VALUES (1, 'before')");
        first.awaitCount(1);
        // Another replication tool (a PostgreSQL subscription, pglogical) starts writing here.
        execute(connection, "SELECT pg_replication_origin_create('other_tool')");
        long deadline = System.nanoTime() + 60_000_000_000L;
        while (first.failure == null && System.nanoTime() < deadline) {
          Thread.sleep(50);
        }
        assertThat(first.failure)
            .isInstanceOf(CaptureUnavailableException.class)
            .hasMessageContaining("other_tool")
            .hasMessageContaining("restarts");
      }
      // Restarted (as the agent does), it decodes every origin: the tool's rows are local changes.
      execute(
          connection,
          "SELECT pg_replication_origin_session_setup('other_tool')",
          "INSERT INTO items VALUES (2, 'written by another tool')",
          "SELECT pg_replication_origin_session_reset()");
      RecordingHandler second = new RecordingHandler();
      try (PostgresChangeSource source = new PostgresChangeSource(config)) {
        source.start(second, first.snapshot().get(0).seq());
        List<SourceTransaction> txs = second.awaitCount(1);
        assertThat(txs.get(0).changes().get(0).toString()).contains("written by another tool");
      }
    }
  }

  private record Decoded(int inserts, int updates, int marks) {}

  /** Counts what a pgoutput slot would send, without consuming it. */
  private static Decoded peek(Connection connection, String publications, String origin)
      throws Exception {
    String sql =
        "SELECT data FROM pg_logical_slot_peek_binary_changes('probe', NULL, NULL,"
            + " 'proto_version', '1', 'publication_names', ?, 'messages', 'true'"
            + (origin == null ? "" : ", 'origin', ?")
            + ")";
    int inserts = 0;
    int updates = 0;
    int marks = 0;
    try (PreparedStatement q = connection.prepareStatement(sql)) {
      q.setString(1, publications);
      if (origin != null) {
        q.setString(2, origin);
      }
      try (ResultSet rs = q.executeQuery()) {
        while (rs.next()) {
          byte[] data = rs.getBytes(1);
          switch (data[0]) {
            case 'I' -> inserts++;
            case 'U' -> updates++;
            case 'M' -> {
              if (new String(data, java.nio.charset.StandardCharsets.ISO_8859_1)
                  .contains(ApplyMark.PREFIX)) {
                marks++;
              }
            }
            default -> {}
          }
        }
      }
    }
    return new Decoded(inserts, updates, marks);
  }
}
