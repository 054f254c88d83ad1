package io.georep.connector.spi;

import io.georep.connector.ScalarType;
import io.georep.connector.TableId;
import io.georep.connector.TableSchema;
import io.georep.connector.Value;
import io.georep.publication.Publication;
import io.georep.publication.spi.SchemaCatalog;
import io.georep.vectorclock.ReplicaId;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.List;
import java.util.Map;
import java.util.Optional;

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

  /**
   * Returns the driver properties that carry the TLS settings, set beside the user and password on
   * every connection to this database: the capture's, the appliers', the HTTP API's and the command
   * line's. Also checks that the settings fit the driver and do not contradict TLS parameters the
   * URL sets itself.
   *
   * @param url the database URL; never null
   * @param tls the TLS settings; never null
   * @return the properties by driver name; empty for {@link DatabaseTls#DEFAULT}
   * @throws IllegalArgumentException if the URL sets TLS itself while {@code database.tls.*} is
   *     set, or a file is in a format the driver cannot read; the message names the URL parameter
   *     or the {@code database.tls.*} key and says what to do
   */
  Map<String, String> tlsProperties(String url, DatabaseTls tls);

  /**
   * Opens a plain connection to the database, TLS settings included, for the command line's tools,
   * the HTTP API's reads and the agent's check at start (not the capture or apply, which open their
   * own).
   *
   * @param url the database URL; never null
   * @param user the user; never null
   * @param password the password, empty for none; never null; never shown
   * @param tls the TLS settings; never null
   * @param applicationName what the database shows for the session
   * @return the connection, in auto-commit mode; the caller closes it
   * @throws io.georep.vectorclock.GeorepException (not retriable) if the database refused the login
   *     or its certificate did not verify: retrying cannot help, and the message names the setting
   *     to fix
   * @throws SQLException if the database cannot be reached, which may pass
   */
  Connection connect(
      String url, String user, String password, DatabaseTls tls, String applicationName)
      throws SQLException;

  /**
   * Reads rows of the region's conflict log, for {@code georep conflicts} and {@code
   * /api/conflicts}.
   *
   * @param connection a connection to the database; not closed
   * @param query the filter
   * @return the matching rows, in log order
   * @throws SQLException if the log cannot be read
   * @throws UnsupportedOperationException if this database keeps no conflict log
   */
  default List<LoggedConflict> readConflicts(Connection connection, ConflictQuery query)
      throws SQLException {
    throw new UnsupportedOperationException(name() + " keeps no conflict log");
  }

  /**
   * Describes a table as the capture does (column types, the key), for the what-if replay of its
   * logged conflicts.
   *
   * @param connection a connection to the database; not closed
   * @param table the table
   * @return its schema, or empty if it does not exist or has no key
   * @throws SQLException if the catalog cannot be read
   */
  default Optional<TableSchema> describeTable(Connection connection, TableId table)
      throws SQLException {
    return Optional.empty();
  }

  /**
   * Parses one value of a logged version: a JSON string, number or boolean of the log, given as its
   * text ({@code true}/{@code false} for booleans), for a column or array element of this type. The
   * what-if replay uses it to rebuild versions for resolvers that read values.
   *
   * @param type the column's (or array element's) type
   * @param text the value's text
   * @return the value
   * @throws IllegalArgumentException if the text is not a value of the type
   */
  default Value loggedValue(ScalarType type, String text) {
    throw new UnsupportedOperationException(name() + " keeps no conflict log");
  }
}
