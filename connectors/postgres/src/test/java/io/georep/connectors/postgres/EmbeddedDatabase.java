package io.georep.connectors.postgres;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import io.zonky.test.db.postgres.embedded.PgBinaryResolver;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;

/**
 * A real PostgreSQL for integration tests: embedded binaries, loopback only, a free port, {@code
 * wal_level=logical}; {@link #close()} stops the server and deletes its data directory.
 *
 * <p>Two major versions: the binaries BOM's default (17) from the class path, and 14, whose
 * binaries jar the build copies to {@code target/pg-binaries/} (system property {@code
 * georep.pg14.binaries}) because Maven cannot put two versions of one artifact on a class path; a
 * {@link PgBinaryResolver} reads the {@code .txz} archive out of that jar.
 */
final class EmbeddedDatabase implements AutoCloseable {

  /** The PostgreSQL major versions the integration tests run on. */
  enum Version {
    /** The default binaries from the class path. */
    PG17,
    /** The copied PostgreSQL 14 binaries. */
    PG14
  }

  private final EmbeddedPostgres postgres;

  private EmbeddedDatabase(EmbeddedPostgres postgres) {
    this.postgres = postgres;
  }

  static EmbeddedDatabase start() {
    return start(Version.PG17);
  }

  static EmbeddedDatabase start(Version version) {
    return start(version, java.util.Map.of());
  }

  /** Starts a server with extra or overriding settings, such as {@code wal_level=replica}. */
  static EmbeddedDatabase start(Version version, java.util.Map<String, String> settings) {
    try {
      EmbeddedPostgres.Builder builder =
          EmbeddedPostgres.builder()
              .setServerConfig("listen_addresses", "127.0.0.1")
              .setServerConfig("wal_level", "logical")
              .setServerConfig("max_replication_slots", "8")
              .setServerConfig("max_wal_senders", "8")
              .setServerConfig("fsync", "off")
              // Logical decoding through SQL functions reads only flushed WAL; the embedded
              // default of synchronous_commit=off would hide just-committed changes.
              .setServerConfig("synchronous_commit", "on")
              .setCleanDataDirectory(true);
      settings.forEach(builder::setServerConfig);
      if (version == Version.PG14) {
        builder.setPgBinaryResolver(jarResolver(pg14Jar()));
      }
      return new EmbeddedDatabase(builder.start());
    } catch (IOException e) {
      throw new UncheckedIOException("cannot start embedded PostgreSQL " + version, e);
    }
  }

  private static Path pg14Jar() {
    String property = System.getProperty("georep.pg14.binaries");
    if (property == null || !Files.isRegularFile(Path.of(property))) {
      throw new IllegalStateException(
          "PostgreSQL 14 binaries jar not found (georep.pg14.binaries="
              + property
              + "); run the integration tests through Maven (mvn verify), whose"
              + " maven-dependency-plugin copies it to target/pg-binaries/");
    }
    return Path.of(property);
  }

  private static PgBinaryResolver jarResolver(Path jar) {
    return (system, hardware) -> {
      try (ZipFile zip = new ZipFile(jar.toFile())) {
        String name =
            ("postgres-" + system + "-" + hardware + ".txz").toLowerCase(java.util.Locale.ROOT);
        ZipEntry entry = zip.getEntry(name);
        if (entry == null) {
          throw new IOException("no " + name + " in " + jar);
        }
        try (InputStream in = zip.getInputStream(entry)) {
          return new ByteArrayInputStream(in.readAllBytes());
        }
      }
    };
  }

  Connection connect() throws SQLException {
    return postgres.getPostgresDatabase().getConnection();
  }

  String jdbcUrl() {
    return postgres.getJdbcUrl("postgres", "postgres");
  }

  /** Returns the JDBC URL of another database of this server, without a user. */
  String jdbcUrl(String database) {
    return "jdbc:postgresql://127.0.0.1:" + postgres.getPort() + "/" + database;
  }

  @Override
  public void close() throws IOException {
    postgres.close();
  }
}
