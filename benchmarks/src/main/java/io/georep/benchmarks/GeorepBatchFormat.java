package io.georep.benchmarks;

import io.georep.replicator.codec.BatchCodec;
import io.georep.replicator.codec.WireBatch;

/** georep's wire codec: the whole batch in one frame. */
final class GeorepBatchFormat implements BatchFormat {
  private final BatchCodec codec = BatchCodec.create();
  private final WireBatch batch;
  private final byte[] frame;

  GeorepBatchFormat(CodecWorkload.Batch batch) {
    this.batch = batch.georep();
    this.frame = codec.encode(this.batch);
    if (!codec.decode(frame).equals(this.batch)) {
      throw new IllegalStateException("georep frame does not round-trip");
    }
  }

  @Override
  public byte[] encode() {
    return codec.encode(batch);
  }

  @Override
  public WireBatch decode() {
    return codec.decode(frame);
  }

  @Override
  public long encodedBytes() {
    return frame.length;
  }
}
