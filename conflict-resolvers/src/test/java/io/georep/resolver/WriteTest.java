package io.georep.resolver;

import static io.georep.resolver.TestRows.ITEMS;
import static io.georep.resolver.TestRows.KEY;
import static io.georep.resolver.TestRows.text;
import static io.georep.resolver.TestRows.texts;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.georep.connector.RowChange;
import io.georep.connector.RowKey;
import io.georep.connector.SourceTransaction;
import io.georep.connector.Value;
import io.georep.vectorclock.Dot;
import io.georep.vectorclock.HybridTimestamp;
import io.georep.vectorclock.VersionVector;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class WriteTest {
  private static final HybridTimestamp TS = new HybridTimestamp(5, 0, TestRows.EU);

  private static SourceTransaction tx(RowChange... changes) {
    return new SourceTransaction(TestRows.EU, 7, TS, VersionVector.empty(), List.of(changes));
  }

  private static Map<String, Value> row(Object... pairs) {
    Map<String, Value> m = new LinkedHashMap<>();
    for (int i = 0; i < pairs.length; i += 2) {
      m.put((String) pairs[i], (Value) pairs[i + 1]);
    }
    return m;
  }

  @Test
  void of_insertThenUpdatesInOneTransaction_composesIntoOneInsert() {
    List<Write> writes =
        Write.of(
            tx(
                new RowChange.Insert(
                    ITEMS,
                    row(
                        "id",
                        new Value.Int4(1),
                        "v",
                        text("a"),
                        "hits",
                        new Value.Int8(2),
                        "tags",
                        texts("x"))),
                new RowChange.Update(
                    ITEMS,
                    KEY,
                    row(
                        "v",
                        text("b"),
                        "hits",
                        Value.CounterDelta.of(3),
                        "tags",
                        new Value.SetDelta(List.of(text("y")), List.of(text("x")))))));
    assertThat(writes).hasSize(1);
    Write w = writes.get(0);
    assertThat(w.kind()).isEqualTo(RowChange.Kind.INSERT);
    assertThat(w.dot()).isEqualTo(Dot.of("eu-west", 7));
    assertThat(w.columns())
        .isEqualTo(row("v", text("b"), "hits", new Value.Int8(5), "tags", texts("y")));
  }

  @Test
  void of_insertThenDelete_leavesNothing() {
    assertThat(
            Write.of(
                tx(
                    new RowChange.Insert(ITEMS, row("id", new Value.Int4(1))),
                    new RowChange.Delete(ITEMS, KEY))))
        .isEmpty();
  }

  @Test
  void of_updatesThenDelete_isDelete() {
    List<Write> writes =
        Write.of(
            tx(
                new RowChange.Update(ITEMS, KEY, row("hits", Value.CounterDelta.of(1))),
                new RowChange.Update(ITEMS, KEY, row("hits", Value.CounterDelta.of(2))),
                new RowChange.Delete(ITEMS, KEY)));
    assertThat(writes).singleElement().extracting(Write::kind).isEqualTo(RowChange.Kind.DELETE);
  }

  @Test
  void of_twoUpdates_sumDeltasAndComposeSetDeltas() {
    List<Write> writes =
        Write.of(
            tx(
                new RowChange.Update(
                    ITEMS,
                    KEY,
                    row(
                        "hits",
                        Value.CounterDelta.of(1),
                        "tags",
                        new Value.SetDelta(List.of(text("x")), List.of()))),
                new RowChange.Update(
                    ITEMS,
                    KEY,
                    row(
                        "hits",
                        Value.CounterDelta.of(2),
                        "tags",
                        new Value.SetDelta(List.of(text("y")), List.of(text("x")))))));
    assertThat(writes.get(0).columns())
        .isEqualTo(
            row(
                "hits",
                Value.CounterDelta.of(3),
                "tags",
                new Value.SetDelta(List.of(text("y")), List.of(text("x")))));
  }

  @Test
  void of_keyChangingUpdate_isDeleteOfOldKeyAndInsertOfNew() {
    RowKey newKey = RowKey.of(new Value.Int4(2));
    List<Write> writes =
        Write.of(
            tx(new RowChange.Update(ITEMS, KEY, row("id", new Value.Int4(2), "v", text("a")))));
    assertThat(writes)
        .extracting(Write::kind)
        .containsExactly(RowChange.Kind.DELETE, RowChange.Kind.INSERT);
    assertThat(writes.get(0).key()).isEqualTo(KEY);
    assertThat(writes.get(1).key()).isEqualTo(newKey);
    assertThat(writes.get(1).columns()).isEqualTo(row("v", text("a")));
  }

  @Test
  void new_contextCoveringOwnDot_rejected() {
    assertThatThrownBy(
            () ->
                new Write(
                    ITEMS,
                    KEY,
                    RowChange.Kind.DELETE,
                    Map.of(),
                    Dot.of("eu-west", 3),
                    TS,
                    TestRows.vv(Dot.of("eu-west", 3))))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("covers the write itself");
  }

  @Test
  void diff_localChanges_becomeDeltasAndValues() {
    TablePolicy policy = TestRows.policy(Resolvers.lww());
    VisibleRow visible =
        new VisibleRow(
            true,
            row(
                "id",
                new Value.Int4(1),
                "v",
                text("a"),
                "hits",
                new Value.Int8(10),
                "tags",
                texts("x", "y"),
                "labels",
                texts("p")));
    Optional<Write> w =
        Write.diff(
            policy,
            KEY,
            visible,
            Optional.of(
                row(
                    "v",
                    text("b"),
                    "hits",
                    new Value.Int8(7),
                    "tags",
                    texts("y", "z"),
                    "labels",
                    texts("q"))),
            Dot.of("eu-west", 9),
            TS,
            VersionVector.empty());
    assertThat(w).isPresent();
    assertThat(w.get().kind()).isEqualTo(RowChange.Kind.UPDATE);
    assertThat(w.get().columns())
        .isEqualTo(
            row(
                "v",
                text("b"),
                "hits",
                Value.CounterDelta.of(-3),
                "tags",
                new Value.SetDelta(List.of(text("z")), List.of(text("x"))),
                "labels",
                new Value.SetDelta(List.of(text("q")), List.of())));
    // Folding the local write reproduces the database's values (except the g-set removal).
    RowState s =
        RowMerge.merge(
                Optional.empty(),
                new Write(
                    ITEMS,
                    KEY,
                    RowChange.Kind.INSERT,
                    row(
                        "v",
                        text("a"),
                        "hits",
                        new Value.Int8(10),
                        "tags",
                        texts("x", "y"),
                        "labels",
                        texts("p")),
                    Dot.of("ap-south", 1),
                    new HybridTimestamp(1, 0, TestRows.AP),
                    VersionVector.empty()),
                policy)
            .state();
    Write local =
        Write.diff(
                policy,
                KEY,
                RowMerge.visible(s, policy, KEY),
                Optional.of(
                    row(
                        "v",
                        text("b"),
                        "hits",
                        new Value.Int8(7),
                        "tags",
                        texts("y", "z"),
                        "labels",
                        texts("p"))),
                Dot.of("eu-west", 1),
                TS,
                s.history())
            .orElseThrow();
    Map<String, Value> after = RowMerge.merge(Optional.of(s), local, policy).row().values();
    assertThat(after)
        .containsEntry("v", text("b"))
        .containsEntry("hits", new Value.Int8(7))
        .containsEntry("tags", texts("y", "z"));
  }

  @Test
  void diff_rowGoneOrNew_deleteOrInsert() {
    TablePolicy policy = TestRows.policy(Resolvers.lww());
    VisibleRow visible = new VisibleRow(true, row("id", new Value.Int4(1)));
    assertThat(
            Write.diff(
                policy,
                KEY,
                visible,
                Optional.empty(),
                Dot.of("eu-west", 1),
                TS,
                VersionVector.empty()))
        .get()
        .extracting(Write::kind)
        .isEqualTo(RowChange.Kind.DELETE);
    assertThat(
            Write.diff(
                policy,
                KEY,
                VisibleRow.ABSENT,
                Optional.of(row("v", text("n"))),
                Dot.of("eu-west", 1),
                TS,
                VersionVector.empty()))
        .get()
        .extracting(Write::kind)
        .isEqualTo(RowChange.Kind.INSERT);
    assertThat(
            Write.diff(
                policy,
                KEY,
                VisibleRow.ABSENT,
                Optional.empty(),
                Dot.of("eu-west", 1),
                TS,
                VersionVector.empty()))
        .isEmpty();
  }
}
