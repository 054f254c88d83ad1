package io.georep.resolver;

import io.georep.connector.Value;
import io.georep.vectorclock.Dot;
import java.math.BigDecimal;
import java.util.List;
import java.util.Objects;

/**
 * The merge state of one non-key column of a row: one variant per {@link ColumnPolicy} kind. Every
 * variant is an immutable value whose lists are sorted, so equal states are equal and encode to
 * equal bytes.
 */
sealed interface ColumnState {
  /** The policy kind this state belongs to, for checks against the table's policy. */
  boolean fits(ColumnPolicy policy);

  /**
   * A multi-value register: the non-dominated writes of the column, sorted by dot, never empty.
   *
   * @param entries the concurrent values
   */
  record Register(List<Entry> entries) implements ColumnState {
    public Register {
      entries = List.copyOf(entries);
    }

    @Override
    public boolean fits(ColumnPolicy policy) {
      return policy instanceof ColumnPolicy.Register;
    }

    boolean holds(Dot dot) {
      for (Entry e : entries) {
        if (e.stamp().dot().equals(dot)) {
          return true;
        }
      }
      return false;
    }
  }

  /**
   * One value of a register and the write that produced it.
   *
   * @param stamp the write
   * @param value the datum
   */
  record Entry(Stamp stamp, Value value) {}

  /**
   * A counter: the sum of every delta merged.
   *
   * @param sum the sum, or null while only NULLs were written
   */
  record Counter(BigDecimal sum) implements ColumnState {
    @Override
    public boolean fits(ColumnPolicy policy) {
      return policy instanceof ColumnPolicy.Counter;
    }
  }

  /**
   * The greatest (or least) value ever written.
   *
   * @param max true for a max column, false for min
   * @param value the extreme value; NULL only if nothing else was written
   */
  record Extremum(boolean max, Value value) implements ColumnState {
    public Extremum {
      Objects.requireNonNull(value, "value");
    }

    @Override
    public boolean fits(ColumnPolicy policy) {
      return max ? policy instanceof ColumnPolicy.Max : policy instanceof ColumnPolicy.Min;
    }
  }

  /**
   * An add-wins observed-remove set: each present element with the dots of the additions that put
   * it there, elements sorted by value order, dots sorted.
   *
   * @param elements the present elements
   */
  record OrSet(List<Element> elements) implements ColumnState {
    public OrSet {
      elements = List.copyOf(elements);
    }

    @Override
    public boolean fits(ColumnPolicy policy) {
      return policy instanceof ColumnPolicy.OrSet;
    }
  }

  /**
   * One element of an OR-set with its addition dots.
   *
   * @param value the element
   * @param dots the additions' dots; sorted, never empty
   */
  record Element(Value value, List<Dot> dots) {
    public Element {
      dots = List.copyOf(dots);
    }
  }

  /**
   * A grow-only set: every element ever added, in value order; the {@code crdt} module's {@link
   * io.georep.crdt.GSet}.
   *
   * @param set the elements
   */
  record GSet(io.georep.crdt.GSet<Value> set) implements ColumnState {
    public GSet {
      Objects.requireNonNull(set, "set");
    }

    @Override
    public boolean fits(ColumnPolicy policy) {
      return policy instanceof ColumnPolicy.GSet;
    }

    /** The elements in value order. */
    List<Value> elements() {
      return List.copyOf(set.value());
    }
  }

  /**
   * A grow-only counter: per region, the sum of the increments its writes made; the {@code crdt}
   * module's {@link io.georep.crdt.GCounter}. The column shows the sum over the regions.
   *
   * @param counts the increments per region
   */
  record GCounter(io.georep.crdt.GCounter counts) implements ColumnState {
    public GCounter {
      Objects.requireNonNull(counts, "counts");
    }

    @Override
    public boolean fits(ColumnPolicy policy) {
      return policy instanceof ColumnPolicy.GCounter;
    }
  }

  /**
   * A two-phase set: every element ever added, each with whether it was removed (for good); the
   * {@code crdt} module's {@link io.georep.crdt.TwoPhaseSet}.
   *
   * @param set the added elements and their removal flags
   */
  record TwoPhaseSet(io.georep.crdt.TwoPhaseSet<Value> set) implements ColumnState {
    public TwoPhaseSet {
      Objects.requireNonNull(set, "set");
    }

    @Override
    public boolean fits(ColumnPolicy policy) {
      return policy instanceof ColumnPolicy.TwoPhaseSet;
    }
  }
}
