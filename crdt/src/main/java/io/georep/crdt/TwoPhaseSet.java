package io.georep.crdt;

import io.georep.vectorclock.encoding.CompactReader;
import io.georep.vectorclock.encoding.CompactWriter;
import io.georep.vectorclock.encoding.MalformedEncodingException;
import java.util.Collection;
import java.util.Collections;
import java.util.Map;
import java.util.Objects;
import java.util.SortedMap;
import java.util.SortedSet;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * A two-phase set (2P-Set): an element can be added and then removed, and once removed it can never
 * be added again; removal wins over any concurrent or later add.
 *
 * <p>The state is the pair of grow-only sets A (added) and R (removed, the tombstones) of Shapiro
 * et al. 2011, kept as one map from each added element to a removed flag, since R is always a
 * subset of A: removing needs the element to be present at the acting replica (removing an absent
 * element has no effect). Tombstones are part of the definition of this type and are never dropped;
 * use {@link OrSet} when elements come and go. Merge is the union of A with the union of R.
 * Immutable and thread-safe.
 *
 * @param <E> the element type
 */
public final class TwoPhaseSet<E> implements DeltaCrdt<TwoPhaseSet<E>> {
  private static final int TAG = 'T';

  private final ElementCodec<E> codec;
  private final SortedMap<E, Boolean> removed; // element -> removed flag; never modified

  private TwoPhaseSet(ElementCodec<E> codec, SortedMap<E, Boolean> removed) {
    this.codec = codec;
    this.removed = removed;
  }

  /**
   * Returns the empty set.
   *
   * @param codec the codec of elements; never null
   * @param <E> the element type
   * @return the empty set
   */
  public static <E> TwoPhaseSet<E> empty(ElementCodec<E> codec) {
    return new TwoPhaseSet<>(Objects.requireNonNull(codec, "codec"), new TreeMap<>(codec));
  }

  /**
   * Returns the elements added and not removed.
   *
   * @return the elements in codec order; unmodifiable
   */
  public SortedSet<E> value() {
    TreeSet<E> live = new TreeSet<>(codec);
    for (Map.Entry<E, Boolean> e : removed.entrySet()) {
      if (!e.getValue()) {
        live.add(e.getKey());
      }
    }
    return Collections.unmodifiableSortedSet(live);
  }

  /**
   * Tells whether the element is in the set: added and not removed.
   *
   * @param element the element; never null
   * @return true if present
   */
  public boolean contains(E element) {
    return Boolean.FALSE.equals(removed.get(element));
  }

  /**
   * Adds an element. Adding an element that was ever added (even if removed since) has no effect.
   *
   * @param element the element; never null
   * @return the new state and the delta; bottom if nothing changed
   */
  public Mutation<TwoPhaseSet<E>> add(E element) {
    return update(element, false);
  }

  /**
   * Removes an element for good. Removing an element that is not present has no effect.
   *
   * @param element the element; never null
   * @return the new state and the delta; bottom if nothing changed
   */
  public Mutation<TwoPhaseSet<E>> remove(E element) {
    if (!contains(element)) {
      return new Mutation<>(this, empty(codec));
    }
    return update(element, true);
  }

  /**
   * Adds several elements and removes several for good, in one step: one copy of the set however
   * many change. The removals apply after the additions, so an element in both ends removed.
   *
   * <p>Unlike {@link #remove}, a removal here needs no precondition: an element not present gets
   * its tombstone all the same (R need not be a subset of A), which keeps out an addition of it
   * that is concurrent or yet to arrive. That is what a replica needs that receives removals as
   * operations from others, where "present" differs from one replica to the next: every replica
   * then ends with the same tombstones whatever the order.
   *
   * @param added the elements to add; never null, no null element
   * @param gone the elements to remove for good; never null, no null element
   * @return the new state and the delta; bottom if nothing changed
   */
  public Mutation<TwoPhaseSet<E>> update(
      Collection<? extends E> added, Collection<? extends E> gone) {
    TreeMap<E, Boolean> delta = new TreeMap<>(codec);
    for (E e : added) {
      if (!removed.containsKey(Objects.requireNonNull(e, "element"))) {
        delta.put(e, false);
      }
    }
    for (E e : gone) {
      if (!Boolean.TRUE.equals(removed.get(Objects.requireNonNull(e, "element")))) {
        delta.put(e, true);
      }
    }
    if (delta.isEmpty()) {
      return new Mutation<>(this, empty(codec));
    }
    TreeMap<E, Boolean> next = new TreeMap<>(this.removed);
    next.putAll(delta);
    return new Mutation<>(new TwoPhaseSet<>(codec, next), new TwoPhaseSet<>(codec, delta));
  }

  private Mutation<TwoPhaseSet<E>> update(E element, boolean remove) {
    Objects.requireNonNull(element, "element");
    Boolean current = removed.get(element);
    if (current != null && (current || !remove)) {
      return new Mutation<>(this, empty(codec));
    }
    TreeMap<E, Boolean> next = new TreeMap<>(removed);
    next.put(element, remove);
    TreeMap<E, Boolean> delta = new TreeMap<>(codec);
    delta.put(element, remove);
    return new Mutation<>(new TwoPhaseSet<>(codec, next), new TwoPhaseSet<>(codec, delta));
  }

  @Override
  public TwoPhaseSet<E> merge(TwoPhaseSet<E> other) {
    TreeMap<E, Boolean> union = new TreeMap<>(removed);
    for (Map.Entry<E, Boolean> e : other.removed.entrySet()) {
      union.merge(e.getKey(), e.getValue(), Boolean::logicalOr);
    }
    return new TwoPhaseSet<>(codec, union);
  }

  @Override
  public boolean isBottom() {
    return removed.isEmpty();
  }

  /**
   * Writes the set: the count of added elements, then each in codec order, front-coded (see {@link
   * GSet#writeTo}), followed by a byte that is 1 if it was removed and 0 if not.
   *
   * @param out the writer; never null
   */
  @Override
  public void writeTo(CompactWriter out) {
    out.writeUnsigned(removed.size());
    ElementWriter<E> writer = new ElementWriter<>(codec, out);
    for (Map.Entry<E, Boolean> e : removed.entrySet()) {
      writer.write(e.getKey());
      out.writeByte(e.getValue() ? 1 : 0);
    }
  }

  /**
   * Reads a set written by {@link #writeTo}.
   *
   * @param in the reader; never null
   * @param codec the codec of elements; never null
   * @param <E> the element type
   * @return the set
   * @throws MalformedEncodingException if the bytes are not a canonical set
   */
  public static <E> TwoPhaseSet<E> readFrom(CompactReader in, ElementCodec<E> codec) {
    int count = in.readCount("2P-Set elements", 3);
    ElementReader<E> reader = new ElementReader<>(codec, in, "2P-Set element");
    TreeMap<E, Boolean> removed = new TreeMap<>(codec);
    for (int i = 0; i < count; i++) {
      E element = reader.read();
      int at = in.position();
      int flag = in.readByte("2P-Set removed flag");
      if (flag > 1) {
        throw new MalformedEncodingException("2P-Set removed flag must be 0 or 1", at);
      }
      removed.put(element, flag == 1);
    }
    return new TwoPhaseSet<>(codec, removed);
  }

  @Override
  public byte[] toBytes() {
    CompactWriter out = new CompactWriter(16 + removed.size() * 8);
    out.writeByte(TAG);
    writeTo(out);
    return out.toByteArray();
  }

  /**
   * Decodes a set encoded by {@link #toBytes()}.
   *
   * @param bytes the encoding; never null
   * @param codec the codec of elements; never null
   * @param <E> the element type
   * @return the set
   * @throws MalformedEncodingException if the bytes are not exactly one encoded 2P-Set
   */
  public static <E> TwoPhaseSet<E> fromBytes(byte[] bytes, ElementCodec<E> codec) {
    CompactReader in = new CompactReader(bytes);
    if (in.readByte("2P-Set tag") != TAG) {
      throw new MalformedEncodingException("not a 2P-Set: wrong type tag", 0);
    }
    TwoPhaseSet<E> set = readFrom(in, codec);
    in.expectEnd("2P-Set");
    return set;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof TwoPhaseSet<?> s && removed.equals(s.removed);
  }

  @Override
  public int hashCode() {
    return removed.hashCode();
  }

  @Override
  public String toString() {
    return "TwoPhaseSet" + removed;
  }
}
