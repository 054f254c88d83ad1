package io.georep.crdt;

import io.georep.vectorclock.encoding.CompactReader;
import io.georep.vectorclock.encoding.CompactWriter;
import io.georep.vectorclock.encoding.MalformedEncodingException;
import java.util.Collection;
import java.util.Collections;
import java.util.Objects;
import java.util.SortedSet;
import java.util.TreeSet;

/**
 * A grow-only set (G-Set): elements can be added, never removed; merge is union.
 *
 * <p>Elements are kept in codec order, which is also the encoding order. A delta is the singleton
 * of the added element. Mutators copy the set (linear in its size). Immutable and thread-safe.
 *
 * @param <E> the element type
 */
public final class GSet<E> implements DeltaCrdt<GSet<E>> {
  private static final int TAG = 'S';

  private final ElementCodec<E> codec;
  private final SortedSet<E> elements; // never modified after construction

  private GSet(ElementCodec<E> codec, SortedSet<E> elements) {
    this.codec = codec;
    this.elements = elements;
  }

  /**
   * Returns the empty set.
   *
   * @param codec the codec of elements; never null
   * @param <E> the element type
   * @return the empty set
   */
  public static <E> GSet<E> empty(ElementCodec<E> codec) {
    return new GSet<>(Objects.requireNonNull(codec, "codec"), new TreeSet<>(codec));
  }

  /**
   * Returns the elements.
   *
   * @return the elements in codec order; unmodifiable
   */
  public SortedSet<E> value() {
    return Collections.unmodifiableSortedSet(elements);
  }

  /**
   * Tells whether the set holds the element.
   *
   * @param element the element; never null
   * @return true if the element was added
   */
  public boolean contains(E element) {
    return elements.contains(element);
  }

  /**
   * Adds an element.
   *
   * @param element the element; never null
   * @return the new state and the delta (the singleton); bottom if the element was present
   */
  public Mutation<GSet<E>> add(E element) {
    Objects.requireNonNull(element, "element");
    if (elements.contains(element)) {
      return new Mutation<>(this, empty(codec));
    }
    TreeSet<E> grown = new TreeSet<>(elements);
    grown.add(element);
    TreeSet<E> single = new TreeSet<>(codec);
    single.add(element);
    return new Mutation<>(new GSet<>(codec, grown), new GSet<>(codec, single));
  }

  /**
   * Adds several elements at once: one copy of the set however many are added, where adding them
   * one by one copies it for each.
   *
   * @param added the elements; never null, no null element
   * @return the new state and the delta (the elements that were not present); bottom if none
   */
  public Mutation<GSet<E>> addAll(Collection<? extends E> added) {
    TreeSet<E> delta = new TreeSet<>(codec);
    for (E e : added) {
      if (!elements.contains(Objects.requireNonNull(e, "element"))) {
        delta.add(e);
      }
    }
    if (delta.isEmpty()) {
      return new Mutation<>(this, empty(codec));
    }
    TreeSet<E> grown = new TreeSet<>(elements);
    grown.addAll(delta);
    return new Mutation<>(new GSet<>(codec, grown), new GSet<>(codec, delta));
  }

  @Override
  public GSet<E> merge(GSet<E> other) {
    if (elements.containsAll(other.elements)) {
      return this;
    }
    if (other.elements.containsAll(elements)) {
      return other;
    }
    TreeSet<E> union = new TreeSet<>(elements);
    union.addAll(other.elements);
    return new GSet<>(codec, union);
  }

  @Override
  public boolean isBottom() {
    return elements.isEmpty();
  }

  /**
   * Writes the set: the element count, then the elements in codec order, front-coded (each as the
   * length of the prefix it shares with the previous element's encoding, then the rest).
   *
   * @param out the writer; never null
   */
  @Override
  public void writeTo(CompactWriter out) {
    out.writeUnsigned(elements.size());
    ElementWriter<E> writer = new ElementWriter<>(codec, out);
    for (E e : elements) {
      writer.write(e);
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
  public static <E> GSet<E> readFrom(CompactReader in, ElementCodec<E> codec) {
    int count = in.readCount("G-Set elements", 2);
    ElementReader<E> reader = new ElementReader<>(codec, in, "G-Set element");
    TreeSet<E> elements = new TreeSet<>(codec);
    for (int i = 0; i < count; i++) {
      elements.add(reader.read());
    }
    return new GSet<>(codec, elements);
  }

  @Override
  public byte[] toBytes() {
    CompactWriter out = new CompactWriter(16 + elements.size() * 8);
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
   * @throws MalformedEncodingException if the bytes are not exactly one encoded G-Set
   */
  public static <E> GSet<E> fromBytes(byte[] bytes, ElementCodec<E> codec) {
    CompactReader in = new CompactReader(bytes);
    if (in.readByte("G-Set tag") != TAG) {
      throw new MalformedEncodingException("not a G-Set: wrong type tag", 0);
    }
    GSet<E> set = readFrom(in, codec);
    in.expectEnd("G-Set");
    return set;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof GSet<?> s && elements.equals(s.elements);
  }

  @Override
  public int hashCode() {
    return elements.hashCode();
  }

  @Override
  public String toString() {
    return "GSet" + elements;
  }
}
