package io.georep.connectors.postgres.internal.schema;

import io.georep.connectors.postgres.CaptureException;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.TreeSet;

/**
 * The {@code georep} metadata schema in the replicated database, created and migrated by ordered,
 * versioned SQL migrations.
 *
 * <p>Design: migrations are resources under {@code io/georep/connectors/postgres/migrations/},
 * listed in order by the {@code index} resource (class-path directories cannot be listed reliably
 * inside jars). {@code georep.schema_version} records each applied version. {@link #migrate} takes
 * a session-level advisory lock, so two agents starting at once do not race, then applies every
 * missing migration in order, each with its version row in one transaction: a crash leaves a
 * migration either fully applied and recorded or not at all. Running it again is a no-op, so it
 * runs at every start. A database migrated by a newer agent (an unknown version recorded) is
 * refused rather than used half-understood. Later issues append migrations to the index (the
 * applier's progress, row metadata and conflict log).
 */
public final class MetadataSchema {

  /** The schema's name. */
  public static final String SCHEMA = "georep";

  /** The advisory lock key held while migrating ({@code 'georep'} as a number). */
  static final long LOCK_KEY = 0x67656f726570L;

  private static final String BASE = "/io/georep/connectors/postgres/migrations/";

  /** One migration: version, script resource and description. */
  record Migration(int version, String resource, String description) {}

  private MetadataSchema() {}

  /**
   * Creates or migrates the metadata schema through {@code connection}, which is left open and in
   * auto-commit mode.
   *
   * @param connection a regular (non-replication) connection; never null
   * @return the versions applied by this call, in order (empty if the schema was current)
   * @throws CaptureException if the user may not create the schema, a migration fails, or the
   *     database was migrated by a newer agent
   * @throws SQLException if the database is unreachable
   */
  public static List<Integer> migrate(Connection connection) throws SQLException {
    Objects.requireNonNull(connection, "connection");
    List<Migration> migrations = migrations();
    List<Integer> applied = new ArrayList<>();
    connection.setAutoCommit(true);
    try (Statement statement = connection.createStatement()) {
      statement.execute("SELECT pg_advisory_lock(" + LOCK_KEY + ")");
      try {
        try {
          statement.execute("CREATE SCHEMA IF NOT EXISTS " + SCHEMA);
          statement.execute(
              "CREATE TABLE IF NOT EXISTS "
                  + SCHEMA
                  + ".schema_version (version integer PRIMARY KEY, description text NOT NULL,"
                  + " applied_at timestamptz NOT NULL DEFAULT now())");
        } catch (SQLException e) {
          if ("42501".equals(e.getSQLState())) {
            throw new CaptureException(
                "cannot create the georep metadata schema: user lacks the privilege ("
                    + e.getMessage()
                    + "); run GRANT CREATE ON DATABASE <database> TO <user>, or create it as an"
                    + " administrator with CREATE SCHEMA georep AUTHORIZATION <user>",
                e);
          }
          throw e;
        }
        TreeSet<Integer> done = new TreeSet<>();
        try (ResultSet rs =
            statement.executeQuery("SELECT version FROM " + SCHEMA + ".schema_version")) {
          while (rs.next()) {
            done.add(rs.getInt(1));
          }
        }
        int newest = migrations.isEmpty() ? 0 : migrations.get(migrations.size() - 1).version();
        if (!done.isEmpty() && done.last() > newest) {
          throw new CaptureException(
              "the georep metadata schema is at version "
                  + done.last()
                  + ", newer than this agent knows ("
                  + newest
                  + "); a newer agent migrated this database — upgrade this agent");
        }
        for (Migration migration : migrations) {
          if (done.contains(migration.version())) {
            continue;
          }
          apply(connection, migration);
          applied.add(migration.version());
        }
      } finally {
        connection.setAutoCommit(true);
        statement.execute("SELECT pg_advisory_unlock(" + LOCK_KEY + ")");
      }
    }
    return applied;
  }

  private static void apply(Connection connection, Migration migration) throws SQLException {
    String script = resource(migration.resource());
    connection.setAutoCommit(false);
    try (Statement statement = connection.createStatement();
        PreparedStatement record =
            connection.prepareStatement(
                "INSERT INTO " + SCHEMA + ".schema_version (version, description) VALUES (?, ?)")) {
      statement.execute(script);
      record.setInt(1, migration.version());
      record.setString(2, migration.description());
      record.executeUpdate();
      connection.commit();
    } catch (SQLException e) {
      connection.rollback();
      throw new CaptureException(
          "georep metadata migration "
              + migration.version()
              + " ("
              + migration.resource()
              + ") failed and was rolled back: "
              + e.getMessage()
              + "; fix the cause (privileges, a conflicting object in schema georep) and restart",
          e);
    } finally {
      connection.setAutoCommit(true);
    }
  }

  /** Returns the migrations listed in the index, checked to be in strictly increasing order. */
  static List<Migration> migrations() {
    List<Migration> list = new ArrayList<>();
    for (String line : resource("index").split("\n", -1)) {
      String trimmed = line.strip();
      if (trimmed.isEmpty() || trimmed.startsWith("#")) {
        continue;
      }
      String[] parts = trimmed.split(" ", 3);
      int version = Integer.parseInt(parts[0]);
      if (!list.isEmpty() && list.get(list.size() - 1).version() >= version) {
        throw new IllegalStateException("migration index out of order at version " + version);
      }
      list.add(new Migration(version, parts[1], parts.length > 2 ? parts[2] : ""));
    }
    return List.copyOf(list);
  }

  private static String resource(String name) {
    try (InputStream in = MetadataSchema.class.getResourceAsStream(BASE + name)) {
      if (in == null) {
        throw new IllegalStateException("missing migration resource " + BASE + name);
      }
      StringBuilder sb = new StringBuilder();
      try (BufferedReader reader =
          new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
        String line;
        while ((line = reader.readLine()) != null) {
          sb.append(line).append('\n');
        }
      }
      return sb.toString();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read migration resource " + name, e);
    }
  }
}
