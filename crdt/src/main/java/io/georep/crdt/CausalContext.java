package io.georep.crdt;

import io.georep.vectorclock.Dot;
import io.georep.vectorclock.ReplicaId;
import io.georep.vectorclock.VersionVector;
import io.georep.vectorclock.encoding.CompactReader;
import io.georep.vectorclock.encoding.CompactWriter;
import io.georep.vectorclock.encoding.MalformedEncodingException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.List;
import java.util.Objects;

/**
 * An immutable causal context: the set of dots (events) a causal CRDT state has seen, whether their
 * effect is still present or has been removed.
 *
 * <p>Design (Almeida, Shoker, Baquero, "Delta State Replicated Data Types", JPDC 2018, section 5):
 * a context is a version vector, which covers every replica's contiguous prefix of dots, plus a
 * <em>dot cloud</em> of the dots seen out of order, as a delta does that carries a single removal.
 * The representation is kept canonical by compaction: a cloud dot that extends its replica's prefix
 * moves into the vector, and no cloud dot is covered by the vector. So two contexts holding the
 * same set of dots are {@code equals} and encode to the same bytes. Removing an element needs no
 * tombstone: forgetting the element's dots while the context still covers them is what prevents an
 * older copy from coming back on merge.
 *
 * <p>Instances are immutable and thread-safe.
 */
public final class CausalContext {
  static final Dot[] NO_DOTS = new Dot[0];
  private static final CausalContext EMPTY = new CausalContext(VersionVector.empty(), NO_DOTS);
  private static final int TAG = 'X';

  private final VersionVector vector;
  // Sorted (origin, seq); each dot has seq > vector.get(origin) + 1.
  private final Dot[] cloud;

  private CausalContext(VersionVector vector, Dot[] cloud) {
    this.vector = vector;
    this.cloud = cloud;
  }

  /**
   * Returns the context that has seen nothing.
   *
   * @return the empty context
   */
  public static CausalContext empty() {
    return EMPTY;
  }

  /**
   * Returns the context of exactly the dots a version vector covers.
   *
   * @param vector the vector; never null
   * @return the context
   */
  public static CausalContext of(VersionVector vector) {
    Objects.requireNonNull(vector, "vector");
    return vector.isEmpty() ? EMPTY : new CausalContext(vector, NO_DOTS);
  }

  /**
   * Returns the context of the given dots, compacted.
   *
   * @param dots the dots; never null, no null elements; duplicates are allowed
   * @return the context
   */
  public static CausalContext of(Collection<Dot> dots) {
    Dot[] sorted = dots.toArray(NO_DOTS);
    Arrays.sort(sorted);
    return compact(VersionVector.empty(), sorted);
  }

  /**
   * Returns the version vector of the compacted part.
   *
   * @return every replica's contiguous prefix of seen dots
   */
  public VersionVector vector() {
    return vector;
  }

  /**
   * Returns the dots seen beyond the vector's prefixes, in dot order.
   *
   * @return the dot cloud; unmodifiable
   */
  public List<Dot> cloud() {
    return List.of(cloud);
  }

  /**
   * Tells whether this context has seen nothing.
   *
   * @return true if no dot is covered
   */
  public boolean isEmpty() {
    return vector.isEmpty() && cloud.length == 0;
  }

  /**
   * Tells whether this context has seen the dot.
   *
   * @param dot the dot; never null
   * @return true if the dot is covered by the vector or in the cloud
   */
  public boolean covers(Dot dot) {
    return vector.covers(dot) || (cloud.length > 0 && Arrays.binarySearch(cloud, dot) >= 0);
  }

  /**
   * Returns the dot for the replica's next event: one after the highest dot of the replica this
   * context has seen. Only the replica itself may create its dots.
   *
   * @param replica the acting replica; never null
   * @return the next dot
   */
  public Dot nextDot(ReplicaId replica) {
    long max = vector.get(replica);
    for (Dot d : cloud) {
      if (d.origin().equals(replica)) {
        max = Math.max(max, d.seq());
      }
    }
    return new Dot(replica, Math.addExact(max, 1));
  }

  /**
   * Returns this context with the dot added.
   *
   * @param dot the dot; never null
   * @return the new context, or this one when the dot is already covered
   */
  public CausalContext add(Dot dot) {
    if (covers(dot)) {
      return this;
    }
    if (cloud.length == 0 && dot.seq() == vector.get(dot.origin()) + 1) {
      return new CausalContext(vector.add(dot), NO_DOTS);
    }
    Dot[] candidates = Arrays.copyOf(cloud, cloud.length + 1);
    candidates[cloud.length] = dot;
    Arrays.sort(candidates);
    return compact(vector, candidates);
  }

  /**
   * Returns the union of the two contexts.
   *
   * @param other the other context; never null
   * @return the union; this or {@code other} when one covers the other's vector and both have no
   *     cloud
   */
  @SuppressWarnings("ReferenceEquality") // a shortcut only; equal contexts take the long way
  public CausalContext join(CausalContext other) {
    if (other == this || other.isEmpty()) {
      return this;
    }
    if (isEmpty()) {
      return other;
    }
    VersionVector joined = vector.join(other.vector);
    if (cloud.length == 0 && other.cloud.length == 0) {
      if (joined.equals(vector)) {
        return this;
      }
      return joined.equals(other.vector) ? other : new CausalContext(joined, NO_DOTS);
    }
    Dot[] candidates = new Dot[cloud.length + other.cloud.length];
    System.arraycopy(cloud, 0, candidates, 0, cloud.length);
    System.arraycopy(other.cloud, 0, candidates, cloud.length, other.cloud.length);
    Arrays.sort(candidates);
    return compact(joined, candidates);
  }

  /**
   * Builds the canonical context of {@code vector} plus sorted {@code dots}: one pass, because
   * within one origin the dots come in increasing order, so a dot that extends the prefix is seen
   * before the dots that could then extend it further.
   */
  private static CausalContext compact(VersionVector vector, Dot[] sortedDots) {
    if (sortedDots.length == 0) {
      return of(vector);
    }
    List<Dot> kept = new ArrayList<>();
    VersionVector v = vector;
    ReplicaId origin = null;
    long prefix = 0;
    for (Dot d : sortedDots) {
      if (!d.origin().equals(origin)) {
        if (origin != null) {
          v = v.advance(origin, prefix);
        }
        origin = d.origin();
        prefix = v.get(origin);
      }
      if (d.seq() == prefix + 1) {
        prefix = d.seq();
      } else if (d.seq() > prefix && (kept.isEmpty() || !kept.get(kept.size() - 1).equals(d))) {
        kept.add(d);
      }
    }
    v = v.advance(origin, prefix);
    if (kept.isEmpty()) {
      return of(v);
    }
    return new CausalContext(v, kept.toArray(NO_DOTS));
  }

  /**
   * Writes the context. The layout is a replica table (sorted ids of the vector and the cloud),
   * then the vector's counter per table entry, then the cloud as (table index, seq) pairs. Causal
   * CRDTs write their dots against the same table, so each replica name appears once.
   *
   * @param out the writer; never null
   */
  public void writeTo(CompactWriter out) {
    ReplicaTable table = ReplicaTable.of(this);
    table.writeTo(out);
    for (ReplicaId r : table.replicas()) {
      out.writeUnsigned(vector.get(r));
    }
    out.writeUnsigned(cloud.length);
    for (Dot d : cloud) {
      table.writeDot(d, out);
    }
  }

  /**
   * Reads a context written by {@link #writeTo}. Only the canonical form is accepted: a table in
   * strictly increasing order whose every replica is used, a compacted cloud in dot order.
   *
   * @param in the reader; never null
   * @return the context
   * @throws MalformedEncodingException if the bytes are not a canonical context
   */
  public static CausalContext readFrom(CompactReader in) {
    ReplicaTable table = ReplicaTable.readFrom(in);
    ReplicaId[] replicas = table.replicas();
    long[] counters = new long[replicas.length];
    boolean[] used = new boolean[replicas.length];
    VersionVector v = VersionVector.empty();
    for (int i = 0; i < replicas.length; i++) {
      counters[i] = in.readUnsigned("causal context counter");
      used[i] = counters[i] > 0;
      v = v.advance(replicas[i], counters[i]);
    }
    int count = in.readCount("causal context cloud", 2);
    Dot[] cloud = new Dot[count];
    for (int i = 0; i < count; i++) {
      int at = in.position();
      int index = table.readIndex(in);
      long seq = in.readUnsigned("dot sequence number", 1, Long.MAX_VALUE);
      Dot d = new Dot(replicas[index], seq);
      if (seq - 1 <= counters[index] || (i > 0 && cloud[i - 1].compareTo(d) >= 0)) {
        throw new MalformedEncodingException(
            "causal context cloud dot " + d + " is compactable, out of order or duplicated", at);
      }
      used[index] = true;
      cloud[i] = d;
    }
    for (int i = 0; i < used.length; i++) {
      if (!used[i]) {
        throw new MalformedEncodingException(
            "causal context replica table lists unused replica " + replicas[i], in.position());
      }
    }
    return count == 0 ? of(v) : new CausalContext(v, cloud);
  }

  /**
   * Encodes the context as a self-contained byte array (a type tag, then {@link #writeTo}).
   *
   * @return the encoding; equal contexts give equal bytes
   */
  public byte[] toBytes() {
    CompactWriter out = new CompactWriter(16 + vector.size() * 12 + cloud.length * 4);
    out.writeByte(TAG);
    writeTo(out);
    return out.toByteArray();
  }

  /**
   * Decodes a context encoded by {@link #toBytes()}.
   *
   * @param bytes the encoding; never null
   * @return the context
   * @throws MalformedEncodingException if the bytes are not exactly one encoded context
   */
  public static CausalContext fromBytes(byte[] bytes) {
    CompactReader in = new CompactReader(bytes);
    if (in.readByte("causal context tag") != TAG) {
      throw new MalformedEncodingException("not a causal context: wrong type tag", 0);
    }
    CausalContext context = readFrom(in);
    in.expectEnd("causal context");
    return context;
  }

  /**
   * Adds the replica's dots {@code first..last}: the dots of a batch of its own events. When they
   * extend the replica's prefix, as a replica's own fresh dots do, this costs one vector update.
   */
  CausalContext addRange(ReplicaId replica, long first, long last) {
    if (first == vector.get(replica) + 1) {
      boolean cloudFree = true;
      for (Dot d : cloud) {
        cloudFree &= !d.origin().equals(replica);
      }
      if (cloudFree) {
        return new CausalContext(vector.advance(replica, last), cloud);
      }
    }
    CausalContext c = this;
    for (long seq = first; seq <= last; seq++) {
      c = c.add(new Dot(replica, seq));
    }
    return c;
  }

  Dot[] cloudArray() {
    return cloud;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof CausalContext c && vector.equals(c.vector) && Arrays.equals(cloud, c.cloud);
  }

  @Override
  public int hashCode() {
    return 31 * vector.hashCode() + Arrays.hashCode(cloud);
  }

  @Override
  public String toString() {
    return cloud.length == 0 ? vector.toString() : vector + "+" + Arrays.toString(cloud);
  }
}
