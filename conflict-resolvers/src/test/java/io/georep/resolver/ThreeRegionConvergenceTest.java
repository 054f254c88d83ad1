package io.georep.resolver;

import static org.assertj.core.api.Assertions.assertThat;

import io.georep.connector.RowChange;
import io.georep.connector.RowKey;
import io.georep.connector.ScalarType;
import io.georep.connector.Value;
import io.georep.resolver.internal.ValueOrder;
import io.georep.resolver.spi.ConflictResolver;
import io.georep.resolver.spi.ConflictSet;
import io.georep.resolver.spi.Resolution;
import io.georep.resolver.spi.Version;
import io.georep.vectorclock.Dot;
import io.georep.vectorclock.HybridTimestamp;
import io.georep.vectorclock.ReplicaId;
import io.georep.vectorclock.VersionVector;
import io.georep.vectorclock.testkit.Seeds;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.function.Supplier;
import java.util.stream.LongStream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The acceptance property of issue 5: three simulated regions generate concurrent writes against
 * their own visible rows (inserts, updates of random column subsets, deletes, counter deltas, set
 * additions and removals), deliver them to each other in random causal orders with duplicates, and
 * end with byte-identical row states, identical visible rows, and counters equal to the sum of
 * every delta generated. One property per built-in row resolver; every run also has counter,
 * OR-set, max, min, G-set, G-counter and 2P-set columns, a column-lww column and a merging custom
 * column resolver.
 */
class ThreeRegionConvergenceTest {
  private static final List<ReplicaId> REGIONS = List.of(TestRows.AP, TestRows.EU, TestRows.US);
  private static final List<String> ELEMENTS = List.of("a", "b", "c", "d", "e");

  /** A custom column resolver that merges: the longest text wins, ties by value order. */
  static final class Longest implements ConflictResolver {
    @Override
    public String name() {
      return "longest";
    }

    @Override
    public Resolution resolve(ConflictSet conflict) {
      String column = conflict.column().orElseThrow();
      Value best = Value.NULL;
      for (Version v : conflict.versions()) {
        Value x = v.values().get(column);
        if (x instanceof Value.Text t
            && (!(best instanceof Value.Text b)
                || t.value().length() > b.value().length()
                || (t.value().length() == b.value().length()
                    && ValueOrder.INSTANCE.compare(t, b) > 0))) {
          best = t;
        }
      }
      return Resolution.merge(best);
    }
  }

  static LongStream lwwSeeds() {
    return Seeds.of("three-regions-lww");
  }

  static LongStream firstWriterWinsSeeds() {
    return Seeds.of("three-regions-first-writer-wins");
  }

  static LongStream regionPrioritySeeds() {
    return Seeds.of("three-regions-region-priority");
  }

  static LongStream deleteWinsSeeds() {
    return Seeds.of("three-regions-delete-wins");
  }

  static LongStream updateWinsSeeds() {
    return Seeds.of("three-regions-update-wins");
  }

  static LongStream keepBothSeeds() {
    return Seeds.of("three-regions-keep-both");
  }

  @ParameterizedTest(name = "seed={0}")
  @MethodSource("lwwSeeds")
  void simulate_lww_regionsConverge(long seed) {
    Seeds.check(seed, random -> simulate(random, Resolvers::lww));
  }

  @ParameterizedTest(name = "seed={0}")
  @MethodSource("firstWriterWinsSeeds")
  void simulate_firstWriterWins_regionsConverge(long seed) {
    Seeds.check(seed, random -> simulate(random, Resolvers::firstWriterWins));
  }

  @ParameterizedTest(name = "seed={0}")
  @MethodSource("regionPrioritySeeds")
  void simulate_regionPriority_regionsConverge(long seed) {
    Seeds.check(
        seed,
        random ->
            simulate(random, () -> Resolvers.regionPriority(List.of(TestRows.US, TestRows.AP))));
  }

  @ParameterizedTest(name = "seed={0}")
  @MethodSource("deleteWinsSeeds")
  void simulate_deleteWins_regionsConverge(long seed) {
    Seeds.check(seed, random -> simulate(random, Resolvers::deleteWins));
  }

  @ParameterizedTest(name = "seed={0}")
  @MethodSource("updateWinsSeeds")
  void simulate_updateWins_regionsConverge(long seed) {
    Seeds.check(seed, random -> simulate(random, Resolvers::updateWins));
  }

  @ParameterizedTest(name = "seed={0}")
  @MethodSource("keepBothSeeds")
  void simulate_keepBoth_regionsConverge(long seed) {
    Seeds.check(seed, random -> simulate(random, Resolvers::keepBoth));
  }

  /** One region: its rows, what it has applied, its clock, and what it has yet to receive. */
  private static final class Region {
    final ReplicaId id;
    final Map<RowKey, RowState> rows = new HashMap<>();
    final List<Write> pending = new ArrayList<>();
    final List<Write> applied = new ArrayList<>();
    VersionVector vector = VersionVector.empty();
    long seq;
    long wall = 1_000;
    HybridTimestamp latest;

    Region(ReplicaId id) {
      this.id = id;
    }

    HybridTimestamp tick(SplittableRandom random) {
      wall += random.nextInt(3);
      HybridTimestamp next =
          latest == null || wall > latest.wallTimeMillis()
              ? new HybridTimestamp(wall, 0, id)
              : new HybridTimestamp(latest.wallTimeMillis(), latest.logical() + 1, id);
      latest = next;
      return next;
    }

    void observe(HybridTimestamp ts) {
      if (latest == null || ts.isAfter(latest)) {
        latest = ts;
      }
    }
  }

  private static void simulate(SplittableRandom random, Supplier<ConflictResolver> rowResolver) {
    Map<String, ColumnPolicy> columns = TestRows.crdtColumns();
    columns.put("w", new ColumnPolicy.Register(Resolvers.columnLww()));
    columns.put("note", new ColumnPolicy.Register(new Longest()));
    TablePolicy policy = TablePolicy.of(TestRows.ITEMS, rowResolver.get(), columns);
    List<Region> regions = REGIONS.stream().map(Region::new).toList();
    List<RowKey> keys = List.of(RowKey.of(new Value.Int4(1)), RowKey.of(new Value.Int4(2)));
    Map<RowKey, BigDecimal> hitSums = new HashMap<>();
    Map<RowKey, BigDecimal> growths = new HashMap<>();
    int steps = 20 + random.nextInt(40);
    for (int step = 0; step < steps; step++) {
      Region r = regions.get(random.nextInt(regions.size()));
      int action = random.nextInt(100);
      if (action < 45) {
        RowKey key = keys.get(random.nextInt(keys.size()));
        Write w = generate(random, r, key, policy, hitSums, growths);
        MergeResult result = merge(r, w, policy);
        assertThat(result.applied()).as("a local write always applies").isTrue();
        assertThat(result.conflicts()).as("a local write has seen everything").isEmpty();
        for (Region other : regions) {
          if (other != r) {
            other.pending.add(w);
          }
        }
      } else if (action < 55 && !r.applied.isEmpty()) {
        Write dup = r.applied.get(random.nextInt(r.applied.size()));
        RowState before = r.rows.get(dup.key());
        MergeResult result = merge(r, dup, policy);
        assertThat(result.applied()).as("a duplicate is skipped").isFalse();
        assertThat(result.state()).isEqualTo(before);
      } else {
        deliverOne(random, r, policy);
      }
    }
    for (Region r : regions) {
      while (!r.pending.isEmpty()) {
        assertThat(deliverOne(random, r, policy))
            .as("some pending write of %s is always deliverable", r.id)
            .isTrue();
      }
    }
    for (RowKey key : keys) {
      RowState first = regions.get(0).rows.get(key);
      for (Region r : regions) {
        RowState s = r.rows.get(key);
        if (first == null) {
          assertThat(s).isNull();
          continue;
        }
        assertThat(s.toBytes()).as("state of %s in %s", key, r.id).isEqualTo(first.toBytes());
        assertThat(RowState.fromBytes(s.toBytes())).isEqualTo(s);
        assertThat(RowMerge.visible(s, policy, key))
            .isEqualTo(RowMerge.visible(first, policy, key));
      }
      if (first == null) {
        continue;
      }
      VisibleRow row = RowMerge.visible(first, policy, key);
      if (row.exists() && row.values().containsKey("hits")) {
        BigDecimal expected = hitSums.getOrDefault(key, BigDecimal.ZERO);
        assertThat(row.values().get("hits"))
            .as("counter equals the sum of every delta")
            .isEqualTo(new Value.Int8(expected.longValueExact()));
      }
      if (row.exists() && row.values().containsKey("grows")) {
        assertThat(row.values().get("grows"))
            .as("g-counter equals the sum of every increase")
            .isEqualTo(new Value.Int8(growths.getOrDefault(key, BigDecimal.ZERO).longValueExact()));
      }
    }
  }

  private static MergeResult merge(Region r, Write w, TablePolicy policy) {
    MergeResult result = RowMerge.merge(Optional.ofNullable(r.rows.get(w.key())), w, policy);
    r.rows.put(w.key(), result.state());
    return result;
  }

  private static boolean deliverOne(SplittableRandom random, Region r, TablePolicy policy) {
    List<Integer> ready = new ArrayList<>();
    for (int i = 0; i < r.pending.size(); i++) {
      if (r.vector.covers(r.pending.get(i).context())) {
        ready.add(i);
      }
    }
    if (ready.isEmpty()) {
      return false;
    }
    Write w = r.pending.remove((int) ready.get(random.nextInt(ready.size())));
    MergeResult result = merge(r, w, policy);
    assertThat(result.applied()).as("first delivery of %s applies", w.dot()).isTrue();
    r.vector = r.vector.add(w.dot());
    r.applied.add(w);
    r.observe(w.timestamp());
    return true;
  }

  private static Write generate(
      SplittableRandom random,
      Region r,
      RowKey key,
      TablePolicy policy,
      Map<RowKey, BigDecimal> hitSums,
      Map<RowKey, BigDecimal> growths) {
    RowState state = r.rows.get(key);
    VisibleRow visible = state == null ? VisibleRow.ABSENT : RowMerge.visible(state, policy, key);
    Dot dot = new Dot(r.id, ++r.seq);
    HybridTimestamp ts = r.tick(random);
    VersionVector context = r.vector;
    r.vector = r.vector.add(dot);
    Map<String, Value> columns = new LinkedHashMap<>();
    RowChange.Kind kind;
    if (!visible.exists()) {
      kind = RowChange.Kind.INSERT;
      columns.put("v", maybeNull(random, TestRows.text("v" + random.nextInt(5))));
      columns.put("w", TestRows.text("w" + random.nextInt(5)));
      if (random.nextInt(4) > 0) {
        columns.put("note", TestRows.text("n".repeat(1 + random.nextInt(3))));
      }
      long hits = random.nextInt(6);
      columns.put("hits", new Value.Int8(hits));
      hitSums.merge(key, BigDecimal.valueOf(hits), BigDecimal::add);
      columns.put("tags", array(random));
      columns.put("best", new Value.Int4(random.nextInt(100)));
      columns.put("low", maybeNull(random, new Value.Int4(random.nextInt(100))));
      columns.put("labels", array(random));
      if (random.nextInt(5) > 0) {
        long grows = random.nextInt(6);
        columns.put("grows", new Value.Int8(grows));
        growths.merge(key, BigDecimal.valueOf(grows), BigDecimal::add);
      }
      columns.put("once", array(random));
    } else if (random.nextInt(100) < 15) {
      kind = RowChange.Kind.DELETE;
    } else {
      kind = RowChange.Kind.UPDATE;
      boolean full = random.nextInt(3) == 0;
      if (full || random.nextBoolean()) {
        columns.put("v", maybeNull(random, TestRows.text("v" + random.nextInt(5))));
      }
      if (full || random.nextBoolean()) {
        columns.put("w", TestRows.text("w" + random.nextInt(5)));
      }
      if (full || random.nextBoolean()) {
        columns.put(
            "note",
            random.nextInt(5) == 0
                ? Value.UNCHANGED
                : TestRows.text("n".repeat(1 + random.nextInt(4))));
      }
      if (random.nextBoolean()) {
        long delta = random.nextInt(9) - 3L;
        columns.put("hits", Value.CounterDelta.of(delta));
        hitSums.merge(key, BigDecimal.valueOf(delta), BigDecimal::add);
      }
      if (random.nextBoolean()) {
        columns.put("tags", setChange(random, visible.values().get("tags")));
      }
      if (random.nextBoolean()) {
        columns.put("best", new Value.Int4(random.nextInt(100)));
      }
      if (random.nextBoolean()) {
        columns.put("low", new Value.Int4(random.nextInt(100)));
      }
      if (random.nextBoolean()) {
        columns.put("labels", setChange(random, visible.values().get("labels")));
      }
      if (random.nextBoolean()) {
        long delta = random.nextInt(9) - 3L;
        columns.put("grows", Value.CounterDelta.of(delta));
        growths.merge(key, BigDecimal.valueOf(Math.max(0, delta)), BigDecimal::add);
      }
      if (random.nextBoolean()) {
        columns.put("once", setChange(random, visible.values().get("once")));
      }
    }
    return new Write(TestRows.ITEMS, key, kind, columns, dot, ts, context);
  }

  private static Value maybeNull(SplittableRandom random, Value v) {
    return random.nextInt(6) == 0 ? Value.NULL : v;
  }

  private static Value.Array array(SplittableRandom random) {
    List<Value> elements = new ArrayList<>();
    for (String e : ELEMENTS) {
      if (random.nextInt(3) == 0) {
        elements.add(TestRows.text(e));
      }
    }
    return new Value.Array(ScalarType.TEXT, elements);
  }

  private static Value setChange(SplittableRandom random, Value current) {
    if (random.nextInt(5) == 0) {
      return array(random);
    }
    List<Value> present =
        current instanceof Value.Array a ? new ArrayList<>(a.elements()) : new ArrayList<>();
    List<Value> added = new ArrayList<>();
    List<Value> removed = new ArrayList<>();
    for (String e : ELEMENTS) {
      int pick = random.nextInt(4);
      if (pick == 0) {
        added.add(TestRows.text(e));
      } else if (pick == 1 && (present.contains(TestRows.text(e)) || random.nextBoolean())) {
        removed.add(TestRows.text(e));
      }
    }
    return new Value.SetDelta(added, removed);
  }
}
