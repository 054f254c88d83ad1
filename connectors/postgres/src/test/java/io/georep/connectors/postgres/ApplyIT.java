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
import io.georep.connector.TableId;
import io.georep.connector.TableSchema;
import io.georep.connector.Value;
import io.georep.connector.spi.ApplyException;
import io.georep.connector.spi.ApplyRetryException;
import io.georep.connector.spi.GarbageCollecting;
import io.georep.publication.Publication;
import io.georep.resolver.Conflict;
import io.georep.testkit.EmbeddedRegionDatabase;
import io.georep.vectorclock.ReplicaId;
import io.georep.vectorclock.VersionVector;
import java.math.BigDecimal;
import java.sql.Connection;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * The applier against two real PostgreSQL databases standing for two regions ({@code eu-west} and
 * {@code ap-south}), fed transactions of two other origins ({@code us-east}, {@code sa-east}) built
 * with the change model: every conflict type through SQL, convergence in both arrival orders,
 * exactly-once across failures, tombstones and their collection, foreign keys, unique clashes and
 * interleaved sequences.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ApplyIT {
  static final ReplicaId EU = ReplicaId.of("eu-west");
  static final ReplicaId AP = ReplicaId.of("ap-south");

  static final Publication PUBLICATION =
      CaptureFixture.publication(
          """
          publication: apply
          regions: all
          operations: [insert, update, delete]
          tables:
            - table: public.lww_t
              resolver: lww
            - table: public.dw_t
              resolver: delete-wins
            - table: public.uw_t
              resolver: update-wins
            - table: public.col_t
              resolver: first-writer-wins
              column-resolvers:
                a: column-lww
            - table: public.cnt_t
              resolver: lww
              column-resolvers:
                n: counter
            - table: public.uniq_t
            - table: public.parent_nd
            - table: public.child_nd
            - table: public.parent_d
            - table: public.child_d
            - table: public.missing_t
            - table: public.drift_t
            - table: public.check_t
            - table: public.wide_t
          """);

  static final TableSchema LWW = table("lww_t", "a", ScalarType.TEXT, "b", ScalarType.TEXT);
  static final TableSchema DW = table("dw_t", "a", ScalarType.TEXT, "b", ScalarType.TEXT);
  static final TableSchema UW = table("uw_t", "a", ScalarType.TEXT, "b", ScalarType.TEXT);
  static final TableSchema COL = table("col_t", "a", ScalarType.TEXT, "b", ScalarType.TEXT);
  static final TableSchema CNT = table("cnt_t", "n", ScalarType.INT8);
  static final TableSchema UNIQ = table("uniq_t", "email", ScalarType.TEXT);
  static final TableSchema PARENT_ND = table("parent_nd");
  static final TableSchema CHILD_ND = table("child_nd", "parent_id", ScalarType.INT4);
  static final TableSchema PARENT_D = table("parent_d");
  static final TableSchema CHILD_D = table("child_d", "parent_id", ScalarType.INT4);
  static final TableSchema MISSING = table("missing_t", "a", ScalarType.TEXT);

  /** drift_t as the origin has it after ADD COLUMN note: here it has no note yet. */
  static final TableSchema DRIFT = table("drift_t", "a", ScalarType.TEXT, "note", ScalarType.TEXT);

  static final TableSchema CHECK = table("check_t", "n", ScalarType.INT4);

  /** wide_t before ADD COLUMN note, as a region that has not run it sends it. */
  static final TableSchema NARROW = table("wide_t", "a", ScalarType.TEXT);

  static final TableSchema WIDE = table("wide_t", "a", ScalarType.TEXT, "note", ScalarType.TEXT);

  private EmbeddedRegionDatabase one;
  private EmbeddedRegionDatabase two;
  private PostgresChangeApplier eu;
  private PostgresChangeApplier ap;
  private final List<Conflict> heard = new CopyOnWriteArrayList<>();
  private static int origins;

  /** Fresh origins per test: progress is per origin, and the tests share the databases. */
  private ReplicaId US;

  private ReplicaId SA;

  @BeforeEach
  void freshOrigins() {
    origins++;
    US = ReplicaId.of("us-east-" + origins);
    SA = ReplicaId.of("sa-east-" + origins);
  }

  @BeforeAll
  void start() throws Exception {
    one = PgVersion.PG17.start();
    two = PgVersion.PG17.start();
    for (EmbeddedRegionDatabase db : List.of(one, two)) {
      try (Connection c = db.connect()) {
        for (String t : List.of("lww_t", "dw_t", "uw_t", "col_t")) {
          execute(c, "CREATE TABLE " + t + " (id int PRIMARY KEY, a text, b text)");
        }
        execute(
            c,
            "CREATE TABLE cnt_t (id int PRIMARY KEY, n bigint)",
            "CREATE TABLE uniq_t (id int PRIMARY KEY, email text UNIQUE)",
            "CREATE TABLE parent_nd (id int PRIMARY KEY)",
            "CREATE TABLE child_nd (id int PRIMARY KEY, parent_id int REFERENCES parent_nd)",
            "CREATE TABLE parent_d (id int PRIMARY KEY)",
            "CREATE TABLE drift_t (id int PRIMARY KEY, a text)",
            "CREATE TABLE wide_t (id int PRIMARY KEY, a text)",
            "CREATE TABLE check_t (id int PRIMARY KEY, n int CHECK (n < 100))",
            "CREATE TABLE child_d (id int PRIMARY KEY,"
                + " parent_id int REFERENCES parent_d DEFERRABLE INITIALLY IMMEDIATE)");
      }
    }
    eu = PostgresChangeApplier.start(ApplyFixture.config(one, EU, PUBLICATION));
    ap = PostgresChangeApplier.start(ApplyFixture.config(two, AP, PUBLICATION));
    eu.setConflictListener(cs -> cs.forEach(c -> heard.add((Conflict) c)));
  }

  @AfterAll
  void stop() throws Exception {
    eu.close();
    ap.close();
    one.close();
    two.close();
  }

  /** Applies the transactions one call each, to region one in order and to two in reverse. */
  private void bothOrders(List<SourceTransaction> txs) {
    for (SourceTransaction t : txs) {
      eu.apply(List.of(t));
    }
    for (int i = txs.size() - 1; i >= 0; i--) {
      ap.apply(List.of(txs.get(i)));
    }
  }

  private List<String> query(EmbeddedRegionDatabase db, String sql) throws Exception {
    try (Connection c = db.connect()) {
      return rows(c, sql);
    }
  }

  private List<String> conflicts(EmbeddedRegionDatabase db, String table, int id) throws Exception {
    return query(
        db,
        "SELECT type, winner, resolver FROM georep.conflict_log WHERE table_name = '"
            + table
            + "'"
            + (id < 0 ? "" : " AND row_key = '[" + id + "]'")
            + " ORDER BY id");
  }

  private void assertConverged(String sql) throws Exception {
    assertThat(query(one, sql)).isEqualTo(query(two, sql));
  }

  // ---- conflict types ----

  @Test
  void insertInsert_lww_laterWinsInBothOrders() throws Exception {
    bothOrders(
        List.of(
            tx(US, 10, 1000, context(), insert(LWW, 1, "a", "us", "b", "us")),
            tx(SA, 10, 2000, context(), insert(LWW, 1, "a", "sa"))));
    String q = "SELECT * FROM lww_t WHERE id = 1";
    assertThat(query(one, q)).containsExactly("id=1,a=sa,b=us");
    assertConverged(q);
    assertThat(conflicts(one, "lww_t", 1))
        .containsExactly("type=insert-insert,winner=remote,resolver=lww");
    assertThat(conflicts(two, "lww_t", 1))
        .containsExactly("type=insert-insert,winner=local,resolver=lww");
    assertThat(heard).anyMatch(c -> c.table().name().equals("lww_t"));
  }

  @Test
  void updateUpdate_sameAndDifferentColumns_resolvedPerColumn() throws Exception {
    VersionVector base = context(US, 20);
    eu.apply(List.of(tx(US, 20, 1000, context(), insert(LWW, 2, "a", "0", "b", "0"))));
    ap.apply(List.of(tx(US, 20, 1000, context(), insert(LWW, 2, "a", "0", "b", "0"))));
    bothOrders(
        List.of(
            tx(US, 21, 2000, base, update(LWW, 2, "a", "us")),
            tx(SA, 21, 3000, base, update(LWW, 2, "a", "sa", "b", "sa"))));
    assertThat(query(one, "SELECT * FROM lww_t WHERE id = 2")).containsExactly("id=2,a=sa,b=sa");
    assertConverged("SELECT * FROM lww_t WHERE id = 2");
    // Different columns: both kept.
    eu.apply(List.of(tx(US, 22, 4000, context(US, 21, SA, 21), update(LWW, 2, "a", "us2"))));
    ap.apply(List.of(tx(SA, 22, 4500, context(US, 21, SA, 21), update(LWW, 2, "b", "sa2"))));
    eu.apply(List.of(tx(SA, 22, 4500, context(US, 21, SA, 21), update(LWW, 2, "b", "sa2"))));
    ap.apply(List.of(tx(US, 22, 4000, context(US, 21, SA, 21), update(LWW, 2, "a", "us2"))));
    assertThat(query(one, "SELECT * FROM lww_t WHERE id = 2")).containsExactly("id=2,a=us2,b=sa2");
    assertConverged("SELECT * FROM lww_t WHERE id = 2");
    assertThat(
            query(
                one,
                "SELECT type FROM georep.conflict_log WHERE table_name = 'lww_t'"
                    + " AND row_key = '[2]' ORDER BY id"))
        .containsExactly("type=update-update-same-columns", "type=update-update-different-columns");
  }

  @Test
  void updateDelete_deleteWinsAndUpdateWinsAndLww() throws Exception {
    SourceTransaction base =
        tx(
            US,
            30,
            1000,
            context(),
            insert(DW, 3, "a", "0", "b", "0"),
            insert(UW, 3, "a", "0", "b", "0"),
            insert(LWW, 3, "a", "0", "b", "0"));
    eu.apply(List.of(base));
    ap.apply(List.of(base));
    // For each table: us-east deletes (earlier), sa-east updates (later), concurrently.
    List<SourceTransaction> txs = new ArrayList<>();
    txs.add(tx(US, 31, 2000, context(US, 30), delete(DW, 3), delete(UW, 3), delete(LWW, 3)));
    txs.add(
        tx(
            SA,
            31,
            3000,
            context(US, 30),
            update(DW, 3, "a", "sa"),
            update(UW, 3, "a", "sa"),
            update(LWW, 3, "a", "sa")));
    bothOrders(txs);
    assertThat(query(one, "SELECT * FROM dw_t WHERE id = 3")).isEmpty();
    assertThat(query(one, "SELECT * FROM uw_t WHERE id = 3")).containsExactly("id=3,a=sa,b=0");
    assertThat(query(one, "SELECT * FROM lww_t WHERE id = 3")).containsExactly("id=3,a=sa,b=0");
    for (String t : List.of("dw_t", "uw_t", "lww_t")) {
      assertConverged("SELECT * FROM " + t + " WHERE id = 3");
    }
    assertThat(query(one, "SELECT type FROM georep.conflict_log WHERE row_key = '[3]'"))
        .containsOnly("type=update-delete")
        .hasSize(3);
    assertThat(query(two, "SELECT type FROM georep.conflict_log WHERE row_key = '[3]'"))
        .containsOnly("type=delete-update")
        .hasSize(3);
  }

  @Test
  void deleteDelete_andTombstone_noResurrectionByOlderUpdate() throws Exception {
    SourceTransaction base = tx(US, 40, 1000, context(), insert(LWW, 4, "a", "0"));
    eu.apply(List.of(base));
    ap.apply(List.of(base));
    bothOrders(
        List.of(
            tx(US, 41, 5000, context(US, 40), delete(LWW, 4)),
            tx(SA, 41, 4000, context(US, 40), delete(LWW, 4))));
    assertThat(conflicts(one, "lww_t", 4)).contains("type=delete-delete,winner=local,resolver=lww");
    // An older concurrent update (HLC 3000 < the deletes') does not bring the row back.
    SourceTransaction late = tx(SA, 42, 3000, context(US, 40), update(LWW, 4, "a", "late"));
    eu.apply(List.of(late));
    ap.apply(List.of(late));
    // A redelivered insert is skipped by (origin, seq), a stale one by the row's history.
    eu.apply(List.of(base));
    assertThat(query(one, "SELECT * FROM lww_t WHERE id = 4")).isEmpty();
    assertConverged("SELECT * FROM lww_t WHERE id = 4");
    assertThat(
            query(
                one,
                "SELECT row_exists FROM georep.row_meta WHERE table_name = 'lww_t'"
                    + " AND row_key = '"
                    + "\\x"
                    + java.util.HexFormat.of()
                        .formatHex(
                            io.georep.connectors.postgres.internal.apply.SqlValues.keyBytes(
                                ApplyFixture.key(4)))
                    + "'"))
        .containsExactly("row_exists=f");
  }

  @Test
  void collectGarbage_removesOnlyTombstonesTheStableFrontierCovers() throws Exception {
    SourceTransaction ins = tx(US, 50, 1000, context(), insert(DW, 50), insert(DW, 51));
    SourceTransaction del = tx(US, 51, 2000, context(US, 50), delete(DW, 50));
    SourceTransaction del2 = tx(SA, 51, 2500, context(US, 50), delete(DW, 51));
    ap.apply(List.of(ins));
    ap.apply(List.of(del));
    ap.apply(List.of(del2));
    String tombstones =
        "SELECT count(*) AS n FROM georep.row_meta WHERE table_name = 'dw_t'"
            + " AND NOT row_exists AND row_key IN ("
            + keyLiteral(50)
            + ", "
            + keyLiteral(51)
            + ")";
    assertThat(query(two, tombstones)).containsExactly("n=2");
    // Covers the first tombstone's history only.
    GarbageCollecting.Collected gc = ap.collectGarbage(context(US, 51));
    assertThat(gc.tombstones()).isGreaterThanOrEqualTo(1);
    assertThat(query(two, tombstones)).containsExactly("n=1");
    // After collection, a delete of the collected row by a write that saw it still converges.
    assertThat(ap.collectGarbage(context(US, 51, SA, 51)).tombstones()).isGreaterThanOrEqualTo(1);
    assertThat(query(two, tombstones)).containsExactly("n=0");
    assertThat(
            query(
                two,
                "SELECT count(*) AS n FROM georep.xid_stamp WHERE origin = '"
                    + US
                    + "'"
                    + " AND seq <= 51"))
        .containsExactly("n=0");
  }

  private static String keyLiteral(int id) {
    return "'\\x"
        + java.util.HexFormat.of()
            .formatHex(
                io.georep.connectors.postgres.internal.apply.SqlValues.keyBytes(
                    ApplyFixture.key(id)))
        + "'::bytea";
  }

  @Test
  void columnLww_underFirstWriterWins_perColumnPolicies() throws Exception {
    SourceTransaction base = tx(US, 60, 1000, context(), insert(COL, 6, "a", "0", "b", "0"));
    eu.apply(List.of(base));
    ap.apply(List.of(base));
    bothOrders(
        List.of(
            tx(US, 61, 2000, context(US, 60), update(COL, 6, "a", "us", "b", "us")),
            tx(SA, 61, 3000, context(US, 60), update(COL, 6, "a", "sa", "b", "sa"))));
    // a: column-lww (later: sa); b: first-writer-wins (earlier: us).
    assertThat(query(one, "SELECT * FROM col_t WHERE id = 6")).containsExactly("id=6,a=sa,b=us");
    assertConverged("SELECT * FROM col_t WHERE id = 6");
  }

  @Test
  void counter_concurrentDeltas_addUp() throws Exception {
    SourceTransaction base = tx(US, 70, 1000, context(), insert(CNT, 7, "n", 10L));
    eu.apply(List.of(base));
    ap.apply(List.of(base));
    bothOrders(
        List.of(
            tx(US, 71, 2000, context(US, 70), update(CNT, 7, "n", delta(5))),
            tx(SA, 71, 3000, context(US, 70), update(CNT, 7, "n", delta(7)))));
    assertThat(query(one, "SELECT n FROM cnt_t WHERE id = 7")).containsExactly("n=22");
    assertConverged("SELECT n FROM cnt_t WHERE id = 7");
    assertThat(conflicts(one, "cnt_t", 7))
        .contains("type=update-update-different-columns,winner=merged,resolver=lww");
  }

  private static Value delta(long d) {
    return new Value.CounterDelta(BigDecimal.valueOf(d));
  }

  @Test
  void keyChangingUpdate_movesTheRowWithItsValues_exactlyOnce() throws Exception {
    SourceTransaction create =
        tx(US, 95, 1000, context(), insert(LWW, 50, "a", "moved", "b", "along"));
    SourceTransaction move =
        tx(US, 96, 2000, context(US, 95), update(LWW, 50, "id", 51, "b", "changed"));
    for (PostgresChangeApplier applier : List.of(eu, ap)) {
      applier.apply(List.of(create));
      applier.apply(List.of(move));
      applier.apply(List.of(move));
    }
    assertThat(query(one, "SELECT * FROM lww_t WHERE id IN (50, 51) ORDER BY id"))
        .containsExactly("id=51,a=moved,b=changed");
    assertConverged("SELECT * FROM lww_t WHERE id IN (50, 51) ORDER BY id");
    // A later write to the new key applies; the old key stays deleted.
    eu.apply(List.of(tx(US, 97, 3000, context(US, 96), update(LWW, 51, "a", "again"))));
    assertThat(query(one, "SELECT * FROM lww_t WHERE id IN (50, 51) ORDER BY id"))
        .containsExactly("id=51,a=again,b=changed");
  }

  @Test
  void keyChangingUpdate_concurrentUpdateOfOldKey_converges() throws Exception {
    SourceTransaction create =
        tx(US, 98, 1000, context(), insert(LWW, 60, "a", "first", "b", "row"));
    eu.apply(List.of(create));
    ap.apply(List.of(create));
    // The capture ships a key-changing update with the whole new row (CaptureIT), so that no
    // region completes it from its own copy of the old row, which a concurrent update changed in
    // one region and not yet in the other.
    bothOrders(
        List.of(
            tx(US, 99, 2000, context(US, 98), update(LWW, 60, "id", 61, "a", "first", "b", "row")),
            tx(SA, 99, 1500, context(US, 98), update(LWW, 60, "a", "concurrent"))));
    assertThat(query(one, "SELECT * FROM lww_t WHERE id IN (60, 61) ORDER BY id"))
        .containsExactly("id=61,a=first,b=row");
    assertConverged("SELECT * FROM lww_t WHERE id IN (60, 61) ORDER BY id");
  }

  // ---- unique keys and foreign keys ----

  @Test
  void uniqueClash_laterRowStaysInBothOrders_neverHalts() throws Exception {
    bothOrders(
        List.of(
            tx(US, 80, 1000, context(), insert(UNIQ, 1, "email", "x@example.com")),
            tx(SA, 80, 2000, context(), insert(UNIQ, 2, "email", "x@example.com"))));
    assertThat(query(one, "SELECT * FROM uniq_t ORDER BY id"))
        .containsExactly("id=2,email=x@example.com");
    assertConverged("SELECT * FROM uniq_t ORDER BY id");
    assertThat(conflicts(one, "uniq_t", -1))
        .containsExactly("type=unique-key-clash,winner=remote,resolver=lww");
    assertThat(conflicts(two, "uniq_t", -1))
        .containsExactly("type=unique-key-clash,winner=local,resolver=lww");
    assertThat(
            query(
                one,
                "SELECT kept_loser->>'dot' AS loser FROM georep.conflict_log"
                    + " WHERE table_name = 'uniq_t'"))
        .containsExactly("loser=" + US + ":80");
    // The loser comes back when a later write moves it off the clashing value.
    SourceTransaction fix =
        tx(US, 81, 3000, context(US, 80, SA, 80), update(UNIQ, 1, "email", "y@example.com"));
    eu.apply(List.of(fix));
    ap.apply(List.of(fix));
    assertThat(query(one, "SELECT * FROM uniq_t ORDER BY id"))
        .containsExactly("id=1,email=y@example.com", "id=2,email=x@example.com");
    assertConverged("SELECT * FROM uniq_t ORDER BY id");
  }

  @Test
  void uniqueClash_thenBatchedWrite_recordsTheRowsRealXmin() throws Exception {
    // One database transaction: a clash rolls back to its savepoint, then a table without other
    // unique keys is written as a batch. The batch's rows must carry the xid recorded as their
    // writer, or the next apply would take them for an unfolded local write.
    eu.apply(
        List.of(
            tx(US, 85, 1000, context(), insert(UNIQ, 30, "email", "clash@example.com")),
            tx(SA, 85, 2000, context(), insert(UNIQ, 31, "email", "clash@example.com")),
            tx(SA, 86, 3000, context(SA, 85), insert(LWW, 30, "a", "after", "b", "clash"))));
    assertThat(
            query(
                one,
                "SELECT count(*) AS n FROM georep.row_meta WHERE table_name = 'lww_t'"
                    + " AND writer_xid32 = (SELECT xmin::text::bigint FROM lww_t WHERE id = 30)"))
        .containsExactly("n=1");
    eu.apply(List.of(tx(US, 86, 4000, context(US, 85, SA, 86), update(LWW, 30, "a", "later"))));
    assertThat(query(one, "SELECT a FROM lww_t WHERE id = 30")).containsExactly("a=later");
  }

  @Test
  void foreignKey_nonDeferrable_childWaitsForParent() throws Exception {
    SourceTransaction parent = tx(US, 90, 1000, context(), insert(PARENT_ND, 1));
    SourceTransaction child =
        tx(SA, 90, 2000, context(US, 90), insert(CHILD_ND, 1, "parent_id", 1));
    assertThatThrownBy(() -> eu.apply(List.of(child)))
        .isInstanceOfSatisfying(
            ApplyRetryException.class,
            e -> assertThat(e.reason()).isEqualTo(ApplyRetryException.Reason.MISSING_PARENT));
    assertThat(eu.appliedWatermark().get(SA)).isLessThan(90);
    eu.apply(List.of(parent));
    eu.apply(List.of(child));
    ap.apply(List.of(parent, child));
    assertThat(query(one, "SELECT * FROM child_nd")).containsExactly("id=1,parent_id=1");
    assertConverged("SELECT * FROM child_nd");
  }

  @Test
  void foreignKey_deferrable_childBeforeParentInOneBatch() throws Exception {
    SourceTransaction parent = tx(US, 100, 1000, context(), insert(PARENT_D, 1));
    SourceTransaction child =
        tx(SA, 100, 2000, context(US, 100), insert(CHILD_D, 1, "parent_id", 1));
    eu.apply(List.of(child, parent));
    ap.apply(List.of(parent, child));
    assertThat(query(one, "SELECT * FROM child_d")).containsExactly("id=1,parent_id=1");
    assertConverged("SELECT * FROM child_d");
  }

  // ---- exactly-once ----

  @Test
  void poisonInCoalescedBatch_nothingApplied_thenExactlyOnce() throws Exception {
    List<SourceTransaction> good = new ArrayList<>();
    good.add(tx(US, 110, 1000, context(), insert(CNT, 11, "n", 1L)));
    for (int i = 1; i <= 5; i++) {
      good.add(tx(US, 110 + i, 1000 + i, context(US, 109 + i), update(CNT, 11, "n", delta(1))));
    }
    List<SourceTransaction> poisoned = new ArrayList<>(good);
    // The table's definition is the origin's: the row itself is refused here.
    poisoned.add(tx(US, 116, 2000, context(US, 115), insert(CHECK, 1, "n", 500)));
    assertThatThrownBy(() -> eu.apply(poisoned))
        .isInstanceOf(ApplyException.class)
        .hasMessageContaining("check_t")
        .hasMessageContaining("SQLSTATE 23514")
        .hasMessageContaining("the stream of this origin halts here");
    assertThat(query(one, "SELECT n FROM cnt_t WHERE id = 11")).isEmpty();
    eu.apply(good);
    eu.apply(good);
    List<SourceTransaction> more = new ArrayList<>(good);
    more.add(tx(US, 117, 3000, context(US, 115), update(CNT, 11, "n", delta(10))));
    eu.apply(more);
    assertThat(query(one, "SELECT n FROM cnt_t WHERE id = 11")).containsExactly("n=16");
    assertThat(eu.appliedWatermark().get(US)).isGreaterThanOrEqualTo(117);
  }

  @Test
  void schemaDrift_retriableNamingTheTable_thenAppliesOnceTheSameDdlRunsHere() throws Exception {
    SourceTransaction first =
        tx(US, 120, 1000, context(), insert(DRIFT, 1, "a", "x", "note", "from us"));
    List<SourceTransaction> batch =
        List.of(
            first,
            tx(US, 121, 1001, context(US, 120), insert(CNT, 12, "n", 1L)),
            tx(US, 122, 1002, context(US, 121), update(DRIFT, 1, "note", "again")));
    assertThatThrownBy(() -> eu.apply(batch))
        .isInstanceOfSatisfying(
            ApplyRetryException.class,
            e -> {
              assertThat(e.reason()).isEqualTo(ApplyRetryException.Reason.SCHEMA_DRIFT);
              assertThat(e.table()).contains(DRIFT.id());
            })
        .hasMessageContaining("table public.drift_t differs from the origin's")
        .hasMessageContaining("column note of the origin's table is missing here")
        .hasMessageContaining("run the same DDL here");
    assertThat(query(one, "SELECT * FROM drift_t")).isEmpty();
    // A table missing here, or a NOT NULL column without a default that the origin lacks, is
    // drift as well.
    assertThatThrownBy(
            () -> eu.apply(List.of(tx(SA, 120, 1000, context(), insert(MISSING, 1, "a", "x")))))
        .isInstanceOfSatisfying(
            ApplyRetryException.class,
            e -> assertThat(e.reason()).isEqualTo(ApplyRetryException.Reason.SCHEMA_DRIFT))
        .hasMessageContaining("the table does not exist here");

    try (Connection c = one.connect()) {
      execute(c, "ALTER TABLE drift_t ADD COLUMN note text");
    }
    eu.apply(batch);

    assertThat(query(one, "SELECT * FROM drift_t")).containsExactly("id=1,a=x,note=again");
    assertThat(query(one, "SELECT n FROM cnt_t WHERE id = 12")).containsExactly("n=1");
    try (Connection c = one.connect()) {
      execute(c, "ALTER TABLE drift_t ADD COLUMN required int NOT NULL DEFAULT 0");
      execute(c, "ALTER TABLE drift_t ALTER COLUMN required DROP DEFAULT");
    }
    assertThatThrownBy(
            () ->
                eu.apply(List.of(tx(US, 123, 1003, context(US, 122), insert(DRIFT, 2, "a", "y")))))
        .isInstanceOf(ApplyRetryException.class)
        .hasMessageContaining(
            "column required (NOT NULL without a default) is not in the origin's");
  }

  @Test
  void columnAddedHereFirst_changesOfARegionWithoutIt_mergeUnderTheLocalDefinition()
      throws Exception {
    try (Connection c = one.connect()) {
      execute(c, "ALTER TABLE wide_t ADD COLUMN note text");
    }
    // A region that ran the DDL too writes the new column: the row's state has it.
    eu.apply(List.of(tx(US, 130, 1000, context(), insert(WIDE, 1, "a", "x", "note", "n1"))));
    // A region that has not run it yet updates and inserts without it.
    eu.apply(
        List.of(
            tx(SA, 130, 2000, context(US, 130), update(NARROW, 1, "a", "y")),
            tx(SA, 131, 2001, context(SA, 130), insert(NARROW, 2, "a", "z"))));
    eu.apply(List.of(tx(US, 131, 3000, context(US, 130, SA, 131), update(WIDE, 2, "note", "n2"))));

    assertThat(query(one, "SELECT * FROM wide_t ORDER BY id"))
        .containsExactly("id=1,a=y,note=n1", "id=2,a=z,note=n2");
  }

  @Test
  void applierKilledMidBatch_restartAppliesEverythingOnce() throws Exception {
    SourceTransaction base = tx(SA, 200, 1000, context(), insert(CNT, 20, "n", 0L));
    ap.apply(List.of(base));
    List<SourceTransaction> batch = new ArrayList<>();
    for (int i = 1; i <= 20; i++) {
      int id = i == 20 ? 20 : 20 + i;
      batch.add(
          tx(
              SA,
              200 + i,
              1000 + i,
              context(SA, 199 + i),
              i == 20 ? update(CNT, 20, "n", delta(100)) : insert(CNT, id, "n", (long) i)));
    }
    try (Connection blocker = two.connect()) {
      blocker.setAutoCommit(false);
      execute(blocker, "SELECT * FROM cnt_t WHERE id = 20 FOR UPDATE");
      CompletableFuture<Void> apply = CompletableFuture.runAsync(() -> ap.apply(batch));
      long pid;
      long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
      while (true) {
        List<String> waiting =
            rows(
                blocker,
                "SELECT pid FROM pg_locks WHERE NOT granted AND locktype = 'transactionid'");
        if (!waiting.isEmpty()) {
          pid = Long.parseLong(waiting.get(0).substring("pid=".length()));
          break;
        }
        assertThat(System.nanoTime()).as("apply blocks on the locked row").isLessThan(deadline);
        Thread.onSpinWait();
      }
      execute(blocker, "SELECT pg_terminate_backend(" + pid + ")");
      assertThatThrownBy(apply::join).hasCauseInstanceOf(ApplyRetryException.class);
      blocker.rollback();
    }
    assertThat(query(two, "SELECT count(*) AS c FROM cnt_t WHERE id BETWEEN 21 AND 39"))
        .containsExactly("c=0");
    ap.apply(batch);
    ap.apply(batch);
    assertThat(
            query(two, "SELECT sum(n) AS s, count(*) AS c FROM cnt_t WHERE id BETWEEN 20 AND 39"))
        .containsExactly("s=" + (100 + 19 * 20 / 2) + ",c=20");
  }

  // ---- sequences ----

  @Test
  void interleavedSequences_regionResidues_idempotent() throws Exception {
    try (Connection c = one.connect()) {
      execute(
          c,
          "CREATE TABLE seq_a (id bigserial PRIMARY KEY, v text)",
          "CREATE TABLE seq_b (id int GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY)",
          "INSERT INTO seq_a (v) VALUES ('x'), ('y')");
      List<TableId> tables = List.of(TableId.of("public", "seq_a"), TableId.of("public", "seq_b"));
      assertThat(InterleavedSequences.configure(c, 1, 3, tables)).hasSize(2);
      assertThat(InterleavedSequences.configure(c, 1, 3, tables)).isEmpty();
      execute(c, "INSERT INTO seq_a (v) VALUES ('z'), ('w')", "INSERT INTO seq_b DEFAULT VALUES");
      assertThat(rows(c, "SELECT id FROM seq_a WHERE id > 2 ORDER BY id"))
          .containsExactly("id=5", "id=8");
      assertThat(rows(c, "SELECT id FROM seq_b")).containsExactly("id=2");
      assertThatThrownBy(() -> InterleavedSequences.configure(c, 3, 3, tables))
          .isInstanceOf(IllegalArgumentException.class);
    }
  }
}
