package io.georep.vectorclock;

import io.georep.vectorclock.encoding.CompactReader;
import io.georep.vectorclock.encoding.CompactWriter;
import io.georep.vectorclock.encoding.MalformedEncodingException;
import java.util.Objects;

/**
 * One event of one replica: the pair {@code (origin, seq)}.
 *
 * <p>In georep a dot names a source transaction, and so the row versions it wrote: {@code seq} is
 * the transaction's position in its origin's stream (for PostgreSQL, its commit LSN). Sequence
 * numbers start at 1; a version vector entry of {@code n} covers the dots {@code 1..n} of that
 * replica.
 *
 * @param origin the replica that produced the event; never null
 * @param seq the event's position in the origin's stream; at least 1
 */
public record Dot(ReplicaId origin, long seq) implements Comparable<Dot> {
  private static final int TAG = 'D';

  /**
   * Validates the dot.
   *
   * @throws IllegalArgumentException if {@code seq} is less than 1
   */
  public Dot {
    Objects.requireNonNull(origin, "origin");
    if (seq < 1) {
      throw new IllegalArgumentException(
          "dot sequence numbers start at 1, got " + seq + " for replica " + origin);
    }
  }

  /**
   * Returns the dot {@code (origin, seq)}.
   *
   * @param origin the replica's name; never null
   * @param seq the sequence number; at least 1
   * @return the dot
   */
  public static Dot of(String origin, long seq) {
    return new Dot(ReplicaId.of(origin), seq);
  }

  /**
   * Writes the dot: the origin, then the sequence number.
   *
   * @param out the writer; never null
   */
  public void writeTo(CompactWriter out) {
    origin.writeTo(out);
    out.writeUnsigned(seq);
  }

  /**
   * Reads a dot written by {@link #writeTo}.
   *
   * @param in the reader; never null
   * @return the dot
   * @throws MalformedEncodingException if the bytes are not a valid dot
   */
  public static Dot readFrom(CompactReader in) {
    ReplicaId origin = ReplicaId.readFrom(in);
    return new Dot(origin, in.readUnsigned("dot sequence number", 1, Long.MAX_VALUE));
  }

  /**
   * Encodes the dot as a self-contained byte array (a type tag, then {@link #writeTo}).
   *
   * @return the encoding; equal dots give equal bytes
   */
  public byte[] toBytes() {
    CompactWriter out = new CompactWriter(16);
    out.writeByte(TAG);
    writeTo(out);
    return out.toByteArray();
  }

  /**
   * Decodes a dot encoded by {@link #toBytes()}.
   *
   * @param bytes the encoding; never null
   * @return the dot
   * @throws MalformedEncodingException if the bytes are not exactly one encoded dot
   */
  public static Dot fromBytes(byte[] bytes) {
    CompactReader in = new CompactReader(bytes);
    if (in.readByte("dot tag") != TAG) {
      throw new MalformedEncodingException("not a dot: wrong type tag", 0);
    }
    Dot dot = readFrom(in);
    in.expectEnd("dot");
    return dot;
  }

  /**
   * Orders dots by origin, then sequence number. This is an encoding order for deterministic
   * output, not a causal order.
   */
  @Override
  public int compareTo(Dot other) {
    int byOrigin = origin.compareTo(other.origin);
    return byOrigin != 0 ? byOrigin : Long.compare(seq, other.seq);
  }

  @Override
  public String toString() {
    return origin + ":" + seq;
  }
}
