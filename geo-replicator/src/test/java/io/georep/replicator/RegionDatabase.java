package io.georep.replicator;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;

/**
 * A region's PostgreSQL for the agent's integration tests: embedded binaries, loopback, a free
 * port, {@code wal_level=logical}, {@code synchronous_commit=on} (logical decoding reads only
 * flushed WAL), {@code track_commit_timestamp=on}, enough slots and WAL senders. {@link #close()}
 * stops the server and deletes its data directory; {@link #restart()} stops and starts it on the
 * same port and data.
 */
final class RegionDatabase implements AutoCloseable {
  private EmbeddedPostgres postgres;
  private final java.nio.file.Path dataDirectory;
  private final int port;

  private RegionDatabase(EmbeddedPostgres postgres, java.nio.file.Path dataDirectory, int port) {
    this.postgres = postgres;
    this.dataDirectory = dataDirectory;
    this.port = port;
  }

  static RegionDatabase start() {
    try {
      java.nio.file.Path dir = java.nio.file.Files.createTempDirectory("georep-pg-");
      int port;
      try (java.net.ServerSocket s = new java.net.ServerSocket(0)) {
        port = s.getLocalPort();
      }
      return new RegionDatabase(builder(dir.resolve("data"), port).start(), dir, port);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot start embedded PostgreSQL", e);
    }
  }

  private static EmbeddedPostgres.Builder builder(java.nio.file.Path dir, int port) {
    // Never cleaned by zonky: restart() reuses the data; close() deletes the directory.
    return EmbeddedPostgres.builder()
        .setDataDirectory(dir)
        .setCleanDataDirectory(false)
        .setRegisterShutdownHook(false)
        .setPort(port)
        .setServerConfig("listen_addresses", "127.0.0.1")
        .setServerConfig("wal_level", "logical")
        .setServerConfig("max_replication_slots", "8")
        .setServerConfig("max_wal_senders", "8")
        .setServerConfig("max_connections", "100")
        .setServerConfig("track_commit_timestamp", "on")
        .setServerConfig("fsync", "off")
        .setServerConfig("synchronous_commit", "on");
  }

  /** Stops the server (keeping its data) and starts it again on the same port. */
  void restart() throws IOException {
    stop();
    start(port);
  }

  /** Stops the server, keeping its data. */
  void stop() throws IOException {
    postgres.close();
  }

  /** Starts the stopped server again on its port and data. */
  void start(int samePort) throws IOException {
    if (samePort != port) {
      throw new IllegalArgumentException("the server runs on port " + port);
    }
    postgres = builder(dataDirectory.resolve("data"), port).start();
  }

  int port() {
    return port;
  }

  String jdbcUrl() {
    return "jdbc:postgresql://127.0.0.1:" + port + "/postgres";
  }

  Connection connect() throws SQLException {
    return DriverManager.getConnection(jdbcUrl(), "postgres", "");
  }

  void execute(String... statements) throws SQLException {
    try (Connection c = connect();
        Statement s = c.createStatement()) {
      for (String sql : statements) {
        s.execute(sql);
      }
    }
  }

  /** Every row of a query as "col=value,…" text. */
  List<String> rows(String sql) throws SQLException {
    List<String> out = new ArrayList<>();
    try (Connection c = connect();
        Statement s = c.createStatement();
        ResultSet rs = s.executeQuery(sql)) {
      ResultSetMetaData md = rs.getMetaData();
      while (rs.next()) {
        StringBuilder sb = new StringBuilder();
        for (int i = 1; i <= md.getColumnCount(); i++) {
          if (i > 1) {
            sb.append(',');
          }
          sb.append(md.getColumnLabel(i)).append('=').append(rs.getString(i));
        }
        out.add(sb.toString());
      }
    }
    return out;
  }

  @Override
  public void close() throws IOException {
    postgres.close();
    try (var files = java.nio.file.Files.walk(dataDirectory)) {
      files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    }
  }
}
