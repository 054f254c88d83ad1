package io.georep.resolver;

import static io.georep.resolver.TestRows.AP;
import static io.georep.resolver.TestRows.EU;
import static io.georep.resolver.TestRows.ITEMS;
import static io.georep.resolver.TestRows.US;
import static io.georep.resolver.TestRows.policy;
import static io.georep.resolver.TestRows.text;
import static io.georep.resolver.TestRows.ts;
import static io.georep.resolver.TestRows.vv;
import static io.georep.resolver.TestRows.write;
import static org.assertj.core.api.Assertions.assertThat;

import io.georep.connector.RowChange;
import io.georep.connector.Value;
import io.georep.resolver.spi.ConflictResolver;
import io.georep.vectorclock.Dot;
import io.georep.vectorclock.ReplicaId;
import io.georep.vectorclock.VersionVector;
import io.georep.vectorclock.testkit.Seeds;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.stream.LongStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * What-if replay against the merge itself: a seeded pair of concurrent writes is merged under one
 * resolver (the logged conflict) and, separately, under another; replaying the logged conflict
 * under the other resolver must name the winner that the other merge chose, and replaying it under
 * its own resolver must name the logged winner.
 */
class WhatIfTest {
  private static final List<String> RESOLVERS =
      List.of(
          "lww", "first-writer-wins", "delete-wins", "update-wins", "keep-both", "region-priority");

  static LongStream seeds() {
    return Seeds.of("what-if-replay");
  }

  @ParameterizedTest(name = "seed={0}")
  @MethodSource("seeds")
  void replay_underAnotherResolver_namesThatMergesWinner(long seed) {
    Seeds.check(
        seed,
        random -> {
          Case c = Case.random(random);
          String loggedUnder = RESOLVERS.get(random.nextInt(RESOLVERS.size()));
          String replayUnder = RESOLVERS.get(random.nextInt(RESOLVERS.size()));
          List<ReplicaId> order = new ArrayList<>(List.of(EU, US, AP));
          java.util.Collections.shuffle(order, new java.util.Random(random.nextLong()));

          List<Conflict> logged = c.merge(resolver(loggedUnder, order));
          List<Conflict> other = c.merge(resolver(replayUnder, order));
          assertThat(logged).as(c.toString()).isNotEmpty().hasSameSizeAs(other);
          for (int i = 0; i < logged.size(); i++) {
            Conflict l = logged.get(i);
            assertThat(replay(resolver(loggedUnder, order), l))
                .as("%s replayed under its own resolver %s", l, loggedUnder)
                .isEqualTo(l.winner());
            assertThat(replay(resolver(replayUnder, order), l))
                .as("%s logged under %s, replayed under %s", l, loggedUnder, replayUnder)
                .isEqualTo(other.get(i).winner());
          }
        });
  }

  @Test
  void replay_deleteWinsOverLww_changesOnlyTheDeletesThatLost() {
    // Logged under lww: the later update beat the earlier delete; delete-wins turns that round.
    Case lost =
        new Case(
            true,
            RowChange.Kind.DELETE,
            10,
            Map.of(),
            RowChange.Kind.UPDATE,
            20,
            Map.of("v", text("R")));
    Conflict c = lost.merge(Resolvers.lww()).get(0);
    assertThat(c.type()).isEqualTo(ConflictType.UPDATE_DELETE);
    assertThat(c.winner()).isEqualTo(Conflict.Winner.REMOTE);
    assertThat(replay(Resolvers.deleteWins(), c)).isEqualTo(Conflict.Winner.LOCAL);

    // The delete was later and won under lww already: nothing changes.
    Case won =
        new Case(
            true,
            RowChange.Kind.DELETE,
            30,
            Map.of(),
            RowChange.Kind.UPDATE,
            20,
            Map.of("v", text("R")));
    Conflict d = won.merge(Resolvers.lww()).get(0);
    assertThat(d.winner()).isEqualTo(Conflict.Winner.LOCAL);
    assertThat(replay(Resolvers.deleteWins(), d)).isEqualTo(Conflict.Winner.LOCAL);

    // Different columns are both kept whatever the resolver.
    Case disjoint =
        new Case(
            true,
            RowChange.Kind.UPDATE,
            10,
            Map.of("v", text("L")),
            RowChange.Kind.UPDATE,
            20,
            Map.of("w", text("R")));
    Conflict e = disjoint.merge(Resolvers.lww()).get(0);
    assertThat(e.type()).isEqualTo(ConflictType.UPDATE_UPDATE_DIFFERENT_COLUMNS);
    assertThat(replay(Resolvers.firstWriterWins(), e)).isEqualTo(Conflict.Winner.MERGED);
  }

  private static Conflict.Winner replay(ConflictResolver r, Conflict c) {
    return WhatIf.winner(r, ITEMS, c.type(), c.columns(), c.local(), c.remote());
  }

  private static ConflictResolver resolver(String name, List<ReplicaId> order) {
    return switch (name) {
      case "lww" -> Resolvers.lww();
      case "first-writer-wins" -> Resolvers.firstWriterWins();
      case "delete-wins" -> Resolvers.deleteWins();
      case "update-wins" -> Resolvers.updateWins();
      case "keep-both" -> Resolvers.keepBoth();
      case "region-priority" -> Resolvers.regionPriority(order);
      default -> throw new IllegalArgumentException(name);
    };
  }

  /**
   * Two concurrent writes of one row: the local one (eu-west) stored first, the remote one
   * (us-east) arriving; both after a base insert from ap-south unless {@code based} is false, in
   * which case both are inserts.
   */
  private record Case(
      boolean based,
      RowChange.Kind localKind,
      long localWall,
      Map<String, Value> localColumns,
      RowChange.Kind remoteKind,
      long remoteWall,
      Map<String, Value> remoteColumns) {

    static Case random(SplittableRandom random) {
      boolean based = random.nextInt(5) > 0;
      return new Case(
          based,
          kind(random, based),
          1 + random.nextInt(40),
          columns(random, "L"),
          kind(random, based),
          1 + random.nextInt(40),
          columns(random, "R"));
    }

    private static RowChange.Kind kind(SplittableRandom random, boolean based) {
      if (!based) {
        return RowChange.Kind.INSERT;
      }
      return random.nextInt(3) == 0 ? RowChange.Kind.DELETE : RowChange.Kind.UPDATE;
    }

    private static Map<String, Value> columns(SplittableRandom random, String tag) {
      Map<String, Value> m = new LinkedHashMap<>();
      int pick = 1 + random.nextInt(3);
      if ((pick & 1) != 0) {
        m.put("v", text(tag + random.nextInt(100)));
      }
      if ((pick & 2) != 0) {
        m.put("w", text(tag + random.nextInt(100)));
      }
      return m;
    }

    List<Conflict> merge(ConflictResolver resolver) {
      TablePolicy policy = policy(resolver);
      Optional<RowState> stored = Optional.empty();
      VersionVector ctx = VersionVector.empty();
      if (based) {
        Dot base = Dot.of(AP.name(), 1);
        stored =
            Optional.of(
                RowMerge.merge(
                        stored,
                        write(
                            RowChange.Kind.INSERT,
                            base,
                            ts(0, 0, AP),
                            ctx,
                            Map.of("v", text("base"), "w", text("base"))),
                        policy)
                    .state());
        ctx = vv(base);
      }
      Dot local = Dot.of(EU.name(), 5);
      Dot remote = Dot.of(US.name(), 7);
      stored =
          Optional.of(
              RowMerge.merge(
                      stored,
                      write(
                          localKind,
                          local,
                          ts(localWall, 0, EU),
                          ctx,
                          localKind == RowChange.Kind.DELETE ? Map.of() : localColumns),
                      policy)
                  .state());
      return RowMerge.merge(
              stored,
              write(
                  remoteKind,
                  remote,
                  ts(remoteWall, 0, US),
                  ctx,
                  remoteKind == RowChange.Kind.DELETE ? Map.of() : remoteColumns),
              policy)
          .conflicts();
    }
  }
}
