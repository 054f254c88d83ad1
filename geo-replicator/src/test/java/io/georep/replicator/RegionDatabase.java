package io.georep.replicator;

import io.zonky.test.db.postgres.embedded.DefaultPostgresBinaryResolver;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import io.zonky.test.db.postgres.embedded.PgBinaryResolver;
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
 * same port and data; {@link #crash()} shuts it down the way {@code pg_ctl stop -m immediate} does
 * (SIGQUIT to the postmaster: no checkpoint, crash recovery at the next start).
 *
 * <p>{@link #startWithClockFile} runs the server under libfaketime (Debian package {@code
 * libfaketime}): its clock — so its commit timestamps — is offset by what a file says ({@code
 * +90s}, {@code -30s}, {@code +0}), read again every second, so a test can skew one region's clock
 * while it runs.
 */
final class RegionDatabase implements AutoCloseable {
  /** Where Debian's package {@code libfaketime} puts the library. */
  static final java.nio.file.Path LIBFAKETIME =
      java.nio.file.Path.of("/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1");

  private EmbeddedPostgres postgres;
  private final java.nio.file.Path dataDirectory;
  private final int port;
  private final Binaries binaries;

  /**
   * Binaries of this server's own: zonky keeps one unpacked copy per resolver instance for the
   * whole JVM, so a resolver of its own (the default one, wrapped) makes it unpack them into the
   * given directory, where {@code postgres} can be replaced without touching other servers.
   */
  private record Binaries(java.nio.file.Path directory, PgBinaryResolver resolver) {}

  /**
   * The default binaries under an instance of its own per server: zonky caches the unpacked copy
   * per resolver instance, and reuses it while its directory exists, so a shared instance (a
   * non-capturing lambda is one) would start this server from another server's binaries.
   */
  private static final class OwnResolver implements PgBinaryResolver {
    private final java.nio.file.Path server;

    OwnResolver(java.nio.file.Path server) {
      this.server = server;
    }

    @Override
    public java.io.InputStream getPgBinary(String system, String hardware) throws IOException {
      return DefaultPostgresBinaryResolver.INSTANCE.getPgBinary(system, hardware);
    }

    @Override
    public String toString() {
      return "binaries of " + server;
    }
  }

  private RegionDatabase(
      EmbeddedPostgres postgres, java.nio.file.Path dataDirectory, int port, Binaries binaries) {
    this.postgres = postgres;
    this.dataDirectory = dataDirectory;
    this.port = port;
    this.binaries = binaries;
  }

  static RegionDatabase start() {
    try {
      java.nio.file.Path dir = java.nio.file.Files.createTempDirectory("georep-pg-");
      int port;
      try (java.net.ServerSocket s = new java.net.ServerSocket(0)) {
        port = s.getLocalPort();
      }
      return new RegionDatabase(builder(dir.resolve("data"), port, null).start(), dir, port, null);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot start embedded PostgreSQL", e);
    }
  }

  /**
   * Starts a server whose clock is offset by the content of {@code clockFile} (libfaketime's {@code
   * FAKETIME_TIMESTAMP_FILE}); the file should say {@code +0} to begin with. The binaries are
   * unpacked into the server's own directory and {@code postgres} is replaced by a script that
   * preloads libfaketime, so no other server is affected.
   *
   * @param clockFile the offset, such as {@code +90s}; read again every second
   * @throws IllegalStateException when libfaketime is not installed (see {@link #LIBFAKETIME})
   */
  static RegionDatabase startWithClockFile(java.nio.file.Path clockFile) {
    if (!java.nio.file.Files.isReadable(LIBFAKETIME)) {
      throw new IllegalStateException(LIBFAKETIME + " is missing: install Debian's libfaketime");
    }
    try {
      java.nio.file.Path dir = java.nio.file.Files.createTempDirectory("georep-pg-");
      int port;
      try (java.net.ServerSocket s = new java.net.ServerSocket(0)) {
        port = s.getLocalPort();
      }
      PgBinaryResolver own = new OwnResolver(dir);
      Binaries binaries = new Binaries(dir.resolve("binaries"), own);
      // The first start unpacks the binaries; the wrapper takes the place of postgres after it.
      builder(dir.resolve("data"), port, binaries).start().close();
      java.nio.file.Path postgres;
      try (var found =
          java.nio.file.Files.find(binaries.directory(), 4, (p, a) -> p.endsWith("bin/postgres"))) {
        postgres = found.findFirst().orElseThrow();
      }
      java.nio.file.Path real = postgres.resolveSibling("postgres.real");
      java.nio.file.Files.move(postgres, real);
      java.nio.file.Files.writeString(
          postgres,
          String.join(
              "\n",
              "#!/bin/sh",
              "export LD_PRELOAD=" + LIBFAKETIME,
              "export FAKETIME_TIMESTAMP_FILE='" + clockFile + "'",
              "export FAKETIME_CACHE_DURATION=1",
              "export FAKETIME_DISABLE_SHM=1",
              "export DONT_FAKE_MONOTONIC=1",
              "export FAKETIME_DONT_FAKE_MONOTONIC=1",
              "exec '" + real + "' \"$@\"",
              ""));
      postgres.toFile().setExecutable(true);
      return new RegionDatabase(
          builder(dir.resolve("data"), port, binaries).start(), dir, port, binaries);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot start embedded PostgreSQL under libfaketime", e);
    }
  }

  private static EmbeddedPostgres.Builder builder(
      java.nio.file.Path dir, int port, Binaries binaries) {
    // Never cleaned by zonky: restart() reuses the data; close() deletes the directory.
    EmbeddedPostgres.Builder builder = EmbeddedPostgres.builder();
    if (binaries != null) {
      builder
          .setOverrideWorkingDirectory(binaries.directory().toFile())
          .setPgBinaryResolver(binaries.resolver());
    }
    return builder
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
    postgres = builder(dataDirectory.resolve("data"), port, binaries).start();
  }

  /**
   * Crashes the server as {@code pg_ctl stop -m immediate} does: SIGQUIT to the postmaster, which
   * makes every backend exit at once without a checkpoint. Open connections fail; {@link
   * #start(int)} starts it again (with crash recovery).
   */
  void crash() throws IOException, InterruptedException {
    long pid =
        Long.parseLong(
            java.nio.file.Files.readAllLines(dataDirectory.resolve("data/postmaster.pid"))
                .get(0)
                .trim());
    Process kill = new ProcessBuilder("kill", "-QUIT", Long.toString(pid)).start();
    kill.waitFor();
    java.util.Optional<ProcessHandle> postmaster = ProcessHandle.of(pid);
    long deadline = System.nanoTime() + 30_000_000_000L;
    while (postmaster.isPresent() && postmaster.get().isAlive() && System.nanoTime() < deadline) {
      Thread.sleep(20);
    }
    // Releases zonky's lock on the data directory; its own stop finds no server and says so.
    postgres.close();
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

  /** Stops the server and keeps its data directory, for a post-mortem; returns the directory. */
  java.nio.file.Path stopKeepingData() throws IOException {
    postgres.close();
    return dataDirectory;
  }

  @Override
  public void close() throws IOException {
    postgres.close();
    try (var files = java.nio.file.Files.walk(dataDirectory)) {
      files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    }
  }
}
