package io.georep.publication.spi;

import io.georep.publication.TableName;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * A table as the live database describes it: columns in order, primary key and replica identity.
 * Immutable and thread-safe.
 *
 * @param name the table, never null
 * @param columns the columns in table order, never null; copied
 * @param primaryKey the primary key columns in key order, empty if the table has none; copied
 * @param replicaIdentity the table's replica identity, never null
 * @param replicaIdentityIndex the columns of the replica identity index when {@code
 *     replicaIdentity} is {@link ReplicaIdentity#INDEX}, else empty; copied
 */
public record TableDescription(
    TableName name,
    List<ColumnDescription> columns,
    List<String> primaryKey,
    ReplicaIdentity replicaIdentity,
    List<String> replicaIdentityIndex) {

  /**
   * Creates a table description.
   *
   * @throws NullPointerException if any argument or element is null
   * @throws IllegalArgumentException if a key column is not among the columns
   */
  public TableDescription {
    Objects.requireNonNull(name, "name");
    columns = List.copyOf(columns);
    primaryKey = List.copyOf(primaryKey);
    Objects.requireNonNull(replicaIdentity, "replicaIdentity");
    replicaIdentityIndex = List.copyOf(replicaIdentityIndex);
    for (String key : primaryKey) {
      if (columns.stream().noneMatch(c -> c.name().equals(key))) {
        throw new IllegalArgumentException(
            "primary key column '" + key + "' is not a column of " + name);
      }
    }
  }

  /** Returns the column named exactly {@code column}, or empty. */
  public Optional<ColumnDescription> column(String column) {
    return columns.stream().filter(c -> c.name().equals(column)).findFirst();
  }

  /**
   * Returns the columns PostgreSQL writes as the old row of an update or delete: all columns for
   * {@code FULL}, the index columns for {@code INDEX}, the primary key for {@code DEFAULT}, none
   * for {@code NOTHING}.
   */
  public List<String> replicaIdentityColumns() {
    return switch (replicaIdentity) {
      case FULL -> columns.stream().map(ColumnDescription::name).toList();
      case INDEX -> replicaIdentityIndex;
      case DEFAULT -> primaryKey;
      case NOTHING -> List.of();
    };
  }
}
