package io.georep.connectors.postgres;

import static io.georep.connectors.postgres.ApplyFixture.US;
import static io.georep.connectors.postgres.ApplyFixture.context;
import static io.georep.connectors.postgres.ApplyFixture.delete;
import static io.georep.connectors.postgres.ApplyFixture.execute;
import static io.georep.connectors.postgres.ApplyFixture.insert;
import static io.georep.connectors.postgres.ApplyFixture.rows;
import static io.georep.connectors.postgres.ApplyFixture.table;
import static io.georep.connectors.postgres.ApplyFixture.tx;
import static io.georep.connectors.postgres.ApplyFixture.update;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.georep.connector.ColumnSchema;
import io.georep.connector.RowChange;
import io.georep.connector.ScalarType;
import io.georep.connector.SourceTransaction;
import io.georep.connector.TableId;
import io.georep.connector.TableSchema;
import io.georep.connector.Value;
import io.georep.connector.spi.ApplyException;
import io.georep.connector.spi.PositionedTransaction;
import io.georep.publication.Publication;
import io.georep.testkit.EmbeddedRegionDatabase;
import io.georep.vectorclock.ReplicaId;
import java.math.BigDecimal;
import java.sql.Connection;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * A large transaction applied in parts ({@link PostgresChangeApplier#applyInParts}), one part in
 * memory at a time in one database transaction, against a real PostgreSQL: a row changed in several
 * parts ends as the origin left it (an insert, then a counter delta and a register update in later
 * parts; an insert, update and delete spread over three parts; a row deleted and inserted again),
 * copies of a keyless table inserted and deleted in different parts, an applied transaction offered
 * again is skipped, and a transaction whose parts fail half-way leaves nothing behind. The same
 * changes applied whole to a second table give the same rows.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class InPartsApplyIT {
  static final Publication PUBLICATION =
      CaptureFixture.publication(
          """
          publication: parts
          regions: all
          operations: [insert, update, delete]
          tables:
            - table: public.parts_t
              column-resolvers: {qty: counter}
            - table: public.whole_t
              column-resolvers: {qty: counter}
            - table: public.lines_t
          """);
  static final TableSchema PARTS =
      table("parts_t", "qty", ScalarType.INT8, "note", ScalarType.TEXT);
  static final TableSchema WHOLE =
      table("whole_t", "qty", ScalarType.INT8, "note", ScalarType.TEXT);
  static final TableSchema LINES =
      TableSchema.of(
          TableId.of("public", "lines_t"),
          List.of(
              ColumnSchema.of("line", ScalarType.TEXT, false),
              ColumnSchema.of("n", ScalarType.INT4, true)));

  private static int origins;
  private EmbeddedRegionDatabase database;
  private PostgresChangeApplier applier;
  private ReplicaId origin;

  @BeforeAll
  void start() throws Exception {
    database = PgVersion.PG17.start();
    try (Connection c = database.connect()) {
      for (String t : List.of("parts_t", "whole_t")) {
        execute(c, "CREATE TABLE " + t + " (id int4 PRIMARY KEY, qty int8, note text)");
      }
      execute(c, "CREATE TABLE lines_t (line text NOT NULL, n int)");
    }
    applier = PostgresChangeApplier.start(ApplyFixture.config(database, US, PUBLICATION));
  }

  @BeforeEach
  void freshOriginAndTables() throws Exception {
    origin = ReplicaId.of("eu-west-" + ++origins);
    try (Connection c = database.connect()) {
      execute(
          c,
          "TRUNCATE parts_t, whole_t, lines_t",
          "DELETE FROM georep.row_meta",
          "DELETE FROM georep.keyless_meta");
    }
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

  private static Value.CounterDelta delta(long d) {
    return new Value.CounterDelta(BigDecimal.valueOf(d));
  }

  /** The changes of one transaction, in three parts, against a table. */
  private static List<List<RowChange>> parts(TableSchema t) {
    return List.of(
        List.of(
            insert(t, 1, "qty", 5L, "note", "one"),
            insert(t, 2, "qty", 1L, "note", "two"),
            insert(t, 3, "qty", 1L, "note", "three")),
        List.of(
            update(t, 1, "qty", delta(3)),
            update(t, 2, "note", "two'"),
            delete(t, 3),
            update(t, 1, "note", "one'")),
        List.of(
            delete(t, 2),
            insert(t, 3, "qty", 7L, "note", "three again"),
            update(t, 1, "qty", delta(-1)),
            insert(t, 4, "qty", 4L, "note", "four")));
  }

  private List<SourceTransaction> asParts(long seq, List<List<RowChange>> changes) {
    List<SourceTransaction> out = new ArrayList<>();
    for (List<RowChange> part : changes) {
      out.add(tx(origin, seq, 1_000 + seq, context(), part.toArray(RowChange[]::new)));
    }
    return out;
  }

  @Test
  void rowsChangedInSeveralParts_endAsTheOriginLeftThem_likeTheWholeTransaction() throws Exception {
    List<SourceTransaction> parts = asParts(1, parts(PARTS));
    applier.applyInParts(
        new PositionedTransaction(parts.get(0).withChanges(List.of()), 0, 7), parts);
    List<RowChange> whole = new ArrayList<>();
    parts(WHOLE).forEach(whole::addAll);
    applier.applyPositioned(
        List.of(
            new PositionedTransaction(
                tx(origin, 2, 1_002, context(origin, 1), whole.toArray(RowChange[]::new)), 1, 8)));

    try (Connection c = database.connect()) {
      // Row 3, inserted (qty 1), deleted and inserted again (qty 7): whole, the insert and delete
      // compose into nothing; in parts they are merged one after the other, and a counter survives
      // a delete (docs/conflicts.md), as it would over three transactions.
      assertThat(rows(c, "SELECT id, qty, note FROM parts_t ORDER BY id"))
          .containsExactly(
              "id=1,qty=7,note=one'", "id=3,qty=8,note=three again", "id=4,qty=4,note=four");
      assertThat(rows(c, "SELECT id, qty, note FROM whole_t ORDER BY id"))
          .containsExactly(
              "id=1,qty=7,note=one'", "id=3,qty=7,note=three again", "id=4,qty=4,note=four");
    }
    assertThat(applier.appliedProgress().get(origin).watermark()).isEqualTo(2);

    // Offered again (a receiver restarted before the watermark's record): skipped, unchanged.
    applier.applyInParts(
        new PositionedTransaction(parts.get(0).withChanges(List.of()), 0, 7), parts);
    try (Connection c = database.connect()) {
      assertThat(rows(c, "SELECT sum(qty) AS q FROM parts_t")).containsExactly("q=19");
    }
  }

  @Test
  void keylessCopies_insertedAndDeletedInDifferentParts_leaveWhatTheOriginLeft() throws Exception {
    RowChange a = new RowChange.Insert(LINES, Map.of("line", new Value.Text("a"), "n", Value.NULL));
    RowChange b =
        new RowChange.Insert(LINES, Map.of("line", new Value.Text("b"), "n", new Value.Int4(1)));
    RowChange deleteA =
        new RowChange.Delete(LINES, io.georep.connector.RowKey.of(new Value.Text("a"), Value.NULL));
    List<SourceTransaction> parts =
        asParts(1, List.of(List.of(a, a, b), List.of(deleteA, a), List.of(deleteA, b)));
    applier.applyInParts(
        new PositionedTransaction(parts.get(0).withChanges(List.of()), 0, 1), parts);

    try (Connection c = database.connect()) {
      assertThat(rows(c, "SELECT line, n FROM lines_t ORDER BY line"))
          .containsExactly("line=a,n=null", "line=b,n=1", "line=b,n=1");
    }
  }

  @Test
  void partsFailingHalfWay_leaveNothingApplied() throws Exception {
    List<SourceTransaction> parts = new ArrayList<>(asParts(1, parts(PARTS)));
    // A part of another transaction among them: the apply fails after two parts were written.
    parts.set(
        2,
        tx(
            ReplicaId.of("elsewhere"),
            1,
            1_001,
            context(),
            insert(PARTS, 99, "qty", 1L, "note", "x")));
    assertThatThrownBy(
            () ->
                applier.applyInParts(
                    new PositionedTransaction(parts.get(0).withChanges(List.of()), 0, 1), parts))
        .isInstanceOf(ApplyException.class)
        .hasMessageContaining("a part of transaction elsewhere:1 among the parts of " + origin);
    try (Connection c = database.connect()) {
      assertThat(rows(c, "SELECT count(*) AS n FROM parts_t")).containsExactly("n=0");
    }
    assertThat(applier.appliedProgress().get(origin)).isNull();
  }
}
