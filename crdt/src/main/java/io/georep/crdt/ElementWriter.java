package io.georep.crdt;

import io.georep.vectorclock.encoding.CompactWriter;
import java.util.Arrays;

/**
 * Writes a sorted run of elements with front coding: each element's encoding is written as the
 * length of the prefix it shares with the previous element's encoding, then the rest.
 *
 * <p>Layout per element: one varint {@code shared * 8 + min(suffixLength, 7)}, then {@code
 * suffixLength - 7} as a varint if the suffix has 7 or more bytes, then the suffix; the element's
 * bytes are {@link ElementCodec#toBytes(Object)}, unframed, since the run delimits them.
 *
 * <p>Design: sets and maps write their elements in codec order, so neighbours often share long
 * prefixes (ids, paths, keys with a common stem); front coding, as in the term dictionaries of
 * Lucene or the blocks of LevelDB, removes them without a compressor. The shared length is always
 * the longest common prefix, so the output stays canonical and {@link ElementReader} can reject any
 * other form. One writer per run; not thread-safe.
 */
final class ElementWriter<E> {
  private static final byte[] NOTHING = new byte[0];

  private final ElementCodec<E> codec;
  private final CompactWriter out;
  private byte[] previous = NOTHING;
  private int previousLength;

  ElementWriter(ElementCodec<E> codec, CompactWriter out) {
    this.codec = codec;
    this.out = out;
  }

  void write(E element) {
    byte[] current = codec.toBytes(element);
    int shared = Arrays.mismatch(previous, 0, previousLength, current, 0, current.length);
    if (shared < 0) {
      shared = current.length;
    }
    int suffix = current.length - shared;
    // One varint for both lengths while the suffix is short, the usual case in a sorted run.
    out.writeUnsigned((long) shared * 8 + Math.min(suffix, 7));
    if (suffix >= 7) {
      out.writeUnsigned(suffix - 7L);
    }
    out.writeRaw(shared == 0 ? current : Arrays.copyOfRange(current, shared, current.length));
    previous = current;
    previousLength = current.length;
  }
}
