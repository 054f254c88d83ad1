package io.georep.benchmarks.replication;

import io.georep.testkit.EmbeddedRegionDatabase;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;

/**
 * The benchmark's databases on the test kit's servers: each system gets a database of its own on
 * both servers, so native replication and georep never see each other's tables, slots or metadata.
 */
final class BenchDatabases {
  private BenchDatabases() {}

  /**
   * Returns the JDBC URL of a database of a server.
   *
   * @param server the server
   * @param database the database name
   * @return the URL
   */
  static String jdbcUrl(EmbeddedRegionDatabase server, String database) {
    return "jdbc:postgresql://127.0.0.1:" + server.port() + "/" + database;
  }

  /**
   * Opens a connection to a database as the server's superuser.
   *
   * @param server the server
   * @param database the database, optionally followed by {@code ?} and connection properties
   * @return the connection, in auto-commit mode
   * @throws SQLException if it cannot connect
   */
  static Connection connect(EmbeddedRegionDatabase server, String database) throws SQLException {
    return DriverManager.getConnection(jdbcUrl(server, database), EmbeddedRegionDatabase.USER, "");
  }

  /**
   * Creates a database.
   *
   * @param server the server
   * @param database the name
   * @throws SQLException if it cannot
   */
  static void create(EmbeddedRegionDatabase server, String database) throws SQLException {
    try (Connection c = server.connect();
        Statement s = c.createStatement()) {
      s.execute("CREATE DATABASE " + database);
    }
  }
}
