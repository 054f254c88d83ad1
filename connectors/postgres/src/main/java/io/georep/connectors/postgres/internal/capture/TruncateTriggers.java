package io.georep.connectors.postgres.internal.capture;

import io.georep.connector.TableId;
import io.georep.connectors.postgres.CaptureException;
import io.georep.publication.Operation;
import io.georep.publication.Publication;
import io.georep.publication.TableName;
import io.georep.publication.TableRule;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@code georep_truncate} trigger on every published table: a {@code BEFORE TRUNCATE} statement
 * trigger (migration 6, {@code georep.truncate_as_deletes}) that turns a TRUNCATE into the deletes
 * of the rows it removes, which the capture ships like any delete, and marks the TRUNCATE as
 * expanded with a logical message. Where the table's publications leave {@code truncate} out, the
 * trigger refuses the TRUNCATE instead.
 *
 * <p>Why deletes: a TRUNCATE in WAL names only the table, not its rows, and a region that applied
 * "empty the table" would also remove rows other regions inserted concurrently, which the
 * truncating region never saw. The deletes carry the truncating transaction's causal context, so
 * every region removes the rows that region had seen, keeps the ones written concurrently
 * elsewhere, and resolves a concurrent update of a removed row as any delete-update conflict. The
 * cost is that of a {@code DELETE} of every row instead of a file swap (docs/conflicts.md).
 */
public final class TruncateTriggers {
  private static final Logger LOG = LoggerFactory.getLogger(TruncateTriggers.class);

  /** The trigger's name on each published table. */
  public static final String TRIGGER = "georep_truncate";

  /** The prefix of the logical message that marks a TRUNCATE as expanded into deletes. */
  public static final String MESSAGE_PREFIX = "georep.truncate";

  private TruncateTriggers() {}

  /**
   * Reads the table oid a {@link #MESSAGE_PREFIX} message names.
   *
   * @param content the message's content
   * @return the oid, as pgoutput sends it in a {@code Truncate}
   * @throws CaptureException if the content is not an oid
   */
  public static int relationOf(byte[] content) {
    String text = new String(content, StandardCharsets.UTF_8);
    try {
      return (int) Long.parseLong(text);
    } catch (NumberFormatException e) {
      throw new CaptureException(
          "malformed "
              + MESSAGE_PREFIX
              + " message '"
              + text
              + "'; only georep's trigger "
              + TRIGGER
              + " may write messages with this prefix",
          e);
    }
  }

  /**
   * Creates or aligns the trigger on every published table; a table whose trigger is already right
   * is not touched (no lock taken).
   *
   * @param connection a connection in auto-commit mode, as the owner of the tables
   * @param publications the publications
   * @throws CaptureException if a trigger cannot be created, naming the table and the fix
   * @throws SQLException if the database fails otherwise
   */
  public static void install(Connection connection, List<Publication> publications)
      throws SQLException {
    Map<TableName, Boolean> modes = modes(publications);
    dropStale(connection, modes);
    for (Map.Entry<TableName, Boolean> entry : modes.entrySet()) {
      TableName table = entry.getKey();
      String mode = mode(entry.getValue());
      if (current(connection, table, mode)) {
        continue;
      }
      String create = create(table, mode);
      String enable = enable(table);
      try (Statement statement = connection.createStatement()) {
        statement.execute(create);
        statement.execute(enable);
      } catch (SQLException e) {
        if ("42501".equals(e.getSQLState())) {
          throw new CaptureException(
              "cannot create trigger "
                  + TRIGGER
                  + " on "
                  + table
                  + ": "
                  + e.getMessage()
                  + "; the capture user must own the published tables (ALTER TABLE "
                  + table.sql()
                  + " OWNER TO <user>), or the table's owner runs: "
                  + create
                  + "; "
                  + enable
                  + ";",
              e);
        }
        throw e;
      }
    }
  }

  /**
   * Drops the trigger from tables no publication names any more: a table taken out of replication
   * truncates like any other again.
   */
  private static void dropStale(Connection connection, Map<TableName, Boolean> modes)
      throws SQLException {
    List<TableName> stale = new ArrayList<>();
    try (PreparedStatement query =
        connection.prepareStatement(
            "SELECT n.nspname, c.relname FROM pg_catalog.pg_trigger t"
                + " JOIN pg_catalog.pg_class c ON c.oid = t.tgrelid"
                + " JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace"
                + " WHERE t.tgname = ?")) {
      query.setString(1, TRIGGER);
      try (ResultSet rs = query.executeQuery()) {
        while (rs.next()) {
          TableName table = new TableName(rs.getString(1), rs.getString(2));
          if (!modes.containsKey(table)) {
            stale.add(table);
          }
        }
      }
    }
    for (TableName table : stale) {
      try (Statement statement = connection.createStatement()) {
        statement.execute("DROP TRIGGER IF EXISTS " + TRIGGER + " ON " + table.sql());
        LOG.info("dropped trigger {} from {}: no publication names the table", TRIGGER, table);
      } catch (SQLException e) {
        LOG.warn(
            "cannot drop trigger {} from {}, which no publication names any more ({}); its owner"
                + " can: DROP TRIGGER {} ON {}",
            TRIGGER,
            table,
            e.getMessage(),
            TRIGGER,
            table.sql());
      }
    }
  }

  /**
   * Returns the statements that put the trigger on every published table, for an administrator who
   * creates it instead of the agent (its function comes with schema {@code georep}, which the agent
   * creates at its first start).
   *
   * @param publications the publications
   * @return two statements per table, without terminating semicolons
   */
  public static List<String> statements(List<Publication> publications) {
    List<String> statements = new ArrayList<>();
    modes(publications)
        .forEach(
            (table, replicates) -> {
              statements.add(create(table, mode(replicates)));
              statements.add(enable(table));
            });
    return statements;
  }

  private static String mode(boolean replicates) {
    return replicates ? "replicate" : "refuse";
  }

  private static String create(TableName table, String mode) {
    return "CREATE OR REPLACE TRIGGER "
        + TRIGGER
        + " BEFORE TRUNCATE ON "
        + table.sql()
        + " FOR EACH STATEMENT EXECUTE FUNCTION georep.truncate_as_deletes('"
        + mode
        + "')";
  }

  private static String enable(TableName table) {
    return "ALTER TABLE " + table.sql() + " ENABLE ALWAYS TRIGGER " + TableId.quote(TRIGGER);
  }

  /** Per published table, whether some publication of it replicates truncates. */
  private static Map<TableName, Boolean> modes(List<Publication> publications) {
    Map<TableName, Boolean> modes = new LinkedHashMap<>();
    for (Publication publication : publications) {
      boolean replicates = publication.operations().contains(Operation.TRUNCATE);
      for (TableRule rule : publication.tables()) {
        modes.merge(rule.table(), replicates, Boolean::logicalOr);
      }
    }
    return modes;
  }

  private static boolean current(Connection connection, TableName table, String mode)
      throws SQLException {
    try (PreparedStatement query =
        connection.prepareStatement(
            "SELECT t.tgenabled = 'A' AND pg_catalog.pg_get_triggerdef(t.oid) LIKE ?"
                + " FROM pg_catalog.pg_trigger t WHERE t.tgrelid = ?::regclass AND t.tgname = ?")) {
      query.setString(1, "%truncate_as_deletes('" + mode + "')%");
      query.setString(2, table.sql());
      query.setString(3, TRIGGER);
      try (ResultSet rs = query.executeQuery()) {
        return rs.next() && rs.getBoolean(1);
      }
    }
  }
}
