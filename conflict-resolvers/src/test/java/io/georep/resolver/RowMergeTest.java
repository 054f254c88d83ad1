package io.georep.resolver;

import static io.georep.resolver.TestRows.EU;
import static io.georep.resolver.TestRows.KEY;
import static io.georep.resolver.TestRows.US;
import static io.georep.resolver.TestRows.delete;
import static io.georep.resolver.TestRows.insert;
import static io.georep.resolver.TestRows.policy;
import static io.georep.resolver.TestRows.text;
import static io.georep.resolver.TestRows.texts;
import static io.georep.resolver.TestRows.ts;
import static io.georep.resolver.TestRows.update;
import static io.georep.resolver.TestRows.vv;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.georep.connector.RowChange;
import io.georep.connector.Value;
import io.georep.resolver.spi.ConflictResolver;
import io.georep.vectorclock.Dot;
import io.georep.vectorclock.VersionVector;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class RowMergeTest {
  private static final Dot BASE = Dot.of("ap-south", 1);
  private static final Dot LOCAL = Dot.of("eu-west", 1);
  private static final Dot REMOTE = Dot.of("us-east", 1);

  /** The conflict scenarios: local (eu-west, wall 10) stored first, then remote (us-east, 20). */
  enum Scenario {
    INSERT_INSERT,
    UPDATE_UPDATE_SAME_COLUMNS,
    UPDATE_UPDATE_DIFFERENT_COLUMNS,
    UPDATE_DELETE,
    DELETE_UPDATE,
    DELETE_DELETE
  }

  /**
   * Expected outcome per resolver and conflict type. The remote write is later (wall 20 vs 10);
   * region-priority ranks eu-west (local) above us-east (remote). "gone" means the row does not
   * exist afterwards; otherwise {@code v} is the expected value of column v.
   */
  static Stream<Arguments> table() {
    return Stream.of(
        // resolver, scenario, winner, exists, v
        row("lww", Scenario.INSERT_INSERT, Conflict.Winner.REMOTE, "R"),
        row("lww", Scenario.UPDATE_UPDATE_SAME_COLUMNS, Conflict.Winner.REMOTE, "R"),
        row("lww", Scenario.UPDATE_UPDATE_DIFFERENT_COLUMNS, Conflict.Winner.MERGED, "L"),
        row("lww", Scenario.UPDATE_DELETE, Conflict.Winner.REMOTE, "base"),
        row("lww", Scenario.DELETE_UPDATE, Conflict.Winner.REMOTE, null),
        row("lww", Scenario.DELETE_DELETE, Conflict.Winner.REMOTE, null),
        row("first-writer-wins", Scenario.INSERT_INSERT, Conflict.Winner.LOCAL, "L"),
        row("first-writer-wins", Scenario.UPDATE_UPDATE_SAME_COLUMNS, Conflict.Winner.LOCAL, "L"),
        row(
            "first-writer-wins",
            Scenario.UPDATE_UPDATE_DIFFERENT_COLUMNS,
            Conflict.Winner.MERGED,
            "L"),
        row("first-writer-wins", Scenario.UPDATE_DELETE, Conflict.Winner.LOCAL, null),
        row("first-writer-wins", Scenario.DELETE_UPDATE, Conflict.Winner.LOCAL, "L"),
        row("first-writer-wins", Scenario.DELETE_DELETE, Conflict.Winner.LOCAL, null),
        row("region-priority", Scenario.INSERT_INSERT, Conflict.Winner.LOCAL, "L"),
        row("region-priority", Scenario.UPDATE_UPDATE_SAME_COLUMNS, Conflict.Winner.LOCAL, "L"),
        row(
            "region-priority",
            Scenario.UPDATE_UPDATE_DIFFERENT_COLUMNS,
            Conflict.Winner.MERGED,
            "L"),
        row("region-priority", Scenario.UPDATE_DELETE, Conflict.Winner.LOCAL, null),
        row("region-priority", Scenario.DELETE_UPDATE, Conflict.Winner.LOCAL, "L"),
        row("region-priority", Scenario.DELETE_DELETE, Conflict.Winner.LOCAL, null),
        row("delete-wins", Scenario.INSERT_INSERT, Conflict.Winner.REMOTE, "R"),
        row("delete-wins", Scenario.UPDATE_UPDATE_SAME_COLUMNS, Conflict.Winner.REMOTE, "R"),
        row("delete-wins", Scenario.UPDATE_UPDATE_DIFFERENT_COLUMNS, Conflict.Winner.MERGED, "L"),
        row("delete-wins", Scenario.UPDATE_DELETE, Conflict.Winner.LOCAL, null),
        row("delete-wins", Scenario.DELETE_UPDATE, Conflict.Winner.REMOTE, null),
        row("delete-wins", Scenario.DELETE_DELETE, Conflict.Winner.REMOTE, null),
        row("update-wins", Scenario.INSERT_INSERT, Conflict.Winner.REMOTE, "R"),
        row("update-wins", Scenario.UPDATE_UPDATE_SAME_COLUMNS, Conflict.Winner.REMOTE, "R"),
        row("update-wins", Scenario.UPDATE_UPDATE_DIFFERENT_COLUMNS, Conflict.Winner.MERGED, "L"),
        row("update-wins", Scenario.UPDATE_DELETE, Conflict.Winner.REMOTE, "base"),
        row("update-wins", Scenario.DELETE_UPDATE, Conflict.Winner.LOCAL, "L"),
        row("update-wins", Scenario.DELETE_DELETE, Conflict.Winner.REMOTE, null),
        row("keep-both", Scenario.INSERT_INSERT, Conflict.Winner.REMOTE, "R"),
        row("keep-both", Scenario.UPDATE_UPDATE_SAME_COLUMNS, Conflict.Winner.REMOTE, "R"),
        row("keep-both", Scenario.UPDATE_UPDATE_DIFFERENT_COLUMNS, Conflict.Winner.MERGED, "L"),
        row("keep-both", Scenario.UPDATE_DELETE, Conflict.Winner.REMOTE, "base"),
        row("keep-both", Scenario.DELETE_UPDATE, Conflict.Winner.REMOTE, null),
        row("keep-both", Scenario.DELETE_DELETE, Conflict.Winner.REMOTE, null));
  }

  private static Arguments row(
      String resolver, Scenario scenario, Conflict.Winner winner, String expectedV) {
    return Arguments.of(resolver, scenario, winner, expectedV);
  }

  private static ConflictResolver resolver(String name) {
    return switch (name) {
      case "lww" -> Resolvers.lww();
      case "first-writer-wins" -> Resolvers.firstWriterWins();
      case "region-priority" -> Resolvers.regionPriority(List.of(EU, US));
      case "delete-wins" -> Resolvers.deleteWins();
      case "update-wins" -> Resolvers.updateWins();
      case "keep-both" -> Resolvers.keepBoth();
      default -> throw new IllegalArgumentException(name);
    };
  }

  @ParameterizedTest(name = "{0} {1}: winner {2}, v={3}")
  @MethodSource("table")
  void merge_conflictPerResolver_expectedWinner(
      String resolverName, Scenario scenario, Conflict.Winner winner, String expectedV) {
    TablePolicy policy = policy(resolver(resolverName));
    Optional<RowState> base = Optional.empty();
    VersionVector ctx = VersionVector.empty();
    if (scenario != Scenario.INSERT_INSERT) {
      Write b = insert(BASE, 1, ctx, Map.of("v", text("base"), "w", text("base")));
      base = Optional.of(RowMerge.merge(base, b, policy).state());
      ctx = vv(BASE);
    }
    Write local;
    Write remote;
    switch (scenario) {
      case INSERT_INSERT -> {
        local = insert(LOCAL, 10, ctx, Map.of("v", text("L")));
        remote = insert(REMOTE, 20, ctx, Map.of("v", text("R")));
      }
      case UPDATE_UPDATE_SAME_COLUMNS -> {
        local = update(LOCAL, 10, ctx, Map.of("v", text("L")));
        remote = update(REMOTE, 20, ctx, Map.of("v", text("R")));
      }
      case UPDATE_UPDATE_DIFFERENT_COLUMNS -> {
        local = update(LOCAL, 10, ctx, Map.of("v", text("L")));
        remote = update(REMOTE, 20, ctx, Map.of("w", text("R")));
      }
      case UPDATE_DELETE -> {
        local = delete(LOCAL, 10, ctx);
        remote = update(REMOTE, 20, ctx, Map.of("w", text("R")));
      }
      case DELETE_UPDATE -> {
        local = update(LOCAL, 10, ctx, Map.of("v", text("L")));
        remote = delete(REMOTE, 20, ctx);
      }
      case DELETE_DELETE -> {
        local = delete(LOCAL, 10, ctx);
        remote = delete(REMOTE, 20, ctx);
      }
      default -> throw new AssertionError(scenario);
    }
    RowState stored = RowMerge.merge(base, local, policy).state();
    MergeResult result = RowMerge.merge(Optional.of(stored), remote, policy);

    assertThat(result.conflicts()).hasSize(1);
    Conflict c = result.conflicts().get(0);
    assertThat(c.type().name()).isEqualTo(scenario.name());
    assertThat(c.winner()).isEqualTo(winner);
    assertThat(c.local().dot()).isEqualTo(LOCAL);
    assertThat(c.remote().dot()).isEqualTo(REMOTE);
    assertThat(c.id()).isEqualTo("eu-west:1~us-east:1");
    assertThat(c.resolver()).isEqualTo(resolverName);
    if (expectedV == null) {
      assertThat(result.row().exists()).isFalse();
    } else {
      assertThat(result.row().exists()).isTrue();
      assertThat(result.row().values()).containsEntry("v", text(expectedV));
    }
    if (scenario == Scenario.UPDATE_UPDATE_DIFFERENT_COLUMNS) {
      assertThat(result.row().values()).containsEntry("w", text("R"));
    }
    boolean keeps = resolverName.equals("keep-both") && winner != Conflict.Winner.MERGED;
    assertThat(c.keptLoser()).isEqualTo(keeps ? Optional.of(c.local()) : Optional.empty());

    // The other arrival order ends in the same state and row.
    RowState other = RowMerge.merge(base, remote, policy).state();
    MergeResult reversed = RowMerge.merge(Optional.of(other), local, policy);
    assertThat(reversed.state().toBytes()).isEqualTo(result.state().toBytes());
    assertThat(reversed.row()).isEqualTo(result.row());
    assertThat(reversed.conflicts()).hasSize(1);
  }

  @Test
  void merge_concurrentInsertsLww_laterHlcWins() {
    TablePolicy policy = policy(Resolvers.lww());
    RowState s = merged(policy, insert(LOCAL, 30, vv(), Map.of("v", text("eu"))));
    MergeResult r =
        RowMerge.merge(Optional.of(s), insert(REMOTE, 20, vv(), Map.of("v", text("us"))), policy);
    assertThat(r.conflicts().get(0).type()).isEqualTo(ConflictType.INSERT_INSERT);
    assertThat(r.conflicts().get(0).winner()).isEqualTo(Conflict.Winner.LOCAL);
    assertThat(r.row().values()).containsEntry("v", text("eu"));
  }

  @Test
  void merge_equalWallTimeLww_logicalCounterDecides() {
    TablePolicy policy = policy(Resolvers.lww());
    Write eu =
        TestRows.write(RowChange.Kind.INSERT, LOCAL, ts(50, 3, EU), vv(), Map.of("v", text("eu")));
    Write us =
        TestRows.write(RowChange.Kind.INSERT, REMOTE, ts(50, 2, US), vv(), Map.of("v", text("us")));
    MergeResult r = RowMerge.merge(Optional.of(merged(policy, eu)), us, policy);
    assertThat(r.row().values()).containsEntry("v", text("eu"));
    assertThat(r.conflicts().get(0).winner()).isEqualTo(Conflict.Winner.LOCAL);
  }

  @Test
  void merge_equalWallTimeAndLogicalLww_originIdDecides() {
    TablePolicy policy = policy(Resolvers.lww());
    Write eu =
        TestRows.write(RowChange.Kind.INSERT, LOCAL, ts(50, 2, EU), vv(), Map.of("v", text("eu")));
    Write us =
        TestRows.write(RowChange.Kind.INSERT, REMOTE, ts(50, 2, US), vv(), Map.of("v", text("us")));
    // "us-east" > "eu-west": us-east wins the tie in either order.
    assertThat(RowMerge.merge(Optional.of(merged(policy, eu)), us, policy).row().values())
        .containsEntry("v", text("us"));
    assertThat(RowMerge.merge(Optional.of(merged(policy, us)), eu, policy).row().values())
        .containsEntry("v", text("us"));
  }

  @Test
  void merge_equalTimestampsFirstWriterWins_lowerOriginIdStays() {
    TablePolicy policy = policy(Resolvers.firstWriterWins());
    Write eu =
        TestRows.write(RowChange.Kind.INSERT, LOCAL, ts(50, 2, EU), vv(), Map.of("v", text("eu")));
    Write us =
        TestRows.write(RowChange.Kind.INSERT, REMOTE, ts(50, 2, US), vv(), Map.of("v", text("us")));
    assertThat(RowMerge.merge(Optional.of(merged(policy, us)), eu, policy).row().values())
        .containsEntry("v", text("eu"));
  }

  @Test
  void merge_updateDeleteDeleteWins_rowGone() {
    TablePolicy policy = policy(Resolvers.deleteWins());
    RowState s = merged(policy, insert(BASE, 1, vv(), Map.of("v", text("x"))));
    s =
        RowMerge.merge(Optional.of(s), update(LOCAL, 50, vv(BASE), Map.of("v", text("y"))), policy)
            .state();
    MergeResult r = RowMerge.merge(Optional.of(s), delete(REMOTE, 10, vv(BASE)), policy);
    assertThat(r.row().exists()).isFalse();
    assertThat(r.conflicts().get(0).type()).isEqualTo(ConflictType.DELETE_UPDATE);
    assertThat(r.conflicts().get(0).winner()).isEqualTo(Conflict.Winner.REMOTE);
  }

  @Test
  void merge_firstWriterWinsAnyArrivalOrder_sameWinner() {
    // The lead's counter-example to pick-and-discard: a ∥ b, c dominates a only.
    TablePolicy policy = policy(Resolvers.firstWriterWins());
    Write a = insert(Dot.of("ap-south", 1), 10, vv(), Map.of("v", text("a")));
    Write b = insert(Dot.of("us-east", 1), 20, vv(), Map.of("v", text("b")));
    Write c = update(Dot.of("eu-west", 1), 30, vv(a.dot()), Map.of("v", text("c")));
    RowState abc = mergeAll(policy, a, b, c);
    RowState acb = mergeAll(policy, a, c, b);
    RowState bac = mergeAll(policy, b, a, c);
    assertThat(abc.toBytes()).isEqualTo(acb.toBytes()).isEqualTo(bac.toBytes());
    // b (wall 20) and c (wall 30) are concurrent; the first writer among them, b, wins.
    assertThat(RowMerge.visible(abc, policy, KEY).values()).containsEntry("v", text("b"));
  }

  @Test
  void merge_dominatingWrite_replacesWithoutConflict() {
    TablePolicy policy = policy(Resolvers.firstWriterWins());
    RowState s = merged(policy, insert(LOCAL, 10, vv(), Map.of("v", text("old"))));
    MergeResult r =
        RowMerge.merge(
            Optional.of(s), update(REMOTE, 5, vv(LOCAL), Map.of("v", text("new"))), policy);
    assertThat(r.conflicts()).isEmpty();
    assertThat(r.row().values()).containsEntry("v", text("new"));
    assertThat(r.state().frontier()).containsExactly(REMOTE);
  }

  @Test
  void merge_duplicateOrStale_skipped() {
    TablePolicy policy = policy(Resolvers.lww());
    Write w = insert(LOCAL, 10, vv(), Map.of("v", text("x")));
    RowState s = merged(policy, w);
    MergeResult again = RowMerge.merge(Optional.of(s), w, policy);
    assertThat(again.applied()).isFalse();
    assertThat(again.state()).isSameAs(s);
    assertThat(again.conflicts()).isEmpty();
  }

  @Test
  void merge_concurrentCounterDeltas_addUp() {
    TablePolicy policy = policy(Resolvers.lww());
    RowState s = merged(policy, insert(BASE, 1, vv(), Map.of("hits", new Value.Int8(10))));
    s = merge(s, update(LOCAL, 5, vv(BASE), Map.of("hits", Value.CounterDelta.of(3))), policy);
    MergeResult r =
        RowMerge.merge(
            Optional.of(s),
            update(REMOTE, 6, vv(BASE), Map.of("hits", Value.CounterDelta.of(-4))),
            policy);
    assertThat(r.row().values()).containsEntry("hits", new Value.Int8(9));
    assertThat(r.conflicts().get(0).type()).isEqualTo(ConflictType.UPDATE_UPDATE_DIFFERENT_COLUMNS);
    assertThat(r.conflicts().get(0).winner()).isEqualTo(Conflict.Winner.MERGED);
  }

  @Test
  void merge_counterAfterDeleteAndReinsert_continuesSum() {
    TablePolicy policy = policy(Resolvers.lww());
    RowState s = merged(policy, insert(BASE, 1, vv(), Map.of("hits", new Value.Int8(10))));
    s = merge(s, delete(LOCAL, 2, vv(BASE)), policy);
    s = merge(s, insert(REMOTE, 3, vv(BASE, LOCAL), Map.of("hits", new Value.Int8(1))), policy);
    assertThat(RowMerge.visible(s, policy, KEY).values()).containsEntry("hits", new Value.Int8(11));
  }

  @Test
  void merge_counterPlainValueInUpdate_failsNamingColumn() {
    TablePolicy policy = policy(Resolvers.lww());
    RowState s = merged(policy, insert(BASE, 1, vv(), Map.of("hits", new Value.Int8(10))));
    Write bad = update(LOCAL, 2, vv(BASE), Map.of("hits", new Value.Int8(12)));
    assertThatThrownBy(() -> RowMerge.merge(Optional.of(s), bad, policy))
        .isInstanceOf(ConflictResolutionException.class)
        .hasMessageContaining("column 'hits'")
        .hasMessageContaining("must ship deltas");
  }

  @Test
  void merge_maxAndMin_keepExtremesOfAllWrites() {
    TablePolicy policy = policy(Resolvers.lww());
    RowState s =
        merged(policy, insert(BASE, 1, vv(), Map.of("best", new Value.Int4(5), "low", Value.NULL)));
    s =
        merge(
            s,
            update(LOCAL, 2, vv(BASE), Map.of("best", new Value.Int4(3), "low", new Value.Int4(7))),
            policy);
    s =
        merge(
            s,
            update(
                REMOTE, 3, vv(BASE), Map.of("best", new Value.Int4(9), "low", new Value.Int4(8))),
            policy);
    Map<String, Value> row = RowMerge.visible(s, policy, KEY).values();
    assertThat(row)
        .containsEntry("best", new Value.Int4(9))
        .containsEntry("low", new Value.Int4(7));
  }

  @Test
  void merge_orSetConcurrentAddAndRemove_addWins() {
    TablePolicy policy = policy(Resolvers.lww());
    RowState s = merged(policy, insert(BASE, 1, vv(), Map.of("tags", texts("x", "y"))));
    Write removeX =
        update(
            LOCAL, 2, vv(BASE), Map.of("tags", new Value.SetDelta(List.of(), List.of(text("x")))));
    Write readdX =
        update(
            REMOTE,
            3,
            vv(BASE),
            Map.of("tags", new Value.SetDelta(List.of(text("x"), text("z")), List.of(text("y")))));
    RowState one = merge(merge(s, removeX, policy), readdX, policy);
    RowState two = merge(merge(s, readdX, policy), removeX, policy);
    assertThat(one.toBytes()).isEqualTo(two.toBytes());
    assertThat(RowMerge.visible(one, policy, KEY).values()).containsEntry("tags", texts("x", "z"));
  }

  @Test
  void merge_orSetRowDelete_removesObservedElementsOnly() {
    TablePolicy policy = policy(Resolvers.updateWins());
    RowState s =
        merged(policy, insert(BASE, 1, vv(), Map.of("tags", texts("x"), "v", text("keep"))));
    Write del = delete(LOCAL, 2, vv(BASE));
    Write add =
        update(
            REMOTE, 3, vv(BASE), Map.of("tags", new Value.SetDelta(List.of(text("y")), List.of())));
    RowState r = merge(merge(s, del, policy), add, policy);
    Map<String, Value> row = RowMerge.visible(r, policy, KEY).values();
    assertThat(row).containsEntry("tags", texts("y")).containsEntry("v", text("keep"));
  }

  @Test
  void merge_gSet_unionOfAddsIgnoresRemovals() {
    TablePolicy policy = policy(Resolvers.lww());
    RowState s = merged(policy, insert(BASE, 1, vv(), Map.of("labels", texts("b", "a"))));
    s =
        merge(
            s,
            update(
                LOCAL,
                2,
                vv(BASE),
                Map.of("labels", new Value.SetDelta(List.of(text("c")), List.of(text("a"))))),
            policy);
    assertThat(RowMerge.visible(s, policy, KEY).values())
        .containsEntry("labels", texts("a", "b", "c"));
  }

  @Test
  void merge_gCounter_concurrentIncreasesAddUp_decreasesAreIgnored() {
    TablePolicy policy = policy(Resolvers.lww());
    RowState s = merged(policy, insert(BASE, 1, vv(), Map.of("grows", new Value.Int8(10))));
    Write up = update(LOCAL, 2, vv(BASE), Map.of("grows", Value.CounterDelta.of(3)));
    Write down = update(REMOTE, 3, vv(BASE), Map.of("grows", Value.CounterDelta.of(-4)));
    Write up2 =
        update(
            Dot.of("us-east", 2), 4, vv(BASE, REMOTE), Map.of("grows", Value.CounterDelta.of(2)));
    RowState one = merge(merge(merge(s, up, policy), down, policy), up2, policy);
    RowState two = merge(merge(merge(s, down, policy), up2, policy), up, policy);
    assertThat(one.toBytes()).isEqualTo(two.toBytes());
    assertThat(RowMerge.visible(one, policy, KEY).values())
        .containsEntry("grows", new Value.Int8(15));
    assertThat(RowState.fromBytes(one.toBytes())).isEqualTo(one);
  }

  @Test
  void merge_gCounter_survivesDeleteAndNullInsertHasNoState() {
    TablePolicy policy = policy(Resolvers.lww());
    RowState s = merged(policy, insert(BASE, 1, vv(), Map.of("grows", Value.NULL)));
    assertThat(RowMerge.visible(s, policy, KEY).values()).doesNotContainKey("grows");
    s = merge(s, update(LOCAL, 2, vv(BASE), Map.of("grows", Value.CounterDelta.of(7))), policy);
    s = merge(s, delete(REMOTE, 3, vv(BASE, LOCAL)), policy);
    s =
        merge(
            s,
            insert(
                Dot.of("ap-south", 2),
                4,
                vv(BASE, LOCAL, REMOTE),
                Map.of("grows", new Value.Int8(1))),
            policy);
    assertThat(RowMerge.visible(s, policy, KEY).values()).containsEntry("grows", new Value.Int8(8));
  }

  @Test
  void merge_gCounterPlainValueInUpdate_failsNamingColumnAndPolicy() {
    TablePolicy policy = policy(Resolvers.lww());
    RowState s = merged(policy, insert(BASE, 1, vv(), Map.of("grows", new Value.Int8(1))));
    Write bad = update(LOCAL, 2, vv(BASE), Map.of("grows", new Value.Int8(12)));
    assertThatThrownBy(() -> RowMerge.merge(Optional.of(s), bad, policy))
        .isInstanceOf(ConflictResolutionException.class)
        .hasMessageContaining("column 'grows'")
        .hasMessageContaining("must ship deltas")
        .hasMessageContaining("'g-counter'");
  }

  @Test
  void merge_twoPhaseSet_removalWinsForGood() {
    TablePolicy policy = policy(Resolvers.lww());
    RowState s = merged(policy, insert(BASE, 1, vv(), Map.of("once", texts("x", "y"))));
    Write removeX =
        update(
            LOCAL, 2, vv(BASE), Map.of("once", new Value.SetDelta(List.of(), List.of(text("x")))));
    Write readdX =
        update(
            REMOTE,
            3,
            vv(BASE),
            Map.of("once", new Value.SetDelta(List.of(text("x"), text("z")), List.of())));
    RowState one = merge(merge(s, removeX, policy), readdX, policy);
    RowState two = merge(merge(s, readdX, policy), removeX, policy);
    assertThat(one.toBytes()).isEqualTo(two.toBytes());
    assertThat(RowMerge.visible(one, policy, KEY).values()).containsEntry("once", texts("y", "z"));
    // Added again later, with the removal seen: still gone.
    RowState three =
        merge(
            one,
            update(
                Dot.of("ap-south", 2),
                4,
                vv(BASE, LOCAL, REMOTE),
                Map.of("once", new Value.SetDelta(List.of(text("x")), List.of()))),
            policy);
    assertThat(RowMerge.visible(three, policy, KEY).values())
        .containsEntry("once", texts("y", "z"));
    assertThat(RowState.fromBytes(three.toBytes())).isEqualTo(three);
  }

  @Test
  void merge_twoPhaseSetWholeValue_onlyAdds() {
    TablePolicy policy = policy(Resolvers.lww());
    RowState s = merged(policy, insert(BASE, 1, vv(), Map.of("once", texts("x", "y"))));
    s = merge(s, update(LOCAL, 2, vv(BASE), Map.of("once", texts("y", "z"))), policy);
    assertThat(RowMerge.visible(s, policy, KEY).values())
        .as("a whole value adds z and removes nothing")
        .containsEntry("once", texts("x", "y", "z"));
    s =
        merge(
            s,
            update(
                REMOTE,
                3,
                vv(BASE, LOCAL),
                Map.of("once", new Value.SetDelta(List.of(), List.of(text("x"))))),
            policy);
    s = merge(s, delete(Dot.of("ap-south", 2), 4, vv(BASE, LOCAL, REMOTE)), policy);
    s =
        merge(
            s,
            insert(
                Dot.of("ap-south", 3),
                5,
                vv(BASE, LOCAL, REMOTE, Dot.of("ap-south", 2)),
                Map.of("once", texts("x"))),
            policy);
    assertThat(RowMerge.visible(s, policy, KEY).values())
        .as("the delta removed x for good; the row delete left the set alone")
        .containsEntry("once", texts("y", "z"));
  }

  @Test
  void merge_unchangedToastValue_keepsStoredValue() {
    TablePolicy policy = policy(Resolvers.lww());
    RowState s = merged(policy, insert(BASE, 1, vv(), Map.of("v", text("big"))));
    s = merge(s, update(LOCAL, 2, vv(BASE), Map.of("v", Value.UNCHANGED, "w", text("w"))), policy);
    assertThat(RowMerge.visible(s, policy, KEY).values()).containsEntry("v", text("big"));
  }

  @Test
  void merge_resolverChoosesForeignDot_failsNamingResolver() {
    ConflictResolver rogue =
        new ConflictResolver() {
          @Override
          public String name() {
            return "rogue";
          }

          @Override
          public io.georep.resolver.spi.Resolution resolve(
              io.georep.resolver.spi.ConflictSet conflict) {
            return new io.georep.resolver.spi.Resolution.Chosen(Dot.of("nowhere", 9));
          }
        };
    TablePolicy policy = policy(rogue);
    RowState s = merged(policy, insert(LOCAL, 1, vv(), Map.of("v", text("a"))));
    assertThatThrownBy(
            () -> RowMerge.merge(Optional.of(s), insert(REMOTE, 2, vv(), Map.of()), policy))
        .isInstanceOf(ConflictResolutionException.class)
        .hasMessageContaining("resolver 'rogue' chose version nowhere:9");
  }

  @Test
  void merge_stateFromOtherPolicy_failsClearly() {
    RowState s =
        merged(policy(Resolvers.lww()), insert(BASE, 1, vv(), Map.of("hits", new Value.Int8(1))));
    TablePolicy plain = TablePolicy.of(TestRows.ITEMS, Resolvers.lww(), Map.of());
    assertThatThrownBy(() -> RowMerge.visible(s, plain, KEY))
        .isInstanceOf(ConflictResolutionException.class)
        .hasMessageContaining("column 'hits'")
        .hasMessageContaining("resolves with 'lww'");
  }

  private static RowState merged(TablePolicy policy, Write w) {
    return RowMerge.merge(Optional.empty(), w, policy).state();
  }

  private static RowState merge(RowState s, Write w, TablePolicy policy) {
    return RowMerge.merge(Optional.of(s), w, policy).state();
  }

  private static RowState mergeAll(TablePolicy policy, Write... writes) {
    Optional<RowState> s = Optional.empty();
    for (Write w : writes) {
      s = Optional.of(RowMerge.merge(s, w, policy).state());
    }
    return s.orElseThrow();
  }
}
