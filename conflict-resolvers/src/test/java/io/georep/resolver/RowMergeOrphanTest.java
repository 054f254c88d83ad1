package io.georep.resolver;

import static io.georep.resolver.TestRows.KEY;
import static io.georep.resolver.TestRows.insert;
import static io.georep.resolver.TestRows.policy;
import static io.georep.resolver.TestRows.text;
import static io.georep.resolver.TestRows.ts;
import static io.georep.resolver.TestRows.update;
import static io.georep.resolver.TestRows.vv;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.georep.resolver.spi.ConflictResolver;
import io.georep.vectorclock.Dot;
import io.georep.vectorclock.HybridTimestamp;
import io.georep.vectorclock.VersionVector;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The cascade of a parent's concurrent delete to a child row ({@link RowMerge#orphan}). */
class RowMergeOrphanTest {
  /** The parent's insert and its delete, both from us-east. */
  private static final Dot PARENT_INSERT = Dot.of("us-east", 10);

  private static final Dot PARENT_DELETE = Dot.of("us-east", 11);
  private static final HybridTimestamp DELETED_AT = ts(3000, 0, PARENT_DELETE.origin());
  private static final VersionVector PARENT_HISTORY = vv(PARENT_INSERT, PARENT_DELETE);

  /** The child's insert and a later update from eu-west, neither seeing the delete. */
  private static final Dot CHILD_INSERT = Dot.of("eu-west", 10);

  private static final Dot CHILD_UPDATE = Dot.of("eu-west", 11);

  private static ConflictResolver resolver(String name) {
    return switch (name) {
      case "lww" -> Resolvers.lww();
      case "update-wins" -> Resolvers.updateWins();
      case "first-writer-wins" -> Resolvers.firstWriterWins();
      default -> Resolvers.deleteWins();
    };
  }

  private static RowState orphan(RowState s, TablePolicy policy) {
    MergeResult r = RowMerge.orphan(s, PARENT_DELETE, DELETED_AT, PARENT_HISTORY, policy, KEY);
    assertThat(r.row().exists()).isFalse();
    assertThat(r.conflicts()).isEmpty();
    return r.state();
  }

  private static RowState merge(RowState s, Write w, TablePolicy policy) {
    return RowMerge.merge(Optional.ofNullable(s), w, policy).state();
  }

  @ParameterizedTest
  @ValueSource(strings = {"lww", "update-wins", "first-writer-wins", "delete-wins"})
  void orphan_cascadedBeforeOrAfterLaterChildWrites_sameStateAndNoResurrection(String name) {
    TablePolicy policy = policy(resolver(name));
    Write insert = insert(CHILD_INSERT, 2000, vv(PARENT_INSERT), Map.of("v", text("a")));
    Write later =
        update(CHILD_UPDATE, 4000, vv(PARENT_INSERT, CHILD_INSERT), Map.of("v", text("b")));
    // The region that deleted the parent: each child write is cascaded as it arrives.
    RowState deleting = orphan(merge(null, insert, policy), policy);
    assertThat(RowMerge.merge(Optional.of(deleting), later, policy).row().exists())
        .as("an update concurrent with the delete alone would resurrect the child under " + name)
        .isEqualTo(!name.equals("delete-wins") && !name.equals("first-writer-wins"));
    deleting = orphan(merge(deleting, later, policy), policy);
    // The region that wrote the child: both writes first, then the parent's delete cascades.
    RowState writing = orphan(merge(merge(null, insert, policy), later, policy), policy);
    assertThat(deleting.toBytes()).isEqualTo(writing.toBytes());
    assertThat(RowMerge.visible(deleting, policy, KEY).exists()).isFalse();
    assertThat(deleting.covers(PARENT_DELETE)).isTrue();
    // Idempotent: cascading again changes nothing.
    assertThat(orphan(deleting, policy).toBytes()).isEqualTo(deleting.toBytes());
    // A write that has seen the cascade (a re-insert after the parent came back) dominates it.
    Write reinsert =
        insert(Dot.of("eu-west", 12), 6000, deleting.history(), Map.of("v", text("c")));
    MergeResult back = RowMerge.merge(Optional.of(deleting), reinsert, policy);
    assertThat(back.row().exists()).isTrue();
    assertThat(back.conflicts()).isEmpty();
  }

  @ParameterizedTest
  @ValueSource(strings = {"lww"})
  void orphan_historyWithoutTheDelete_isRejected(String name) {
    TablePolicy policy = policy(resolver(name));
    RowState s = merge(null, insert(CHILD_INSERT, 2000, vv(), Map.of("v", text("a"))), policy);
    assertThatThrownBy(
            () -> RowMerge.orphan(s, PARENT_DELETE, DELETED_AT, vv(PARENT_INSERT), policy, KEY))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("does not cover its delete");
  }
}
