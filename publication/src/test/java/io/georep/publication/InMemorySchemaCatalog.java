package io.georep.publication;

import io.georep.publication.spi.ColumnDescription;
import io.georep.publication.spi.ReplicaIdentity;
import io.georep.publication.spi.SchemaCatalog;
import io.georep.publication.spi.TableDescription;
import io.georep.publication.spi.TypeCategory;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/** A fixed schema for unit tests; the ITs use the real PostgreSQL catalog. */
final class InMemorySchemaCatalog implements SchemaCatalog {

  private final int version;
  private final Map<TableName, TableDescription> tables = new LinkedHashMap<>();
  private final Set<String> publications;

  InMemorySchemaCatalog(int version, Set<String> publications, TableDescription... tables) {
    this.version = version;
    this.publications = publications;
    for (TableDescription table : tables) {
      this.tables.put(table.name(), table);
    }
  }

  /** The schema the test files refer to. */
  static InMemorySchemaCatalog shop(int version) {
    return new InMemorySchemaCatalog(
        version,
        Set.of(),
        new TableDescription(
            new TableName("public", "orders"),
            List.of(
                column("id", "bigint", TypeCategory.INTEGER, false),
                column("customer_id", "bigint", TypeCategory.INTEGER, true),
                column("status", "text", TypeCategory.TEXT, false),
                column("total", "numeric(12,2)", TypeCategory.DECIMAL, true),
                column("quantity", "integer", TypeCategory.INTEGER, true),
                column("notes", "text", TypeCategory.TEXT, true),
                column("tags", "text[]", TypeCategory.ARRAY, true),
                column("created_at", "timestamp with time zone", TypeCategory.DATETIME, true)),
            List.of("id"),
            ReplicaIdentity.FULL,
            List.of()),
        new TableDescription(
            new TableName("public", "customers"),
            List.of(
                column("id", "bigint", TypeCategory.INTEGER, false),
                column("email", "text", TypeCategory.TEXT, true),
                column("name", "text", TypeCategory.TEXT, false),
                column("phone", "text", TypeCategory.TEXT, true),
                column("visits", "integer", TypeCategory.INTEGER, true)),
            List.of("id"),
            ReplicaIdentity.DEFAULT,
            List.of()),
        new TableDescription(
            new TableName("public", "events"),
            List.of(
                column("at", "timestamp with time zone", TypeCategory.DATETIME, true),
                column("kind", "text", TypeCategory.TEXT, true)),
            List.of(),
            ReplicaIdentity.DEFAULT,
            List.of()),
        new TableDescription(
            new TableName("public", "history"),
            List.of(
                column("tid", "integer", TypeCategory.INTEGER, true),
                column("delta", "integer", TypeCategory.INTEGER, true),
                column("filler", "character(22)", TypeCategory.TEXT, true)),
            List.of(),
            ReplicaIdentity.FULL,
            List.of()));
  }

  static ColumnDescription column(
      String name, String type, TypeCategory category, boolean nullable) {
    return new ColumnDescription(name, type, category, nullable);
  }

  @Override
  public int serverMajorVersion() {
    return version;
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
