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
import java.util.TreeSet;

/**
 * A multi-value register (MV-Register): an assignment overwrites the assignments its replica has
 * seen, and concurrent assignments are all kept, so a reader sees every value that no other
 * assignment has overwritten.
 *
 * <p>Design (Almeida, Shoker, Baquero 2018, "optimized MV-Register"): the state is a dot function
 * from each live assignment's dot to its value, plus the causal context of every dot seen. An
 * assignment at replica {@code r} creates the dot {@code context.nextDot(r)}; its delta holds the
 * new entry and, in its context, the dots of the entries it overwrites, which is how they disappear
 * from other replicas without tombstones. {@link #reset} overwrites with nothing. Immutable and
 * thread-safe.
 *
 * @param <V> the value type
 */
public final class MvRegister<V> implements DeltaCrdt<MvRegister<V>> {
  private static final int TAG = 'M';

  private final ElementCodec<V> codec;
  private final DotFun<V> store;
  private final CausalContext context;

  private MvRegister(ElementCodec<V> codec, DotFun<V> store, CausalContext context) {
    this.codec = codec;
    this.store = store;
    this.context = context;
  }

  /**
   * Returns a register that holds no value and has seen nothing.
   *
   * @param codec the codec of values; never null
   * @param <V> the value type
   * @return the empty register
   */
  public static <V> MvRegister<V> empty(ElementCodec<V> codec) {
    return new MvRegister<>(
        Objects.requireNonNull(codec, "codec"), DotFun.empty(), CausalContext.empty());
  }

  /**
   * Returns the values of the assignments no other assignment has overwritten.
   *
   * @return the distinct values in codec order; empty if nothing was assigned or after a reset;
   *     unmodifiable
   */
  public List<V> values() {
    TreeSet<V> distinct = new TreeSet<>(codec);
    for (int i = 0; i < store.size(); i++) {
      distinct.add(store.value(i));
    }
    return List.copyOf(distinct);
  }

  /**
   * Returns the causal context: every assignment this state has seen.
   *
   * @return the context
   */
  public CausalContext context() {
    return context;
  }

  /**
   * Assigns a value on behalf of a replica, overwriting every value this state holds.
   *
   * @param replica the acting replica; never null
   * @param value the value; never null
   * @return the new state and the delta
   */
  public Mutation<MvRegister<V>> assign(ReplicaId replica, V value) {
    Objects.requireNonNull(value, "value");
    Dot dot = context.nextDot(replica);
    List<Dot> overwritten = new ArrayList<>(store.size() + 1);
    store.collectDots(overwritten);
    overwritten.add(dot);
    DotFun<V> entry = DotFun.single(dot, value);
    return new Mutation<>(
        new MvRegister<>(codec, entry, context.add(dot)),
        new MvRegister<>(codec, entry, CausalContext.of(overwritten)));
  }

  /**
   * Removes every value this state holds; concurrent assignments survive.
   *
   * @return the new state and the delta; the delta is bottom if the register held no value
   */
  public Mutation<MvRegister<V>> reset() {
    if (store.isEmpty()) {
      return new Mutation<>(this, empty(codec));
    }
    List<Dot> overwritten = new ArrayList<>(store.size());
    store.collectDots(overwritten);
    return new Mutation<>(
        new MvRegister<>(codec, DotFun.empty(), context),
        new MvRegister<>(codec, DotFun.empty(), CausalContext.of(overwritten)));
  }

  @Override
  public MvRegister<V> merge(MvRegister<V> other) {
    DotFun<V> joined =
        store.join(other.store, context, other.context, (a, b) -> codec.compare(a, b) >= 0 ? a : b);
    return new MvRegister<>(codec, joined, context.join(other.context));
  }

  @Override
  public boolean isBottom() {
    return store.isEmpty() && context.isEmpty();
  }

  MvRegister<V> withContext(CausalContext replacement) {
    return new MvRegister<>(codec, store, replacement);
  }

  boolean hasDots() {
    return !store.isEmpty();
  }

  void collectDots(Collection<Dot> into) {
    store.collectDots(into);
  }

  void writeStore(CompactWriter out, ReplicaTable table) {
    store.writeTo(out, table, codec::write);
  }

  static <V> MvRegister<V> readStore(
      CompactReader in, ReplicaTable table, CausalContext context, ElementCodec<V> codec) {
    return new MvRegister<>(
        codec, DotFun.readFrom(in, table, context, codec::read, "MV-Register entries"), context);
  }

  /**
   * Writes the register: its causal context, then the entries (dot, value) in dot order.
   *
   * @param out the writer; never null
   */
  @Override
  public void writeTo(CompactWriter out) {
    context.writeTo(out);
    writeStore(out, ReplicaTable.of(context));
  }

  /**
   * Reads a register written by {@link #writeTo}.
   *
   * @param in the reader; never null
   * @param codec the codec of values; never null
   * @param <V> the value type
   * @return the register
   * @throws MalformedEncodingException if the bytes are not a canonical register
   */
  public static <V> MvRegister<V> readFrom(CompactReader in, ElementCodec<V> codec) {
    CausalContext context = CausalContext.readFrom(in);
    return readStore(in, ReplicaTable.of(context), context, codec);
  }

  @Override
  public byte[] toBytes() {
    CompactWriter out = new CompactWriter(64);
    out.writeByte(TAG);
    writeTo(out);
    return out.toByteArray();
  }

  /**
   * Decodes a register encoded by {@link #toBytes()}.
   *
   * @param bytes the encoding; never null
   * @param codec the codec of values; never null
   * @param <V> the value type
   * @return the register
   * @throws MalformedEncodingException if the bytes are not exactly one encoded MV-Register
   */
  public static <V> MvRegister<V> fromBytes(byte[] bytes, ElementCodec<V> codec) {
    CompactReader in = new CompactReader(bytes);
    if (in.readByte("MV-Register tag") != TAG) {
      throw new MalformedEncodingException("not an MV-Register: wrong type tag", 0);
    }
    MvRegister<V> register = readFrom(in, codec);
    in.expectEnd("MV-Register");
    return register;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof MvRegister<?> r && store.equals(r.store) && context.equals(r.context);
  }

  @Override
  public int hashCode() {
    return 31 * store.hashCode() + context.hashCode();
  }

  @Override
  public String toString() {
    return "MvRegister" + store + " " + context;
  }
}
