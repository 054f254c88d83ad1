package io.georep.crdt;

import io.georep.vectorclock.HybridTimestamp;
import io.georep.vectorclock.encoding.CompactReader;
import io.georep.vectorclock.encoding.CompactWriter;
import io.georep.vectorclock.encoding.MalformedEncodingException;
import java.util.Objects;
import java.util.Optional;

/**
 * A last-writer-wins register (LWW-Register): holds the value of the assignment with the greatest
 * {@link HybridTimestamp}.
 *
 * <p>Hybrid timestamps are totally ordered with the issuing replica as the final tie-breaker, and
 * two replicas never issue equal timestamps, so every replica keeps the same assignment whatever
 * the arrival order. Should two assignments nevertheless carry equal timestamps (a misused clock),
 * the greater value in codec order wins, so merge stays a deterministic join. A delta is the
 * register holding the new assignment. The register starts {@linkplain #empty empty}. Immutable and
 * thread-safe.
 *
 * @param <V> the value type
 */
public final class LwwRegister<V> implements DeltaCrdt<LwwRegister<V>> {
  private static final int TAG = 'L';

  private final ElementCodec<V> codec;
  private final HybridTimestamp timestamp; // null when empty
  private final V value; // null when empty

  private LwwRegister(ElementCodec<V> codec, HybridTimestamp timestamp, V value) {
    this.codec = codec;
    this.timestamp = timestamp;
    this.value = value;
  }

  /**
   * Returns a register that holds no value.
   *
   * @param codec the codec of values; never null
   * @param <V> the value type
   * @return the empty register
   */
  public static <V> LwwRegister<V> empty(ElementCodec<V> codec) {
    return new LwwRegister<>(Objects.requireNonNull(codec, "codec"), null, null);
  }

  /**
   * Returns the value of the winning assignment.
   *
   * @return the value, or empty if nothing was ever assigned
   */
  public Optional<V> value() {
    return Optional.ofNullable(value);
  }

  /**
   * Returns the timestamp of the winning assignment.
   *
   * @return the timestamp, or empty if nothing was ever assigned
   */
  public Optional<HybridTimestamp> timestamp() {
    return Optional.ofNullable(timestamp);
  }

  /**
   * Assigns a value at a timestamp; the timestamp's origin is the acting replica. The assignment
   * takes effect only if it wins against the current one.
   *
   * @param timestamp when the assignment happened, from the replica's hybrid logical clock; never
   *     null
   * @param value the value; never null
   * @return the new state and the delta; the state is unchanged and the delta bottom if the
   *     assignment loses
   */
  public Mutation<LwwRegister<V>> assign(HybridTimestamp timestamp, V value) {
    LwwRegister<V> written =
        new LwwRegister<>(
            codec,
            Objects.requireNonNull(timestamp, "timestamp"),
            Objects.requireNonNull(value, "value"));
    if (!written.wins(this)) {
      return new Mutation<>(this, empty(codec));
    }
    return new Mutation<>(written, written);
  }

  private boolean wins(LwwRegister<V> other) {
    if (other.timestamp == null) {
      return timestamp != null;
    }
    if (timestamp == null) {
      return false;
    }
    int c = timestamp.compareTo(other.timestamp);
    return c > 0 || (c == 0 && codec.compare(value, other.value) > 0);
  }

  @Override
  public LwwRegister<V> merge(LwwRegister<V> other) {
    return other.wins(this) ? other : this;
  }

  @Override
  public boolean isBottom() {
    return timestamp == null;
  }

  /**
   * Writes the register: a presence byte (0 or 1), then the timestamp and the value when present.
   *
   * @param out the writer; never null
   */
  @Override
  public void writeTo(CompactWriter out) {
    if (timestamp == null) {
      out.writeByte(0);
    } else {
      out.writeByte(1);
      timestamp.writeTo(out);
      codec.write(value, out);
    }
  }

  /**
   * Reads a register written by {@link #writeTo}.
   *
   * @param in the reader; never null
   * @param codec the codec of values; never null
   * @param <V> the value type
   * @return the register
   * @throws MalformedEncodingException if the bytes are not a canonical register
   */
  public static <V> LwwRegister<V> readFrom(CompactReader in, ElementCodec<V> codec) {
    int start = in.position();
    int present = in.readByte("LWW-Register presence");
    if (present == 0) {
      return empty(codec);
    }
    if (present != 1) {
      throw new MalformedEncodingException("LWW-Register presence must be 0 or 1", start);
    }
    HybridTimestamp ts = HybridTimestamp.readFrom(in);
    return new LwwRegister<>(codec, ts, codec.read(in));
  }

  @Override
  public byte[] toBytes() {
    CompactWriter out = new CompactWriter(32);
    out.writeByte(TAG);
    writeTo(out);
    return out.toByteArray();
  }

  /**
   * Decodes a register encoded by {@link #toBytes()}.
   *
   * @param bytes the encoding; never null
   * @param codec the codec of values; never null
   * @param <V> the value type
   * @return the register
   * @throws MalformedEncodingException if the bytes are not exactly one encoded LWW-Register
   */
  public static <V> LwwRegister<V> fromBytes(byte[] bytes, ElementCodec<V> codec) {
    CompactReader in = new CompactReader(bytes);
    if (in.readByte("LWW-Register tag") != TAG) {
      throw new MalformedEncodingException("not an LWW-Register: wrong type tag", 0);
    }
    LwwRegister<V> register = readFrom(in, codec);
    in.expectEnd("LWW-Register");
    return register;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof LwwRegister<?> r
        && Objects.equals(timestamp, r.timestamp)
        && Objects.equals(value, r.value);
  }

  @Override
  public int hashCode() {
    return Objects.hash(timestamp, value);
  }

  @Override
  public String toString() {
    return timestamp == null ? "LwwRegister{}" : "LwwRegister{" + value + " @ " + timestamp + "}";
  }
}
