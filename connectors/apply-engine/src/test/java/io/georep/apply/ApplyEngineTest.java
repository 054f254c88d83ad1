package io.georep.apply;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.georep.connector.ColumnSchema;
import io.georep.connector.RowChange;
import io.georep.connector.RowKey;
import io.georep.connector.ScalarType;
import io.georep.connector.SourceTransaction;
import io.georep.connector.TableId;
import io.georep.connector.TableSchema;
import io.georep.connector.Value;
import io.georep.connector.spi.ApplyRetryException;
import io.georep.connector.spi.RowRestoring;
import io.georep.resolver.Conflict;
import io.georep.resolver.ConflictType;
import io.georep.resolver.Resolvers;
import io.georep.resolver.TablePolicy;
import io.georep.resolver.UniqueClashPolicy;
import io.georep.resolver.Write;
import io.georep.vectorclock.Dot;
import io.georep.vectorclock.HybridTimestamp;
import io.georep.vectorclock.ReplicaId;
import io.georep.vectorclock.VersionVector;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The apply engine on an in-memory row store: the algorithm without a database. Each test is a
 * conflict shape whose outcome the engine decides (fold, merge, write-back, unique clash, key
 * change); the PostgreSQL connector's integration tests run the same engine on a real server.
 */
class ApplyEngineTest {
  private static final ReplicaId EU = ReplicaId.of("eu-west");
  private static final ReplicaId US = ReplicaId.of("us-east");
  private static final ReplicaId AP = ReplicaId.of("ap-south");

  /** {@code public.users(id int4 key, email text unique, name text)}. */
  private static final TableSchema USERS =
      TableSchema.of(
          TableId.of("public", "users"),
          List.of(
              ColumnSchema.key("id", ScalarType.INT4, 1),
              ColumnSchema.of("email", ScalarType.TEXT, true),
              ColumnSchema.of("name", ScalarType.TEXT, true)));

  private static final TablePolicy LWW = TablePolicy.of(USERS, Resolvers.lww(), Map.of());

  private final MemoryRowStore.Database db = new MemoryRowStore.Database();
  private final List<Conflict> conflicts = new ArrayList<>();
  private boolean agentFolds;

  @Test
  void remoteInsert_writesTheRowAndItsState() throws SQLException {
    apply(tx(US, 1, 100, VersionVector.empty(), insert(1, "a@x", "Ann")));

    assertThat(row(1)).containsEntry("email", text("a@x")).containsEntry("name", text("Ann"));
    assertThat(db.meta.get(List.of(USERS.id(), key(1))).state().covers(Dot.of("us-east", 1)))
        .isTrue();
    assertThat(conflicts).isEmpty();
  }

  @Test
  void sameTransactionTwice_changesNothingTheSecondTime() throws SQLException {
    SourceTransaction t = tx(US, 1, 100, VersionVector.empty(), insert(1, "a@x", "Ann"));
    apply(t);
    long version = db.versions.get(List.of(USERS.id(), key(1)));

    apply(t);

    assertThat(db.versions.get(List.of(USERS.id(), key(1)))).isEqualTo(version);
    assertThat(conflicts).isEmpty();
  }

  @Test
  void localUpdateWithLaterClock_isFoldedFirstAndWins() throws SQLException {
    apply(tx(US, 1, 100, VersionVector.empty(), insert(1, "a@x", "Ann")));
    db.localWrite(
        USERS.id(), key(1), values(1, "a@x", "local"), stamp(EU, 1, 300, vv("us-east", 1)));

    apply(tx(US, 2, 200, vv("us-east", 1), update(1, "name", "remote")));

    assertThat(row(1)).containsEntry("name", text("local"));
    assertThat(conflicts)
        .singleElement()
        .satisfies(
            c -> {
              assertThat(c.type()).isEqualTo(ConflictType.UPDATE_UPDATE_SAME_COLUMNS);
              assertThat(c.winner()).isEqualTo(Conflict.Winner.LOCAL);
            });
    assertThat(db.meta.get(List.of(USERS.id(), key(1))).state().covers(Dot.of("eu-west", 1)))
        .as("the local write is in the row's state")
        .isTrue();
  }

  @Test
  void localUpdateWithEarlierClock_loses() throws SQLException {
    apply(tx(US, 1, 100, VersionVector.empty(), insert(1, "a@x", "Ann")));
    db.localWrite(
        USERS.id(), key(1), values(1, "a@x", "local"), stamp(EU, 1, 150, vv("us-east", 1)));

    apply(tx(US, 2, 200, vv("us-east", 1), update(1, "name", "remote")));

    assertThat(row(1)).containsEntry("name", text("remote"));
    assertThat(conflicts)
        .singleElement()
        .extracting(Conflict::winner)
        .isEqualTo(Conflict.Winner.REMOTE);
  }

  @Test
  void remoteWriteThatSawTheLocalOne_replacesItWithoutConflict() throws SQLException {
    apply(tx(US, 1, 100, VersionVector.empty(), insert(1, "a@x", "Ann")));
    db.localWrite(
        USERS.id(), key(1), values(1, "a@x", "local"), stamp(EU, 1, 300, vv("us-east", 1)));

    apply(tx(US, 2, 200, vv("us-east", 1).add(Dot.of("eu-west", 1)), update(1, "name", "remote")));

    assertThat(row(1)).containsEntry("name", text("remote"));
    assertThat(conflicts).isEmpty();
  }

  @Test
  void localDeleteWithLaterClock_isFoldedAndTheRowStaysDeleted() throws SQLException {
    apply(tx(US, 1, 100, VersionVector.empty(), insert(1, "a@x", "Ann")));
    db.localDelete(USERS.id(), key(1), stamp(EU, 1, 300, vv("us-east", 1)));

    apply(tx(US, 2, 200, vv("us-east", 1), update(1, "name", "remote")));

    assertThat(db.table(USERS.id())).doesNotContainKey(key(1));
    assertThat(conflicts)
        .singleElement()
        .extracting(Conflict::type)
        .isEqualTo(ConflictType.UPDATE_DELETE);
  }

  @Test
  void localWriteWithoutStamp_failsRetriablyInsteadOfGuessing() throws SQLException {
    apply(tx(US, 1, 100, VersionVector.empty(), insert(1, "a@x", "Ann")));
    // Written by an application, but the capture has not stamped its transaction yet.
    db.table(USERS.id()).put(key(1), values(1, "a@x", "unstamped"));
    db.versions.put(List.of(USERS.id(), key(1)), db.nextVersion++);

    assertThatThrownBy(() -> apply(tx(US, 2, 200, vv("us-east", 1), update(1, "name", "remote"))))
        .isInstanceOfSatisfying(
            ApplyRetryException.class,
            e -> assertThat(e.reason()).isEqualTo(ApplyRetryException.Reason.STAMP_PENDING));
    assertThat(row(1)).containsEntry("name", text("unstamped"));
  }

  @Test
  void whenTheAgentFolds_anUnfoldedLocalWriteFailsRetriablyNamingTheRow() throws SQLException {
    apply(tx(US, 1, 100, VersionVector.empty(), insert(1, "a@x", "Ann")));
    db.localWrite(
        USERS.id(), key(1), values(1, "a@x", "local"), stamp(EU, 1, 300, vv("us-east", 1)));
    agentFolds = true;

    assertThatThrownBy(() -> apply(tx(US, 2, 200, vv("us-east", 1), update(1, "name", "remote"))))
        .isInstanceOf(ApplyRetryException.class)
        .hasMessageContaining("row [Int4[value=1]] of public.users was written by a local")
        .hasMessageContaining("transaction us-east:2");
  }

  @Test
  void foldedLocalTransaction_isMergedAsItsOwnWrite() throws SQLException {
    db.localWrite(
        USERS.id(), key(5), values(5, "e@x", "Eve"), stamp(EU, 1, 100, VersionVector.empty()));
    SourceTransaction local = tx(EU, 1, 100, VersionVector.empty(), insert(5, "e@x", "Eve"));

    MemoryRowStore store = new MemoryRowStore(db, t -> LWW);
    ApplyEngine<MemoryRowStore.Row> engine = engine(store);
    boolean changed = engine.foldLocal(local, Write.of(local), false, row -> true);
    store.commit();

    assertThat(changed).isTrue();
    MemoryRowStore.Meta meta = db.meta.get(List.of(USERS.id(), key(5)));
    assertThat(meta.state().covers(Dot.of("eu-west", 1))).isTrue();
    assertThat(meta.synced()).as("the table row is synchronised").isNotNull();
    // A remote write concurrent with it is now a conflict decided against the folded write.
    apply(tx(US, 1, 50, VersionVector.empty(), insert(5, "e@x", "remote")));
    assertThat(row(5)).containsEntry("name", text("Eve"));
    assertThat(conflicts)
        .singleElement()
        .extracting(Conflict::type)
        .isEqualTo(ConflictType.INSERT_INSERT);
  }

  @Test
  void uniqueClash_theLaterWriterKeepsTheValueAndTheLoserIsSuppressed() throws SQLException {
    db.uniques.put(USERS.id(), Map.of("users_email_key", List.of("email")));
    apply(tx(US, 1, 100, VersionVector.empty(), insert(1, "same@x", "Ann")));

    apply(tx(AP, 1, 200, VersionVector.empty(), insert(2, "same@x", "Bob")));

    assertThat(db.table(USERS.id())).containsOnlyKeys(key(2));
    assertThat(db.meta.get(List.of(USERS.id(), key(1))).suppressed()).isTrue();
    assertThat(conflicts)
        .singleElement()
        .extracting(Conflict::type)
        .isEqualTo(ConflictType.UNIQUE_KEY_CLASH);
  }

  @Test
  void uniqueClash_anEarlierWriterLosesAndStaysOutOfTheTable() throws SQLException {
    db.uniques.put(USERS.id(), Map.of("users_email_key", List.of("email")));
    apply(tx(US, 1, 300, VersionVector.empty(), insert(1, "same@x", "Ann")));

    apply(tx(AP, 1, 200, VersionVector.empty(), insert(2, "same@x", "Bob")));

    assertThat(db.table(USERS.id())).containsOnlyKeys(key(1));
    assertThat(db.meta.get(List.of(USERS.id(), key(2))).suppressed()).isTrue();
  }

  @Test
  void keyChangingUpdate_movesTheRowWithItsOtherColumns() throws SQLException {
    apply(tx(US, 1, 100, VersionVector.empty(), insert(1, "a@x", "Ann")));

    apply(tx(US, 2, 200, vv("us-east", 1), update(1, "id", new Value.Int4(2))));

    assertThat(db.table(USERS.id())).containsOnlyKeys(key(2));
    assertThat(row(2)).containsEntry("email", text("a@x")).containsEntry("name", text("Ann"));
  }

  // ---- helpers ----

  @Test
  void restore_aRowChangedBehindGeorepsBack_showsItsStateAgainAndIsLoggedAsARepair()
      throws SQLException {
    apply(tx(US, 1, 100, VersionVector.empty(), insert(1, "a@x", "Ann")));
    // Written in a session the capture skipped: no stamp will ever come.
    db.table(USERS.id()).put(key(1), values(1, "a@x", "backdoor"));
    db.versions.put(List.of(USERS.id(), key(1)), db.nextVersion++);

    RowRestoring.Restored r = restore(1, row -> true);

    assertThat(r.outcome()).isEqualTo(RowRestoring.Restored.Outcome.RESTORED);
    assertThat(r.before().orElseThrow()).containsEntry("name", text("backdoor"));
    assertThat(row(1)).containsEntry("name", text("Ann"));
    assertThat(conflicts)
        .singleElement()
        .satisfies(
            c -> {
              assertThat(c.type()).isEqualTo(ConflictType.REPAIR);
              assertThat(c.columns()).containsExactly("name");
              assertThat(c.local().values()).containsEntry("name", text("backdoor"));
              assertThat(c.remote().values()).containsEntry("name", text("Ann"));
              assertThat(c.local().dot()).isEqualTo(Dot.of("us-east", 1));
              assertThat(c.remote().dot()).isEqualTo(Dot.of("eu-west", 900));
            });
    // Re-synchronised: a later remote write applies instead of waiting for a stamp.
    apply(tx(US, 2, 200, vv("us-east", 1), update(1, "name", "Bea")));
    assertThat(row(1)).containsEntry("name", text("Bea"));
  }

  @Test
  void restore_putsBackADeletedRowAndRemovesOneGeorepNeverKnew() throws SQLException {
    apply(tx(US, 1, 100, VersionVector.empty(), insert(1, "a@x", "Ann")));
    db.table(USERS.id()).remove(key(1));
    db.versions.remove(List.of(USERS.id(), key(1)));
    db.table(USERS.id()).put(key(2), values(2, "g@x", "ghost"));
    db.versions.put(List.of(USERS.id(), key(2)), db.nextVersion++);

    assertThat(restore(1, row -> true).outcome()).isEqualTo(RowRestoring.Restored.Outcome.RESTORED);
    assertThat(restore(2, row -> true).outcome()).isEqualTo(RowRestoring.Restored.Outcome.RESTORED);

    assertThat(row(1)).containsEntry("name", text("Ann"));
    assertThat(db.table(USERS.id())).doesNotContainKey(key(2));
    assertThat(conflicts)
        .as("both repairs are logged, the one of a row georep never knew under the repair's dot")
        .hasSize(2)
        .last()
        .satisfies(
            c -> {
              assertThat(c.local().dot()).isEqualTo(Dot.of("eu-west", 900));
              assertThat(c.local().values()).containsEntry("name", text("ghost"));
              assertThat(c.remote().kind()).isEqualTo(RowChange.Kind.DELETE);
            });
  }

  @Test
  void restore_leavesAlonePendingLocalWritesAndRowsThatShowTheirState() throws SQLException {
    apply(tx(US, 1, 100, VersionVector.empty(), insert(1, "a@x", "Ann")));
    apply(tx(US, 2, 100, VersionVector.empty(), insert(2, "b@x", "Bob")));
    db.localWrite(
        USERS.id(), key(2), values(2, "b@x", "local"), stamp(EU, 1, 300, vv("us-east", 2)));

    assertThat(restore(1, row -> true).outcome())
        .isEqualTo(RowRestoring.Restored.Outcome.CONSISTENT);
    assertThat(restore(2, row -> false).outcome())
        .as("the caller saw another version: a write made since is not discarded")
        .isEqualTo(RowRestoring.Restored.Outcome.CHANGED_SINCE);
    assertThat(row(2)).containsEntry("name", text("local"));
    assertThat(conflicts).isEmpty();
  }

  private RowRestoring.Restored restore(int id, ApplyEngine.Shows<MemoryRowStore.Row> unchanged)
      throws SQLException {
    MemoryRowStore store = new MemoryRowStore(db, x -> LWW);
    RowRestoring.Restored r =
        engine(store)
            .restore(
                USERS, key(id), unchanged, Dot.of("eu-west", 900), new HybridTimestamp(900, 0, EU));
    store.commit();
    return r;
  }

  private void apply(SourceTransaction t) throws SQLException {
    MemoryRowStore store = new MemoryRowStore(db, x -> LWW);
    engine(store).apply(t, Write.of(t), false);
    store.commit();
  }

  private ApplyEngine<MemoryRowStore.Row> engine(MemoryRowStore store) {
    ApplyEngine<MemoryRowStore.Row> engine =
        new ApplyEngine<>(store, t -> LWW, UniqueClashPolicy.lastWriterWins(), conflicts);
    engine.setAgentFolds(agentFolds);
    return engine;
  }

  private Map<String, Value> row(int id) {
    assertThat(db.table(USERS.id())).containsKey(key(id));
    return db.table(USERS.id()).get(key(id));
  }

  private static SourceTransaction tx(
      ReplicaId origin, long seq, long wall, VersionVector context, RowChange change) {
    return new SourceTransaction(
        origin, seq, new HybridTimestamp(wall, 0, origin), context, List.of(change));
  }

  private static LocalStamp stamp(ReplicaId region, long seq, long wall, VersionVector context) {
    return new LocalStamp(new Dot(region, seq), new HybridTimestamp(wall, 0, region), context);
  }

  private static VersionVector vv(String origin, long seq) {
    return VersionVector.empty().add(Dot.of(origin, seq));
  }

  private static RowKey key(int id) {
    return RowKey.of(new Value.Int4(id));
  }

  private static Value text(String s) {
    return new Value.Text(s);
  }

  private static Map<String, Value> values(int id, String email, String name) {
    Map<String, Value> v = new LinkedHashMap<>();
    v.put("id", new Value.Int4(id));
    v.put("email", text(email));
    v.put("name", text(name));
    return v;
  }

  private static RowChange insert(int id, String email, String name) {
    return new RowChange.Insert(USERS, values(id, email, name));
  }

  private static RowChange update(int id, String column, String value) {
    return update(id, column, text(value));
  }

  private static RowChange update(int id, String column, Value value) {
    return new RowChange.Update(USERS, key(id), Map.of(column, value));
  }
}
