package io.georep.crdt;

import io.georep.vectorclock.ReplicaId;
import io.georep.vectorclock.encoding.CompactReader;
import io.georep.vectorclock.encoding.CompactWriter;
import io.georep.vectorclock.encoding.MalformedEncodingException;
import java.util.Objects;

/**
 * A counter that can go up and down (PN-Counter): a pair of {@link GCounter}s, one of increments
 * and one of decrements; the value is their difference.
 *
 * <p>Merge joins both halves; a delta is the acting replica's new entry in one half. The value is a
 * {@code long}; overflow throws {@link ArithmeticException}. Immutable and thread-safe.
 */
public final class PnCounter implements DeltaCrdt<PnCounter> {
  private static final int TAG = 'P';
  private static final PnCounter EMPTY = new PnCounter(GCounter.empty(), GCounter.empty());

  private final GCounter increments;
  private final GCounter decrements;

  private PnCounter(GCounter increments, GCounter decrements) {
    this.increments = increments;
    this.decrements = decrements;
  }

  /**
   * Returns the counter with value zero.
   *
   * @return the empty counter
   */
  public static PnCounter empty() {
    return EMPTY;
  }

  private static PnCounter of(GCounter increments, GCounter decrements) {
    return increments.isBottom() && decrements.isBottom()
        ? EMPTY
        : new PnCounter(increments, decrements);
  }

  /**
   * Returns the counter's value: all increments minus all decrements.
   *
   * @return the value
   * @throws ArithmeticException if the value does not fit in a {@code long}
   */
  public long value() {
    return Math.subtractExact(increments.value(), decrements.value());
  }

  /**
   * Returns the grow-only counter of increments.
   *
   * @return the increments
   */
  public GCounter increments() {
    return increments;
  }

  /**
   * Returns the grow-only counter of decrements.
   *
   * @return the decrements
   */
  public GCounter decrements() {
    return decrements;
  }

  /**
   * Adds to the counter on behalf of a replica.
   *
   * @param replica the acting replica; never null
   * @param amount how much to add; zero or more
   * @return the new state and the delta
   * @throws IllegalArgumentException if the amount is negative (use {@link #decrement})
   */
  public Mutation<PnCounter> increment(ReplicaId replica, long amount) {
    Mutation<GCounter> m = increments.increment(replica, amount);
    return new Mutation<>(of(m.state(), decrements), of(m.delta(), GCounter.empty()));
  }

  /**
   * Subtracts from the counter on behalf of a replica.
   *
   * @param replica the acting replica; never null
   * @param amount how much to subtract; zero or more
   * @return the new state and the delta
   * @throws IllegalArgumentException if the amount is negative (use {@link #increment})
   */
  public Mutation<PnCounter> decrement(ReplicaId replica, long amount) {
    Objects.requireNonNull(replica, "replica");
    Mutation<GCounter> m = decrements.increment(replica, amount);
    return new Mutation<>(of(increments, m.state()), of(GCounter.empty(), m.delta()));
  }

  @Override
  public PnCounter merge(PnCounter other) {
    GCounter p = increments.merge(other.increments);
    GCounter n = decrements.merge(other.decrements);
    if (p.equals(increments) && n.equals(decrements)) {
      return this;
    }
    return p.equals(other.increments) && n.equals(other.decrements) ? other : new PnCounter(p, n);
  }

  @Override
  public boolean isBottom() {
    return increments.isBottom() && decrements.isBottom();
  }

  /**
   * Writes the counter: the increments, then the decrements, each as {@link GCounter#writeTo}.
   *
   * @param out the writer; never null
   */
  @Override
  public void writeTo(CompactWriter out) {
    increments.writeTo(out);
    decrements.writeTo(out);
  }

  /**
   * Reads a counter written by {@link #writeTo}.
   *
   * @param in the reader; never null
   * @return the counter
   * @throws MalformedEncodingException if the bytes are not a canonical counter
   */
  public static PnCounter readFrom(CompactReader in) {
    GCounter p = GCounter.readFrom(in);
    return of(p, GCounter.readFrom(in));
  }

  @Override
  public byte[] toBytes() {
    CompactWriter out =
        new CompactWriter(2 + (increments.vector().size() + decrements.vector().size()) * 12);
    out.writeByte(TAG);
    writeTo(out);
    return out.toByteArray();
  }

  /**
   * Decodes a counter encoded by {@link #toBytes()}.
   *
   * @param bytes the encoding; never null
   * @return the counter
   * @throws MalformedEncodingException if the bytes are not exactly one encoded PN-Counter
   */
  public static PnCounter fromBytes(byte[] bytes) {
    CompactReader in = new CompactReader(bytes);
    if (in.readByte("PN-Counter tag") != TAG) {
      throw new MalformedEncodingException("not a PN-Counter: wrong type tag", 0);
    }
    PnCounter counter = readFrom(in);
    in.expectEnd("PN-Counter");
    return counter;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof PnCounter c
        && increments.equals(c.increments)
        && decrements.equals(c.decrements);
  }

  @Override
  public int hashCode() {
    return 31 * increments.hashCode() + decrements.hashCode();
  }

  @Override
  public String toString() {
    return "PnCounter{+" + increments.vector() + ", -" + decrements.vector() + "}";
  }
}
