package io.georep.connectors.postgres;

import io.georep.testkit.EmbeddedRegionDatabase;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * The PostgreSQL major versions the connector's integration tests run on, and how a test starts a
 * server of each (the test kit's {@link EmbeddedRegionDatabase}).
 *
 * <p>{@link #PG17} runs the binaries BOM's default from the class path; {@link #PG14} the binaries
 * jar the build copies to {@code target/pg-binaries/} (system property {@code
 * georep.pg14.binaries}), because Maven cannot put two versions of one artifact on a class path.
 *
 * <p>The servers keep PostgreSQL's default {@code track_commit_timestamp=off}, unlike the agent's
 * regions: the connector must work without it (the preflight only warns).
 */
enum PgVersion {
  /** The default binaries from the class path. */
  PG17,
  /** The copied PostgreSQL 14 binaries. */
  PG14;

  /**
   * Starts a server of this version: loopback, a free port, logical replication, its data in a
   * temporary directory that {@code close()} deletes.
   *
   * @return the running server
   */
  EmbeddedRegionDatabase start() {
    return start(Map.of());
  }

  /**
   * Starts a server with extra or overriding settings, such as {@code wal_level=replica}.
   *
   * @param settings server settings
   * @return the running server
   */
  EmbeddedRegionDatabase start(Map<String, String> settings) {
    EmbeddedRegionDatabase.Builder builder =
        EmbeddedRegionDatabase.builder()
            .serverConfig("track_commit_timestamp", "off")
            .serverConfig("max_connections", "300");
    settings.forEach(builder::serverConfig);
    if (this == PG14) {
      builder.binariesJar(pg14Jar());
    }
    return builder.start();
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
}
