package io.georep.connectors.postgres.internal.apply;

import io.georep.vectorclock.encoding.CompactReader;
import io.georep.vectorclock.encoding.CompactWriter;
import java.util.ArrayList;
import java.util.List;

/**
 * The applied seqs of one origin above its watermark ({@code georep.apply_progress.above}): sorted
 * unsigned varints, each the difference to the previous one (the first to the watermark's zero). An
 * applier that applies an origin in seq order never adds to it; the set exists for appliers that
 * apply an origin's transactions out of order, and is bounded by {@link #MAX_SIZE}.
 */
final class AboveSet {
  /** The most seqs the set may hold; an applier that would exceed it must wait for the prefix. */
  static final int MAX_SIZE = 10_000;

  private AboveSet() {}

  static List<Long> decode(byte[] bytes) {
    List<Long> seqs = new ArrayList<>();
    if (bytes == null || bytes.length == 0) {
      return seqs;
    }
    CompactReader in = new CompactReader(bytes);
    int n = in.readCount("above-set size", 1);
    long previous = 0;
    for (int i = 0; i < n; i++) {
      previous += in.readUnsigned("above-set seq", 1, Long.MAX_VALUE);
      seqs.add(previous);
    }
    in.expectEnd("above-set");
    return seqs;
  }

  static byte[] encode(List<Long> seqs) {
    if (seqs.isEmpty()) {
      return new byte[0];
    }
    CompactWriter out = new CompactWriter(4 + seqs.size() * 4);
    out.writeUnsigned(seqs.size());
    long previous = 0;
    for (long s : seqs) {
      out.writeUnsigned(s - previous);
      previous = s;
    }
    return out.toByteArray();
  }

  static boolean contains(byte[] bytes, long seq) {
    return decode(bytes).contains(seq);
  }

  /** Drops the seqs at or below the watermark. */
  static byte[] trim(byte[] bytes, long watermark) {
    List<Long> seqs = decode(bytes);
    seqs.removeIf(s -> s <= watermark);
    return encode(seqs);
  }
}
