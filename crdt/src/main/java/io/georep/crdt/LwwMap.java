package io.georep.crdt;

import io.georep.vectorclock.HybridTimestamp;
import io.georep.vectorclock.encoding.CompactReader;
import io.georep.vectorclock.encoding.CompactWriter;
import io.georep.vectorclock.encoding.MalformedEncodingException;
import java.util.Collections;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * A last-writer-wins map (LWW-Map): every key behaves as an {@link LwwRegister} whose value may be
 * a removal.
 *
 * <p>Design: each key maps to its winning write, {@code (timestamp, value)} for a put or {@code
 * (timestamp, removed)} for a removal; merge keeps, per key, the write with the greater {@link
 * HybridTimestamp}. A removal must stay as an entry (a tombstone) so that an older put arriving
 * later cannot resurrect the key; tombstones are ordinary LWW entries and the only ones this type
 * keeps. They can be discarded only once no older put can arrive anymore (the causally stable
 * frontier; not done here). On equal timestamps (a misused clock) a put beats a removal and the
 * greater value in codec order wins, so merge stays a deterministic join. Immutable and
 * thread-safe.
 *
 * @param <K> the key type
 * @param <V> the value type
 */
public final class LwwMap<K, V> implements DeltaCrdt<LwwMap<K, V>> {
  private static final int TAG = 'W';

  private final ElementCodec<K> keyCodec;
  private final ElementCodec<V> valueCodec;
  private final SortedMap<K, Write<V>> writes; // never modified after construction

  /** A put (value non-null) or a removal (value null) at a timestamp. */
  private record Write<V>(HybridTimestamp timestamp, V value) {}

  private LwwMap(ElementCodec<K> keyCodec, ElementCodec<V> valueCodec, SortedMap<K, Write<V>> map) {
    this.keyCodec = keyCodec;
    this.valueCodec = valueCodec;
    this.writes = map;
  }

  /**
   * Returns the empty map.
   *
   * @param keyCodec the codec of keys; never null
   * @param valueCodec the codec of values; never null
   * @param <K> the key type
   * @param <V> the value type
   * @return the empty map
   */
  public static <K, V> LwwMap<K, V> empty(ElementCodec<K> keyCodec, ElementCodec<V> valueCodec) {
    Objects.requireNonNull(valueCodec, "valueCodec");
    return new LwwMap<>(keyCodec, valueCodec, new TreeMap<>(keyCodec));
  }

  /**
   * Returns the live entries: keys whose winning write is a put.
   *
   * @return the entries in key order; unmodifiable
   */
  public SortedMap<K, V> value() {
    TreeMap<K, V> live = new TreeMap<>(keyCodec);
    for (Map.Entry<K, Write<V>> e : writes.entrySet()) {
      if (e.getValue().value() != null) {
        live.put(e.getKey(), e.getValue().value());
      }
    }
    return Collections.unmodifiableSortedMap(live);
  }

  /**
   * Returns the value of a key.
   *
   * @param key the key; never null
   * @return the value, or empty if the key was never put or its winning write is a removal
   */
  public Optional<V> get(K key) {
    Write<V> w = writes.get(key);
    return w == null ? Optional.empty() : Optional.ofNullable(w.value());
  }

  /**
   * Returns the number of tombstones: keys whose winning write is a removal.
   *
   * @return the tombstone count
   */
  public int tombstones() {
    int n = 0;
    for (Write<V> w : writes.values()) {
      n += w.value() == null ? 1 : 0;
    }
    return n;
  }

  /**
   * Puts a value at a timestamp; the timestamp's origin is the acting replica.
   *
   * @param timestamp when the put happened; never null
   * @param key the key; never null
   * @param value the value; never null
   * @return the new state and the delta; bottom if the put loses against the key's current write
   */
  public Mutation<LwwMap<K, V>> put(HybridTimestamp timestamp, K key, V value) {
    return write(key, new Write<>(timestamp, Objects.requireNonNull(value, "value")));
  }

  /**
   * Removes a key at a timestamp, leaving a tombstone; the timestamp's origin is the acting
   * replica.
   *
   * @param timestamp when the removal happened; never null
   * @param key the key; never null
   * @return the new state and the delta; bottom if the removal loses against the key's current
   *     write
   */
  public Mutation<LwwMap<K, V>> remove(HybridTimestamp timestamp, K key) {
    return write(key, new Write<>(timestamp, null));
  }

  private Mutation<LwwMap<K, V>> write(K key, Write<V> write) {
    Objects.requireNonNull(key, "key");
    Objects.requireNonNull(write.timestamp(), "timestamp");
    Write<V> current = writes.get(key);
    if (current != null && !wins(write, current)) {
      return new Mutation<>(this, empty(keyCodec, valueCodec));
    }
    TreeMap<K, Write<V>> next = new TreeMap<>(writes);
    next.put(key, write);
    TreeMap<K, Write<V>> delta = new TreeMap<>(keyCodec);
    delta.put(key, write);
    return new Mutation<>(
        new LwwMap<>(keyCodec, valueCodec, next), new LwwMap<>(keyCodec, valueCodec, delta));
  }

  private boolean wins(Write<V> a, Write<V> b) {
    int c = a.timestamp().compareTo(b.timestamp());
    if (c != 0) {
      return c > 0;
    }
    if (a.value() == null || b.value() == null) {
      return a.value() != null;
    }
    return valueCodec.compare(a.value(), b.value()) > 0;
  }

  @Override
  public LwwMap<K, V> merge(LwwMap<K, V> other) {
    TreeMap<K, Write<V>> merged = new TreeMap<>(writes);
    for (Map.Entry<K, Write<V>> e : other.writes.entrySet()) {
      merged.merge(e.getKey(), e.getValue(), (a, b) -> wins(b, a) ? b : a);
    }
    return new LwwMap<>(keyCodec, valueCodec, merged);
  }

  @Override
  public boolean isBottom() {
    return writes.isEmpty();
  }

  /**
   * Writes the map: the entry count, then per key in key order the key (front-coded, see {@link
   * GSet#writeTo}), the timestamp, and a byte that is 1 for a put, followed by the value, or 0 for
   * a removal.
   *
   * @param out the writer; never null
   */
  @Override
  public void writeTo(CompactWriter out) {
    out.writeUnsigned(writes.size());
    ElementWriter<K> keys = new ElementWriter<>(keyCodec, out);
    for (Map.Entry<K, Write<V>> e : writes.entrySet()) {
      keys.write(e.getKey());
      Write<V> w = e.getValue();
      w.timestamp().writeTo(out);
      if (w.value() == null) {
        out.writeByte(0);
      } else {
        out.writeByte(1);
        valueCodec.write(w.value(), out);
      }
    }
  }

  /**
   * Reads a map written by {@link #writeTo}.
   *
   * @param in the reader; never null
   * @param keyCodec the codec of keys; never null
   * @param valueCodec the codec of values; never null
   * @param <K> the key type
   * @param <V> the value type
   * @return the map
   * @throws MalformedEncodingException if the bytes are not a canonical map
   */
  public static <K, V> LwwMap<K, V> readFrom(
      CompactReader in, ElementCodec<K> keyCodec, ElementCodec<V> valueCodec) {
    int count = in.readCount("LWW-Map entries", 6);
    ElementReader<K> keys = new ElementReader<>(keyCodec, in, "LWW-Map key");
    TreeMap<K, Write<V>> writes = new TreeMap<>(keyCodec);
    for (int i = 0; i < count; i++) {
      K key = keys.read();
      HybridTimestamp ts = HybridTimestamp.readFrom(in);
      int at = in.position();
      int flag = in.readByte("LWW-Map put flag");
      if (flag > 1) {
        throw new MalformedEncodingException("LWW-Map put flag must be 0 or 1", at);
      }
      writes.put(key, new Write<>(ts, flag == 1 ? valueCodec.read(in) : null));
    }
    return new LwwMap<>(keyCodec, valueCodec, writes);
  }

  @Override
  public byte[] toBytes() {
    CompactWriter out = new CompactWriter(16 + writes.size() * 24);
    out.writeByte(TAG);
    writeTo(out);
    return out.toByteArray();
  }

  /**
   * Decodes a map encoded by {@link #toBytes()}.
   *
   * @param bytes the encoding; never null
   * @param keyCodec the codec of keys; never null
   * @param valueCodec the codec of values; never null
   * @param <K> the key type
   * @param <V> the value type
   * @return the map
   * @throws MalformedEncodingException if the bytes are not exactly one encoded LWW-Map
   */
  public static <K, V> LwwMap<K, V> fromBytes(
      byte[] bytes, ElementCodec<K> keyCodec, ElementCodec<V> valueCodec) {
    CompactReader in = new CompactReader(bytes);
    if (in.readByte("LWW-Map tag") != TAG) {
      throw new MalformedEncodingException("not an LWW-Map: wrong type tag", 0);
    }
    LwwMap<K, V> map = readFrom(in, keyCodec, valueCodec);
    in.expectEnd("LWW-Map");
    return map;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof LwwMap<?, ?> m && writes.equals(m.writes);
  }

  @Override
  public int hashCode() {
    return writes.hashCode();
  }

  @Override
  public String toString() {
    return "LwwMap" + writes;
  }
}
