package io.georep.connectors.postgres;

import io.georep.connector.ScalarType;
import io.georep.connector.TableId;
import io.georep.connector.TableSchema;
import io.georep.connector.Value;
import io.georep.connector.spi.ChangeSource;
import io.georep.connector.spi.ConflictQuery;
import io.georep.connector.spi.Connector;
import io.georep.connector.spi.DatabaseSettings;
import io.georep.connector.spi.DatabaseTls;
import io.georep.connector.spi.LoggedConflict;
import io.georep.connector.spi.RegionApplier;
import io.georep.connector.spi.RegionDatabase;
import io.georep.connectors.postgres.internal.apply.ConflictLogRows;
import io.georep.connectors.postgres.internal.apply.TableSql;
import io.georep.connectors.postgres.internal.capture.TextValueParser;
import io.georep.connectors.postgres.internal.capture.TruncateTriggers;
import io.georep.publication.Publication;
import io.georep.publication.spi.SchemaCatalog;
import io.georep.resolver.ResolverRegistry;
import io.georep.vectorclock.ReplicaId;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * PostgreSQL (12 and later) as a {@link Connector}: capture by logical decoding ({@code pgoutput}
 * through a replication slot), apply through HikariCP pools, the live schema from the system
 * catalogs. Resolvers are the ones {@link ResolverRegistry#load()} finds on the class path.
 */
public final class PostgresConnector implements Connector {

  @Override
  public String name() {
    return "PostgreSQL";
  }

  @Override
  public String urlPrefix() {
    return "jdbc:postgresql:";
  }

  @Override
  public String exampleUrl() {
    return "jdbc:postgresql://127.0.0.1:5432/app";
  }

  @Override
  public String defaultCaptureName(ReplicaId region) {
    return PostgresSourceConfig.defaultSlotName(region);
  }

  @Override
  public SchemaCatalog readSchema(Connection connection) throws SQLException {
    return PostgresSchemaCatalog.read(connection);
  }

  /** The {@code georep_truncate} trigger on every published table (docs/conflicts.md). */
  @Override
  public List<String> setupStatements(List<Publication> publications) {
    return TruncateTriggers.statements(publications);
  }

  /**
   * {@inheritDoc}
   *
   * <p>PostgreSQL: {@code sslmode}, {@code sslrootcert}, {@code sslcert}, {@code sslkey} and {@code
   * sslpassword} of PgJDBC; a PEM client key, which PgJDBC cannot read, is refused.
   */
  @Override
  public Map<String, String> tlsProperties(String url, DatabaseTls tls) {
    return PostgresConnections.tlsProperties(
        Objects.requireNonNull(url, "url"), Objects.requireNonNull(tls, "tls"));
  }

  @Override
  public Connection connect(
      String url, String user, String password, DatabaseTls tls, String applicationName)
      throws SQLException {
    return PostgresConnections.connect(url, user, password, tls, applicationName);
  }

  /**
   * {@inheritDoc}
   *
   * @throws CaptureException if a setting does not fit PostgreSQL (for example, a slot name it does
   *     not allow)
   */
  @Override
  public RegionDatabase open(DatabaseSettings settings) {
    Objects.requireNonNull(settings, "settings");
    PostgresSourceConfig source =
        PostgresSourceConfig.of(
                settings.url(),
                settings.user(),
                settings.password(),
                settings.region(),
                settings.publications())
            .withCopy(settings.copyChunkRows(), settings.copyParallel())
            .withTls(settings.tls());
    if (settings.captureName() != null) {
      source = source.withSlotName(settings.captureName());
    }
    PostgresSinkConfig sink =
        PostgresSinkConfig.of(
                settings.url(),
                settings.user(),
                settings.password(),
                settings.region(),
                settings.publications(),
                ResolverRegistry.load())
            .withMaxGroupTransactions(settings.maxGroupTransactions())
            .withLocalFolding(true)
            .withTls(settings.tls());
    return new Region(source, sink);
  }

  /** A region's PostgreSQL database: the capture's and the appliers' configurations. */
  private record Region(PostgresSourceConfig source, PostgresSinkConfig sink)
      implements RegionDatabase {

    @Override
    public String captureName() {
      return source.slotName();
    }

    /**
     * Caps the capture's hand-off batch ({@code stampBatchChanges}: converted transactions the
     * capture holds until it stamps them and hands them on) at the caller's limit.
     */
    @Override
    public ChangeSource newSource(int maxHandOffChanges) {
      if (maxHandOffChanges < 1) {
        throw new IllegalArgumentException(
            "the hand-off limit must be at least 1, got " + maxHandOffChanges);
      }
      return new PostgresChangeSource(
          source.stampBatchChanges() <= maxHandOffChanges
              ? source
              : source.withStampBatchChanges(maxHandOffChanges));
    }

    /** Garbage collection waits for the capture's folds (see {@code holdGarbageForCapture}). */
    @Override
    public RegionApplier openApplier() {
      PostgresChangeApplier applier = PostgresChangeApplier.start(sink);
      applier.holdGarbageForCapture(source.slotName());
      return applier;
    }

    @Override
    public RegionApplier openApplier(int connections) {
      PostgresChangeApplier applier = PostgresChangeApplier.start(sink.withPoolSize(connections));
      applier.holdGarbageForCapture(source.slotName());
      return applier;
    }
  }

  @Override
  public List<LoggedConflict> readConflicts(Connection connection, ConflictQuery query)
      throws SQLException {
    return ConflictLogRows.read(connection, query);
  }

  @Override
  public Optional<TableSchema> describeTable(Connection connection, TableId table)
      throws SQLException {
    return TableSql.describe(connection, table);
  }

  /** The log holds numbers and strings in PostgreSQL's text output; booleans as true/false. */
  @Override
  public Value loggedValue(ScalarType type, String text) {
    if (type == ScalarType.BOOL) {
      return new Value.Bool(Boolean.parseBoolean(text) || text.equals("t"));
    }
    return TextValueParser.scalar(type, text);
  }
}
