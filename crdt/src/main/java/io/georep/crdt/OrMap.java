package io.georep.crdt;

import io.georep.vectorclock.Dot;
import io.georep.vectorclock.encoding.CompactReader;
import io.georep.vectorclock.encoding.CompactWriter;
import io.georep.vectorclock.encoding.MalformedEncodingException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.SortedMap;
import java.util.SortedSet;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.BiConsumer;
import java.util.function.BiFunction;
import java.util.function.Function;
import java.util.function.Predicate;

/**
 * An observed-remove map with add-wins keys (OR-Map): each key holds an embedded causal CRDT, and
 * removing a key removes the updates of its value that the removal has observed, while a concurrent
 * update keeps the key.
 *
 * <p>Design (Almeida, Shoker, Baquero 2018, "ORMap"; as in Riak's maps): the map is a dot store
 * from key to the embedded value's dot store, and all values share the map's single {@link
 * CausalContext}. A key is present iff its value holds a dot. Merging joins, key by key, each
 * value's store with the two map contexts, which is exactly the embedded type's own merge; an
 * update to a value creates its dots in the shared context; removing a key forgets the key's dots,
 * with a delta whose context holds them, so no tombstone is kept. Values are stored without a
 * context and re-attached to the map's context when read, so equal maps are {@code equals}.
 *
 * <p>The embedded types are the causal CRDTs of this package, chosen with a {@link ValueType}:
 * {@link MvRegister}, {@link CausalCounter} and {@link OrSet}. Removing a key that holds a causal
 * counter resets the contributions it observed; see {@link CausalCounter} for the effect of an
 * increment concurrent with the removal. Immutable and thread-safe.
 *
 * @param <K> the key type
 * @param <V> the embedded value type
 */
public final class OrMap<K, V extends DeltaCrdt<V>> implements DeltaCrdt<OrMap<K, V>> {
  private static final int TAG = 'A';

  private final ElementCodec<K> keyCodec;
  private final ValueType<V> type;
  private final SortedMap<K, V> entries; // values carry the empty context; never modified
  private final CausalContext context;

  private OrMap(
      ElementCodec<K> keyCodec, ValueType<V> type, SortedMap<K, V> entries, CausalContext context) {
    this.keyCodec = keyCodec;
    this.type = type;
    this.entries = entries;
    this.context = context;
  }

  /**
   * Returns the empty map that has seen nothing.
   *
   * @param keyCodec the codec of keys; never null
   * @param type the embedded value type; never null
   * @param <K> the key type
   * @param <V> the embedded value type
   * @return the empty map
   */
  public static <K, V extends DeltaCrdt<V>> OrMap<K, V> empty(
      ElementCodec<K> keyCodec, ValueType<V> type) {
    Objects.requireNonNull(type, "type");
    return new OrMap<>(keyCodec, type, new TreeMap<>(keyCodec), CausalContext.empty());
  }

  /**
   * Returns the keys present.
   *
   * @return the keys in codec order; unmodifiable
   */
  public SortedSet<K> keys() {
    TreeSet<K> keys = new TreeSet<>(keyCodec);
    keys.addAll(entries.keySet());
    return Collections.unmodifiableSortedSet(keys);
  }

  /**
   * Returns the value of a key, with the map's causal context.
   *
   * @param key the key; never null
   * @return the value, or empty if the key is not present
   */
  public Optional<V> get(K key) {
    V v = entries.get(key);
    return v == null ? Optional.empty() : Optional.of(type.withContext.apply(v, context));
  }

  /**
   * Returns every entry, values with the map's causal context.
   *
   * @return the entries in key order; unmodifiable
   */
  public SortedMap<K, V> value() {
    TreeMap<K, V> out = new TreeMap<>(keyCodec);
    for (Map.Entry<K, V> e : entries.entrySet()) {
      out.put(e.getKey(), type.withContext.apply(e.getValue(), context));
    }
    return Collections.unmodifiableSortedMap(out);
  }

  /**
   * Returns the causal context shared by all values.
   *
   * @return the context
   */
  public CausalContext context() {
    return context;
  }

  /**
   * Updates the value of a key with one of the embedded type's mutators; an absent key starts from
   * the embedded type's empty value. For example {@code map.update("k", v -> v.increment(r, 1))}.
   *
   * @param key the key; never null
   * @param mutator applies one mutator to the value it is given and returns that mutation; it must
   *     not return a mutation of any other value
   * @return the new state and the delta
   */
  public Mutation<OrMap<K, V>> update(K key, Function<? super V, Mutation<V>> mutator) {
    Objects.requireNonNull(key, "key");
    V stored = entries.get(key);
    V current =
        stored == null ? type.empty.apply(context) : type.withContext.apply(stored, context);
    Mutation<V> m = Objects.requireNonNull(mutator.apply(current), "mutation");
    TreeMap<K, V> next = new TreeMap<>(entries);
    put(next, key, m.state());
    TreeMap<K, V> delta = new TreeMap<>(keyCodec);
    put(delta, key, m.delta());
    return new Mutation<>(
        new OrMap<>(keyCodec, type, next, type.context.apply(m.state())),
        new OrMap<>(keyCodec, type, delta, type.context.apply(m.delta())));
  }

  private void put(SortedMap<K, V> map, K key, V value) {
    if (type.hasDots.test(value)) {
      map.put(key, type.withContext.apply(value, CausalContext.empty()));
    } else {
      map.remove(key);
    }
  }

  /**
   * Removes a key: the updates of its value that this state has observed. Concurrent updates
   * elsewhere survive and keep the key.
   *
   * @param key the key; never null
   * @return the new state and the delta; bottom if the key is not present
   */
  public Mutation<OrMap<K, V>> remove(K key) {
    V stored = entries.get(Objects.requireNonNull(key, "key"));
    if (stored == null) {
      return new Mutation<>(this, empty(keyCodec, type));
    }
    List<Dot> forgotten = new ArrayList<>();
    type.collectDots.accept(stored, forgotten);
    TreeMap<K, V> next = new TreeMap<>(entries);
    next.remove(key);
    return new Mutation<>(
        new OrMap<>(keyCodec, type, next, context),
        new OrMap<>(keyCodec, type, new TreeMap<>(keyCodec), CausalContext.of(forgotten)));
  }

  @Override
  public OrMap<K, V> merge(OrMap<K, V> other) {
    TreeMap<K, V> merged = new TreeMap<>(keyCodec);
    Iterator<Map.Entry<K, V>> a = entries.entrySet().iterator();
    Iterator<Map.Entry<K, V>> b = other.entries.entrySet().iterator();
    Map.Entry<K, V> x = a.hasNext() ? a.next() : null;
    Map.Entry<K, V> y = b.hasNext() ? b.next() : null;
    V bottomHere = type.empty.apply(context);
    V bottomThere = type.empty.apply(other.context);
    while (x != null || y != null) {
      int c;
      if (x == null) {
        c = 1;
      } else if (y == null) {
        c = -1;
      } else {
        c = keyCodec.compare(x.getKey(), y.getKey());
      }
      K key = c <= 0 ? x.getKey() : y.getKey();
      V ours = c <= 0 ? type.withContext.apply(x.getValue(), context) : bottomHere;
      V theirs = c >= 0 ? type.withContext.apply(y.getValue(), other.context) : bottomThere;
      put(merged, key, ours.merge(theirs));
      if (c <= 0) {
        x = a.hasNext() ? a.next() : null;
      }
      if (c >= 0) {
        y = b.hasNext() ? b.next() : null;
      }
    }
    return new OrMap<>(keyCodec, type, merged, context.join(other.context));
  }

  @Override
  public boolean isBottom() {
    return entries.isEmpty() && context.isEmpty();
  }

  /**
   * Writes the map: its causal context, the entry count, then per key in key order the key,
   * front-coded (see {@link GSet#writeTo}), and the value's dot store written against the context's
   * replica table.
   *
   * @param out the writer; never null
   */
  @Override
  public void writeTo(CompactWriter out) {
    context.writeTo(out);
    ReplicaTable table = ReplicaTable.of(context);
    out.writeUnsigned(entries.size());
    ElementWriter<K> keys = new ElementWriter<>(keyCodec, out);
    for (Map.Entry<K, V> e : entries.entrySet()) {
      keys.write(e.getKey());
      type.writeStore.write(e.getValue(), out, table);
    }
  }

  /**
   * Reads a map written by {@link #writeTo}.
   *
   * @param in the reader; never null
   * @param keyCodec the codec of keys; never null
   * @param type the embedded value type; never null
   * @param <K> the key type
   * @param <V> the embedded value type
   * @return the map
   * @throws MalformedEncodingException if the bytes are not a canonical map
   */
  public static <K, V extends DeltaCrdt<V>> OrMap<K, V> readFrom(
      CompactReader in, ElementCodec<K> keyCodec, ValueType<V> type) {
    CausalContext context = CausalContext.readFrom(in);
    ReplicaTable table = ReplicaTable.of(context);
    int count = in.readCount("OR-Map entries", 3);
    ElementReader<K> keys = new ElementReader<>(keyCodec, in, "OR-Map key");
    TreeMap<K, V> entries = new TreeMap<>(keyCodec);
    for (int i = 0; i < count; i++) {
      K key = keys.read();
      int at = in.position();
      V value = type.readStore.read(in, table, CausalContext.empty(), context);
      if (!type.hasDots.test(value)) {
        throw new MalformedEncodingException("OR-Map key " + key + " has an empty value", at);
      }
      entries.put(key, value);
    }
    return new OrMap<>(keyCodec, type, entries, context);
  }

  @Override
  public byte[] toBytes() {
    CompactWriter out = new CompactWriter(64 + entries.size() * 16);
    out.writeByte(TAG);
    writeTo(out);
    return out.toByteArray();
  }

  /**
   * Decodes a map encoded by {@link #toBytes()}.
   *
   * @param bytes the encoding; never null
   * @param keyCodec the codec of keys; never null
   * @param type the embedded value type; never null
   * @param <K> the key type
   * @param <V> the embedded value type
   * @return the map
   * @throws MalformedEncodingException if the bytes are not exactly one encoded OR-Map
   */
  public static <K, V extends DeltaCrdt<V>> OrMap<K, V> fromBytes(
      byte[] bytes, ElementCodec<K> keyCodec, ValueType<V> type) {
    CompactReader in = new CompactReader(bytes);
    if (in.readByte("OR-Map tag") != TAG) {
      throw new MalformedEncodingException("not an OR-Map: wrong type tag", 0);
    }
    OrMap<K, V> map = readFrom(in, keyCodec, type);
    in.expectEnd("OR-Map");
    return map;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof OrMap<?, ?> m && entries.equals(m.entries) && context.equals(m.context);
  }

  @Override
  public int hashCode() {
    return 31 * entries.hashCode() + context.hashCode();
  }

  @Override
  public String toString() {
    return "OrMap" + entries + " " + context;
  }

  /**
   * The type of the values an {@link OrMap} embeds: one of the causal CRDTs of this package, which
   * share the map's causal context. Obtain one from {@link #mvRegisters}, {@link #causalCounters}
   * or {@link #orSets}. Immutable and thread-safe.
   *
   * @param <V> the embedded value type
   */
  public static final class ValueType<V extends DeltaCrdt<V>> {
    /** Writes a value's dot store against a replica table. */
    @FunctionalInterface
    interface StoreWriter<V> {
      void write(V value, CompactWriter out, ReplicaTable table);
    }

    /** Reads a value's dot store; dots must be covered by {@code coverage}. */
    @FunctionalInterface
    interface StoreReader<V> {
      V read(CompactReader in, ReplicaTable table, CausalContext context, CausalContext coverage);
    }

    private final String name;
    final Function<CausalContext, V> empty;
    final BiFunction<V, CausalContext, V> withContext;
    final Function<V, CausalContext> context;
    final Predicate<V> hasDots;
    final BiConsumer<V, Collection<Dot>> collectDots;
    final StoreWriter<V> writeStore;
    final StoreReader<V> readStore;

    private ValueType(
        String name,
        Function<CausalContext, V> empty,
        BiFunction<V, CausalContext, V> withContext,
        Function<V, CausalContext> context,
        Predicate<V> hasDots,
        BiConsumer<V, Collection<Dot>> collectDots,
        StoreWriter<V> writeStore,
        StoreReader<V> readStore) {
      this.name = name;
      this.empty = empty;
      this.withContext = withContext;
      this.context = context;
      this.hasDots = hasDots;
      this.collectDots = collectDots;
      this.writeStore = writeStore;
      this.readStore = readStore;
    }

    /**
     * Returns the type of embedded multi-value registers.
     *
     * @param codec the codec of register values; never null
     * @param <X> the register value type
     * @return the value type
     */
    public static <X> ValueType<MvRegister<X>> mvRegisters(ElementCodec<X> codec) {
      MvRegister<X> bottom = MvRegister.empty(codec);
      return new ValueType<>(
          "MV-Registers",
          bottom::withContext,
          MvRegister::withContext,
          MvRegister::context,
          MvRegister::hasDots,
          MvRegister::collectDots,
          (v, out, table) -> v.writeStore(out, table),
          (in, table, ctx, coverage) ->
              MvRegister.readStore(in, table, coverage, codec).withContext(ctx));
    }

    /**
     * Returns the type of embedded causal counters.
     *
     * @return the value type
     */
    public static ValueType<CausalCounter> causalCounters() {
      CausalCounter bottom = CausalCounter.empty();
      return new ValueType<>(
          "causal counters",
          bottom::withContext,
          CausalCounter::withContext,
          CausalCounter::context,
          CausalCounter::hasDots,
          CausalCounter::collectDots,
          (v, out, table) -> v.writeStore(out, table),
          (in, table, ctx, coverage) ->
              CausalCounter.readStore(in, table, coverage).withContext(ctx));
    }

    /**
     * Returns the type of embedded add-wins OR-Sets.
     *
     * @param codec the codec of set elements; never null
     * @param <X> the set element type
     * @return the value type
     */
    public static <X> ValueType<OrSet<X>> orSets(ElementCodec<X> codec) {
      OrSet<X> bottom = OrSet.empty(codec);
      return new ValueType<>(
          "OR-Sets",
          bottom::withContext,
          OrSet::withContext,
          OrSet::context,
          OrSet::hasDots,
          OrSet::collectDots,
          (v, out, table) -> v.writeStore(out, table),
          (in, table, ctx, coverage) ->
              OrSet.readStore(in, table, coverage, codec).withContext(ctx));
    }

    @Override
    public String toString() {
      return name;
    }
  }
}
