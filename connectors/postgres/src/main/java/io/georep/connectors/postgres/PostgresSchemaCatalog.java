package io.georep.connectors.postgres;

import io.georep.publication.TableName;
import io.georep.publication.spi.ColumnDescription;
import io.georep.publication.spi.ReplicaIdentity;
import io.georep.publication.spi.SchemaCatalog;
import io.georep.publication.spi.TableDescription;
import io.georep.publication.spi.TypeCategory;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * A snapshot of a PostgreSQL database's schema, read from {@code pg_catalog}, for validating and
 * planning publications.
 *
 * <p>{@link #read(Connection)} reads every ordinary and partitioned table outside the system
 * schemas (columns with their {@code format_type} names, nullability, primary key, replica identity
 * and its index) and the existing publications, in one read-only transaction, so the snapshot is
 * consistent. Type families come from {@code pg_type.typcategory} (domains resolve to their base
 * type). The snapshot is immutable and thread-safe; it does not see later DDL.
 */
public final class PostgresSchemaCatalog implements SchemaCatalog {

  private static final String TABLES =
      "SELECT c.oid, n.nspname, c.relname, c.relreplident"
          + " FROM pg_catalog.pg_class c"
          + " JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace"
          + " WHERE c.relkind IN ('r', 'p')"
          + " AND n.nspname NOT IN ('pg_catalog', 'information_schema')"
          + " AND n.nspname NOT LIKE 'pg\\_toast%' AND n.nspname NOT LIKE 'pg\\_temp%'"
          + " ORDER BY n.nspname, c.relname";

  private static final String COLUMNS =
      "SELECT a.attrelid, a.attname, pg_catalog.format_type(a.atttypid, a.atttypmod),"
          + " coalesce(bt.typcategory, t.typcategory), coalesce(bt.typname, t.typname),"
          + " a.attnotnull"
          + " FROM pg_catalog.pg_attribute a"
          + " JOIN pg_catalog.pg_class c ON c.oid = a.attrelid"
          + " JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace"
          + " JOIN pg_catalog.pg_type t ON t.oid = a.atttypid"
          + " LEFT JOIN pg_catalog.pg_type bt ON t.typtype = 'd' AND bt.oid = t.typbasetype"
          + " WHERE a.attnum > 0 AND NOT a.attisdropped AND c.relkind IN ('r', 'p')"
          + " AND n.nspname NOT IN ('pg_catalog', 'information_schema')"
          + " ORDER BY a.attrelid, a.attnum";

  private static final String KEYS =
      "SELECT i.indrelid, i.indisprimary, i.indisreplident, a.attname"
          + " FROM pg_catalog.pg_index i"
          + " CROSS JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, ord)"
          + " JOIN pg_catalog.pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum"
          + " WHERE i.indisprimary OR i.indisreplident"
          + " ORDER BY i.indrelid, i.indexrelid, k.ord";

  private final int serverMajorVersion;
  private final Map<TableName, TableDescription> tables;
  private final Set<String> publications;

  private PostgresSchemaCatalog(
      int serverMajorVersion, Map<TableName, TableDescription> tables, Set<String> publications) {
    this.serverMajorVersion = serverMajorVersion;
    this.tables = tables;
    this.publications = publications;
  }

  /**
   * Reads the schema through {@code connection}, which stays open and is left in the auto-commit
   * mode it had.
   *
   * @throws SQLException if the catalog cannot be read
   * @throws NullPointerException if {@code connection} is null
   */
  public static PostgresSchemaCatalog read(Connection connection) throws SQLException {
    Objects.requireNonNull(connection, "connection");
    boolean autoCommit = connection.getAutoCommit();
    connection.setAutoCommit(false);
    try (Statement statement = connection.createStatement()) {
      statement.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY");
      int version;
      try (ResultSet rs = statement.executeQuery("SHOW server_version_num")) {
        rs.next();
        version = Integer.parseInt(rs.getString(1)) / 10_000;
      }
      Map<Long, TableName> names = new LinkedHashMap<>();
      Map<Long, ReplicaIdentity> identities = new LinkedHashMap<>();
      try (ResultSet rs = statement.executeQuery(TABLES)) {
        while (rs.next()) {
          long oid = rs.getLong(1);
          names.put(oid, new TableName(rs.getString(2), rs.getString(3)));
          identities.put(oid, identity(rs.getString(4)));
        }
      }
      Map<Long, List<ColumnDescription>> columns = new LinkedHashMap<>();
      try (ResultSet rs = statement.executeQuery(COLUMNS)) {
        while (rs.next()) {
          columns
              .computeIfAbsent(rs.getLong(1), oid -> new ArrayList<>())
              .add(
                  new ColumnDescription(
                      rs.getString(2),
                      rs.getString(3),
                      category(rs.getString(4), rs.getString(5)),
                      !rs.getBoolean(6)));
        }
      }
      Map<Long, List<String>> primaryKeys = new LinkedHashMap<>();
      Map<Long, List<String>> identityIndexes = new LinkedHashMap<>();
      try (ResultSet rs = statement.executeQuery(KEYS)) {
        while (rs.next()) {
          long oid = rs.getLong(1);
          if (rs.getBoolean(2)) {
            primaryKeys.computeIfAbsent(oid, o -> new ArrayList<>()).add(rs.getString(4));
          }
          if (rs.getBoolean(3)) {
            identityIndexes.computeIfAbsent(oid, o -> new ArrayList<>()).add(rs.getString(4));
          }
        }
      }
      Map<TableName, TableDescription> tables = new LinkedHashMap<>();
      for (Map.Entry<Long, TableName> entry : names.entrySet()) {
        long oid = entry.getKey();
        tables.put(
            entry.getValue(),
            new TableDescription(
                entry.getValue(),
                columns.getOrDefault(oid, List.of()),
                primaryKeys.getOrDefault(oid, List.of()),
                identities.get(oid),
                identities.get(oid) == ReplicaIdentity.INDEX
                    ? identityIndexes.getOrDefault(oid, List.of())
                    : List.of()));
      }
      Set<String> publications = new HashSet<>();
      try (PreparedStatement query =
              connection.prepareStatement("SELECT pubname FROM pg_catalog.pg_publication");
          ResultSet rs = query.executeQuery()) {
        while (rs.next()) {
          publications.add(rs.getString(1));
        }
      }
      connection.commit();
      return new PostgresSchemaCatalog(
          version, java.util.Collections.unmodifiableMap(tables), Set.copyOf(publications));
    } catch (SQLException | RuntimeException e) {
      connection.rollback();
      throw e;
    } finally {
      connection.setAutoCommit(autoCommit);
    }
  }

  private static ReplicaIdentity identity(String code) {
    return switch (code) {
      case "f" -> ReplicaIdentity.FULL;
      case "i" -> ReplicaIdentity.INDEX;
      case "n" -> ReplicaIdentity.NOTHING;
      default -> ReplicaIdentity.DEFAULT;
    };
  }

  static TypeCategory category(String typcategory, String typname) {
    return switch (typcategory) {
      case "A" -> TypeCategory.ARRAY;
      case "S" -> TypeCategory.TEXT;
      case "B" -> TypeCategory.BOOLEAN;
      case "D", "T" -> TypeCategory.DATETIME;
      case "N" ->
          switch (typname) {
            case "int2", "int4", "int8" -> TypeCategory.INTEGER;
            case "numeric" -> TypeCategory.DECIMAL;
            case "float4", "float8" -> TypeCategory.FLOAT;
            default -> TypeCategory.OTHER;
          };
      default -> TypeCategory.OTHER;
    };
  }

  @Override
  public int serverMajorVersion() {
    return serverMajorVersion;
  }

  @Override
  public List<TableName> tables() {
    return List.copyOf(tables.keySet());
  }

  @Override
  public Optional<TableDescription> describe(TableName table) {
    return Optional.ofNullable(tables.get(table));
  }

  @Override
  public boolean publicationExists(String name) {
    return publications.contains(name);
  }
}
