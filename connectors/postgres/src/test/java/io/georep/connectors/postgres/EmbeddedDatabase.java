package io.georep.connectors.postgres;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.sql.Connection;
import java.sql.SQLException;

/**
 * A real PostgreSQL for integration tests: embedded binaries, loopback only, a free port, {@code
 * wal_level=logical}; {@link #close()} stops the server and deletes its data directory.
 */
final class EmbeddedDatabase implements AutoCloseable {

  private final EmbeddedPostgres postgres;

  private EmbeddedDatabase(EmbeddedPostgres postgres) {
    this.postgres = postgres;
  }

  static EmbeddedDatabase start() {
    try {
      return new EmbeddedDatabase(
          EmbeddedPostgres.builder()
              .setServerConfig("listen_addresses", "127.0.0.1")
              .setServerConfig("wal_level", "logical")
              .setServerConfig("max_replication_slots", "4")
              .setServerConfig("max_wal_senders", "4")
              .setServerConfig("fsync", "off")
              // Logical decoding through SQL functions reads only flushed WAL; the embedded
              // default of synchronous_commit=off would hide just-committed changes.
              .setServerConfig("synchronous_commit", "on")
              .setCleanDataDirectory(true)
              .start());
    } catch (IOException e) {
      throw new UncheckedIOException("cannot start embedded PostgreSQL", e);
    }
  }

  Connection connect() throws SQLException {
    return postgres.getPostgresDatabase().getConnection();
  }

  @Override
  public void close() throws IOException {
    postgres.close();
  }
}
