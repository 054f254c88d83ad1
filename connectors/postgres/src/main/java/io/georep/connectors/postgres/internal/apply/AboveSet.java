package io.georep.connectors.postgres.internal.apply;

import io.georep.vectorclock.encoding.CompactReader;
import io.georep.vectorclock.encoding.CompactWriter;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * The transactions of one origin applied above its watermark ({@code georep.apply_progress.above}),
 * each with its predecessor in the origin's stream and the stream offset of the batch that carried
 * it.
 *
 * <p>Seqs are commit LSNs, not consecutive integers, so "the watermark is a contiguous prefix" is
 * defined by the stream: a transaction joins the prefix when its predecessor has. Keeping the
 * predecessor of every entry lets the watermark absorb entries after a restart, without the
 * in-memory order the agent had.
 *
 * <p>Encoding: uvarint count, then per entry, sorted by seq: uvarint {@code seq − previous entry's
 * seq} (the first from 0), uvarint {@code seq − predecessor} (at least 1), uvarint {@code offset +
 * 1} (0: offset unknown). An applier that applies an origin in seq order never adds to it; the set
 * exists for per-table workers that apply an origin's transactions out of order, and is bounded by
 * {@link #MAX_SIZE}.
 */
final class AboveSet {
  /**
   * The most entries the set may hold; an applier that would exceed it must wait for the prefix.
   */
  static final int MAX_SIZE = 10_000;

  /**
   * One applied transaction above the watermark.
   *
   * @param seq its seq
   * @param previousSeq the seq of its predecessor in the origin's stream (0 for the first)
   * @param offset the stream offset of the batch that carried it, or -1 if unknown
   */
  record Entry(long seq, long previousSeq, long offset) {}

  private static final Comparator<Entry> BY_SEQ = Comparator.comparingLong(Entry::seq);

  private AboveSet() {}

  static List<Entry> decode(byte[] bytes) {
    List<Entry> entries = new ArrayList<>();
    if (bytes == null || bytes.length == 0) {
      return entries;
    }
    CompactReader in = new CompactReader(bytes);
    int n = in.readCount("above-set size", 3);
    long previous = 0;
    for (int i = 0; i < n; i++) {
      long seq = previous + in.readUnsigned("above-set seq", 1, Long.MAX_VALUE);
      long gap = in.readUnsigned("above-set predecessor gap", 1, seq);
      long offset = in.readUnsigned("above-set offset", 0, Long.MAX_VALUE) - 1;
      entries.add(new Entry(seq, seq - gap, offset));
      previous = seq;
    }
    in.expectEnd("above-set");
    return entries;
  }

  static byte[] encode(List<Entry> entries) {
    if (entries.isEmpty()) {
      return new byte[0];
    }
    List<Entry> sorted = new ArrayList<>(entries);
    sorted.sort(BY_SEQ);
    CompactWriter out = new CompactWriter(4 + sorted.size() * 8);
    out.writeUnsigned(sorted.size());
    long previous = 0;
    for (Entry e : sorted) {
      out.writeUnsigned(e.seq() - previous);
      out.writeUnsigned(e.seq() - e.previousSeq());
      out.writeUnsigned(e.offset() + 1);
      previous = e.seq();
    }
    return out.toByteArray();
  }

  /**
   * Moves the watermark over the entries that continue it: repeatedly, the entry with the smallest
   * seq joins the prefix if its predecessor is at or below the watermark. Entries at or below the
   * watermark are dropped.
   *
   * @param watermark the watermark
   * @param offset the stream offset of the watermark's batch, or -1
   * @param entries the entries; modified: what joins the prefix is removed
   * @return the new watermark and its offset
   */
  static long[] absorb(long watermark, long offset, List<Entry> entries) {
    entries.sort(BY_SEQ);
    entries.removeIf(e -> e.seq() <= watermark);
    long w = watermark;
    long o = offset;
    while (!entries.isEmpty() && entries.get(0).previousSeq() <= w) {
      Entry e = entries.remove(0);
      w = e.seq();
      if (e.offset() >= 0) {
        o = e.offset();
      }
    }
    return new long[] {w, o};
  }

  static boolean contains(List<Entry> entries, long seq) {
    for (Entry e : entries) {
      if (e.seq() == seq) {
        return true;
      }
    }
    return false;
  }
}
