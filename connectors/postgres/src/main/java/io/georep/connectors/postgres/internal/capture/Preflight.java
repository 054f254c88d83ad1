package io.georep.connectors.postgres.internal.capture;

import io.georep.connector.TableId;
import io.georep.connectors.postgres.CaptureException;
import io.georep.connectors.postgres.PostgresSchemaCatalog;
import io.georep.connectors.postgres.PostgresSourceConfig;
import io.georep.publication.Publication;
import io.georep.publication.PublicationException;
import io.georep.publication.PublicationPlan;
import io.georep.publication.PublicationPlanner;
import io.georep.publication.TableRule;
import io.georep.publication.spi.ReplicaIdentity;
import io.georep.publication.spi.TableDescription;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The checks the capture runs before it streams, each failing with a message that names the setting
 * or SQL that fixes it, and the creation of what is missing: the native publications (from the
 * publication plan; existing ones are brought in line with {@code ALTER PUBLICATION}) — the slot is
 * created over the replication connection by the caller when {@link Result#slotExists()} is false.
 *
 * <p>Checked: server version (14+), {@code wal_level = logical}, the {@code REPLICATION} attribute
 * ({@code track_commit_timestamp = on} is recommended, with a warning: see {@code docs/apply.md}),
 * that every published table has a primary key or {@code REPLICA IDENTITY FULL}, and, for an
 * existing slot, its plugin ({@code pgoutput}), database, WAL ({@code wal_status <> 'lost'}) and
 * that no other process streams from it; for a missing slot, a free slot and WAL sender.
 */
public final class Preflight {
  private static final Logger LOG = LoggerFactory.getLogger(Preflight.class);

  /**
   * What the checks found.
   *
   * @param serverMajorVersion the server's major version
   * @param slotExists whether the slot exists
   * @param plan the publication plan (its statements were run)
   */
  public record Result(int serverMajorVersion, boolean slotExists, PublicationPlan plan) {}

  private Preflight() {}

  /**
   * Checks the server before anything is written to it: version, {@code wal_level} and the {@code
   * REPLICATION} attribute.
   *
   * @param connection a regular connection in auto-commit mode
   * @return the server's major version
   * @throws CaptureException if a check fails
   * @throws SQLException if the database is unreachable
   */
  public static int checkServer(Connection connection) throws SQLException {
    int version = Integer.parseInt(show(connection, "server_version_num")) / 10_000;
    if (version < 14) {
      throw new CaptureException(
          "PostgreSQL "
              + version
              + " is not supported: capture needs PostgreSQL 14 or newer (pgoutput logical"
              + " decoding messages); upgrade the server");
    }
    String walLevel = show(connection, "wal_level");
    if (!walLevel.equals("logical")) {
      throw new CaptureException(
          "wal_level is '"
              + walLevel
              + "' but capture needs logical decoding; run ALTER SYSTEM SET wal_level = logical"
              + " and restart PostgreSQL");
    }
    if (!show(connection, "track_commit_timestamp").equals("on")) {
      LOG.warn(
          "track_commit_timestamp is off: a row an application writes inside a savepoint cannot"
              + " be matched to its transaction, and remote changes to that row wait until it is"
              + " written again outside a savepoint; run ALTER SYSTEM SET track_commit_timestamp ="
              + " on and restart PostgreSQL");
    }
    try (PreparedStatement query =
            connection.prepareStatement(
                "SELECT rolreplication OR rolsuper, current_user FROM pg_catalog.pg_roles"
                    + " WHERE rolname = current_user");
        ResultSet rs = query.executeQuery()) {
      if (rs.next() && !rs.getBoolean(1)) {
        throw new CaptureException(
            "user "
                + rs.getString(2)
                + " may not stream logical replication; run ALTER ROLE "
                + TableId.quote(rs.getString(2))
                + " REPLICATION");
      }
    }
    return version;
  }

  /**
   * Returns the replication origins, other than georep's own, whose changes may be applied in this
   * database: every origin except georep's and those of PostgreSQL subscriptions of other databases
   * (a server's origins are shared by its databases; a subscription's are named {@code
   * pg_<subscription oid>} and {@code pg_<subscription oid>_<table oid>}).
   *
   * @param connection a regular connection in auto-commit mode
   * @return the origins' names, sorted; empty if none
   * @throws SQLException if the database is unreachable
   */
  public static List<String> foreignOrigins(Connection connection) throws SQLException {
    List<String> names = new ArrayList<>();
    try (PreparedStatement query =
            connection.prepareStatement(
                "SELECT o.roname FROM pg_catalog.pg_replication_origin o"
                    + " WHERE o.roname NOT LIKE 'georep\\_%' AND NOT EXISTS ("
                    + " SELECT 1 FROM pg_catalog.pg_subscription s"
                    + " WHERE s.subdbid <> (SELECT oid FROM pg_catalog.pg_database"
                    + " WHERE datname = current_database())"
                    + " AND (o.roname = 'pg_' || s.oid OR o.roname LIKE 'pg\\_' || s.oid || '\\_%'))"
                    + " ORDER BY 1");
        ResultSet rs = query.executeQuery()) {
      while (rs.next()) {
        names.add(rs.getString(1));
      }
    }
    return names;
  }

  /**
   * Checks the slot and the tables, and creates or aligns the native publications and the {@link
   * TruncateTriggers truncate triggers}.
   *
   * @param connection a regular connection in auto-commit mode
   * @param config the source configuration
   * @param version the server's major version ({@link #checkServer})
   * @return the findings
   * @throws CaptureException if a check fails
   * @throws SQLException if the database is unreachable
   */
  public static Result run(Connection connection, PostgresSourceConfig config, int version)
      throws SQLException {
    boolean slotExists = checkSlot(connection, config.slotName());
    PostgresSchemaCatalog catalog = PostgresSchemaCatalog.read(connection);
    checkTables(catalog, config.publications());
    PublicationPlan plan;
    try {
      plan = PublicationPlanner.plan(config.publications(), catalog);
    } catch (PublicationException e) {
      throw new CaptureException(e.getMessage(), e);
    }
    try (Statement statement = connection.createStatement()) {
      for (String sql : plan.statements()) {
        statement.execute(sql);
      }
    } catch (SQLException e) {
      if ("42501".equals(e.getSQLState())) {
        throw new CaptureException(
            "cannot create or alter the native publications "
                + config.nativePublicationNames()
                + ": "
                + e.getMessage()
                + "; the capture user must own the published tables (ALTER TABLE ... OWNER TO"
                + " <user>), or an administrator runs the statements of `georep publication plan`",
            e);
      }
      throw e;
    }
    TruncateTriggers.install(connection, config.publications());
    return new Result(version, slotExists, plan);
  }

  /**
   * Takes the session-level advisory lock that makes one capture the only user of a slot, for the
   * connection's life. The slot itself is busy only while it streams, but a capture also uses it
   * while it starts and copies.
   *
   * @param connection the capture's regular connection
   * @param slot the slot name
   * @throws io.georep.connectors.postgres.CaptureUnavailableException if another capture holds it
   * @throws SQLException if the database is unreachable
   */
  public static void lockSlot(Connection connection, String slot) throws SQLException {
    int key = slot.hashCode() & 0x7fffffff;
    // Wait a little: the session of a capture that just closed may still be exiting.
    try (Statement statement = connection.createStatement();
        PreparedStatement lock =
            connection.prepareStatement("SELECT pg_advisory_lock(" + SLOT_LOCK_CLASS + ", ?)")) {
      statement.execute("SET lock_timeout = '3s'");
      lock.setInt(1, key);
      try {
        lock.execute();
        return;
      } catch (SQLException e) {
        if (!"55P03".equals(e.getSQLState())) {
          throw e;
        }
      } finally {
        statement.execute("RESET lock_timeout");
      }
    }
    String holder = "another session";
    try (PreparedStatement query =
        connection.prepareStatement(
            "SELECT pid FROM pg_catalog.pg_locks WHERE locktype = 'advisory' AND granted"
                + " AND classid = "
                + SLOT_LOCK_CLASS
                + " AND objid = ? AND objsubid = 2")) {
      query.setLong(1, key);
      try (ResultSet rs = query.executeQuery()) {
        if (rs.next()) {
          holder = "process " + rs.getInt(1);
        }
      }
    }
    throw new io.georep.connectors.postgres.CaptureUnavailableException(
        "replication slot "
            + slot
            + " is in use by another georep capture ("
            + holder
            + " holds its lock); another agent may be running for this region — stop it, or"
            + " wait",
        null);
  }

  /** The first key of the slot locks ({@code 'gerp'}); the second is the slot name's hash. */
  private static final int SLOT_LOCK_CLASS = 0x67657270;

  private static boolean checkSlot(Connection connection, String slot) throws SQLException {
    try (PreparedStatement query =
        connection.prepareStatement(
            "SELECT plugin, slot_type, database, current_database(), wal_status, active_pid"
                + " FROM pg_catalog.pg_replication_slots WHERE slot_name = ?")) {
      query.setString(1, slot);
      try (ResultSet rs = query.executeQuery()) {
        if (rs.next()) {
          String plugin = rs.getString(1);
          String type = rs.getString(2);
          String database = rs.getString(3);
          String current = rs.getString(4);
          String walStatus = rs.getString(5);
          String drop = "SELECT pg_drop_replication_slot('" + slot + "')";
          if (!"logical".equals(type) || !"pgoutput".equals(plugin)) {
            throw new CaptureException(
                "replication slot "
                    + slot
                    + " exists but is a "
                    + type
                    + " slot with plugin "
                    + plugin
                    + ", not a logical pgoutput slot; drop it ("
                    + drop
                    + ") if nothing else uses it, or set source.postgres.slot.name to another"
                    + " name");
          }
          if (!current.equals(database)) {
            throw new CaptureException(
                "replication slot "
                    + slot
                    + " belongs to database "
                    + database
                    + ", not "
                    + current
                    + "; set source.postgres.slot.name to a slot of this database (each database"
                    + " needs its own slot)");
          }
          if ("lost".equals(walStatus)) {
            throw new CaptureException(
                "replication slot "
                    + slot
                    + " is invalidated: the WAL it needs was removed (wal_status = lost), so"
                    + " changes since its position are gone; drop it ("
                    + drop
                    + "), restart the agent to create a new slot, and re-run the initial copy of"
                    + " this region; raise max_slot_wal_keep_size to avoid this");
          }
          if (rs.getObject(6) != null) {
            throw new io.georep.connectors.postgres.CaptureUnavailableException(
                "replication slot "
                    + slot
                    + " is in use by process "
                    + rs.getInt(6)
                    + "; another agent may be running for this region — stop it, or wait",
                null);
          }
          return true;
        }
      }
    }
    int max = Integer.parseInt(show(connection, "max_replication_slots"));
    try (Statement statement = connection.createStatement();
        ResultSet rs =
            statement.executeQuery("SELECT count(*) FROM pg_catalog.pg_replication_slots")) {
      rs.next();
      if (rs.getInt(1) >= max) {
        throw new CaptureException(
            "no free replication slot for "
                + slot
                + ": all "
                + max
                + " are used (see pg_replication_slots); drop an unused one, or raise"
                + " max_replication_slots (ALTER SYSTEM SET max_replication_slots = "
                + (max + 1)
                + ") and restart PostgreSQL");
      }
    }
    return false;
  }

  private static void checkTables(PostgresSchemaCatalog catalog, List<Publication> publications) {
    List<String> problems = new ArrayList<>();
    for (Publication publication : publications) {
      for (TableRule rule : publication.tables()) {
        Optional<TableDescription> table = catalog.describe(rule.table());
        if (table.isPresent()
            && table.get().primaryKey().isEmpty()
            && table.get().replicaIdentity() != ReplicaIdentity.FULL) {
          problems.add(
              ChangeConverter.noKey(TableId.of(rule.table().schema(), rule.table().name()))
                  .getMessage());
        }
      }
    }
    if (!problems.isEmpty()) {
      throw new CaptureException(String.join("\n", problems));
    }
  }

  private static String show(Connection connection, String setting) throws SQLException {
    try (Statement statement = connection.createStatement();
        ResultSet rs = statement.executeQuery("SHOW " + setting)) {
      rs.next();
      return rs.getString(1);
    }
  }
}
