package io.georep.resolver;

import io.georep.connector.ArrayType;
import io.georep.connector.ColumnSchema;
import io.georep.connector.RowChange;
import io.georep.connector.TableSchema;
import io.georep.connector.Value;
import io.georep.crdt.GCounter;
import io.georep.crdt.GSet;
import io.georep.crdt.TwoPhaseSet;
import io.georep.resolver.internal.ValueElements;
import io.georep.resolver.internal.ValueOrder;
import io.georep.vectorclock.Dot;
import io.georep.vectorclock.VersionVector;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * How each column policy folds a write into its column's state, and what the column shows: the
 * per-policy half of {@link RowMerge}, one method per {@link ColumnPolicy.Kind}, dispatched by
 * switch expressions that the compiler checks cover every kind.
 *
 * <p>The grow-only and two-phase columns keep their state as the {@code crdt} module's types
 * ({@link GSet}, {@link GCounter}, {@link TwoPhaseSet}) and merge through their operations. The
 * others keep the states {@link ColumnState} defines, for reasons of the row store rather than of
 * the algebra: a counter column is a sum of deltas, not the per-region counts of a PN-counter,
 * because a {@code numeric} column's total need not fit a {@code long} and because the row's
 * history already merges each write exactly once (the op-based counter of Shapiro et al. needs no
 * per-region entries then); an or-set column's addition dots are checked against the row's history
 * rather than a causal context of its own, which is the same dot store without a second copy of the
 * context in every row.
 *
 * <p>Stateless and thread-safe.
 */
final class ColumnFold {
  private ColumnFold() {}

  /**
   * Folds a write's value of one column into the column's state.
   *
   * @param policy the column's policy
   * @param before the column's state, or null if it has none
   * @param carried the write's value for the column, or null if it does not carry one
   * @param write the write
   * @param context the write's causal context (covering its own dot for a continuation)
   * @param stamp the write's stamp
   * @param column the column
   * @return the new state, or null if the column has none
   * @throws ConflictResolutionException if the value is an operation the policy cannot take
   */
  static ColumnState step(
      ColumnPolicy policy,
      ColumnState before,
      Value carried,
      Write write,
      VersionVector context,
      Stamp stamp,
      ColumnSchema column) {
    return switch (policy.kind()) {
      case REGISTER -> registerStep(policy, before, carried, write, context, stamp, column);
      case COUNTER -> counterStep(policy, before, carried, write, column);
      case MAX, MIN -> extremumStep(policy, before, carried, write, column);
      case OR_SET -> orSetStep(before, carried, write, context, stamp, column, policy);
      case G_SET -> gSetStep(policy, before, carried, write, column);
      case G_COUNTER -> gCounterStep(policy, before, carried, write, column);
      case TWO_PHASE_SET -> twoPhaseSetStep(policy, before, carried, write, column);
    };
  }

  private static ColumnState registerStep(
      ColumnPolicy policy,
      ColumnState before,
      Value carried,
      Write write,
      VersionVector context,
      Stamp stamp,
      ColumnSchema column) {
    if (carried != null && !carried.isDatum()) {
      throw misfit(write, column, policy, carried);
    }
    if (carried == null && write.kind() != RowChange.Kind.INSERT) {
      return before;
    }
    List<ColumnState.Entry> entries = new ArrayList<>();
    if (before != null) {
      for (ColumnState.Entry e : ((ColumnState.Register) before).entries()) {
        if (!context.covers(e.stamp().dot())) {
          entries.add(e);
        }
      }
    }
    if (carried != null) {
      entries.add(new ColumnState.Entry(stamp, carried));
      entries.sort((x, y) -> x.stamp().compareTo(y.stamp()));
    }
    return entries.isEmpty() ? null : new ColumnState.Register(entries);
  }

  private static ColumnState counterStep(
      ColumnPolicy policy, ColumnState before, Value carried, Write write, ColumnSchema column) {
    if (carried == null) {
      return before;
    }
    BigDecimal add = increase(policy, carried, write, column);
    BigDecimal sum = before == null ? null : ((ColumnState.Counter) before).sum();
    if (add != null) {
      sum = sum == null ? add : sum.add(add);
    }
    return new ColumnState.Counter(sum);
  }

  /**
   * What a counter's write adds: a delta, or an insert's value (a delta from zero); null for an
   * inserted NULL.
   */
  private static BigDecimal increase(
      ColumnPolicy policy, Value carried, Write write, ColumnSchema column) {
    if (carried instanceof Value.CounterDelta d) {
      return d.delta();
    }
    if (carried.isDatum() && write.kind() == RowChange.Kind.INSERT) {
      return carried instanceof Value.Null ? null : Write.number(carried);
    }
    throw misfit(write, column, policy, carried);
  }

  private static ColumnState extremumStep(
      ColumnPolicy policy, ColumnState before, Value carried, Write write, ColumnSchema column) {
    if (carried == null) {
      return before;
    }
    if (!carried.isDatum()) {
      throw misfit(write, column, policy, carried);
    }
    boolean max = policy.kind() == ColumnPolicy.Kind.MAX;
    if (before == null) {
      return new ColumnState.Extremum(max, carried);
    }
    Value current = ((ColumnState.Extremum) before).value();
    Value next;
    if (current instanceof Value.Null || carried instanceof Value.Null) {
      next = current instanceof Value.Null ? carried : current;
    } else {
      int c = ValueOrder.INSTANCE.compare(carried, current);
      next = (max ? c > 0 : c < 0) ? carried : current;
    }
    return new ColumnState.Extremum(max, next);
  }

  private static ColumnState gSetStep(
      ColumnPolicy policy, ColumnState before, Value carried, Write write, ColumnSchema column) {
    if (carried == null) {
      return before;
    }
    GSet<Value> set =
        before == null ? GSet.empty(ValueElements.INSTANCE) : ((ColumnState.GSet) before).set();
    List<Value> added;
    if (carried instanceof Value.SetDelta d) {
      added = d.added();
    } else if (carried.isDatum()) {
      added = Write.elements(carried);
    } else {
      throw misfit(write, column, policy, carried);
    }
    return new ColumnState.GSet(set.addAll(added).state());
  }

  /**
   * A g-counter adds each increase to the count of the write's region; a decrease is ignored, as a
   * g-set ignores removals (see {@link ColumnPolicy.GCounter}).
   */
  private static ColumnState gCounterStep(
      ColumnPolicy policy, ColumnState before, Value carried, Write write, ColumnSchema column) {
    if (carried == null) {
      return before;
    }
    BigDecimal add = increase(policy, carried, write, column);
    GCounter counts = before == null ? GCounter.empty() : ((ColumnState.GCounter) before).counts();
    if (add != null && add.signum() > 0) {
      try {
        counts = counts.increment(write.dot().origin(), add.longValueExact()).state();
      } catch (ArithmeticException e) {
        throw new ConflictResolutionException(
            "g-counter column '"
                + column.name()
                + "' of "
                + write.table().id()
                + ": "
                + write.dot()
                + " increases it by "
                + add.toPlainString()
                + ", past the range of a g-counter (a long per region); use a counter column of"
                + " type numeric for such totals",
            e);
      }
    }
    return before == null && counts.isBottom() && add == null
        ? null
        : new ColumnState.GCounter(counts);
  }

  /**
   * A 2p-set adds a delta's additions and removes its removals for good, whether or not this region
   * holds them yet (see {@link TwoPhaseSet#update}). A whole array value only adds: what it lacks
   * depends on what its writer held, which a receiving region cannot know, and removals computed
   * from the receiver's own set would differ from region to region. Removals therefore travel as
   * deltas, which the old row provides (the validator requires {@code REPLICA IDENTITY FULL} for
   * the column's table).
   */
  private static ColumnState twoPhaseSetStep(
      ColumnPolicy policy, ColumnState before, Value carried, Write write, ColumnSchema column) {
    if (carried == null) {
      return before;
    }
    TwoPhaseSet<Value> set =
        before == null
            ? TwoPhaseSet.empty(ValueElements.INSTANCE)
            : ((ColumnState.TwoPhaseSet) before).set();
    List<Value> added;
    List<Value> removed;
    if (carried instanceof Value.SetDelta d) {
      added = d.added();
      removed = d.removed();
    } else if (carried.isDatum()) {
      added = Write.elements(carried);
      removed = List.of();
    } else {
      throw misfit(write, column, policy, carried);
    }
    return new ColumnState.TwoPhaseSet(set.update(added, removed).state());
  }

  private static ColumnState orSetStep(
      ColumnState before,
      Value carried,
      Write write,
      VersionVector context,
      Stamp stamp,
      ColumnSchema column,
      ColumnPolicy policy) {
    if (carried instanceof Value.CounterDelta) {
      throw misfit(write, column, policy, carried);
    }
    boolean delete = write.kind() == RowChange.Kind.DELETE;
    if (carried == null && !delete) {
      return before;
    }
    if (before == null && delete) {
      return null;
    }
    TreeMap<Value, TreeSet<Dot>> set = new TreeMap<>(ValueOrder.INSTANCE);
    if (before != null) {
      for (ColumnState.Element e : ((ColumnState.OrSet) before).elements()) {
        set.put(e.value(), new TreeSet<>(e.dots()));
      }
    }
    if (carried instanceof Value.SetDelta d) {
      for (Value e : d.removed()) {
        TreeSet<Dot> dots = set.get(e);
        if (dots != null) {
          dots.removeIf(context::covers);
        }
      }
      for (Value e : d.added()) {
        TreeSet<Dot> dots = set.computeIfAbsent(e, k -> new TreeSet<>());
        dots.removeIf(context::covers);
        dots.add(stamp.dot());
      }
    } else {
      // A row delete, or a whole-array value: observed-remove of everything, then the additions.
      for (TreeSet<Dot> dots : set.values()) {
        dots.removeIf(context::covers);
      }
      if (carried != null) {
        for (Value e : Write.elements(carried)) {
          set.computeIfAbsent(e, k -> new TreeSet<>()).add(stamp.dot());
        }
      }
    }
    List<ColumnState.Element> elements = new ArrayList<>();
    for (Map.Entry<Value, TreeSet<Dot>> e : set.entrySet()) {
      if (!e.getValue().isEmpty()) {
        elements.add(new ColumnState.Element(e.getKey(), new ArrayList<>(e.getValue())));
      }
    }
    return new ColumnState.OrSet(elements);
  }

  /**
   * Returns what a column that is not a register shows.
   *
   * @param policy the column's policy; not a register
   * @param state the column's state; fits the policy
   * @param table the table
   * @param column the column
   * @return the value
   */
  static Value value(
      ColumnPolicy policy, ColumnState state, TableSchema table, ColumnSchema column) {
    return switch (policy.kind()) {
      case REGISTER ->
          throw new IllegalArgumentException("a register's value is decided by its resolver");
      case COUNTER -> {
        BigDecimal sum = ((ColumnState.Counter) state).sum();
        yield sum == null ? Value.NULL : counterValue(table, column, sum);
      }
      case G_COUNTER ->
          counterValue(
              table, column, BigDecimal.valueOf(((ColumnState.GCounter) state).counts().value()));
      case MAX, MIN -> ((ColumnState.Extremum) state).value();
      case OR_SET ->
          new Value.Array(
              ((ArrayType) column.type()).elementType(),
              ((ColumnState.OrSet) state)
                  .elements().stream().map(ColumnState.Element::value).toList());
      case G_SET ->
          new Value.Array(
              ((ArrayType) column.type()).elementType(), ((ColumnState.GSet) state).elements());
      case TWO_PHASE_SET ->
          new Value.Array(
              ((ArrayType) column.type()).elementType(),
              List.copyOf(((ColumnState.TwoPhaseSet) state).set().value()));
    };
  }

  static Value counterValue(TableSchema table, ColumnSchema column, BigDecimal sum) {
    try {
      return Write.typed(column, sum);
    } catch (ArithmeticException e) {
      throw new ConflictResolutionException(
          "counter column '"
              + column.name()
              + "' of "
              + table.id()
              + " sums to a value outside type "
              + column.type()
              + " (concurrent increments added up past its range); widen the column, for"
              + " example ALTER TABLE "
              + table.id().quoted()
              + " ALTER COLUMN "
              + io.georep.connector.TableId.quote(column.name())
              + " TYPE numeric",
          e);
    }
  }

  static ConflictResolutionException misfit(
      Write write, ColumnSchema column, ColumnPolicy policy, Value carried) {
    return new ConflictResolutionException(
        write.kind().name().toLowerCase(java.util.Locale.ROOT)
            + " "
            + write.dot()
            + " of "
            + write.table().id()
            + " carries a "
            + carried.kind()
            + " for column '"
            + column.name()
            + "', whose resolver is '"
            + policy.name()
            + "'"
            + (policy.kind() == ColumnPolicy.Kind.COUNTER
                    || policy.kind() == ColumnPolicy.Kind.G_COUNTER
                ? "; updates of counter columns must ship deltas (after − before): the origin's"
                    + " publication must name the column's resolver '"
                    + policy.name()
                    + "' too"
                : "; the origin region's publication must name the same resolver for the column"));
  }
}
