package io.georep.connectors.postgres;

import static io.georep.connectors.postgres.CaptureFixture.execute;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.georep.publication.Publication;
import io.georep.testkit.EmbeddedRegionDatabase;
import java.sql.Connection;
import java.sql.DriverManager;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * Each preflight check fails with its exact, actionable message: what is wrong, why it matters and
 * the SQL or setting that fixes it.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class PreflightIT {

  private final Publication publication =
      CaptureFixture.publication(
          """
          publication: preflight
          operations: [insert, update, delete]
          tables:
            - table: public.checked
          """);

  private EmbeddedRegionDatabase database;
  private Connection connection;

  @BeforeAll
  void start() throws Exception {
    database = PgVersion.PG17.start();
    connection = database.connect();
    execute(connection, "CREATE TABLE checked (id int PRIMARY KEY, v text)");
  }

  @AfterAll
  void stop() throws Exception {
    connection.close();
    database.close();
  }

  private PostgresSourceConfig config(String slot) {
    return CaptureFixture.config(database, slot, publication);
  }

  @Test
  void start_walLevelReplica_saysHowToEnableLogical() throws Exception {
    try (EmbeddedRegionDatabase replica = PgVersion.PG17.start(Map.of("wal_level", "replica"))) {
      PostgresChangeSource source =
          new PostgresChangeSource(CaptureFixture.config(replica, "any", publication));
      assertThatThrownBy(() -> source.start(new RecordingHandler(), 0))
          .isInstanceOf(CaptureException.class)
          .hasMessage(
              "wal_level is 'replica' but capture needs logical decoding; run ALTER SYSTEM SET"
                  + " wal_level = logical and restart PostgreSQL");
    }
  }

  @Test
  void start_userWithoutReplication_saysWhichRoleToAlter() throws Exception {
    execute(connection, "CREATE ROLE plain LOGIN");
    PostgresSourceConfig config =
        PostgresSourceConfig.of(
                database.jdbcUrl("postgres"),
                "plain",
                "",
                CaptureFixture.REGION,
                List.of(publication))
            .withSlotName("plain");
    assertThatThrownBy(() -> new PostgresChangeSource(config).start(new RecordingHandler(), 0))
        .isInstanceOf(CaptureException.class)
        .hasMessage(
            "user plain may not stream logical replication; run ALTER ROLE \"plain\" REPLICATION");
  }

  @Test
  void start_slotOfAnotherPlugin_saysToDropOrRename() throws Exception {
    execute(connection, "SELECT pg_create_logical_replication_slot('decoding', 'test_decoding')");
    assertThatThrownBy(
            () -> new PostgresChangeSource(config("decoding")).start(new RecordingHandler(), 0))
        .isInstanceOf(CaptureException.class)
        .hasMessage(
            "replication slot decoding exists but is a logical slot with plugin test_decoding,"
                + " not a logical pgoutput slot; drop it (SELECT"
                + " pg_drop_replication_slot('decoding')) if nothing else uses it, or set"
                + " source.postgres.slot.name to another name");
    CaptureFixture.dropSlot(connection, "decoding");
  }

  @Test
  void start_slotInUse_isRetriable() throws Exception {
    try (PostgresChangeSource first = new PostgresChangeSource(config("busy"))) {
      first.start(new RecordingHandler(), 0);
      PostgresChangeSource second = new PostgresChangeSource(config("busy"));
      assertThatThrownBy(() -> second.start(new RecordingHandler(), 0))
          .isInstanceOf(CaptureUnavailableException.class)
          .isInstanceOf(io.georep.vectorclock.RetriableGeorepException.class)
          .hasMessageMatching(
              "replication slot busy is in use by another georep capture \\(process \\d+ holds"
                  + " its lock\\); another agent may be running for this region — stop it, or"
                  + " wait");
    }
    CaptureFixture.dropSlot(connection, "busy");
  }

  @Test
  void start_tableNotOwned_saysWhoMustOwnIt() throws Exception {
    execute(
        connection,
        "CREATE ROLE capturer LOGIN REPLICATION",
        "CREATE DATABASE owned OWNER capturer");
    try (Connection owned =
        DriverManager.getConnection(database.jdbcUrl("owned"), "postgres", "")) {
      execute(owned, "CREATE TABLE checked (id int PRIMARY KEY, v text)");
    }
    PostgresSourceConfig config =
        PostgresSourceConfig.of(
                database.jdbcUrl("owned"),
                "capturer",
                "",
                CaptureFixture.REGION,
                List.of(publication))
            .withSlotName("owned");
    assertThatThrownBy(() -> new PostgresChangeSource(config).start(new RecordingHandler(), 0))
        .isInstanceOf(CaptureException.class)
        .hasMessage(
            "cannot create or alter the native publications [georep_preflight]: ERROR: must be"
                + " owner of table checked; the capture user must own the published tables (ALTER"
                + " TABLE ... OWNER TO <user>), or an administrator runs the statements of"
                + " `georep publication plan`");
  }

  /** Last: it lowers max_slot_wal_keep_size for the whole server. */
  @Test
  @Order(Integer.MAX_VALUE)
  void start_slotLost_saysToRecreateAndCopyAgain() throws Exception {
    try (PostgresChangeSource source = new PostgresChangeSource(config("lost"))) {
      source.start(new RecordingHandler(), 0);
    }
    CaptureFixture.awaitInactive(connection, "lost");
    execute(
        connection, "ALTER SYSTEM SET max_slot_wal_keep_size = '1MB'", "SELECT pg_reload_conf()");
    // The slot is inactive: switching past a few WAL segments and a checkpoint invalidate it.
    for (int i = 0; i < 4; i++) {
      execute(connection, "INSERT INTO checked VALUES (" + (1000 + i) + ", 'x')");
      execute(connection, "SELECT pg_switch_wal()");
    }
    execute(connection, "CHECKPOINT");
    assertThat(
            CaptureFixture.queryLong(
                connection,
                "SELECT count(*) FROM pg_replication_slots WHERE slot_name = 'lost'"
                    + " AND wal_status = 'lost'"))
        .isEqualTo(1);
    assertThatThrownBy(
            () -> new PostgresChangeSource(config("lost")).start(new RecordingHandler(), 0))
        .isInstanceOf(CaptureException.class)
        .hasMessage(
            "replication slot lost is invalidated: the WAL it needs was removed (wal_status ="
                + " lost), so changes since its position are gone; drop it (SELECT"
                + " pg_drop_replication_slot('lost')), restart the agent to create a new slot,"
                + " and re-run the initial copy of this region; raise max_slot_wal_keep_size to"
                + " avoid this");
    execute(connection, "ALTER SYSTEM RESET max_slot_wal_keep_size", "SELECT pg_reload_conf()");
  }
}
