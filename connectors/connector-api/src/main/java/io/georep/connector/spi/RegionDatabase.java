package io.georep.connector.spi;

/**
 * One region's database as a {@link Connector} opened it: a factory of the capture source and of
 * appliers, each of which holds its own connections. Thread-safe.
 */
public interface RegionDatabase {
  /**
   * Returns the name of the capture position (for PostgreSQL, the replication slot), for logs.
   *
   * @return the name
   */
  String captureName();

  /**
   * Creates the capture source. It may implement {@link CopyProgressReporting} and {@link
   * ClockSkewReporting}.
   *
   * @param maxHandOffChanges the most row changes the source may hold converted and not yet handed
   *     on (the agent's shipping batch); at least 1
   * @return a source, not started
   */
  ChangeSource newSource(int maxHandOffChanges);

  /**
   * Opens an applier: its connections, and the database's replication metadata created or migrated
   * if needed.
   *
   * @return the applier
   * @throws ApplyRetryException if the database is unreachable
   * @throws io.georep.vectorclock.GeorepException if the metadata cannot be migrated
   */
  RegionApplier openApplier();

  /**
   * Opens an applier that may hold up to {@code connections} connections at once, for callers that
   * run that many calls concurrently (the consistency endpoints' waits). The default ignores the
   * number.
   *
   * @param connections the most connections in use at once; at least 1
   * @return the applier
   * @throws ApplyRetryException if the database is unreachable
   * @throws io.georep.vectorclock.GeorepException if the metadata cannot be migrated
   */
  default RegionApplier openApplier(int connections) {
    return openApplier();
  }
}
