package io.georep.connectors.postgres;

import io.georep.publication.Publication;
import io.georep.publication.PublicationParser;
import io.georep.testkit.EmbeddedRegionDatabase;
import io.georep.vectorclock.ReplicaId;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;

/** Shared helpers of the capture integration tests. */
final class CaptureFixture {

  static final ReplicaId REGION = ReplicaId.of("us-east");

  private CaptureFixture() {}

  static Publication publication(String yaml) {
    return PublicationParser.create().parse("test.yaml", yaml.getBytes(StandardCharsets.UTF_8));
  }

  static PostgresSourceConfig config(
      EmbeddedRegionDatabase database, String slot, Publication publication) {
    return PostgresSourceConfig.of(
            database.jdbcUrl(), "postgres", "", REGION, java.util.List.of(publication))
        .withSlotName(slot)
        .withInitialCopy(false);
  }

  static void execute(Connection connection, String... statements) throws SQLException {
    try (Statement statement = connection.createStatement()) {
      for (String sql : statements) {
        statement.execute(sql);
      }
    }
  }

  static long queryLong(Connection connection, String sql) throws SQLException {
    try (Statement statement = connection.createStatement();
        ResultSet rs = statement.executeQuery(sql)) {
      rs.next();
      return rs.getLong(1);
    }
  }

  /** Drops a slot once its walsender has exited (which happens shortly after the source closes). */
  static void dropSlot(Connection connection, String slot) throws SQLException {
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    while (true) {
      try (PreparedStatement drop =
          connection.prepareStatement(
              "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots"
                  + " WHERE slot_name = ? AND active_pid IS NULL")) {
        drop.setString(1, slot);
        drop.execute();
      }
      if (queryLong(
              connection,
              "SELECT count(*) FROM pg_replication_slots WHERE slot_name = '" + slot + "'")
          == 0) {
        return;
      }
      if (System.nanoTime() > deadline) {
        throw new AssertionError("slot " + slot + " stayed active");
      }
      Thread.onSpinWait();
    }
  }

  /** Waits until no walsender streams the slot (after a source was closed or killed). */
  static void awaitInactive(Connection connection, String slot) throws SQLException {
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    while (queryLong(
            connection,
            "SELECT count(*) FROM pg_replication_slots WHERE slot_name = '"
                + slot
                + "' AND active_pid IS NOT NULL")
        > 0) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("slot " + slot + " stayed active");
      }
      Thread.onSpinWait();
    }
  }
}
