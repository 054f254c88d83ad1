package io.georep.crdt;

import io.georep.vectorclock.encoding.CompactReader;
import io.georep.vectorclock.encoding.MalformedEncodingException;
import java.util.Arrays;

/**
 * Reads a run of elements written by {@link ElementWriter}, strictly: the shared prefix must be the
 * longest common one, each element must be a complete canonical encoding, and elements must be in
 * strictly increasing codec order. One reader per run; not thread-safe.
 */
final class ElementReader<E> {
  private static final byte[] NOTHING = new byte[0];

  private final ElementCodec<E> codec;
  private final CompactReader in;
  private final String what;
  private byte[] previous = NOTHING;
  private E previousElement;

  ElementReader(ElementCodec<E> codec, CompactReader in, String what) {
    this.codec = codec;
    this.in = in;
    this.what = what;
  }

  E read() {
    int start = in.position();
    long code = in.readUnsigned(what + " prefix");
    long shared = code / 8;
    long suffixLength = code % 8;
    if (suffixLength == 7) {
      suffixLength += in.readUnsigned(what + " length", 0, in.remaining());
    }
    if (shared > previous.length || suffixLength > in.remaining()) {
      throw new MalformedEncodingException(
          what + ": shared prefix or length exceeds what precedes or follows", start);
    }
    byte[] current = Arrays.copyOf(previous, (int) (shared + suffixLength));
    for (int i = (int) shared; i < current.length; i++) {
      current[i] = (byte) in.readByte(what);
    }
    if (shared < previous.length
        && suffixLength > 0
        && current[(int) shared] == previous[(int) shared]) {
      throw new MalformedEncodingException(what + ": shared prefix is not the longest", start);
    }
    E e;
    try {
      e = codec.fromBytes(current);
    } catch (MalformedEncodingException ex) {
      throw new MalformedEncodingException(
          what + " is not a valid element: " + ex.getMessage(), start);
    }
    if (previousElement != null && codec.compare(previousElement, e) >= 0) {
      throw new MalformedEncodingException(what + " out of order or duplicated", start);
    }
    previous = current;
    previousElement = e;
    return e;
  }
}
