package io.georep.replicator;

import io.georep.connector.spi.Connector;
import io.georep.connectors.postgres.PostgresConnector;
import java.util.List;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * The wiring point: the one place that knows which databases georep supports, and picks a
 * database's {@link Connector} by its JDBC URL. Everything else in the agent and the command line
 * sees the connector SPI only ({@code io.georep.connector.spi}); a new database is one more entry
 * here.
 */
public final class Connectors {
  private static final List<Connector> INSTALLED = List.of(new PostgresConnector());

  private Connectors() {}

  /**
   * Returns the supported databases' connectors.
   *
   * @return the connectors; never empty
   */
  public static List<Connector> installed() {
    return INSTALLED;
  }

  /**
   * Returns the connector that takes a URL, if any.
   *
   * @param url a JDBC URL; may be null
   * @return the connector, or empty if no supported database takes the URL
   */
  public static Optional<Connector> find(String url) {
    return INSTALLED.stream().filter(c -> c.accepts(url)).findFirst();
  }

  /**
   * Returns the connector that takes a URL.
   *
   * @param url a JDBC URL
   * @return the connector
   * @throws IllegalArgumentException if no supported database takes the URL; the message lists the
   *     URL forms that are supported
   */
  public static Connector forUrl(String url) {
    return find(url)
        .orElseThrow(
            () ->
                new IllegalArgumentException(
                    "'"
                        + io.georep.connector.DatabaseUrl.masked(url)
                        + "' is not a URL of a database georep supports: use "
                        + supportedForms()));
  }

  /**
   * Describes the URL forms the installed connectors take, for messages.
   *
   * @return for example {@code a PostgreSQL URL such as jdbc:postgresql://127.0.0.1:5432/app}
   */
  public static String supportedForms() {
    return INSTALLED.stream()
        .map(c -> "a " + c.name() + " URL such as " + c.exampleUrl())
        .collect(Collectors.joining(" or "));
  }

  /**
   * The prefix of PostgreSQL's causal-tick message, which the capture ships as a transaction
   * without rows; {@code georep resync} writes ticks by hand (docs/verify.md).
   */
  public static final String POSTGRES_TICK_PREFIX =
      io.georep.connectors.postgres.PostgresChangeSource.TICK_PREFIX;

  /** The statement that writes a PostgreSQL apply mark; bind {@link #postgresApplyMark}. */
  public static final String POSTGRES_APPLY_MARK_SQL = io.georep.connectors.postgres.ApplyMark.SQL;

  /**
   * Encodes a PostgreSQL apply mark: the capture treats the transaction that writes it as an apply
   * (never shipped) and joins its watermark into the causal context of later local writes.
   *
   * @param applied the transactions applied; not empty
   * @param watermark the apply watermark after it
   * @param latest the greatest commit timestamp applied
   * @return the mark's bytes
   */
  public static byte[] postgresApplyMark(
      List<io.georep.vectorclock.Dot> applied,
      io.georep.vectorclock.VersionVector watermark,
      io.georep.vectorclock.HybridTimestamp latest) {
    return new io.georep.connectors.postgres.ApplyMark(applied, watermark, latest).encode();
  }
}
