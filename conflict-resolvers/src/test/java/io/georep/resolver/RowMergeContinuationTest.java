package io.georep.resolver;

import static io.georep.resolver.TestRows.delete;
import static io.georep.resolver.TestRows.insert;
import static io.georep.resolver.TestRows.text;
import static io.georep.resolver.TestRows.texts;
import static io.georep.resolver.TestRows.update;
import static io.georep.resolver.TestRows.vv;
import static org.assertj.core.api.Assertions.assertThat;

import io.georep.connector.Value;
import io.georep.vectorclock.Dot;
import java.math.BigDecimal;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * A transaction merged in parts: a row's second write with the transaction's dot is a continuation
 * when the caller says so ({@link RowMerge#merge(Optional, Write, TablePolicy, boolean)}), a
 * duplicate otherwise; a continuation replaces the earlier part's register values and existence,
 * adds its counter deltas, applies set changes on top, keeps one stamp per dot (the state encodes),
 * and converges with a concurrent write in either arrival order.
 */
class RowMergeContinuationTest {
  private static final TablePolicy POLICY = TestRows.policy(Resolvers.lww());
  private static final Dot D = Dot.of("eu-west", 5);
  private static final Dot E = Dot.of("us-east", 3);

  private static Value.CounterDelta delta(long d) {
    return new Value.CounterDelta(BigDecimal.valueOf(d));
  }

  private static RowState merge(RowState state, Write w, boolean continued) {
    MergeResult r = RowMerge.merge(Optional.ofNullable(state), w, POLICY, continued);
    return r.state();
  }

  /**
   * The state after merging writes in order; each write of dot {@code D} after the first goes on.
   */
  private static RowState mergeAll(List<Write> writes) {
    RowState state = null;
    boolean seenD = false;
    for (Write w : writes) {
      boolean continued = seenD && w.dot().equals(D);
      state = merge(state, w, continued);
      seenD |= w.dot().equals(D);
    }
    // The state must encode and decode to itself: one stamp per dot.
    assertThat(RowState.fromBytes(state.toBytes())).isEqualTo(state);
    return state;
  }

  private static Map<String, Value> visible(RowState state) {
    return RowMerge.visible(state, POLICY, TestRows.KEY).values();
  }

  private final Write first =
      insert(
          D,
          10,
          vv(),
          Map.of("v", text("a"), "w", text("x"), "hits", new Value.Int8(5), "tags", texts("p")));
  private final Write second =
      update(
          D,
          10,
          vv(),
          Map.of(
              "v",
              text("b"),
              "hits",
              delta(3),
              "tags",
              new Value.SetDelta(List.of(text("q")), List.of(text("p")))));

  @Test
  void continuation_replacesRegistersAddsCountersAndChangesSets() {
    RowState state = mergeAll(List.of(first, second));

    Map<String, Value> row = visible(state);
    assertThat(row.get("v")).isEqualTo(text("b"));
    assertThat(row.get("w")).isEqualTo(text("x"));
    assertThat(row.get("hits")).isEqualTo(new Value.Int8(8));
    assertThat(row.get("tags")).isEqualTo(texts("q"));
    assertThat(state.existence()).hasSize(1);
  }

  @Test
  void notContinued_aCoveredDotIsADuplicate() {
    RowState once = merge(null, first, false);
    MergeResult again = RowMerge.merge(Optional.of(once), second, POLICY, false);

    assertThat(again.applied()).isFalse();
    assertThat(again.state()).isEqualTo(once);
  }

  @Test
  void continuedDelete_hidesTheRowAndDropsItsOwnRegisterValues() {
    RowState state = mergeAll(List.of(first, delete(D, 10, vv())));

    assertThat(RowMerge.visible(state, POLICY, TestRows.KEY).exists()).isFalse();
    // Inserted again in a later part: the counter survives the delete (docs/conflicts.md).
    RowState again =
        mergeAll(
            List.of(
                first,
                delete(D, 10, vv()),
                insert(D, 10, vv(), Map.of("v", text("c"), "hits", new Value.Int8(7)))));
    assertThat(visible(again).get("v")).isEqualTo(text("c"));
    assertThat(visible(again).get("hits")).isEqualTo(new Value.Int8(12));
  }

  @Test
  void concurrentWrite_convergesInEitherArrivalOrder() {
    Write concurrent =
        update(
            E,
            20,
            vv(),
            Map.of(
                "w",
                text("y"),
                "hits",
                delta(100),
                "tags",
                new Value.SetDelta(List.of(text("r")), List.of())));

    RowState before = mergeAll(List.of(concurrent, first, second));
    RowState after = mergeAll(List.of(first, second, concurrent));

    assertThat(before.toBytes()).isEqualTo(after.toBytes());
    assertThat(visible(before).get("hits")).isEqualTo(new Value.Int8(108));
    assertThat(visible(before).get("tags")).isEqualTo(texts("q", "r"));
  }
}
