package io.georep.connectors.postgres;

import static io.georep.connectors.postgres.ApplyFixture.US;
import static io.georep.connectors.postgres.ApplyFixture.context;
import static io.georep.connectors.postgres.ApplyFixture.execute;
import static io.georep.connectors.postgres.ApplyFixture.rows;
import static io.georep.connectors.postgres.ApplyFixture.table;
import static io.georep.connectors.postgres.ApplyFixture.tx;
import static org.assertj.core.api.Assertions.assertThat;

import io.georep.connector.RowChange;
import io.georep.connector.RowKey;
import io.georep.connector.ScalarType;
import io.georep.connector.SourceTransaction;
import io.georep.connector.TableSchema;
import io.georep.connector.Value;
import io.georep.publication.Publication;
import io.georep.testkit.EmbeddedRegionDatabase;
import io.georep.vectorclock.ReplicaId;
import java.sql.Connection;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * Source transactions larger than PostgreSQL's shared lock table, and tables with boolean columns
 * (issue 10, both found by the replication benchmark): the applier took one advisory lock per row,
 * so a transaction of more rows than {@code max_locks_per_transaction × max_connections} (about
 * 7,000) failed with {@code out of shared memory} and was retried forever; and it read boolean
 * columns back as {@code true}/{@code false}, which it could not parse, halting every update of
 * such a table.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class LargeApplyIT {
  static final ReplicaId EU = ReplicaId.of("eu-west");
  static final int ROWS = 20_000;
  static final Publication PUBLICATION =
      CaptureFixture.publication(
          """
          publication: large
          tables:
            - table: public.big_t
          """);
  static final TableSchema BIG = table("big_t", "a", ScalarType.TEXT, "flag", ScalarType.BOOL);

  private EmbeddedRegionDatabase database;
  private PostgresChangeApplier applier;

  @BeforeAll
  void start() throws Exception {
    // A small shared lock table (max_locks_per_transaction × connections, about 400 slots plus
    // PostgreSQL's slack), so that one lock per row overflows it well below ROWS.
    database =
        PgVersion.PG17.start(Map.of("max_locks_per_transaction", "10", "max_connections", "20"));
    try (Connection c = database.connect()) {
      execute(c, "CREATE TABLE public.big_t (id int4 PRIMARY KEY, a text, flag boolean)");
    }
    applier = PostgresChangeApplier.start(ApplyFixture.config(database, EU, PUBLICATION));
  }

  @AfterAll
  void stop() throws Exception {
    if (applier != null) {
      applier.close();
    }
    if (database != null) {
      database.close();
    }
  }

  private static Map<String, Value> row(int id, String a, boolean flag) {
    Map<String, Value> v = new LinkedHashMap<>();
    v.put("id", new Value.Int4(id));
    v.put("a", new Value.Text(a));
    v.put("flag", new Value.Bool(flag));
    return v;
  }

  @Test
  void transactionsOfMoreRowsThanTheLockTable_andBooleanColumns_apply() throws Exception {
    List<RowChange> inserts = new ArrayList<>();
    for (int id = 1; id <= ROWS; id++) {
      inserts.add(new RowChange.Insert(BIG, row(id, "v" + id, id % 2 == 0)));
    }
    applier.apply(List.of(tx(US, 100, 1_000, context(), inserts.toArray(RowChange[]::new))));

    List<RowChange> updates = new ArrayList<>();
    for (int id = 1; id <= ROWS; id++) {
      Map<String, Value> changed = new LinkedHashMap<>();
      changed.put("flag", new Value.Bool(id % 2 != 0));
      updates.add(new RowChange.Update(BIG, RowKey.of(new Value.Int4(id)), changed));
    }
    SourceTransaction big = tx(US, 200, 2_000, context(US, 100), updates.toArray(RowChange[]::new));
    // A small transaction of the same table in the same database transaction: row locks beside
    // the escalated table lock of the big one.
    SourceTransaction small =
        tx(
            US,
            300,
            3_000,
            context(US, 200),
            new RowChange.Update(
                BIG, RowKey.of(new Value.Int4(7)), Map.of("a", new Value.Text("seven"))));
    applier.apply(List.of(big, small));

    try (Connection c = database.connect()) {
      assertThat(
              rows(
                  c,
                  "SELECT count(*) AS n, count(*) FILTER (WHERE flag = (id % 2 <> 0)) AS flipped"
                      + " FROM big_t"))
          .containsExactly("n=" + ROWS + ",flipped=" + ROWS);
      assertThat(rows(c, "SELECT a, flag FROM big_t WHERE id = 7"))
          .containsExactly("a=seven,flag=t");
      assertThat(rows(c, "SELECT count(*) AS n FROM georep.row_meta WHERE table_name = 'big_t'"))
          .containsExactly("n=" + ROWS);
    }
    assertThat(applier.appliedWatermark().get(US)).isEqualTo(300);
  }
}
