package io.georep.connectors.postgres;

import static io.georep.connectors.postgres.ApplyFixture.context;
import static io.georep.connectors.postgres.ApplyFixture.execute;
import static io.georep.connectors.postgres.ApplyFixture.rows;
import static io.georep.connectors.postgres.ApplyFixture.tx;
import static org.assertj.core.api.Assertions.assertThat;

import io.georep.connector.ColumnSchema;
import io.georep.connector.RowChange;
import io.georep.connector.RowKey;
import io.georep.connector.ScalarType;
import io.georep.connector.SourceTransaction;
import io.georep.connector.TableId;
import io.georep.connector.TableSchema;
import io.georep.connector.Value;
import io.georep.connector.spi.ApplyRetryException;
import io.georep.publication.Publication;
import io.georep.resolver.Conflict;
import io.georep.resolver.ConflictType;
import io.georep.testkit.EmbeddedRegionDatabase;
import io.georep.vectorclock.ReplicaId;
import java.sql.Connection;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * Keyless tables (no primary key, {@code REPLICA IDENTITY FULL}) in the applier, against two real
 * PostgreSQL databases standing for two regions: equal rows and NULLs, concurrent deletes of one of
 * several equal rows in both arrival orders, updates, and a local delete folded after a remote
 * delete of the same copy was applied (the fold puts the second row back).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class KeylessApplyIT {
  static final ReplicaId EU = ReplicaId.of("eu-west");
  static final ReplicaId AP = ReplicaId.of("ap-south");

  static final Publication PUBLICATION =
      CaptureFixture.publication(
          """
          publication: keyless
          regions: all
          operations: [insert, update, delete]
          tables:
            - table: public.log_t
          """);

  static final TableSchema LOG =
      TableSchema.of(
          TableId.of("public", "log_t"),
          List.of(
              ColumnSchema.of("line", ScalarType.TEXT, false),
              ColumnSchema.of("n", ScalarType.INT4, true)));

  private static int origins;
  private EmbeddedRegionDatabase one;
  private EmbeddedRegionDatabase two;
  private PostgresChangeApplier eu;
  private PostgresChangeApplier ap;
  private final List<Conflict> heard = new CopyOnWriteArrayList<>();
  private ReplicaId us;
  private ReplicaId sa;

  @BeforeEach
  void freshOrigins() throws Exception {
    origins++;
    us = ReplicaId.of("us-east-" + origins);
    sa = ReplicaId.of("sa-east-" + origins);
    heard.clear();
    for (EmbeddedRegionDatabase db : List.of(one, two)) {
      try (Connection c = db.connect()) {
        execute(c, "TRUNCATE log_t", "DELETE FROM georep.keyless_meta");
      }
    }
  }

  @BeforeAll
  void start() throws Exception {
    one = PgVersion.PG17.start();
    two = PgVersion.PG17.start();
    for (EmbeddedRegionDatabase db : List.of(one, two)) {
      try (Connection c = db.connect()) {
        execute(c, "CREATE TABLE log_t (line text NOT NULL, n int)");
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

  private static RowKey row(String line, Integer n) {
    return RowKey.of(new Value.Text(line), n == null ? Value.NULL : new Value.Int4(n));
  }

  private static RowChange insert(String line, Integer n) {
    return new RowChange.Insert(
        LOG, Map.of("line", new Value.Text(line), "n", n == null ? Value.NULL : new Value.Int4(n)));
  }

  private static RowChange delete(String line, Integer n) {
    return new RowChange.Delete(LOG, row(line, n));
  }

  private static RowChange update(String line, Integer n, Integer newN) {
    return new RowChange.Update(
        LOG, row(line, n), Map.of("n", newN == null ? Value.NULL : new Value.Int4(newN)));
  }

  private List<String> table(EmbeddedRegionDatabase db) throws Exception {
    try (Connection c = db.connect()) {
      return rows(c, "SELECT line, n FROM log_t ORDER BY line, n");
    }
  }

  private List<String> meta(EmbeddedRegionDatabase db) throws Exception {
    try (Connection c = db.connect()) {
      return rows(c, "SELECT row_key, state, live, removed FROM georep.keyless_meta ORDER BY 1");
    }
  }

  @Test
  void concurrentDeletesOfOneOfTwoEqualRows_bothOrders_removeTheSameCopy() throws Exception {
    SourceTransaction inserts = tx(us, 10, 1_000, context(), insert("x", null), insert("x", null));
    // Both regions saw the two copies and delete "one of them" at the same time.
    SourceTransaction saDelete = tx(sa, 20, 2_000, context(us, 10), delete("x", null));
    SourceTransaction usDelete = tx(us, 30, 2_001, context(us, 10), delete("x", null));
    // sa then updates the remaining row, having seen only its own delete.
    SourceTransaction saUpdate = tx(sa, 40, 3_000, context(us, 10, sa, 20), update("x", null, 7));

    for (SourceTransaction t : List.of(inserts, saDelete, usDelete, saUpdate)) {
      eu.apply(List.of(t));
    }
    for (SourceTransaction t : List.of(inserts, usDelete, saDelete, saUpdate)) {
      ap.apply(List.of(t));
    }

    assertThat(table(one)).containsExactly("line=x,n=7");
    assertThat(table(two)).isEqualTo(table(one));
    assertThat(meta(two)).isEqualTo(meta(one));
    assertThat(heard).extracting(Conflict::type).containsExactly(ConflictType.DELETE_DELETE);
  }

  @Test
  void sequentialDeletes_removeDistinctCopies_andNullsMatch() throws Exception {
    SourceTransaction inserts =
        tx(us, 10, 1_000, context(), insert("y", null), insert("y", null), insert("y", 1));
    SourceTransaction first = tx(sa, 20, 2_000, context(us, 10), delete("y", null));
    SourceTransaction second = tx(us, 30, 3_000, context(us, 10, sa, 20), delete("y", null));
    for (PostgresChangeApplier a : List.of(eu, ap)) {
      for (SourceTransaction t : List.of(inserts, first, second)) {
        a.apply(List.of(t));
      }
    }
    assertThat(table(one)).containsExactly("line=y,n=1");
    assertThat(table(two)).isEqualTo(table(one));
    assertThat(heard).isEmpty();
  }

  @Test
  void localDeleteFoldedAfterARemoteDeleteOfTheSameCopy_putsTheSecondRowBack() throws Exception {
    SourceTransaction inserts = tx(us, 10, 1_000, context(), insert("z", 3), insert("z", 3));
    eu.apply(List.of(inserts));
    assertThat(table(one)).containsExactly("line=z,n=3", "line=z,n=3");

    // An application in eu-west deletes one of the two rows; the capture stamps it.
    long seq = 50;
    try (Connection c = one.connect()) {
      execute(
          c,
          "DELETE FROM log_t WHERE ctid = (SELECT min(ctid) FROM log_t)",
          "INSERT INTO georep.xid_stamp (origin, seq, xid, xid32, hlc_wall, hlc_logical,"
              + " causal_context) VALUES ('eu-west', "
              + seq
              + ", 1, 1, 5000, 0, ''::bytea)");
    }
    SourceTransaction local = tx(EU, seq, 5_000, context(us, 10), delete("z", 3));
    // Before the agent folds it, sa-east's concurrent delete of "one of them" arrives: it chooses
    // the same copy as the local delete will, and takes the other row away.
    SourceTransaction saDelete = tx(sa, 20, 5_001, context(us, 10), delete("z", 3));
    eu.apply(List.of(saDelete));
    assertThat(table(one)).isEmpty();

    eu.foldLocal(List.of(local));

    // Both deletes removed one and the same copy: one row is left, as in every other region.
    assertThat(table(one)).containsExactly("line=z,n=3");
    for (SourceTransaction t : List.of(inserts, saDelete, local)) {
      ap.apply(List.of(t));
    }
    assertThat(table(two)).isEqualTo(table(one));
    assertThat(meta(two)).isEqualTo(meta(one));
    assertThat(heard).extracting(Conflict::type).contains(ConflictType.DELETE_DELETE);
  }

  @Test
  void collectGarbage_dropsCopiesWhoseRemovalIsStable_andValuesLeftWithoutCopies()
      throws Exception {
    SourceTransaction inserts =
        tx(us, 10, 1_000, context(), insert("g", 1), insert("g", 1), insert("h", 2));
    SourceTransaction deletes = tx(sa, 20, 2_000, context(us, 10), delete("g", 1), delete("h", 2));
    eu.apply(List.of(inserts));
    eu.apply(List.of(deletes));
    assertThat(meta(one)).hasSize(2);

    // Not yet stable everywhere: nothing is dropped.
    eu.collectGarbage(context(us, 10, sa, 19));
    assertThat(meta(one)).hasSize(2);

    eu.collectGarbage(context(us, 10, sa, 20));
    try (Connection c = one.connect()) {
      // "h" had one copy, removed: gone; "g" keeps its live copy only.
      assertThat(rows(c, "SELECT live, removed FROM georep.keyless_meta"))
          .containsExactly("live=1,removed=0");
    }
    assertThat(table(one)).containsExactly("line=g,n=1");
    // A delete that had seen the dropped copy's removal still finds the live one.
    eu.apply(List.of(tx(us, 30, 3_000, context(us, 10, sa, 20), delete("g", 1))));
    assertThat(table(one)).isEmpty();
  }

  @Test
  void remoteDeleteOfARowALocalDeleteRemovedFirst_waitsForTheFold() throws Exception {
    SourceTransaction insert = tx(us, 10, 1_000, context(), insert("w", 1));
    eu.apply(List.of(insert));
    try (Connection c = one.connect()) {
      execute(c, "DELETE FROM log_t");
    }
    SourceTransaction saDelete = tx(sa, 20, 2_000, context(us, 10), delete("w", 1));
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> eu.apply(List.of(saDelete)))
        .isInstanceOf(ApplyRetryException.class)
        .hasMessageContaining("not folded it yet");
  }

  @Test
  void remoteDeleteThatSawAnUnfoldedLocalInsert_waitsUntilTheSlotHasPassedIt() throws Exception {
    // The agent's own applier: it folds local writes and waits for the capture's slot.
    try (Connection c = one.connect()) {
      execute(c, "SELECT pg_create_logical_replication_slot('own_folds', 'pgoutput')");
    }
    try (PostgresChangeApplier agent =
        PostgresChangeApplier.start(
            ApplyFixture.config(one, EU, PUBLICATION).withLocalFolding(true))) {
      agent.holdGarbageForCapture("own_folds");
      // An application in eu-west inserts a row; the capture stamps it and ships it, but the
      // agent has not folded it yet: the row is in the table, its copy not in the metadata.
      long seq;
      try (Connection c = one.connect()) {
        execute(c, "INSERT INTO log_t VALUES ('v', 1)");
        seq =
            Long.parseLong(
                rows(c, "SELECT (pg_current_wal_lsn() - '0/0'::pg_lsn)::bigint AS l")
                    .get(0)
                    .substring(2));
        execute(
            c,
            "INSERT INTO georep.xid_stamp (origin, seq, xid, xid32, hlc_wall, hlc_logical,"
                + " causal_context) VALUES ('eu-west', "
                + seq
                + ", 5, 5, 1000, 0, ''::bytea)");
      }
      SourceTransaction local = tx(EU, seq, 1_000, context(), insert("v", 1));
      // sa-east received it and deleted that row: its delete removes eu-west's copy everywhere.
      SourceTransaction saDelete = tx(sa, 20, 2_000, context(EU, seq), delete("v", 1));
      // Chosen now, it would find no copy it had seen and remove nothing, and the fold would then
      // keep eu-west's copy here only: it waits for the fold instead.
      org.assertj.core.api.Assertions.assertThatThrownBy(() -> agent.apply(List.of(saDelete)))
          .isInstanceOf(ApplyRetryException.class)
          .hasMessageContaining("has not folded yet");
      assertThat(table(one)).containsExactly("line=v,n=1");

      agent.foldLocal(List.of(local));
      // Folded, but the slot has not confirmed it: still waiting.
      org.assertj.core.api.Assertions.assertThatThrownBy(() -> agent.apply(List.of(saDelete)))
          .isInstanceOf(ApplyRetryException.class);
      try (Connection c = one.connect()) {
        execute(c, "SELECT pg_replication_slot_advance('own_folds', pg_current_wal_lsn())");
      }
      agent.apply(List.of(saDelete));

      // The delete removed eu-west's copy, as in every other region (not replayed into ap-south
      // here: eu-west's seq is a real LSN, which would put ap-south's progress of eu-west past the
      // other tests' seqs).
      assertThat(table(one)).isEmpty();
      try (Connection c = one.connect()) {
        assertThat(rows(c, "SELECT live, removed FROM georep.keyless_meta"))
            .containsExactly("live=0,removed=1");
      }
    } finally {
      try (Connection c = one.connect()) {
        execute(c, "SELECT pg_drop_replication_slot('own_folds')");
      }
    }
  }

  @Test
  void localInsertAndDeleteUnfolded_remoteEqualInsertApplied_foldsLeaveTheRemoteCopy()
      throws Exception {
    // eu-west, cut off, inserts a row and deletes it again; us-east inserts an equal row. Healed,
    // us-east's insert is applied in eu-west before eu-west's own transactions are folded.
    try (Connection c = one.connect()) {
      execute(
          c,
          "INSERT INTO log_t VALUES ('k', 7)",
          "DELETE FROM log_t WHERE line = 'k'",
          "INSERT INTO georep.xid_stamp (origin, seq, xid, xid32, hlc_wall, hlc_logical,"
              + " causal_context) VALUES ('eu-west', 70, 3, 3, 2000, 0, ''::bytea),"
              + " ('eu-west', 80, 4, 4, 3000, 0, ''::bytea)");
    }
    SourceTransaction remote = tx(us, 10, 1_000, context(), insert("k", 7));
    SourceTransaction localInsert = tx(EU, 70, 2_000, context(), insert("k", 7));
    SourceTransaction localDelete = tx(EU, 80, 3_000, context(EU, 70), delete("k", 7));
    eu.apply(List.of(remote));
    eu.foldLocal(List.of(localInsert));
    eu.foldLocal(List.of(localDelete));
    for (SourceTransaction t : List.of(remote, localInsert, localDelete)) {
      ap.apply(List.of(t));
    }
    // The local delete removed the local copy (the one it had seen): us-east's copy stays.
    assertThat(table(two)).containsExactly("line=k,n=7");
    assertThat(table(one)).isEqualTo(table(two));
    assertThat(meta(one)).isEqualTo(meta(two));
  }
}
