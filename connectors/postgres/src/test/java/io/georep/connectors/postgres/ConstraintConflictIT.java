package io.georep.connectors.postgres;

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

import io.georep.connector.ScalarType;
import io.georep.connector.SourceTransaction;
import io.georep.connector.TableSchema;
import io.georep.connector.Value;
import io.georep.connector.spi.ApplyRetryException;
import io.georep.publication.Publication;
import io.georep.testkit.EmbeddedRegionDatabase;
import io.georep.vectorclock.ReplicaId;
import java.sql.Connection;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Conflicts that involve two rows through a constraint, applied to two real PostgreSQL databases in
 * both arrival orders: a parent deleted while a child is inserted concurrently (issue 15), and
 * clashes on partial and expression unique indexes (issue 15).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ConstraintConflictIT {
  static final ReplicaId EU = ReplicaId.of("eu-west");
  static final ReplicaId AP = ReplicaId.of("ap-south");

  /** The foreign-key variants: table suffix and the key's clause. */
  static final List<List<String>> FOREIGN_KEYS =
      List.of(
          List.of("na", ""),
          List.of("def", " DEFERRABLE INITIALLY DEFERRED"),
          List.of("cas", " ON DELETE CASCADE"),
          List.of("setnull", " ON DELETE SET NULL"),
          List.of("restrict", " ON DELETE RESTRICT"));

  static final Publication PUBLICATION =
      CaptureFixture.publication(
          """
          publication: constraints
          regions: all
          operations: [insert, update, delete]
          tables:
            - table: public.parent_na
            - table: public.child_na
            - table: public.parent_def
            - table: public.child_def
            - table: public.parent_cas
            - table: public.child_cas
            - table: public.parent_setnull
            - table: public.child_setnull
            - table: public.parent_restrict
            - table: public.child_restrict
            - table: public.grandchild_na
            - table: public.uniq_partial
            - table: public.uniq_expr
          """);

  static final TableSchema GRANDCHILD = table("grandchild_na", "child_id", ScalarType.INT4);
  static final TableSchema PARTIAL =
      table("uniq_partial", "email", ScalarType.TEXT, "active", ScalarType.BOOL);
  static final TableSchema EXPR = table("uniq_expr", "email", ScalarType.TEXT);

  private EmbeddedRegionDatabase one;
  private EmbeddedRegionDatabase two;
  private PostgresChangeApplier eu;
  private PostgresChangeApplier ap;
  private static int origins;

  /** Fresh origins per test: progress is per origin, and the tests share the databases. */
  private ReplicaId us;

  private ReplicaId sa;

  @BeforeEach
  void freshOrigins() {
    origins++;
    us = ReplicaId.of("us-east-" + origins);
    sa = ReplicaId.of("sa-east-" + origins);
  }

  @BeforeAll
  void start() throws Exception {
    one = PgVersion.PG17.start();
    two = PgVersion.PG17.start();
    for (EmbeddedRegionDatabase db : List.of(one, two)) {
      try (Connection c = db.connect()) {
        for (List<String> fk : FOREIGN_KEYS) {
          execute(
              c,
              "CREATE TABLE parent_" + fk.get(0) + " (id int PRIMARY KEY)",
              "CREATE TABLE child_"
                  + fk.get(0)
                  + " (id int PRIMARY KEY, parent_id int REFERENCES parent_"
                  + fk.get(0)
                  + fk.get(1)
                  + ", note text)");
        }
        execute(
            c,
            "CREATE TABLE grandchild_na (id int PRIMARY KEY, child_id int REFERENCES child_na)",
            "CREATE TABLE uniq_partial (id int PRIMARY KEY, email text, active boolean)",
            "CREATE UNIQUE INDEX uniq_partial_active ON uniq_partial (email) WHERE active",
            "CREATE TABLE uniq_expr (id int PRIMARY KEY, email text)",
            "CREATE UNIQUE INDEX uniq_expr_lower ON uniq_expr (lower(email))");
      }
    }
    eu = PostgresChangeApplier.start(ApplyFixture.config(one, EU, PUBLICATION));
    ap = PostgresChangeApplier.start(ApplyFixture.config(two, AP, PUBLICATION));
  }

  @AfterAll
  void stop() throws Exception {
    eu.close();
    ap.close();
    one.close();
    two.close();
  }

  private static TableSchema parent(String variant) {
    return table("parent_" + variant);
  }

  private static TableSchema child(String variant) {
    return table("child_" + variant, "parent_id", ScalarType.INT4, "note", ScalarType.TEXT);
  }

  private List<String> query(EmbeddedRegionDatabase db, String sql) throws Exception {
    try (Connection c = db.connect()) {
      return rows(c, sql);
    }
  }

  private void assertConverged(String sql) throws Exception {
    assertThat(query(one, sql)).isEqualTo(query(two, sql));
  }

  private static String metadata(String table) {
    return "SELECT row_key::text, encode(state, 'hex') AS state, row_exists FROM georep.row_meta"
        + " WHERE table_name = '"
        + table
        + "' ORDER BY row_key";
  }

  private static String conflictLog(String table) {
    return "SELECT conflict_id, type, resolver, kept_loser->>'dot' AS loser FROM georep.conflict_log"
        + " WHERE table_name = '"
        + table
        + "' ORDER BY id";
  }

  // ---- a parent deleted concurrently with a child insert ----

  @ParameterizedTest
  @ValueSource(strings = {"na", "def", "cas", "setnull", "restrict"})
  void parentDelete_concurrentChildInsert_cascadesInBothOrders(String variant) throws Exception {
    TableSchema parent = parent(variant);
    TableSchema child = child(variant);
    SourceTransaction insertParent = tx(us, 10, 1000, context(), insert(parent, 1));
    // us-east deletes the parent while sa-east, having seen it, inserts a child: concurrent.
    SourceTransaction deleteParent = tx(us, 11, 3000, context(us, 10), delete(parent, 1));
    SourceTransaction insertChild =
        tx(sa, 10, 2000, context(us, 10), insert(child, 1, "parent_id", 1, "note", "orphan"));
    // Region one gets the delete first, region two the child first.
    for (SourceTransaction t : List.of(insertParent, deleteParent, insertChild)) {
      eu.apply(List.of(t));
    }
    for (SourceTransaction t : List.of(insertParent, insertChild, deleteParent)) {
      ap.apply(List.of(t));
    }
    assertThat(query(one, "SELECT * FROM " + parent.id().name())).isEmpty();
    assertThat(query(one, "SELECT * FROM " + child.id().name())).isEmpty();
    assertConverged("SELECT * FROM " + parent.id().name());
    assertConverged("SELECT * FROM " + child.id().name());
    assertConverged(metadata(child.id().name()));
    assertThat(query(one, conflictLog(child.id().name())))
        .containsExactly(
            "conflict_id="
                + sa
                + ":10~"
                + us
                + ":11,type=parent-deleted,resolver=cascade,loser="
                + sa
                + ":10");
    assertConverged(conflictLog(child.id().name()));

    // A later update of the child from sa-east, still without the delete in view, does not bring
    // the child back in either region.
    SourceTransaction updateChild =
        tx(sa, 11, 4000, context(us, 10, sa, 10), update(child, 1, "note", "still here"));
    eu.apply(List.of(updateChild));
    ap.apply(List.of(updateChild));
    assertThat(query(one, "SELECT * FROM " + child.id().name())).isEmpty();
    assertConverged("SELECT * FROM " + child.id().name());
    assertConverged(metadata(child.id().name()));

    // A child inserted after its region saw the parent re-inserted is applied normally.
    SourceTransaction reinsertParent = tx(us, 12, 5000, context(us, 11), insert(parent, 1));
    SourceTransaction reinsertChild =
        tx(sa, 12, 6000, context(us, 12, sa, 11), insert(child, 1, "parent_id", 1, "note", "back"));
    for (SourceTransaction t : List.of(reinsertParent, reinsertChild)) {
      eu.apply(List.of(t));
      ap.apply(List.of(t));
    }
    assertThat(query(one, "SELECT id, note FROM " + child.id().name()))
        .containsExactly("id=1,note=back");
    assertConverged("SELECT * FROM " + child.id().name());
    assertConverged(metadata(child.id().name()));
  }

  @Test
  void parentDelete_concurrentChildAndGrandchild_cascadeToBoth() throws Exception {
    TableSchema parent = parent("na");
    TableSchema child = child("na");
    SourceTransaction insertParent = tx(us, 20, 1000, context(), insert(parent, 5));
    SourceTransaction deleteParent = tx(us, 21, 3000, context(us, 20), delete(parent, 5));
    SourceTransaction insertChild =
        tx(sa, 20, 2000, context(us, 20), insert(child, 5, "parent_id", 5, "note", "c"));
    SourceTransaction insertGrandchild =
        tx(sa, 21, 2500, context(us, 20, sa, 20), insert(GRANDCHILD, 5, "child_id", 5));
    for (SourceTransaction t : List.of(insertParent, deleteParent, insertChild, insertGrandchild)) {
      eu.apply(List.of(t));
    }
    for (SourceTransaction t : List.of(insertParent, insertChild, insertGrandchild, deleteParent)) {
      ap.apply(List.of(t));
    }
    assertThat(query(one, "SELECT * FROM grandchild_na WHERE id = 5")).isEmpty();
    assertThat(query(one, "SELECT * FROM child_na WHERE id = 5")).isEmpty();
    assertConverged("SELECT * FROM child_na ORDER BY id");
    assertConverged("SELECT * FROM grandchild_na ORDER BY id");
    assertThat(query(two, conflictLog("grandchild_na"))).hasSize(1);
    assertThat(query(one, conflictLog("grandchild_na"))).hasSize(1);
  }

  @Test
  void childInsert_parentNotArrivedOrSeenDeleted_stillWaits() throws Exception {
    TableSchema parent = parent("na");
    TableSchema child = child("na");
    // The parent has not arrived: no metadata, so the child waits as before.
    SourceTransaction insertParent = tx(us, 30, 1000, context(), insert(parent, 7));
    SourceTransaction insertChild =
        tx(sa, 30, 2000, context(us, 30), insert(child, 7, "parent_id", 7));
    assertThatThrownBy(() -> eu.apply(List.of(insertChild)))
        .isInstanceOfSatisfying(
            ApplyRetryException.class,
            e -> assertThat(e.reason()).isEqualTo(ApplyRetryException.Reason.MISSING_PARENT));
    eu.apply(List.of(insertParent));
    eu.apply(List.of(insertChild));
    assertThat(query(one, "SELECT id FROM child_na WHERE id = 7")).containsExactly("id=7");
    // A child whose write saw its parent deleted is not this conflict: it waits.
    eu.apply(List.of(tx(us, 31, 3500, context(us, 30), insert(parent, 8))));
    eu.apply(List.of(tx(us, 32, 3600, context(us, 31), delete(parent, 8))));
    SourceTransaction seenDeleted =
        tx(sa, 31, 4000, context(us, 32, sa, 30), insert(child, 8, "parent_id", 8));
    assertThatThrownBy(() -> eu.apply(List.of(seenDeleted)))
        .isInstanceOfSatisfying(
            ApplyRetryException.class,
            e -> assertThat(e.reason()).isEqualTo(ApplyRetryException.Reason.MISSING_PARENT));
  }

  // ---- partial and expression unique indexes ----

  @Test
  void partialUniqueIndex_rowOutsideThePredicate_isNeverTheClash() throws Exception {
    SourceTransaction inactive =
        tx(
            us,
            40,
            500,
            context(),
            insert(PARTIAL, 1, "email", "x@example.com", "active", new Value.Bool(false)));
    SourceTransaction first =
        tx(
            us,
            41,
            1000,
            context(us, 40),
            insert(PARTIAL, 2, "email", "x@example.com", "active", new Value.Bool(true)));
    SourceTransaction second =
        tx(
            sa,
            40,
            2000,
            context(us, 40),
            insert(PARTIAL, 3, "email", "x@example.com", "active", new Value.Bool(true)));
    for (SourceTransaction t : List.of(inactive, first, second)) {
      eu.apply(List.of(t));
    }
    for (SourceTransaction t : List.of(inactive, second, first)) {
      ap.apply(List.of(t));
    }
    assertThat(query(one, "SELECT id, active FROM uniq_partial ORDER BY id"))
        .containsExactly("id=1,active=f", "id=3,active=t");
    assertConverged("SELECT * FROM uniq_partial ORDER BY id");
    assertConverged(metadata("uniq_partial"));
    assertThat(query(one, conflictLog("uniq_partial")))
        .singleElement()
        .asString()
        .contains("type=unique-key-clash", "loser=" + us + ":41");
  }

  @Test
  void expressionUniqueIndex_clashOnLowerEmail_laterRowStaysInBothOrders() throws Exception {
    SourceTransaction first =
        tx(us, 50, 1000, context(), insert(EXPR, 1, "email", "X@example.com"));
    SourceTransaction second =
        tx(sa, 50, 2000, context(), insert(EXPR, 2, "email", "x@example.com"));
    eu.apply(List.of(first));
    eu.apply(List.of(second));
    ap.apply(List.of(second));
    ap.apply(List.of(first));
    assertThat(query(one, "SELECT * FROM uniq_expr ORDER BY id"))
        .containsExactly("id=2,email=x@example.com");
    assertConverged("SELECT * FROM uniq_expr ORDER BY id");
    assertConverged(metadata("uniq_expr"));
    assertThat(query(two, conflictLog("uniq_expr")))
        .singleElement()
        .asString()
        .contains("type=unique-key-clash", "loser=" + us + ":50");
  }
}
