package io.georep.connectors.postgres;

import static io.georep.connectors.postgres.CaptureFixture.execute;
import static io.georep.connectors.postgres.CaptureFixture.queryLong;
import static org.assertj.core.api.Assertions.assertThat;

import io.georep.connector.spi.GarbageCollecting;
import io.georep.publication.Publication;
import io.georep.resolver.ResolverRegistry;
import io.georep.testkit.EmbeddedRegionDatabase;
import io.georep.vectorclock.ReplicaId;
import io.georep.vectorclock.VersionVector;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * Garbage collection of what grows without bound otherwise: the conflict log past its retention,
 * and stamps of local transactions that the capture will not capture again and that the agent has
 * folded (below the capture's acknowledged seq); stamps still needed are kept.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class GarbageCollectionIT {
  private static final ReplicaId LOCAL = ReplicaId.of("eu-west");
  private static final ReplicaId REMOTE = ReplicaId.of("us-east");

  private final Publication publication =
      CaptureFixture.publication(
          """
          publication: gc
          regions: all
          tables:
            - table: public.items
          """);

  private EmbeddedRegionDatabase database;
  private Connection connection;

  @BeforeAll
  void start() throws Exception {
    database = PgVersion.PG17.start();
    connection = database.connect();
    execute(connection, "CREATE TABLE items (id int PRIMARY KEY, name text)");
  }

  @AfterAll
  void stop() throws Exception {
    if (connection != null) {
      connection.close();
    }
    if (database != null) {
      database.close();
    }
  }

  private PostgresChangeApplier applier(boolean agentFolds) {
    return PostgresChangeApplier.start(
        PostgresSinkConfig.of(
                database.jdbcUrl(),
                "postgres",
                "",
                LOCAL,
                List.of(publication),
                ResolverRegistry.load())
            .withLocalFolding(agentFolds));
  }

  @BeforeEach
  void emptyMetadata() throws Exception {
    // The applier creates the metadata schema on its first start.
    applier(true).close();
    execute(
        connection,
        "DELETE FROM georep.xid_stamp",
        "DELETE FROM georep.capture_state",
        "DELETE FROM georep.conflict_log");
  }

  private void stamp(ReplicaId origin, long seq) throws SQLException {
    try (PreparedStatement insert =
        connection.prepareStatement(
            "INSERT INTO georep.xid_stamp (origin, seq, xid, xid32, hlc_wall, hlc_logical,"
                + " causal_context) VALUES (?, ?, ?, ?, ?, 0, ?)")) {
      insert.setString(1, origin.name());
      insert.setLong(2, seq);
      insert.setLong(3, 1000 + seq);
      insert.setLong(4, 1000 + seq);
      insert.setLong(5, 1_700_000_000_000L + seq);
      insert.setBytes(6, VersionVector.empty().toBytes());
      insert.executeUpdate();
    }
  }

  private void captureState(String slot, ReplicaId origin, long acknowledgedSeq)
      throws SQLException {
    try (PreparedStatement insert =
        connection.prepareStatement(
            "INSERT INTO georep.capture_state (slot_name, origin, confirmed_lsn, applied_vector,"
                + " acknowledged_seq) VALUES (?, ?, ?, ?, ?)")) {
      insert.setString(1, slot);
      insert.setString(2, origin.name());
      insert.setLong(3, acknowledgedSeq + 1);
      insert.setBytes(4, VersionVector.empty().toBytes());
      insert.setLong(5, acknowledgedSeq);
      insert.executeUpdate();
    }
  }

  private List<Long> stamps(ReplicaId origin) throws SQLException {
    List<Long> seqs = new java.util.ArrayList<>();
    try (PreparedStatement q =
        connection.prepareStatement(
            "SELECT seq FROM georep.xid_stamp WHERE origin = ? ORDER BY seq")) {
      q.setString(1, origin.name());
      try (var rs = q.executeQuery()) {
        while (rs.next()) {
          seqs.add(rs.getLong(1));
        }
      }
    }
    return seqs;
  }

  @Test
  void collectGarbage_agentFolds_removesLocalStampsBelowTheAcknowledgedSeqOnly() throws Exception {
    for (long seq : List.of(100L, 200L, 300L, 400L)) {
      stamp(LOCAL, seq);
    }
    stamp(REMOTE, 50);
    // 300 is acknowledged (shipped and folded); 400 is not yet, so it may be captured again and an
    // applier may meet its rows unfolded.
    captureState("georep_eu_west", LOCAL, 300);

    try (PostgresChangeApplier applier = applier(true)) {
      GarbageCollecting.Collected gc =
          applier.collectGarbage(VersionVector.of(Map.of(REMOTE, 10L)));

      assertThat(gc.localStamps()).isEqualTo(2);
    }
    // The acknowledged stamp stays: the capture seeds its clock and seq from the newest stamp.
    assertThat(stamps(LOCAL)).containsExactly(300L, 400L);
    // The frontier does not cover the remote stamp.
    assertThat(stamps(REMOTE)).containsExactly(50L);
  }

  @Test
  void collectGarbage_staleSlotState_keepsWhatItsAcknowledgedSeqNeeds() throws Exception {
    for (long seq : List.of(100L, 200L, 300L)) {
      stamp(LOCAL, seq);
    }
    captureState("georep_eu_west", LOCAL, 300);
    captureState("georep_eu_west_old", LOCAL, 200);
    captureState("georep_us_east", REMOTE, 10_000);

    try (PostgresChangeApplier applier = applier(true)) {
      applier.collectGarbage(VersionVector.of(Map.of(REMOTE, 10L)));
    }

    assertThat(stamps(LOCAL)).containsExactly(200L, 300L);
  }

  @Test
  void collectGarbage_withoutAgentFolding_keepsEveryLocalStamp() throws Exception {
    for (long seq : List.of(100L, 200L, 300L)) {
      stamp(LOCAL, seq);
    }
    captureState("georep_eu_west", LOCAL, 300);

    try (PostgresChangeApplier applier = applier(false)) {
      assertThat(applier.collectGarbage(VersionVector.of(Map.of(REMOTE, 10L))).localStamps())
          .isZero();
    }

    assertThat(stamps(LOCAL)).containsExactly(100L, 200L, 300L);
  }

  @Test
  void collectGarbage_noCaptureStateYet_keepsEveryLocalStamp() throws Exception {
    stamp(LOCAL, 100);

    try (PostgresChangeApplier applier = applier(true)) {
      applier.collectGarbage(VersionVector.of(Map.of(REMOTE, 10L)));
    }

    assertThat(stamps(LOCAL)).containsExactly(100L);
  }

  @Test
  void pruneConflictLog_entriesPastRetention_removedNewerKept() throws Exception {
    Instant now = Instant.now();
    for (int i = 0; i < 12_000; i++) {
      logConflict(now.minus(Duration.ofDays(40)));
    }
    logConflict(now.minus(Duration.ofDays(31)));
    for (int i = 0; i < 3; i++) {
      logConflict(now.minus(Duration.ofDays(29)));
    }
    logConflict(now);

    try (PostgresChangeApplier applier = applier(true)) {
      int removed = applier.pruneConflictLog(now.minus(Duration.ofDays(30)));

      assertThat(removed).isEqualTo(12_001);
      assertThat(applier.pruneConflictLog(now.minus(Duration.ofDays(30)))).isZero();
    }
    assertThat(queryLong(connection, "SELECT count(*) FROM georep.conflict_log")).isEqualTo(4);
    assertThat(
            queryLong(
                connection,
                "SELECT count(*) FROM georep.conflict_log"
                    + " WHERE detected_at < now() - interval '30 days'"))
        .isZero();
  }

  private void logConflict(Instant detectedAt) throws SQLException {
    try (PreparedStatement insert =
        connection.prepareStatement(
            "INSERT INTO georep.conflict_log (detected_at, conflict_id, type, table_schema,"
                + " table_name, row_key, resolver, winner, columns, local, remote) VALUES"
                + " (?, 'c', 'update-update-same-columns', 'public', 'items', '[1]', 'lww',"
                + " 'remote', '{name}', '{}', '{}')")) {
      insert.setTimestamp(1, java.sql.Timestamp.from(detectedAt));
      insert.executeUpdate();
    }
  }
}
