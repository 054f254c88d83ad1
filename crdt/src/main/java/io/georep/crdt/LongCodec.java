package io.georep.crdt;

import io.georep.vectorclock.encoding.CompactReader;
import io.georep.vectorclock.encoding.CompactWriter;

/** The built-in codec of longs; see {@link ElementCodec#longs()}. */
final class LongCodec implements ElementCodec<Long> {
  static final LongCodec INSTANCE = new LongCodec();

  private LongCodec() {}

  @Override
  public void write(Long element, CompactWriter out) {
    long v = element ^ Long.MIN_VALUE;
    for (int shift = 56; shift >= 0; shift -= 8) {
      out.writeByte((int) (v >>> shift));
    }
  }

  @Override
  public Long read(CompactReader in) {
    long v = 0;
    for (int i = 0; i < 8; i++) {
      v = (v << 8) | in.readByte("long element");
    }
    return v ^ Long.MIN_VALUE;
  }

  @Override
  public int compare(Long a, Long b) {
    return Long.compare(a, b);
  }

  @Override
  public String toString() {
    return "longs";
  }
}
