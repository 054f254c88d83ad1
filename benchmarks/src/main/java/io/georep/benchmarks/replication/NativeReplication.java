package io.georep.benchmarks.replication;

import io.georep.testkit.EmbeddedRegionDatabase;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;

/**
 * PostgreSQL's native logical replication: {@code CREATE PUBLICATION} at the source, {@code CREATE
 * SUBSCRIPTION} at the target (its apply worker connects to the source's WAL sender; no initial
 * copy, text format, no streaming of in-progress transactions).
 *
 * <p><b>Bytes shipped</b> are what the WAL sender sends the subscriber: a second slot with the same
 * output plugin ({@code pgoutput}) and options as the subscription ({@code proto_version 4}, the
 * same publication) is read with {@code pg_logical_slot_get_binary_changes} after each workload;
 * every message's bytes are summed, plus 30 bytes of framing per message (the 25-byte XLogData
 * header and the 5-byte CopyData header the streaming protocol wraps each message in). Keepalives,
 * status updates and TCP/IP headers are not counted — nor are Kafka's protocol headers on georep's
 * side.
 */
final class NativeReplication implements ReplicationSystem {
  static final String NAME = "bench_native";
  private static final String BYTES_SLOT = "bench_native_bytes";
  private static final int FRAMING_BYTES = 30;

  private final EmbeddedRegionDatabase source;
  private final EmbeddedRegionDatabase target;
  private final String database;
  private final List<String> tables;
  private long bytes;
  private long messages;
  private long payload;
  private boolean subscribed;

  NativeReplication(
      EmbeddedRegionDatabase source,
      EmbeddedRegionDatabase target,
      String database,
      List<String> tables) {
    this.source = source;
    this.target = target;
    this.database = database;
    this.tables = List.copyOf(tables);
  }

  @Override
  public String name() {
    return "native";
  }

  @Override
  public void start() throws Exception {
    try (Connection c = BenchDatabases.connect(source, database);
        Statement s = c.createStatement()) {
      s.execute("CREATE PUBLICATION " + NAME + " FOR TABLE " + String.join(", ", tables));
      s.execute("SELECT pg_create_logical_replication_slot('" + BYTES_SLOT + "', 'pgoutput')");
    }
    try (Connection c = BenchDatabases.connect(target, database);
        Statement s = c.createStatement()) {
      s.execute(
          "CREATE SUBSCRIPTION "
              + NAME
              + " CONNECTION 'host=127.0.0.1 port="
              + source.port()
              + " dbname="
              + database
              + " user=postgres application_name="
              + NAME
              + "' PUBLICATION "
              + NAME
              + " WITH (copy_data = false, streaming = off, binary = false)");
      subscribed = true;
    }
    long deadline = System.nanoTime() + Duration.ofMinutes(1).toNanos();
    try (Connection src = BenchDatabases.connect(source, database);
        Connection dst = BenchDatabases.connect(target, database)) {
      while (Workload.queryLong(
                  src,
                  "SELECT count(*) FROM pg_stat_replication WHERE application_name = '"
                      + NAME
                      + "' AND state = 'streaming'")
              == 0
          || Workload.queryLong(
                  dst, "SELECT count(*) FROM pg_subscription_rel WHERE srsubstate <> 'r'")
              > 0) {
        if (System.nanoTime() > deadline) {
          throw new IllegalStateException("the subscription did not start streaming in 1 minute");
        }
        Thread.sleep(50);
      }
    }
  }

  @Override
  public Counters counters() throws SQLException {
    try (Connection c = BenchDatabases.connect(source, database);
        Statement s = c.createStatement();
        ResultSet rs =
            s.executeQuery(
                "SELECT count(*), coalesce(sum(octet_length(data)), 0)"
                    + " FROM pg_logical_slot_get_binary_changes('"
                    + BYTES_SLOT
                    + "', NULL, NULL, 'proto_version', '4', 'publication_names', '"
                    + NAME
                    + "')")) {
      rs.next();
      messages += rs.getLong(1);
      payload += rs.getLong(2);
      bytes = payload + FRAMING_BYTES * messages;
    }
    return new Counters(bytes, payload, "pgoutput messages " + messages, -1, -1);
  }

  @Override
  public void resetPeak() {
    // No agent process.
  }

  @Override
  public String diagnostics() {
    try (Connection c = BenchDatabases.connect(target, database);
        Statement s = c.createStatement();
        ResultSet rs =
            s.executeQuery(
                "SELECT pid, received_lsn, latest_end_lsn, last_msg_receipt_time"
                    + " FROM pg_stat_subscription")) {
      StringBuilder sb = new StringBuilder("pg_stat_subscription:");
      while (rs.next()) {
        sb.append(" pid=")
            .append(rs.getString(1))
            .append(" received=")
            .append(rs.getString(2))
            .append(" latest_end=")
            .append(rs.getString(3))
            .append(" last_msg=")
            .append(rs.getString(4));
      }
      return sb.toString();
    } catch (SQLException e) {
      return "cannot read pg_stat_subscription: " + e.getMessage();
    }
  }

  @Override
  public void close() throws SQLException {
    if (subscribed) {
      try (Connection c = BenchDatabases.connect(target, database);
          Statement s = c.createStatement()) {
        s.execute("DROP SUBSCRIPTION " + NAME);
      }
      subscribed = false;
    }
    try (Connection c = BenchDatabases.connect(source, database);
        Statement s = c.createStatement()) {
      s.execute(
          "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots"
              + " WHERE slot_name = '"
              + BYTES_SLOT
              + "'");
      s.execute("DROP PUBLICATION IF EXISTS " + NAME);
    }
  }
}
