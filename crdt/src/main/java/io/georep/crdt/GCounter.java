package io.georep.crdt;

import io.georep.vectorclock.ReplicaId;
import io.georep.vectorclock.VersionVector;
import io.georep.vectorclock.encoding.CompactReader;
import io.georep.vectorclock.encoding.CompactWriter;
import io.georep.vectorclock.encoding.MalformedEncodingException;
import java.util.Map;
import java.util.Objects;
import java.util.SortedMap;

/**
 * A grow-only counter (G-Counter): each replica counts its own increments, and the value is the sum
 * over replicas.
 *
 * <p>The state is a map from replica to that replica's count, which is exactly a version vector, so
 * merge is the vector's join (entry-wise maximum). A delta is the single entry of the replica that
 * incremented. Counts and the value are {@code long}s; exceeding {@link Long#MAX_VALUE} throws
 * {@link ArithmeticException}. Immutable and thread-safe.
 */
public final class GCounter implements DeltaCrdt<GCounter> {
  private static final int TAG = 'C';
  private static final GCounter EMPTY = new GCounter(VersionVector.empty());

  private final VersionVector counts;

  private GCounter(VersionVector counts) {
    this.counts = counts;
  }

  /**
   * Returns the counter with value zero.
   *
   * @return the empty counter
   */
  public static GCounter empty() {
    return EMPTY;
  }

  /**
   * Returns the counter's value: the sum of every replica's increments.
   *
   * @return the value; zero or more
   * @throws ArithmeticException if the sum exceeds {@link Long#MAX_VALUE}
   */
  public long value() {
    long sum = 0;
    for (long c : counts.entries().values()) {
      sum = Math.addExact(sum, c);
    }
    return sum;
  }

  /**
   * Returns the count of one replica's increments.
   *
   * @param replica the replica; never null
   * @return the replica's count; zero if it never incremented
   */
  public long get(ReplicaId replica) {
    return counts.get(replica);
  }

  /**
   * Returns every replica's count.
   *
   * @return the non-zero counts, sorted by replica; unmodifiable
   */
  public SortedMap<ReplicaId, Long> counts() {
    return counts.entries();
  }

  /**
   * Increments the counter on behalf of a replica.
   *
   * @param replica the acting replica; never null
   * @param amount how much to add; zero or more
   * @return the new state and the delta (the replica's new count alone)
   * @throws IllegalArgumentException if the amount is negative
   * @throws ArithmeticException if the replica's count would exceed {@link Long#MAX_VALUE}
   */
  public Mutation<GCounter> increment(ReplicaId replica, long amount) {
    Objects.requireNonNull(replica, "replica");
    if (amount < 0) {
      throw new IllegalArgumentException(
          "a G-Counter only grows: amount must not be negative, got " + amount);
    }
    if (amount == 0) {
      return new Mutation<>(this, EMPTY);
    }
    long count = Math.addExact(counts.get(replica), amount);
    GCounter delta = new GCounter(VersionVector.of(Map.of(replica, count)));
    return new Mutation<>(new GCounter(counts.advance(replica, count)), delta);
  }

  @Override
  public GCounter merge(GCounter other) {
    VersionVector joined = counts.join(other.counts);
    if (joined.equals(counts)) {
      return this;
    }
    return joined.equals(other.counts) ? other : new GCounter(joined);
  }

  @Override
  public boolean isBottom() {
    return counts.isEmpty();
  }

  VersionVector vector() {
    return counts;
  }

  static GCounter of(VersionVector counts) {
    return counts.isEmpty() ? EMPTY : new GCounter(counts);
  }

  /**
   * Writes the counts: the entry count, then (replica id, count) in replica order.
   *
   * @param out the writer; never null
   */
  @Override
  public void writeTo(CompactWriter out) {
    counts.writeTo(out);
  }

  /**
   * Reads a counter written by {@link #writeTo}.
   *
   * @param in the reader; never null
   * @return the counter
   * @throws MalformedEncodingException if the bytes are not a canonical counter
   */
  public static GCounter readFrom(CompactReader in) {
    return of(VersionVector.readFrom(in));
  }

  @Override
  public byte[] toBytes() {
    CompactWriter out = new CompactWriter(1 + counts.size() * 12);
    out.writeByte(TAG);
    writeTo(out);
    return out.toByteArray();
  }

  /**
   * Decodes a counter encoded by {@link #toBytes()}.
   *
   * @param bytes the encoding; never null
   * @return the counter
   * @throws MalformedEncodingException if the bytes are not exactly one encoded G-Counter
   */
  public static GCounter fromBytes(byte[] bytes) {
    CompactReader in = new CompactReader(bytes);
    if (in.readByte("G-Counter tag") != TAG) {
      throw new MalformedEncodingException("not a G-Counter: wrong type tag", 0);
    }
    GCounter counter = readFrom(in);
    in.expectEnd("G-Counter");
    return counter;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof GCounter g && counts.equals(g.counts);
  }

  @Override
  public int hashCode() {
    return counts.hashCode();
  }

  @Override
  public String toString() {
    return "GCounter" + counts;
  }
}
