package io.georep.connectors.postgres.internal.apply;

import io.georep.connector.ColumnSchema;
import io.georep.connector.RowChange;
import io.georep.connector.SourceTransaction;
import io.georep.connector.TableSchema;
import io.georep.connector.spi.ApplyException;
import io.georep.connector.spi.ApplyRetryException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The applier's view of tables whose definition differs between regions while a DDL runs by hand in
 * one region after another ({@code docs/operations.md}, "Schema changes"):
 *
 * <ul>
 *   <li><b>Drift</b>: when PostgreSQL refuses an apply, the definitions its changes arrived with
 *       (the origin's, as its capture decoded them) are compared with the local catalog. A
 *       difference (a table or column missing here, a type that differs, a required column the
 *       origin lacks) makes the failure retriable ({@link
 *       ApplyRetryException.Reason#SCHEMA_DRIFT}): the changes wait until the same DDL runs here.
 *       Without one, the failure is a poison transaction as before.
 *   <li><b>Widening</b>: where the local table has columns appended that the origin lacks, its
 *       changes are merged under the local definition ({@link #widen}): row states are indexed by
 *       column position, and a state with the extra columns does not fit the origin's shorter
 *       policy.
 * </ul>
 *
 * Thread-safe.
 */
public final class TableDefinitions {
  private static final Logger LOG = LoggerFactory.getLogger(TableDefinitions.class);

  /** Remote definitions with the local definition their changes are merged under. */
  private final Map<TableSchema, TableSchema> widened = new ConcurrentHashMap<>();

  /**
   * Returns the retriable failure for schema drift, if a touched table differs from the definition
   * its changes arrived with.
   *
   * @param c a connection in auto-commit mode
   * @param touched the definitions the failed apply used
   * @param failure the failure PostgreSQL or the merge reported
   * @return the drift failure, naming the table, the difference and the fix; or empty
   * @throws SQLException if the catalog cannot be read
   */
  public Optional<ApplyRetryException> drift(
      Connection c, Set<TableSchema> touched, ApplyException failure) throws SQLException {
    for (TableSchema received : touched) {
      Optional<String> drift = differences(c, received);
      if (drift.isPresent()) {
        return Optional.of(
            new ApplyRetryException(
                ApplyRetryException.Reason.SCHEMA_DRIFT,
                received.id(),
                "table "
                    + received.id()
                    + " differs from the origin's: "
                    + drift.get()
                    + ". Its changes wait and apply by themselves once the table matches: run the"
                    + " same DDL here (georep replicates no DDL). The apply failed with: "
                    + (failure.getCause() instanceof SQLException sql
                        ? sql.getMessage()
                        : failure.getMessage()),
                failure));
      }
    }
    return Optional.empty();
  }

  /**
   * Rewrites a remote transaction's changes of tables that have more columns here than at its
   * origin ({@link #widened}) to the local definition: the columns the origin lacks are absent from
   * its inserts and unchanged by its updates.
   *
   * @param t a remote transaction (or a part of one)
   * @return it, or a copy with the widened tables' changes rewritten
   */
  public SourceTransaction widen(SourceTransaction t) {
    if (widened.isEmpty()) {
      return t;
    }
    List<RowChange> changes = null;
    for (int i = 0; i < t.changes().size(); i++) {
      RowChange change = t.changes().get(i);
      TableSchema local = widened.get(change.table());
      if (local != null) {
        if (changes == null) {
          changes = new ArrayList<>(t.changes());
        }
        changes.set(i, widen(change, local));
      }
    }
    return changes == null ? t : t.withChanges(changes);
  }

  private static RowChange widen(RowChange change, TableSchema local) {
    if (change instanceof RowChange.Insert insert) {
      return new RowChange.Insert(local, insert.values());
    }
    if (change instanceof RowChange.Update update) {
      return new RowChange.Update(local, update.key(), update.changed());
    }
    return new RowChange.Delete(local, change.key());
  }

  /**
   * Records, for every touched definition that is a strict prefix of the local table's (columns
   * appended here by {@code ADD COLUMN} and not yet at the origin), the local definition to merge
   * its changes under: row states are indexed by column position, so a state with the local table's
   * extra columns fits only the wider policy.
   *
   * @param c a connection in auto-commit mode
   * @param touched the definitions a failed apply used
   * @return whether a definition was widened
   * @throws SQLException if the catalog cannot be read
   */
  public boolean widenToLocal(Connection c, Set<TableSchema> touched) throws SQLException {
    boolean any = false;
    for (TableSchema received : touched) {
      Optional<TableSchema> local = TableSql.describe(c, received.id());
      if (local.isEmpty() || !strictPrefix(received, local.get())) {
        continue;
      }
      for (Map.Entry<TableSchema, TableSchema> e : widened.entrySet()) {
        if (e.getValue().equals(received)) {
          e.setValue(local.get());
        }
      }
      widened.putIfAbsent(received, local.get());
      LOG.info(
          "{} has more columns here than in a remote region's changes; they are merged under"
              + " the local definition {} until that region runs the same DDL",
          received.id(),
          local.get());
      any = true;
    }
    return any;
  }

  private static boolean strictPrefix(TableSchema shorter, TableSchema longer) {
    if (shorter.columnCount() >= longer.columnCount()) {
      return false;
    }
    for (int i = 0; i < shorter.columnCount(); i++) {
      ColumnSchema a = shorter.column(i);
      ColumnSchema b = longer.column(i);
      if (!a.name().equals(b.name())
          || !a.type().typeName().equals(b.type().typeName())
          || a.keyPosition() != b.keyPosition()) {
        return false;
      }
    }
    return true;
  }

  private record LocalColumn(String type, String baseType, boolean required) {}

  /**
   * Returns how the local table differs from the received definition, if it does. Only differences
   * that can make an apply fail count: the table or a column of the origin's missing here, a column
   * type that differs, and a local column the origin lacks that is {@code NOT NULL} without a
   * default. Nullability and extra nullable columns do not.
   *
   * @param connection a connection (auto-commit or in a healthy transaction)
   * @param received the table's definition in the origin region
   * @return the differences, one phrase each joined by "; ", or empty if the table matches
   * @throws SQLException if the catalog cannot be read
   */
  static Optional<String> differences(Connection connection, TableSchema received)
      throws SQLException {
    Map<String, LocalColumn> local = new LinkedHashMap<>();
    boolean exists;
    try (PreparedStatement query =
        connection.prepareStatement(
            "SELECT a.attname, t.typname, coalesce(b.typname, t.typname),"
                + " a.attnotnull AND NOT a.atthasdef AND a.attidentity = ''"
                + " AND a.attgenerated = ''"
                + " FROM pg_catalog.pg_class c"
                + " JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace"
                + " LEFT JOIN pg_catalog.pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0"
                + "   AND NOT a.attisdropped"
                + " LEFT JOIN pg_catalog.pg_type t ON t.oid = a.atttypid"
                + " LEFT JOIN pg_catalog.pg_type b ON t.typtype = 'd' AND b.oid = t.typbasetype"
                + " WHERE n.nspname = ? AND c.relname = ? AND c.relkind IN ('r', 'p')"
                + " ORDER BY a.attnum")) {
      query.setString(1, received.id().schema());
      query.setString(2, received.id().name());
      try (ResultSet rs = query.executeQuery()) {
        exists = false;
        while (rs.next()) {
          exists = true;
          if (rs.getString(1) != null) {
            local.put(
                rs.getString(1),
                new LocalColumn(rs.getString(2), rs.getString(3), rs.getBoolean(4)));
          }
        }
      }
    }
    if (!exists) {
      return Optional.of("the table does not exist here");
    }
    List<String> missing = new ArrayList<>();
    List<String> types = new ArrayList<>();
    for (ColumnSchema c : received.columns()) {
      LocalColumn here = local.get(c.name());
      if (here == null) {
        missing.add(c.name());
      } else if (!c.type().typeName().equals(here.type())
          && !c.type().typeName().equals(here.baseType())) {
        types.add(c.name() + " is " + c.type().typeName() + " there and " + here.type() + " here");
      }
    }
    List<String> required = new ArrayList<>();
    for (Map.Entry<String, LocalColumn> e : local.entrySet()) {
      if (e.getValue().required() && received.indexOf(e.getKey()) < 0) {
        required.add(e.getKey());
      }
    }
    List<String> differences = new ArrayList<>();
    columns(differences, missing, " of the origin's table ", " missing here");
    if (!types.isEmpty()) {
      differences.add("column " + String.join(", column ", types));
    }
    columns(differences, required, " (NOT NULL without a default) ", " not in the origin's table");
    return differences.isEmpty() ? Optional.empty() : Optional.of(String.join("; ", differences));
  }

  /** Adds "column a is …" or "columns a, b are …" for a non-empty list of columns. */
  private static void columns(List<String> out, List<String> names, String which, String what) {
    if (!names.isEmpty()) {
      boolean one = names.size() == 1;
      out.add(
          (one ? "column " : "columns ")
              + String.join(", ", names)
              + which
              + (one ? "is" : "are")
              + what);
    }
  }
}
