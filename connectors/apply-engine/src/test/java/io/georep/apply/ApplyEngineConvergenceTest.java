package io.georep.apply;

import static org.assertj.core.api.Assertions.assertThat;

import io.georep.connector.ColumnSchema;
import io.georep.connector.RowChange;
import io.georep.connector.RowKey;
import io.georep.connector.ScalarType;
import io.georep.connector.SourceTransaction;
import io.georep.connector.TableId;
import io.georep.connector.TableSchema;
import io.georep.connector.Value;
import io.georep.resolver.Conflict;
import io.georep.resolver.Resolvers;
import io.georep.resolver.TablePolicy;
import io.georep.resolver.UniqueClashPolicy;
import io.georep.resolver.Write;
import io.georep.vectorclock.Dot;
import io.georep.vectorclock.HybridTimestamp;
import io.georep.vectorclock.ReplicaId;
import io.georep.vectorclock.VersionVector;
import io.georep.vectorclock.testkit.Seeds;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.stream.LongStream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Three regions, each an in-memory database with the engine applying the other two: random local
 * writes on a few hot rows (inserts, updates of one or both columns, deletes), each folded at its
 * origin as the agent does, and the transactions delivered to the other regions in random orders
 * that respect causality. Once everything is delivered, every region's table must be the same.
 */
class ApplyEngineConvergenceTest {
  private static final List<ReplicaId> REGIONS =
      List.of(ReplicaId.of("eu-west"), ReplicaId.of("us-east"), ReplicaId.of("ap-south"));

  /** {@code public.items(id int4 key, v text, n int4)}. */
  private static final TableSchema ITEMS =
      TableSchema.of(
          TableId.of("public", "items"),
          List.of(
              ColumnSchema.key("id", ScalarType.INT4, 1),
              ColumnSchema.of("v", ScalarType.TEXT, true),
              ColumnSchema.of("n", ScalarType.INT4, true)));

  private static final TablePolicy LWW = TablePolicy.of(ITEMS, Resolvers.lww(), Map.of());
  private static final int KEYS = 4;
  private static final int STEPS = 60;

  static LongStream seeds() {
    return Seeds.of("apply-engine-converges").limit(200);
  }

  /** One region: its database, what it has applied, and what it has yet to apply. */
  private static final class Region {
    final ReplicaId id;
    final MemoryRowStore.Database db = new MemoryRowStore.Database();
    final List<SourceTransaction> inbox = new ArrayList<>();
    final List<Conflict> conflicts = new ArrayList<>();
    VersionVector applied = VersionVector.empty();
    long seq;

    Region(ReplicaId id) {
      this.id = id;
    }

    ApplyEngine<MemoryRowStore.Row> engine(MemoryRowStore store) {
      ApplyEngine<MemoryRowStore.Row> engine =
          new ApplyEngine<>(store, t -> LWW, UniqueClashPolicy.lastWriterWins(), conflicts);
      engine.setAgentFolds(true);
      return engine;
    }
  }

  @ParameterizedTest(name = "seed={0}")
  @MethodSource("seeds")
  void randomConcurrentWrites_convergeInEveryRegion(long seed) {
    Seeds.check(seed, random -> run(random));
  }

  private static void run(SplittableRandom random) {
    List<Region> regions = new ArrayList<>();
    REGIONS.forEach(id -> regions.add(new Region(id)));
    long[] clock = {1_000};
    for (int step = 0; step < STEPS; step++) {
      Region r = regions.get(random.nextInt(regions.size()));
      if (random.nextInt(3) == 0 || !deliverOne(r, random)) {
        SourceTransaction tx = localWrite(r, random, ++clock[0]);
        for (Region other : regions) {
          if (other != r) {
            other.inbox.add(tx);
          }
        }
      }
    }
    for (Region r : regions) {
      while (deliverOne(r, random)) {
        // Until everything is applied.
      }
      assertThat(r.inbox).as("transactions %s could not deliver", r.id).isEmpty();
    }
    Map<RowKey, Map<String, Value>> first = new TreeMap<>(ApplyEngineConvergenceTest::compare);
    first.putAll(regions.get(0).db.table(ITEMS.id()));
    for (Region r : regions.subList(1, regions.size())) {
      Map<RowKey, Map<String, Value>> table = new TreeMap<>(ApplyEngineConvergenceTest::compare);
      table.putAll(r.db.table(ITEMS.id()));
      assertThat(table).as("%s against %s", r.id, regions.get(0).id).isEqualTo(first);
    }
  }

  private static int compare(RowKey a, RowKey b) {
    return Integer.compare(((Value.Int4) a.get(0)).value(), ((Value.Int4) b.get(0)).value());
  }

  /** An application's transaction in region r, folded at once as the agent folds it. */
  private static SourceTransaction localWrite(Region r, SplittableRandom random, long wall) {
    int id = 1 + random.nextInt(KEYS);
    RowKey key = RowKey.of(new Value.Int4(id));
    Map<String, Value> current = r.db.table(ITEMS.id()).get(key);
    Dot dot = new Dot(r.id, ++r.seq);
    HybridTimestamp ts = new HybridTimestamp(wall, 0, r.id);
    LocalStamp stamp = new LocalStamp(dot, ts, r.applied);
    Value v = new Value.Text(r.id + "-" + wall);
    Value n = new Value.Int4(random.nextInt(1000));
    RowChange change;
    if (current == null) {
      Map<String, Value> row = new LinkedHashMap<>();
      row.put("id", new Value.Int4(id));
      row.put("v", v);
      row.put("n", n);
      change = new RowChange.Insert(ITEMS, row);
      r.db.localWrite(ITEMS.id(), key, row, stamp);
    } else if (random.nextInt(4) == 0) {
      change = new RowChange.Delete(ITEMS, key);
      r.db.localDelete(ITEMS.id(), key, stamp);
    } else {
      Map<String, Value> changed = new LinkedHashMap<>();
      changed.put("v", v);
      if (random.nextBoolean()) {
        changed.put("n", n);
      }
      Map<String, Value> row = new LinkedHashMap<>(current);
      row.putAll(changed);
      change = new RowChange.Update(ITEMS, key, changed);
      r.db.localWrite(ITEMS.id(), key, row, stamp);
    }
    SourceTransaction tx = new SourceTransaction(r.id, dot.seq(), ts, r.applied, List.of(change));
    MemoryRowStore store = new MemoryRowStore(r.db, t -> LWW);
    try {
      r.engine(store)
          .foldLocal(
              tx,
              Write.of(tx),
              false,
              row ->
                  stamp.equals(r.db.localWriters.get(List.of(ITEMS.id(), row.key(), row.version))));
    } catch (SQLException e) {
      throw new IllegalStateException(e);
    }
    store.commit();
    r.applied = r.applied.add(dot);
    return tx;
  }

  /** Applies one transaction whose causal past r has applied, if any; false if none is ready. */
  private static boolean deliverOne(Region r, SplittableRandom random) {
    List<SourceTransaction> ready = new ArrayList<>();
    for (SourceTransaction tx : r.inbox) {
      if (r.applied.get(tx.origin()) == tx.seq() - 1 && r.applied.covers(tx.causalContext())) {
        ready.add(tx);
      }
    }
    if (ready.isEmpty()) {
      return false;
    }
    SourceTransaction tx = ready.get(random.nextInt(ready.size()));
    MemoryRowStore store = new MemoryRowStore(r.db, t -> LWW);
    try {
      r.engine(store).apply(tx, Write.of(tx), false);
    } catch (SQLException e) {
      throw new IllegalStateException(e);
    }
    store.commit();
    r.inbox.remove(tx);
    r.applied = r.applied.add(tx.dot());
    return true;
  }
}
