package io.georep.connectors.postgres;

import static io.georep.connectors.postgres.CaptureFixture.execute;
import static org.assertj.core.api.Assertions.assertThat;

import io.georep.connector.ColumnSchema;
import io.georep.connector.TableId;
import io.georep.connector.TableSchema;
import io.georep.connectors.postgres.internal.apply.TableSql;
import io.georep.testkit.EmbeddedRegionDatabase;
import java.sql.Connection;
import org.junit.jupiter.api.Test;

/**
 * The applier reads a table's replicated schema from the catalog when no change of that table has
 * reached it yet (the parent of a child row that arrives, in a region that only ever wrote the
 * parent itself): the key columns and their order come from the primary key (or the replica
 * identity index), whose {@code indkey} PostgreSQL subscripts from 0.
 */
class TableSqlDescribeIT {

  @Test
  void describe_singleAndCompositeKeys_keyPositionsFromTheIndex() throws Exception {
    try (EmbeddedRegionDatabase database = PgVersion.PG17.start();
        Connection connection = database.connect()) {
      execute(
          connection,
          "CREATE TABLE parents (id int PRIMARY KEY, name text NOT NULL)",
          "CREATE TABLE pairs (a int, b text, c int, PRIMARY KEY (c, a))",
          "CREATE TABLE nokey (a int, b text)");
      TableSchema parents = TableSql.describe(connection, TableId.of("public", "parents")).get();
      assertThat(parents.keyColumns()).extracting(ColumnSchema::name).containsExactly("id");
      assertThat(parents.columns().get(1).nullable()).isFalse();
      TableSchema pairs = TableSql.describe(connection, TableId.of("public", "pairs")).get();
      assertThat(pairs.keyColumns()).extracting(ColumnSchema::name).containsExactly("c", "a");
      assertThat(pairs.columns().get(1).nullable()).isTrue();
      assertThat(TableSql.describe(connection, TableId.of("public", "nokey"))).isEmpty();
    }
  }
}
