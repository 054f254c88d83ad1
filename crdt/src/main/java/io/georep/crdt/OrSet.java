package io.georep.crdt;

import io.georep.vectorclock.Dot;
import io.georep.vectorclock.ReplicaId;
import io.georep.vectorclock.encoding.CompactReader;
import io.georep.vectorclock.encoding.CompactWriter;
import io.georep.vectorclock.encoding.MalformedEncodingException;
import java.util.AbstractSet;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.Objects;
import java.util.Set;

/**
 * An observed-remove set with add-wins semantics (add-wins OR-Set): a removal removes the additions
 * it has observed, and an addition concurrent with a removal survives.
 *
 * <p>Design (Almeida, Shoker, Baquero, "Delta State Replicated Data Types", JPDC 2018, "optimized
 * add-wins OR-Set"; Bieniusa et al. 2012 for the optimisation): the state is a dot store, mapping
 * each present element to the dots of the additions that put it there, plus a {@link CausalContext}
 * of every dot the state has seen. Invariants:
 *
 * <ul>
 *   <li>every dot in the store is covered by the context, and belongs to a single element;
 *   <li>an element is present iff its dot set is non-empty; elements are kept sorted in codec order
 *       in an array, with a parallel array of dot sets sorted in dot order.
 * </ul>
 *
 * <p>Adding {@code e} at replica {@code r} gives {@code e} the single fresh dot {@code
 * context.nextDot(r)}; the delta carries that entry and, in its context, the dots it replaces.
 * Removing {@code e} forgets its dots; the delta is an empty store whose context holds them. Merge
 * of {@code (s, c)} and {@code (s', c')} keeps a dot iff both stores hold it or the other context
 * has not seen it. So removed elements leave no tombstone: the context, a version vector plus a
 * small cloud of out-of-order dots, is what stops a stale copy from coming back.
 *
 * <p>Cost: merge and encoding are linear single passes over both sorted arrays; mutators copy the
 * arrays (linear), so use {@link #addAll} and {@link #removeAll} for batches. Immutable and
 * thread-safe.
 *
 * @param <E> the element type
 */
public final class OrSet<E> implements DeltaCrdt<OrSet<E>> {
  private static final int TAG = 'O';
  private static final Object[] NO_ELEMENTS = new Object[0];
  private static final Dot[][] NO_DOT_SETS = new Dot[0][];

  private final ElementCodec<E> codec;
  private final Object[] elements;
  private final Dot[][] dots;
  private final CausalContext context;

  private OrSet(ElementCodec<E> codec, Object[] elements, Dot[][] dots, CausalContext context) {
    this.codec = codec;
    this.elements = elements;
    this.dots = dots;
    this.context = context;
  }

  /**
   * Returns the empty set that has seen nothing.
   *
   * @param codec the codec of elements; never null
   * @param <E> the element type
   * @return the empty set
   */
  public static <E> OrSet<E> empty(ElementCodec<E> codec) {
    return new OrSet<>(
        Objects.requireNonNull(codec, "codec"), NO_ELEMENTS, NO_DOT_SETS, CausalContext.empty());
  }

  /**
   * Returns the elements present.
   *
   * @return an unmodifiable view, iterated in codec order
   */
  public Set<E> value() {
    return new View();
  }

  /**
   * Returns the number of elements present.
   *
   * @return the size
   */
  public int size() {
    return elements.length;
  }

  /**
   * Tells whether an element is present.
   *
   * @param element the element; never null
   * @return true if present
   */
  public boolean contains(E element) {
    return indexOf(element) >= 0;
  }

  /**
   * Returns the causal context: every addition this state has seen.
   *
   * @return the context
   */
  public CausalContext context() {
    return context;
  }

  @SuppressWarnings("unchecked")
  private E element(int i) {
    return (E) elements[i];
  }

  private int indexOf(E element) {
    int lo = 0;
    int hi = elements.length - 1;
    while (lo <= hi) {
      int mid = (lo + hi) >>> 1;
      int c = codec.compare(element(mid), element);
      if (c < 0) {
        lo = mid + 1;
      } else if (c > 0) {
        hi = mid - 1;
      } else {
        return mid;
      }
    }
    return -(lo + 1);
  }

  /**
   * Adds an element on behalf of a replica.
   *
   * @param replica the acting replica; never null
   * @param element the element; never null
   * @return the new state and the delta
   */
  public Mutation<OrSet<E>> add(ReplicaId replica, E element) {
    return addAll(replica, List.of(element));
  }

  /**
   * Adds several elements on behalf of a replica, each with its own fresh dot, in one mutation.
   *
   * @param replica the acting replica; never null
   * @param added the elements; never null, no null elements; duplicates are ignored
   * @return the new state and the delta; bottom if {@code added} is empty
   */
  public Mutation<OrSet<E>> addAll(ReplicaId replica, Collection<? extends E> added) {
    Objects.requireNonNull(replica, "replica");
    Object[] sorted = sortedDistinct(added);
    if (sorted.length == 0) {
      return new Mutation<>(this, empty(codec));
    }
    long first = context.nextDot(replica).seq();
    Dot[][] fresh = new Dot[sorted.length][];
    List<Dot> deltaContext = new ArrayList<>(sorted.length * 2);
    for (int k = 0; k < sorted.length; k++) {
      Dot d = new Dot(replica, Math.addExact(first, k));
      fresh[k] = new Dot[] {d};
      deltaContext.add(d);
    }
    // Merge the fresh entries into the state: an added element's old dots are replaced.
    Object[] es = new Object[elements.length + sorted.length];
    Dot[][] ds = new Dot[es.length][];
    int n = 0;
    int i = 0;
    int j = 0;
    while (i < elements.length || j < sorted.length) {
      int c;
      if (i == elements.length) {
        c = 1;
      } else if (j == sorted.length) {
        c = -1;
      } else {
        @SuppressWarnings("unchecked")
        E e = (E) sorted[j];
        c = codec.compare(element(i), e);
      }
      if (c < 0) {
        es[n] = elements[i];
        ds[n++] = dots[i++];
      } else {
        if (c == 0) {
          deltaContext.addAll(Arrays.asList(dots[i++]));
        }
        es[n] = sorted[j];
        ds[n++] = fresh[j++];
      }
    }
    CausalContext grown = context.addRange(replica, first, first + sorted.length - 1);
    return new Mutation<>(
        new OrSet<>(codec, Arrays.copyOf(es, n), Arrays.copyOf(ds, n), grown),
        new OrSet<>(codec, sorted, fresh, CausalContext.of(deltaContext)));
  }

  private Object[] sortedDistinct(Collection<? extends E> in) {
    Object[] sorted = in.toArray();
    for (Object o : sorted) {
      Objects.requireNonNull(o, "element");
    }
    @SuppressWarnings("unchecked")
    ElementCodec<Object> order = (ElementCodec<Object>) codec;
    Arrays.sort(sorted, order);
    int n = 0;
    for (int k = 0; k < sorted.length; k++) {
      if (n == 0 || order.compare(sorted[n - 1], sorted[k]) != 0) {
        sorted[n++] = sorted[k];
      }
    }
    return n == sorted.length ? sorted : Arrays.copyOf(sorted, n);
  }

  /**
   * Removes an element: the additions of it that this state has observed. A concurrent addition
   * elsewhere survives.
   *
   * @param element the element; never null
   * @return the new state and the delta; bottom if the element is not present
   */
  public Mutation<OrSet<E>> remove(E element) {
    return removeAll(List.of(element));
  }

  /**
   * Removes several elements in one mutation.
   *
   * @param removed the elements; never null, no null elements
   * @return the new state and the delta; bottom if none was present
   */
  public Mutation<OrSet<E>> removeAll(Collection<? extends E> removed) {
    Object[] sorted = sortedDistinct(removed);
    boolean[] gone = new boolean[elements.length];
    List<Dot> forgotten = new ArrayList<>();
    int kept = elements.length;
    for (Object o : sorted) {
      @SuppressWarnings("unchecked")
      int i = indexOf((E) o);
      if (i >= 0) {
        gone[i] = true;
        forgotten.addAll(Arrays.asList(dots[i]));
        kept--;
      }
    }
    if (kept == elements.length) {
      return new Mutation<>(this, empty(codec));
    }
    Object[] es = new Object[kept];
    Dot[][] ds = new Dot[kept][];
    int n = 0;
    for (int i = 0; i < elements.length; i++) {
      if (!gone[i]) {
        es[n] = elements[i];
        ds[n++] = dots[i];
      }
    }
    return new Mutation<>(
        new OrSet<>(codec, es, ds, context),
        new OrSet<>(codec, NO_ELEMENTS, NO_DOT_SETS, CausalContext.of(forgotten)));
  }

  /**
   * Removes every element this state holds.
   *
   * @return the new state and the delta; bottom if the set is empty
   */
  public Mutation<OrSet<E>> clear() {
    if (elements.length == 0) {
      return new Mutation<>(this, empty(codec));
    }
    List<Dot> forgotten = new ArrayList<>();
    collectDots(forgotten);
    return new Mutation<>(
        new OrSet<>(codec, NO_ELEMENTS, NO_DOT_SETS, context),
        new OrSet<>(codec, NO_ELEMENTS, NO_DOT_SETS, CausalContext.of(forgotten)));
  }

  /*
   * The join of two causal dot stores: a dot survives iff both stores hold it, or the other side's
   * context has not seen it (it is news, not a removal). Both element arrays are sorted, so this is
   * one linear pass; dot sets are tiny (usually one dot), and sets equal on both sides, the common
   * case between replicas that are mostly in sync, are shared rather than copied.
   */
  @Override
  public OrSet<E> merge(OrSet<E> other) {
    CausalContext ours = context;
    CausalContext theirs = other.context;
    Object[] es = new Object[elements.length + other.elements.length];
    Dot[][] ds = new Dot[es.length][];
    int n = 0;
    int i = 0;
    int j = 0;
    while (i < elements.length || j < other.elements.length) {
      int c;
      if (i == elements.length) {
        c = 1;
      } else if (j == other.elements.length) {
        c = -1;
      } else {
        c = codec.compare(element(i), other.element(j));
      }
      Dot[] kept;
      Object e;
      if (c == 0) {
        e = elements[i];
        kept = joinDots(dots[i++], other.dots[j++], ours, theirs);
      } else if (c < 0) {
        e = elements[i];
        kept = unseen(dots[i++], theirs);
      } else {
        e = other.elements[j];
        kept = unseen(other.dots[j++], ours);
      }
      if (kept.length > 0) {
        es[n] = e;
        ds[n++] = kept;
      }
    }
    return new OrSet<>(
        codec,
        n == es.length ? es : Arrays.copyOf(es, n),
        n == ds.length ? ds : Arrays.copyOf(ds, n),
        ours.join(theirs));
  }

  /** The dots of {@code a} the context has not seen. */
  private static Dot[] unseen(Dot[] a, CausalContext seen) {
    int covered = 0;
    for (Dot d : a) {
      if (seen.covers(d)) {
        covered++;
      }
    }
    if (covered == 0) {
      return a;
    }
    Dot[] out = new Dot[a.length - covered];
    int n = 0;
    for (Dot d : a) {
      if (!seen.covers(d)) {
        out[n++] = d;
      }
    }
    return out;
  }

  private static Dot[] joinDots(Dot[] a, Dot[] b, CausalContext ca, CausalContext cb) {
    if (Arrays.equals(a, b)) {
      return a;
    }
    Dot[] out = new Dot[a.length + b.length];
    int n = 0;
    int i = 0;
    int j = 0;
    while (i < a.length || j < b.length) {
      int c;
      if (i == a.length) {
        c = 1;
      } else if (j == b.length) {
        c = -1;
      } else {
        c = a[i].compareTo(b[j]);
      }
      if (c == 0) {
        out[n++] = a[i++];
        j++;
      } else if (c < 0) {
        if (!cb.covers(a[i])) {
          out[n++] = a[i];
        }
        i++;
      } else {
        if (!ca.covers(b[j])) {
          out[n++] = b[j];
        }
        j++;
      }
    }
    return n == out.length ? out : Arrays.copyOf(out, n);
  }

  @Override
  public boolean isBottom() {
    return elements.length == 0 && context.isEmpty();
  }

  OrSet<E> withContext(CausalContext replacement) {
    return new OrSet<>(codec, elements, dots, replacement);
  }

  boolean hasDots() {
    return elements.length > 0;
  }

  void collectDots(Collection<Dot> into) {
    for (Dot[] set : dots) {
      into.addAll(Arrays.asList(set));
    }
  }

  /*
   * Dot layout, per element: a varint header, index * 2 + (1 if more than one dot, else 0), with
   * the replica table index of the first dot, then its sequence number as a zig-zag difference
   * from the previous dot of the same replica in this run (elements added in order, as bulk loads
   * and increasing ids are, so cost one byte); if there are more dots, their count minus 2, then
   * each as (table index, zig-zag difference).
   */
  void writeStore(CompactWriter out, ReplicaTable table) {
    out.writeUnsigned(elements.length);
    ElementWriter<E> writer = new ElementWriter<>(codec, out);
    long[] last = new long[table.replicas().length];
    for (int i = 0; i < elements.length; i++) {
      writer.write(element(i));
      Dot[] set = dots[i];
      int index = table.indexOf(set[0].origin());
      out.writeUnsigned(index * 2L + (set.length > 1 ? 1 : 0));
      out.writeSigned(set[0].seq() - last[index]);
      last[index] = set[0].seq();
      if (set.length > 1) {
        out.writeUnsigned(set.length - 2L);
        for (int k = 1; k < set.length; k++) {
          index = table.indexOf(set[k].origin());
          out.writeUnsigned(index);
          out.writeSigned(set[k].seq() - last[index]);
          last[index] = set[k].seq();
        }
      }
    }
  }

  static <E> OrSet<E> readStore(
      CompactReader in, ReplicaTable table, CausalContext context, ElementCodec<E> codec) {
    int count = in.readCount("OR-Set elements", 3);
    ElementReader<E> reader = new ElementReader<>(codec, in, "OR-Set element");
    ReplicaId[] replicas = table.replicas();
    long[] last = new long[replicas.length];
    Object[] es = new Object[count];
    Dot[][] ds = new Dot[count][];
    for (int i = 0; i < count; i++) {
      es[i] = reader.read();
      int at = in.position();
      if (replicas.length == 0) {
        throw new MalformedEncodingException("OR-Set element with an empty replica table", at);
      }
      long header = in.readUnsigned("OR-Set dot header", 0, replicas.length * 2L - 1);
      Dot first = readDot(in, (int) (header / 2), replicas, last, context, null);
      Dot[] set;
      if (header % 2 == 0) {
        set = new Dot[] {first};
      } else {
        set = new Dot[2 + in.readCount("OR-Set element dots", 2)];
        set[0] = first;
        for (int m = 1; m < set.length; m++) {
          set[m] = readDot(in, table.readIndex(in), replicas, last, context, set[m - 1]);
        }
      }
      ds[i] = set;
    }
    return count == 0
        ? new OrSet<>(codec, NO_ELEMENTS, NO_DOT_SETS, context)
        : new OrSet<>(codec, es, ds, context);
  }

  /**
   * Writes the set: its causal context (see {@link CausalContext#writeTo}), the element count, then
   * per element in codec order the element, front-coded (see {@link GSet#writeTo}), and its dots as
   * (replica table index, seq) pairs in dot order.
   *
   * @param out the writer; never null
   */
  @Override
  public void writeTo(CompactWriter out) {
    context.writeTo(out);
    writeStore(out, ReplicaTable.of(context));
  }

  /**
   * Reads a set written by {@link #writeTo}. Only the canonical form is accepted; every dot must be
   * covered by the context.
   *
   * @param in the reader; never null
   * @param codec the codec of elements; never null
   * @param <E> the element type
   * @return the set
   * @throws MalformedEncodingException if the bytes are not a canonical OR-Set
   */
  public static <E> OrSet<E> readFrom(CompactReader in, ElementCodec<E> codec) {
    Objects.requireNonNull(codec, "codec");
    CausalContext context = CausalContext.readFrom(in);
    return readStore(in, ReplicaTable.of(context), context, codec);
  }

  private static Dot readDot(
      CompactReader in,
      int index,
      ReplicaId[] replicas,
      long[] last,
      CausalContext context,
      Dot previous) {
    int at = in.position();
    long delta = in.readSigned("OR-Set dot sequence difference");
    long seq = last[index] + delta;
    if (delta > Long.MAX_VALUE - last[index] || seq < 1) {
      throw new MalformedEncodingException("OR-Set dot sequence number out of range", at);
    }
    last[index] = seq;
    Dot dot = new Dot(replicas[index], seq);
    if (!context.covers(dot) || (previous != null && previous.compareTo(dot) >= 0)) {
      throw new MalformedEncodingException(
          "OR-Set dot " + dot + " is not covered by the context, out of order or duplicated", at);
    }
    return dot;
  }

  @Override
  public byte[] toBytes() {
    CompactWriter out = new CompactWriter(64 + elements.length * 16);
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
   * @throws MalformedEncodingException if the bytes are not exactly one encoded OR-Set
   */
  public static <E> OrSet<E> fromBytes(byte[] bytes, ElementCodec<E> codec) {
    CompactReader in = new CompactReader(bytes);
    if (in.readByte("OR-Set tag") != TAG) {
      throw new MalformedEncodingException("not an OR-Set: wrong type tag", 0);
    }
    OrSet<E> set = readFrom(in, codec);
    in.expectEnd("OR-Set");
    return set;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof OrSet<?> s
        && Arrays.equals(elements, s.elements)
        && Arrays.deepEquals(dots, s.dots)
        && context.equals(s.context);
  }

  @Override
  public int hashCode() {
    return 31 * (31 * Arrays.hashCode(elements) + Arrays.deepHashCode(dots)) + context.hashCode();
  }

  @Override
  public String toString() {
    StringBuilder sb = new StringBuilder("OrSet{");
    for (int i = 0; i < elements.length; i++) {
      sb.append(i > 0 ? ", " : "").append(elements[i]).append('=').append(Arrays.toString(dots[i]));
    }
    return sb.append("} ").append(context).toString();
  }

  /** A read-only view of the elements, in codec order. */
  private final class View extends AbstractSet<E> {
    @Override
    public int size() {
      return elements.length;
    }

    @Override
    @SuppressWarnings("unchecked")
    public boolean contains(Object o) {
      return o != null && indexOf((E) o) >= 0;
    }

    @Override
    public Iterator<E> iterator() {
      return new Iterator<>() {
        private int next;

        @Override
        public boolean hasNext() {
          return next < elements.length;
        }

        @Override
        public E next() {
          if (next >= elements.length) {
            throw new NoSuchElementException();
          }
          return element(next++);
        }
      };
    }
  }
}
