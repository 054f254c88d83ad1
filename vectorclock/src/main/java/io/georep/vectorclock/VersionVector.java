package io.georep.vectorclock;

import io.georep.vectorclock.encoding.CompactReader;
import io.georep.vectorclock.encoding.CompactWriter;
import io.georep.vectorclock.encoding.MalformedEncodingException;
import java.util.Arrays;
import java.util.Collections;
import java.util.Map;
import java.util.Objects;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * An immutable version vector: for each replica, how many of its events (a prefix {@code 1..n} of
 * its dots) have been seen.
 *
 * <p>Version vectors are the causal contexts of georep: a transaction carries the vector of
 * everything its region had applied when it committed, and a change dominates a row version iff its
 * vector {@linkplain #covers(Dot) covers} the version's dot. Causality is a partial order, so
 * {@link #compare} may answer {@link CausalOrder#CONCURRENT}; {@link #join} is the least upper
 * bound.
 *
 * <p>Design: entries are kept in two parallel arrays sorted by replica id, with no zero entries.
 * That representation is canonical, so {@code equals}, {@code hashCode} and the {@linkplain
 * #toBytes() encoding} depend only on the vector's value, and compare and join are single linear
 * merges. Instances are immutable and thread-safe; every operation returns a new vector (or this
 * one when nothing changes).
 */
public final class VersionVector {
  private static final VersionVector EMPTY = new VersionVector(new ReplicaId[0], new long[0]);
  private static final int TAG = 'V';

  private final ReplicaId[] replicas;
  private final long[] counters;
  private int hash;

  private VersionVector(ReplicaId[] replicas, long[] counters) {
    this.replicas = replicas;
    this.counters = counters;
  }

  /**
   * Returns the vector that has seen nothing.
   *
   * @return the empty vector
   */
  public static VersionVector empty() {
    return EMPTY;
  }

  /**
   * Returns a vector with the given entries. Entries of zero are dropped.
   *
   * @param entries counters per replica; never null, no null keys or values
   * @return the vector
   * @throws IllegalArgumentException if a counter is negative
   */
  public static VersionVector of(Map<ReplicaId, Long> entries) {
    TreeMap<ReplicaId, Long> sorted = new TreeMap<>();
    for (Map.Entry<ReplicaId, Long> e : entries.entrySet()) {
      ReplicaId replica = Objects.requireNonNull(e.getKey(), "replica");
      long counter = Objects.requireNonNull(e.getValue(), "counter");
      if (counter < 0) {
        throw new IllegalArgumentException(
            "version vector counter for " + replica + " must not be negative: " + counter);
      }
      if (counter > 0) {
        sorted.put(replica, counter);
      }
    }
    ReplicaId[] ids = new ReplicaId[sorted.size()];
    long[] values = new long[sorted.size()];
    int i = 0;
    for (Map.Entry<ReplicaId, Long> e : sorted.entrySet()) {
      ids[i] = e.getKey();
      values[i++] = e.getValue();
    }
    return ids.length == 0 ? EMPTY : new VersionVector(ids, values);
  }

  /**
   * Returns how many events of the replica this vector has seen.
   *
   * @param replica the replica; never null
   * @return the counter, zero when the replica is absent
   */
  public long get(ReplicaId replica) {
    int i = Arrays.binarySearch(replicas, replica);
    return i >= 0 ? counters[i] : 0;
  }

  /**
   * Returns the number of replicas with a non-zero counter.
   *
   * @return the number of entries
   */
  public int size() {
    return replicas.length;
  }

  /**
   * Tells whether this vector has seen nothing.
   *
   * @return true when every counter is zero
   */
  public boolean isEmpty() {
    return replicas.length == 0;
  }

  /**
   * Returns the entries as an unmodifiable map sorted by replica id.
   *
   * @return the non-zero counters; never null
   */
  public SortedMap<ReplicaId, Long> entries() {
    TreeMap<ReplicaId, Long> map = new TreeMap<>();
    for (int i = 0; i < replicas.length; i++) {
      map.put(replicas[i], counters[i]);
    }
    return Collections.unmodifiableSortedMap(map);
  }

  /**
   * Returns this vector with the replica's counter increased by one: the vector after the replica's
   * next event.
   *
   * @param replica the replica; never null
   * @return the new vector
   */
  public VersionVector increment(ReplicaId replica) {
    long next = Math.addExact(get(replica), 1);
    return with(replica, next);
  }

  /**
   * Returns the dot of the replica's next event: {@code (replica, get(replica) + 1)}.
   *
   * @param replica the replica; never null
   * @return the next dot
   */
  public Dot nextDot(ReplicaId replica) {
    return new Dot(replica, Math.addExact(get(replica), 1));
  }

  /**
   * Returns this vector with the replica's counter raised to at least {@code counter}. A lower
   * value leaves the vector unchanged, so this is a join with a single-entry vector.
   *
   * @param replica the replica; never null
   * @param counter the counter to raise to; zero or more
   * @return the new vector, or this one when nothing changes
   * @throws IllegalArgumentException if the counter is negative
   */
  public VersionVector advance(ReplicaId replica, long counter) {
    Objects.requireNonNull(replica, "replica");
    if (counter < 0) {
      throw new IllegalArgumentException("counter must not be negative: " + counter);
    }
    return counter <= get(replica) ? this : with(replica, counter);
  }

  /**
   * Returns this vector with the dot's event included: the replica's counter raised to the dot's
   * sequence number.
   *
   * @param dot the event; never null
   * @return the new vector, or this one when the dot is already covered
   */
  public VersionVector add(Dot dot) {
    return advance(dot.origin(), dot.seq());
  }

  private VersionVector with(ReplicaId replica, long counter) {
    int i = Arrays.binarySearch(replicas, replica);
    if (i >= 0) {
      long[] values = counters.clone();
      values[i] = counter;
      return new VersionVector(replicas, values);
    }
    int at = -i - 1;
    ReplicaId[] ids = new ReplicaId[replicas.length + 1];
    long[] values = new long[counters.length + 1];
    System.arraycopy(replicas, 0, ids, 0, at);
    System.arraycopy(counters, 0, values, 0, at);
    ids[at] = replica;
    values[at] = counter;
    System.arraycopy(replicas, at, ids, at + 1, replicas.length - at);
    System.arraycopy(counters, at, values, at + 1, counters.length - at);
    return new VersionVector(ids, values);
  }

  /**
   * Tells whether this vector has seen the event: the dot's sequence number is at most this
   * vector's counter for its origin.
   *
   * @param dot the event; never null
   * @return true if the event happened before (or is part of) this vector
   */
  public boolean covers(Dot dot) {
    return dot.seq() <= get(dot.origin());
  }

  /**
   * Tells whether this vector has seen everything the other has: {@code compare(other)} is {@link
   * CausalOrder#AFTER} or {@link CausalOrder#EQUAL}.
   *
   * @param other the other vector; never null
   * @return true if every counter of {@code other} is at most this vector's
   */
  public boolean covers(VersionVector other) {
    CausalOrder order = compare(other);
    return order == CausalOrder.AFTER || order == CausalOrder.EQUAL;
  }

  /**
   * Compares two vectors causally.
   *
   * @param other the other vector; never null
   * @return {@link CausalOrder#BEFORE} if this vector is strictly below {@code other}, {@link
   *     CausalOrder#AFTER} if strictly above, {@link CausalOrder#EQUAL} if equal, else {@link
   *     CausalOrder#CONCURRENT}
   */
  public CausalOrder compare(VersionVector other) {
    boolean thisAhead = false;
    boolean otherAhead = false;
    int i = 0;
    int j = 0;
    while (i < replicas.length || j < other.replicas.length) {
      int c = mergeOrder(i, other, j);
      if (c < 0) {
        thisAhead = true;
        i++;
      } else if (c > 0) {
        otherAhead = true;
        j++;
      } else {
        long a = counters[i++];
        long b = other.counters[j++];
        if (a > b) {
          thisAhead = true;
        } else if (a < b) {
          otherAhead = true;
        }
      }
      if (thisAhead && otherAhead) {
        return CausalOrder.CONCURRENT;
      }
    }
    if (thisAhead) {
      return CausalOrder.AFTER;
    }
    return otherAhead ? CausalOrder.BEFORE : CausalOrder.EQUAL;
  }

  /**
   * Compares the replica at {@code i} in this vector with the one at {@code j} in {@code other},
   * for a merge walk over both sorted arrays; an exhausted side sorts last.
   */
  private int mergeOrder(int i, VersionVector other, int j) {
    if (i == replicas.length) {
      return 1;
    }
    if (j == other.replicas.length) {
      return -1;
    }
    return replicas[i].compareTo(other.replicas[j]);
  }

  /**
   * Returns the least upper bound of the two vectors: the maximum counter of each replica.
   *
   * @param other the other vector; never null
   * @return the join; this or {@code other} when one covers the other
   */
  public VersionVector join(VersionVector other) {
    CausalOrder order = compare(other);
    if (order == CausalOrder.AFTER || order == CausalOrder.EQUAL) {
      return this;
    }
    if (order == CausalOrder.BEFORE) {
      return other;
    }
    ReplicaId[] ids = new ReplicaId[replicas.length + other.replicas.length];
    long[] values = new long[ids.length];
    int n = 0;
    int i = 0;
    int j = 0;
    while (i < replicas.length || j < other.replicas.length) {
      int c = mergeOrder(i, other, j);
      if (c < 0) {
        ids[n] = replicas[i];
        values[n++] = counters[i++];
      } else if (c > 0) {
        ids[n] = other.replicas[j];
        values[n++] = other.counters[j++];
      } else {
        ids[n] = replicas[i];
        values[n++] = Math.max(counters[i++], other.counters[j++]);
      }
    }
    return new VersionVector(Arrays.copyOf(ids, n), Arrays.copyOf(values, n));
  }

  /**
   * Returns the greatest lower bound of the two vectors: the minimum counter of each replica. The
   * meet of the vectors applied by every region is the causally stable frontier.
   *
   * @param other the other vector; never null
   * @return the meet
   */
  public VersionVector meet(VersionVector other) {
    TreeMap<ReplicaId, Long> map = new TreeMap<>();
    for (int i = 0; i < replicas.length; i++) {
      long o = other.get(replicas[i]);
      if (o > 0) {
        map.put(replicas[i], Math.min(counters[i], o));
      }
    }
    return of(map);
  }

  /**
   * Writes the vector: the entry count, then each entry (replica id, counter) in replica order.
   *
   * @param out the writer; never null
   */
  public void writeTo(CompactWriter out) {
    out.writeUnsigned(replicas.length);
    for (int i = 0; i < replicas.length; i++) {
      replicas[i].writeTo(out);
      out.writeUnsigned(counters[i]);
    }
  }

  /**
   * Reads a vector written by {@link #writeTo}. Entries must be in strictly increasing replica
   * order with positive counters, the only form {@code writeTo} produces.
   *
   * @param in the reader; never null
   * @return the vector
   * @throws MalformedEncodingException if the bytes are not a canonical vector
   */
  public static VersionVector readFrom(CompactReader in) {
    int count = in.readCount("version vector entries", 3);
    if (count == 0) {
      return EMPTY;
    }
    ReplicaId[] ids = new ReplicaId[count];
    long[] values = new long[count];
    for (int i = 0; i < count; i++) {
      int at = in.position();
      ids[i] = ReplicaId.readFrom(in);
      if (i > 0 && ids[i - 1].compareTo(ids[i]) >= 0) {
        throw new MalformedEncodingException(
            "version vector entries out of order or duplicated at replica " + ids[i], at);
      }
      values[i] = in.readUnsigned("version vector counter", 1, Long.MAX_VALUE);
    }
    return new VersionVector(ids, values);
  }

  /**
   * Encodes the vector as a self-contained byte array (a type tag, then {@link #writeTo}).
   *
   * @return the encoding; equal vectors give equal bytes
   */
  public byte[] toBytes() {
    CompactWriter out = new CompactWriter(1 + replicas.length * 12);
    out.writeByte(TAG);
    writeTo(out);
    return out.toByteArray();
  }

  /**
   * Decodes a vector encoded by {@link #toBytes()}.
   *
   * @param bytes the encoding; never null
   * @return the vector
   * @throws MalformedEncodingException if the bytes are not exactly one encoded vector
   */
  public static VersionVector fromBytes(byte[] bytes) {
    CompactReader in = new CompactReader(bytes);
    if (in.readByte("version vector tag") != TAG) {
      throw new MalformedEncodingException("not a version vector: wrong type tag", 0);
    }
    VersionVector vector = readFrom(in);
    in.expectEnd("version vector");
    return vector;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof VersionVector v
        && Arrays.equals(replicas, v.replicas)
        && Arrays.equals(counters, v.counters);
  }

  @Override
  public int hashCode() {
    int h = hash;
    if (h == 0) {
      h = 31 * Arrays.hashCode(replicas) + Arrays.hashCode(counters);
      hash = h;
    }
    return h;
  }

  @Override
  public String toString() {
    StringBuilder sb = new StringBuilder("[");
    for (int i = 0; i < replicas.length; i++) {
      if (i > 0) {
        sb.append(", ");
      }
      sb.append(replicas[i]).append(':').append(counters[i]);
    }
    return sb.append(']').toString();
  }
}
