package io.georep.replicator.internal.status;

import io.georep.vectorclock.ReplicaId;
import io.georep.vectorclock.VersionVector;
import io.georep.vectorclock.encoding.CompactReader;
import io.georep.vectorclock.encoding.CompactWriter;
import java.util.Objects;

/**
 * One heartbeat on the control stream: a region's applied vector and shipping position.
 *
 * <p>Encoding: byte {@code 'H'}, byte version 1, the region ({@code ReplicaId.writeTo}), the
 * applied vector ({@code VersionVector.writeTo}), uvarints captured seq, shipped seq, sent-at wall
 * time (ms), commit wall time (ms) of the last shipped transaction. Strict: trailing bytes are
 * rejected.
 *
 * @param region the sending region
 * @param applied the region's applied watermark per remote origin
 * @param capturedSeq the last seq its capture produced
 * @param shippedSeq the last seq Kafka acknowledged for its stream
 * @param sentAtMillis when it was sent (the sender's wall clock)
 * @param shippedWallMillis commit wall time of the last shipped transaction
 */
public record Heartbeat(
    ReplicaId region,
    VersionVector applied,
    long capturedSeq,
    long shippedSeq,
    long sentAtMillis,
    long shippedWallMillis) {

  private static final int TAG = 'H';
  private static final int VERSION = 1;

  /** Validates. */
  public Heartbeat {
    Objects.requireNonNull(region, "region");
    Objects.requireNonNull(applied, "applied");
  }

  /**
   * Encodes the heartbeat.
   *
   * @return the bytes
   */
  public byte[] encode() {
    CompactWriter out = new CompactWriter(64);
    out.writeByte(TAG);
    out.writeByte(VERSION);
    region.writeTo(out);
    applied.writeTo(out);
    out.writeUnsigned(capturedSeq);
    out.writeUnsigned(shippedSeq);
    out.writeUnsigned(sentAtMillis);
    out.writeUnsigned(shippedWallMillis);
    return out.toByteArray();
  }

  /**
   * Decodes a heartbeat.
   *
   * @param bytes the encoded heartbeat
   * @return the heartbeat
   * @throws io.georep.vectorclock.encoding.MalformedEncodingException if the bytes are malformed
   */
  public static Heartbeat decode(byte[] bytes) {
    CompactReader in = new CompactReader(bytes);
    if (in.readByte("heartbeat tag") != TAG || in.readByte("heartbeat version") != VERSION) {
      throw new IllegalArgumentException("not a version-1 heartbeat");
    }
    ReplicaId region = ReplicaId.readFrom(in);
    VersionVector applied = VersionVector.readFrom(in);
    long captured = in.readUnsigned("captured seq");
    long shipped = in.readUnsigned("shipped seq");
    long sent = in.readUnsigned("sent at");
    long wall = in.readUnsigned("shipped wall time");
    in.expectEnd("heartbeat");
    return new Heartbeat(region, applied, captured, shipped, sent, wall);
  }
}
