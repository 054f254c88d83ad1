package io.georep.publication;

import static io.georep.publication.InMemorySchemaCatalog.column;

import io.georep.publication.spi.ReplicaIdentity;
import io.georep.publication.spi.TableDescription;
import io.georep.publication.spi.TypeCategory;
import java.util.List;
import java.util.Set;

/** The catalog of the generated filter table, mirroring {@code RowFilterGenerator.createTable}. */
final class RowFilterCatalog {

  static final InMemorySchemaCatalog CATALOG =
      new InMemorySchemaCatalog(
          17,
          Set.of(),
          new TableDescription(
              new TableName("public", "filter_rows"),
              List.of(
                  column("id", "bigint", TypeCategory.INTEGER, false),
                  column("a", "integer", TypeCategory.INTEGER, true),
                  column("b", "integer", TypeCategory.INTEGER, true),
                  column("n", "numeric(10,2)", TypeCategory.DECIMAL, true),
                  column("s", "text", TypeCategory.TEXT, true),
                  column("t", "text", TypeCategory.TEXT, true),
                  column("flag", "boolean", TypeCategory.BOOLEAN, true)),
              List.of("id"),
              ReplicaIdentity.DEFAULT,
              List.of()));

  private RowFilterCatalog() {}
}
