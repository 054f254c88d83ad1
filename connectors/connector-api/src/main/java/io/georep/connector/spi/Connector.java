package io.georep.connector.spi;

import io.georep.publication.Publication;
import io.georep.publication.spi.SchemaCatalog;
import io.georep.vectorclock.ReplicaId;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.List;

/**
 * A database georep replicates, as the agent and the command line see it: which URLs it takes, how
 * it names its capture position, how its live schema is read, and how a region's {@link
 * RegionDatabase} is opened. The agent picks the connector by the database URL at one wiring point
 * and sees nothing else of it.
 *
 * <p>Implementations are stateless and thread-safe.
 */
public interface Connector {
  /**
   * Returns the database's name for messages, for example {@code PostgreSQL}.
   *
   * @return the name
   */
  String name();

  /**
   * Returns the prefix of the JDBC URLs this connector takes, for example {@code jdbc:postgresql:}.
   *
   * @return the prefix
   */
  String urlPrefix();

  /**
   * Returns an example URL for messages that ask for one.
   *
   * @return a URL the connector takes
   */
  String exampleUrl();

  /**
   * Tells whether this connector takes the URL.
   *
   * @param url a JDBC URL, or null
   * @return whether the URL starts with {@link #urlPrefix()}
   */
  default boolean accepts(String url) {
    return url != null && url.startsWith(urlPrefix());
  }

  /**
   * Returns the name of the capture position a region uses when its settings name none (for
   * PostgreSQL, the replication slot).
   *
   * @param region the region
   * @return the name
   */
  String defaultCaptureName(ReplicaId region);

  /**
   * Reads the live schema the publication validator and planner check publications against.
   *
   * @param connection a connection to the database; not closed
   * @return the catalog
   * @throws SQLException if the catalog cannot be read
   */
  SchemaCatalog readSchema(Connection connection) throws SQLException;

  /**
   * Returns the statements the agent runs on the database at start for these publications beyond
   * creating its own metadata (for PostgreSQL, the truncate triggers), for the planner to show.
   *
   * @param publications the publications
   * @return the statements, without terminators; possibly empty
   */
  List<String> setupStatements(List<Publication> publications);

  /**
   * Opens a region's database: validates the settings; connects lazily, in the sources and appliers
   * it makes.
   *
   * @param settings the region's database settings; never null
   * @return the region's database
   * @throws io.georep.vectorclock.GeorepException if the settings do not fit this database (the
   *     message names the setting)
   */
  RegionDatabase open(DatabaseSettings settings);
}
