package io.georep.crdt;

import io.georep.vectorclock.Dot;
import io.georep.vectorclock.ReplicaId;
import io.georep.vectorclock.encoding.CompactReader;
import io.georep.vectorclock.encoding.CompactWriter;
import io.georep.vectorclock.encoding.MalformedEncodingException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Objects;

/**
 * A causal counter (CCounter): a counter that can go up and down and that, unlike {@link
 * PnCounter}, can be embedded in an {@link OrMap}, where removing the key resets the contributions
 * the removal has seen.
 *
 * <p>Design (Almeida, Shoker, Baquero 2018, "causal counter"): the state is a dot function in which
 * each replica has at most one live dot, mapped to that replica's running total, plus the causal
 * context. An increment at {@code r} replaces {@code r}'s dot with a new one carrying the new
 * total; the delta's context holds the old dot, so other replicas drop it. The value is the sum of
 * the live totals. A removal (through the map) drops the dots it saw; a replica that increments
 * concurrently with a removal keeps its whole running total, including the part the removal saw;
 * this is the known semantics of the causal counter. Immutable and thread-safe.
 */
public final class CausalCounter implements DeltaCrdt<CausalCounter> {
  private static final int TAG = 'K';
  private static final CausalCounter EMPTY =
      new CausalCounter(DotFun.empty(), CausalContext.empty());

  private final DotFun<Long> store;
  private final CausalContext context;

  private CausalCounter(DotFun<Long> store, CausalContext context) {
    this.store = store;
    this.context = context;
  }

  /**
   * Returns the counter with value zero that has seen nothing.
   *
   * @return the empty counter
   */
  public static CausalCounter empty() {
    return EMPTY;
  }

  /**
   * Returns the counter's value: the sum of every replica's live running total.
   *
   * @return the value
   * @throws ArithmeticException if the value does not fit in a {@code long}
   */
  public long value() {
    long sum = 0;
    for (int i = 0; i < store.size(); i++) {
      sum = Math.addExact(sum, store.value(i));
    }
    return sum;
  }

  /**
   * Returns the causal context: every update this state has seen.
   *
   * @return the context
   */
  public CausalContext context() {
    return context;
  }

  /**
   * Adds to the counter on behalf of a replica.
   *
   * @param replica the acting replica; never null
   * @param amount how much to add; zero or more
   * @return the new state and the delta
   * @throws IllegalArgumentException if the amount is negative (use {@link #decrement})
   */
  public Mutation<CausalCounter> increment(ReplicaId replica, long amount) {
    if (amount < 0) {
      throw new IllegalArgumentException("amount must not be negative, got " + amount);
    }
    return add(replica, amount);
  }

  /**
   * Subtracts from the counter on behalf of a replica.
   *
   * @param replica the acting replica; never null
   * @param amount how much to subtract; zero or more
   * @return the new state and the delta
   * @throws IllegalArgumentException if the amount is negative (use {@link #increment})
   */
  public Mutation<CausalCounter> decrement(ReplicaId replica, long amount) {
    if (amount < 0) {
      throw new IllegalArgumentException("amount must not be negative, got " + amount);
    }
    return add(replica, Math.negateExact(amount));
  }

  private Mutation<CausalCounter> add(ReplicaId replica, long amount) {
    Objects.requireNonNull(replica, "replica");
    if (amount == 0) {
      return new Mutation<>(this, EMPTY);
    }
    long total = amount;
    List<Dot> replaced = new ArrayList<>(2);
    for (int i = 0; i < store.size(); i++) {
      if (store.dot(i).origin().equals(replica)) {
        total = Math.addExact(total, store.value(i));
        replaced.add(store.dot(i));
      }
    }
    Dot dot = context.nextDot(replica);
    DotFun<Long> state = store.without(replaced).with(dot, total);
    replaced.add(dot);
    return new Mutation<>(
        new CausalCounter(state, context.add(dot)),
        new CausalCounter(DotFun.single(dot, total), CausalContext.of(replaced)));
  }

  @Override
  public CausalCounter merge(CausalCounter other) {
    return new CausalCounter(
        store.join(other.store, context, other.context, Math::max), context.join(other.context));
  }

  @Override
  public boolean isBottom() {
    return store.isEmpty() && context.isEmpty();
  }

  CausalCounter withContext(CausalContext replacement) {
    return new CausalCounter(store, replacement);
  }

  boolean hasDots() {
    return !store.isEmpty();
  }

  void collectDots(Collection<Dot> into) {
    store.collectDots(into);
  }

  void writeStore(CompactWriter out, ReplicaTable table) {
    store.writeTo(out, table, (v, w) -> w.writeSigned(v));
  }

  static CausalCounter readStore(CompactReader in, ReplicaTable table, CausalContext context) {
    return new CausalCounter(
        DotFun.readFrom(
            in, table, context, r -> r.readSigned("causal counter total"), "causal counter"),
        context);
  }

  /**
   * Writes the counter: its causal context, then the entries (dot, running total) in dot order.
   *
   * @param out the writer; never null
   */
  @Override
  public void writeTo(CompactWriter out) {
    context.writeTo(out);
    writeStore(out, ReplicaTable.of(context));
  }

  /**
   * Reads a counter written by {@link #writeTo}.
   *
   * @param in the reader; never null
   * @return the counter
   * @throws MalformedEncodingException if the bytes are not a canonical counter
   */
  public static CausalCounter readFrom(CompactReader in) {
    CausalContext context = CausalContext.readFrom(in);
    return readStore(in, ReplicaTable.of(context), context);
  }

  @Override
  public byte[] toBytes() {
    CompactWriter out = new CompactWriter(64);
    out.writeByte(TAG);
    writeTo(out);
    return out.toByteArray();
  }

  /**
   * Decodes a counter encoded by {@link #toBytes()}.
   *
   * @param bytes the encoding; never null
   * @return the counter
   * @throws MalformedEncodingException if the bytes are not exactly one encoded causal counter
   */
  public static CausalCounter fromBytes(byte[] bytes) {
    CompactReader in = new CompactReader(bytes);
    if (in.readByte("causal counter tag") != TAG) {
      throw new MalformedEncodingException("not a causal counter: wrong type tag", 0);
    }
    CausalCounter counter = readFrom(in);
    in.expectEnd("causal counter");
    return counter;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof CausalCounter c && store.equals(c.store) && context.equals(c.context);
  }

  @Override
  public int hashCode() {
    return 31 * store.hashCode() + context.hashCode();
  }

  @Override
  public String toString() {
    return "CausalCounter" + store + " " + context;
  }
}
