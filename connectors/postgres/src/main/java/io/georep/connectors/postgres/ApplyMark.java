package io.georep.connectors.postgres;

import io.georep.vectorclock.Dot;
import io.georep.vectorclock.HybridTimestamp;
import io.georep.vectorclock.ReplicaId;
import io.georep.vectorclock.VersionVector;
import io.georep.vectorclock.encoding.CompactReader;
import io.georep.vectorclock.encoding.CompactWriter;
import io.georep.vectorclock.encoding.MalformedEncodingException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;

/**
 * The echo mark of an apply transaction: which remote transactions it applied and the applier's
 * watermark after it. The applier writes it inside every apply transaction with {@code SELECT
 * pg_logical_emit_message(true, 'georep.apply', ?)} ({@link #SQL}); the capture recognises the
 * transaction by it, never ships it, and joins the watermark into its applied vector in WAL order,
 * the causal context of later local transactions.
 *
 * <p>Encoding (compact encoding of {@code io.georep.vectorclock.encoding}, strict):
 *
 * <pre>
 *   byte      'M'          tag
 *   byte      1            format version
 *   uvarint   n            number of applied dots, at least 1
 *   n ×       ReplicaId.writeTo(origin), uvarint seq     sorted by (origin, seq), no duplicates
 *   VersionVector.writeTo(watermark)
 * </pre>
 *
 * <p>The watermark is the prefix watermark per origin (every transaction of that origin up to the
 * entry is applied by this or an earlier-committing transaction). It is what the capture uses: an
 * applier that applies an origin's transactions out of {@code seq} order must not let it run ahead
 * of the applied prefix, or a local transaction would claim a causal past it does not have. For an
 * applier that applies every origin in order, {@link #inOrder} derives it from the dots.
 *
 * @param applied the applied transactions; not empty; sorted and copied
 * @param watermark the applier's prefix watermark after this transaction; never null
 * @param latest the greatest commit timestamp among the applied transactions; the capture's hybrid
 *     clock receives it, so every later local transaction orders after what it could have seen (the
 *     HLC respects causality across regions); never null
 */
public record ApplyMark(List<Dot> applied, VersionVector watermark, HybridTimestamp latest) {

  /** The prefix of the logical decoding message. */
  public static final String PREFIX = "georep.apply";

  /** The statement that writes a mark; bind the {@link #encode() encoded} mark as parameter 1. */
  public static final String SQL = "SELECT pg_logical_emit_message(true, 'georep.apply', ?)";

  private static final int TAG = 'M';
  private static final int VERSION = 1;
  private static final Comparator<Dot> ORDER = Comparator.naturalOrder();

  /**
   * Validates, sorts and copies the mark.
   *
   * @throws IllegalArgumentException if no dot is given or a dot repeats
   */
  public ApplyMark {
    Objects.requireNonNull(watermark, "watermark");
    Objects.requireNonNull(latest, "latest");
    List<Dot> sorted = new ArrayList<>(applied);
    sorted.sort(ORDER);
    if (sorted.isEmpty()) {
      throw new IllegalArgumentException("an apply mark names at least one applied transaction");
    }
    for (int i = 1; i < sorted.size(); i++) {
      if (sorted.get(i).equals(sorted.get(i - 1))) {
        throw new IllegalArgumentException(
            "apply mark names transaction " + sorted.get(i) + " twice");
      }
    }
    applied = List.copyOf(sorted);
  }

  /**
   * Returns the mark of an applier that applies each origin's transactions in {@code seq} order:
   * the watermark is the previous one advanced to the highest applied {@code seq} per origin.
   *
   * @param applied the applied transactions; not empty
   * @param previous the watermark before this transaction; never null
   * @param latest the greatest commit timestamp among the applied transactions; never null
   * @return the mark
   */
  public static ApplyMark inOrder(
      List<Dot> applied, VersionVector previous, HybridTimestamp latest) {
    VersionVector watermark = previous;
    for (Dot dot : applied) {
      watermark = watermark.advance(dot.origin(), dot.seq());
    }
    return new ApplyMark(applied, watermark, latest);
  }

  /**
   * Encodes the mark as described above.
   *
   * @return the bytes; equal marks give equal bytes
   */
  public byte[] encode() {
    CompactWriter out = new CompactWriter(16 + applied.size() * 16);
    out.writeByte(TAG).writeByte(VERSION).writeUnsigned(applied.size());
    for (Dot dot : applied) {
      dot.origin().writeTo(out);
      out.writeUnsigned(dot.seq());
    }
    watermark.writeTo(out);
    latest.writeTo(out);
    return out.toByteArray();
  }

  /**
   * Decodes a mark.
   *
   * @param bytes the message content; never null
   * @return the mark
   * @throws MalformedEncodingException if the bytes are not a canonical encoding of a mark
   */
  public static ApplyMark decode(byte[] bytes) {
    CompactReader in = new CompactReader(bytes);
    int tag = in.readByte("apply mark tag");
    if (tag != TAG) {
      throw new MalformedEncodingException(
          "apply mark: expected tag 'M' (0x4d), got 0x" + Integer.toHexString(tag), 0);
    }
    int version = in.readByte("apply mark version");
    if (version != VERSION) {
      throw new MalformedEncodingException(
          "apply mark: unsupported format version "
              + version
              + " (this agent reads version 1); upgrade the agent that reads it",
          1);
    }
    int count = in.readCount("apply mark dot count", 2);
    List<Dot> dots = new ArrayList<>(count);
    for (int i = 0; i < count; i++) {
      ReplicaId origin = ReplicaId.readFrom(in);
      long seq = in.readUnsigned("apply mark seq", 1, Long.MAX_VALUE);
      Dot dot = new Dot(origin, seq);
      if (!dots.isEmpty() && ORDER.compare(dots.get(dots.size() - 1), dot) >= 0) {
        throw new MalformedEncodingException("apply mark: dots not strictly sorted", in.position());
      }
      dots.add(dot);
    }
    VersionVector watermark = VersionVector.readFrom(in);
    HybridTimestamp latest = HybridTimestamp.readFrom(in);
    in.expectEnd("apply mark");
    if (dots.isEmpty()) {
      throw new MalformedEncodingException("apply mark names no transaction", 2);
    }
    return new ApplyMark(dots, watermark, latest);
  }
}
