package io.georep.vectorclock;

import io.georep.vectorclock.encoding.CompactReader;
import io.georep.vectorclock.encoding.CompactWriter;
import io.georep.vectorclock.encoding.MalformedEncodingException;
import java.time.Instant;
import java.util.Objects;

/**
 * A hybrid logical clock timestamp: wall time, a logical counter, and the replica that issued it.
 *
 * <p>Timestamps are totally ordered: by wall time, then logical counter, then replica id as the
 * explicit tie-breaker. Two distinct replicas never issue equal timestamps, so last-writer-wins
 * decisions built on this order are deterministic in every region.
 *
 * @param wallTimeMillis the physical component, milliseconds since the Unix epoch; zero or more
 * @param logical the logical counter within the same millisecond; zero or more
 * @param origin the replica that issued the timestamp; never null
 */
public record HybridTimestamp(long wallTimeMillis, int logical, ReplicaId origin)
    implements Comparable<HybridTimestamp> {
  private static final int TAG = 'H';

  /**
   * Validates the timestamp.
   *
   * @throws IllegalArgumentException if the wall time or the logical counter is negative
   */
  public HybridTimestamp {
    Objects.requireNonNull(origin, "origin");
    if (wallTimeMillis < 0) {
      throw new IllegalArgumentException("wall time must not be negative: " + wallTimeMillis);
    }
    if (logical < 0) {
      throw new IllegalArgumentException("logical counter must not be negative: " + logical);
    }
  }

  @Override
  public int compareTo(HybridTimestamp other) {
    int c = Long.compare(wallTimeMillis, other.wallTimeMillis);
    if (c != 0) {
      return c;
    }
    c = Integer.compare(logical, other.logical);
    return c != 0 ? c : origin.compareTo(other.origin);
  }

  /**
   * Tells whether this timestamp orders after the other one.
   *
   * @param other the other timestamp; never null
   * @return true if {@code compareTo(other) > 0}
   */
  public boolean isAfter(HybridTimestamp other) {
    return compareTo(other) > 0;
  }

  /**
   * Writes the timestamp: wall time, logical counter, origin.
   *
   * @param out the writer; never null
   */
  public void writeTo(CompactWriter out) {
    out.writeUnsigned(wallTimeMillis);
    out.writeUnsigned(logical);
    origin.writeTo(out);
  }

  /**
   * Reads a timestamp written by {@link #writeTo}.
   *
   * @param in the reader; never null
   * @return the timestamp
   * @throws MalformedEncodingException if the bytes are not a valid timestamp
   */
  public static HybridTimestamp readFrom(CompactReader in) {
    long wall = in.readUnsigned("timestamp wall time");
    int logical = (int) in.readUnsigned("timestamp logical counter", 0, Integer.MAX_VALUE);
    return new HybridTimestamp(wall, logical, ReplicaId.readFrom(in));
  }

  /**
   * Encodes the timestamp as a self-contained byte array (a type tag, then {@link #writeTo}).
   *
   * @return the encoding; equal timestamps give equal bytes
   */
  public byte[] toBytes() {
    CompactWriter out = new CompactWriter(24);
    out.writeByte(TAG);
    writeTo(out);
    return out.toByteArray();
  }

  /**
   * Decodes a timestamp encoded by {@link #toBytes()}.
   *
   * @param bytes the encoding; never null
   * @return the timestamp
   * @throws MalformedEncodingException if the bytes are not exactly one encoded timestamp
   */
  public static HybridTimestamp fromBytes(byte[] bytes) {
    CompactReader in = new CompactReader(bytes);
    if (in.readByte("timestamp tag") != TAG) {
      throw new MalformedEncodingException("not a hybrid timestamp: wrong type tag", 0);
    }
    HybridTimestamp ts = readFrom(in);
    in.expectEnd("hybrid timestamp");
    return ts;
  }

  @Override
  public String toString() {
    return Instant.ofEpochMilli(wallTimeMillis) + "+" + logical + "@" + origin;
  }
}
