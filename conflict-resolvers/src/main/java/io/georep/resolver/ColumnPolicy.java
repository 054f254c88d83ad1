package io.georep.resolver;

import io.georep.resolver.spi.ConflictResolver;
import java.util.Objects;

/**
 * How one non-key column merges: as a register whose concurrent values a resolver chooses between,
 * or as one of the CRDT column types, whose concurrent changes all take effect.
 *
 * <p>The CRDT types keep their own state in the row's metadata and ignore resolvers: {@link
 * Counter} sums deltas, {@link Max}/{@link Min} keep the greatest/least value ever written, {@link
 * OrSet} is an add-wins observed-remove set over an array column, {@link GSet} a grow-only set,
 * {@link GCounter} a counter that only grows and {@link TwoPhaseSet} a set whose removals are for
 * good. The grow-only and two-phase types keep their state as the {@code crdt} module's types.
 */
public sealed interface ColumnPolicy {
  /**
   * Returns the name publication files use for this policy.
   *
   * @return the name, such as {@code counter} or the register's resolver name
   */
  String name();

  /**
   * Returns the policy's kind. Code that treats policies differently switches over it in a switch
   * expression, which the compiler checks covers every kind: a new policy fails to compile until
   * every such place says how it merges, instead of falling into another policy's branch.
   *
   * @return the kind
   */
  Kind kind();

  /** The kinds of column policy, one per record of this interface. */
  enum Kind {
    /** {@link Register}. */
    REGISTER,
    /** {@link Counter}. */
    COUNTER,
    /** {@link Max}. */
    MAX,
    /** {@link Min}. */
    MIN,
    /** {@link OrSet}. */
    OR_SET,
    /** {@link GSet}. */
    G_SET,
    /** {@link GCounter}. */
    G_COUNTER,
    /** {@link TwoPhaseSet}. */
    TWO_PHASE_SET
  }

  /**
   * A register column: every write replaces the values it has seen; a resolver chooses between
   * concurrent values.
   *
   * @param resolver the resolver; never null
   */
  record Register(ConflictResolver resolver) implements ColumnPolicy {
    @Override
    public Kind kind() {
      return Kind.REGISTER;
    }

    /** Validates the policy. */
    public Register {
      Objects.requireNonNull(resolver, "resolver");
    }

    @Override
    public String name() {
      return resolver.name();
    }
  }

  /**
   * A counter column ({@code counter}): its value is the sum of every delta merged, an insert's
   * value counting as a delta from zero. Integer and numeric columns.
   */
  record Counter() implements ColumnPolicy {
    @Override
    public Kind kind() {
      return Kind.COUNTER;
    }

    @Override
    public String name() {
      return "counter";
    }
  }

  /** A {@code max} column: the greatest value ever written (NULL only if nothing else was). */
  record Max() implements ColumnPolicy {
    @Override
    public Kind kind() {
      return Kind.MAX;
    }

    @Override
    public String name() {
      return "max";
    }
  }

  /**
   * A {@code min} column: the least non-NULL value ever written (NULL only if nothing else was).
   */
  record Min() implements ColumnPolicy {
    @Override
    public Kind kind() {
      return Kind.MIN;
    }

    @Override
    public String name() {
      return "min";
    }
  }

  /**
   * An {@code or-set} array column: an add-wins observed-remove set; a removal or a row delete
   * removes only the additions it has seen.
   */
  record OrSet() implements ColumnPolicy {
    @Override
    public Kind kind() {
      return Kind.OR_SET;
    }

    @Override
    public String name() {
      return "or-set";
    }
  }

  /** A {@code g-set} array column: the union of every element ever added; removals are ignored. */
  record GSet() implements ColumnPolicy {
    @Override
    public Kind kind() {
      return Kind.G_SET;
    }

    @Override
    public String name() {
      return "g-set";
    }
  }

  /**
   * A {@code g-counter} column: a counter that only grows. Its value is the sum of every increase
   * merged, an insert's value counting as an increase from zero; a decrease (a negative delta) is
   * ignored, so a local write that lowers the column is undone by the next merge, in every region
   * alike. Integer columns.
   */
  record GCounter() implements ColumnPolicy {
    @Override
    public Kind kind() {
      return Kind.G_COUNTER;
    }

    @Override
    public String name() {
      return "g-counter";
    }
  }

  /**
   * A {@code 2p-set} array column: a two-phase set. Added elements stay until removed, and a
   * removed element can never be added again (removal wins over any concurrent or later addition).
   * A row delete leaves it alone.
   */
  record TwoPhaseSet() implements ColumnPolicy {
    @Override
    public Kind kind() {
      return Kind.TWO_PHASE_SET;
    }

    @Override
    public String name() {
      return "2p-set";
    }
  }
}
