package io.georep.crdt;

import io.georep.vectorclock.encoding.CompactReader;
import io.georep.vectorclock.encoding.CompactWriter;
import io.georep.vectorclock.encoding.MalformedEncodingException;
import java.util.Comparator;

/**
 * How the elements of a set, the keys of a map or the values of a register are encoded and ordered.
 *
 * <p>Contract, which the deterministic encoding of every CRDT relies on:
 *
 * <ul>
 *   <li>{@link #compare} is a total order consistent with {@code equals}; CRDTs keep and write
 *       their entries in this order.
 *   <li>{@link #write} is deterministic: equal elements give equal bytes.
 *   <li>{@link #read} is strict: it accepts exactly the bytes {@code write} produces, so decoding
 *       then re-encoding reproduces the input, and throws {@link MalformedEncodingException} for
 *       anything else. It must allocate at most in proportion to the bytes it consumes.
 * </ul>
 *
 * <p>Implementations must be immutable and thread-safe. The built-ins are {@link #strings()},
 * {@link #longs()} and {@link #bytes()}.
 *
 * @param <E> the element type; elements must be immutable
 */
public interface ElementCodec<E> extends Comparator<E> {
  /**
   * Writes one element.
   *
   * @param element the element; never null
   * @param out the writer; never null
   * @throws IllegalArgumentException if the element cannot be encoded faithfully
   */
  void write(E element, CompactWriter out);

  /**
   * Reads one element written by {@link #write}.
   *
   * @param in the reader; never null
   * @return the element; never null
   * @throws MalformedEncodingException if the bytes are not a canonical encoding of an element
   */
  E read(CompactReader in);

  /**
   * Encodes one element on its own, without any framing, for containers that delimit their elements
   * themselves (the front-coded runs of sets and maps). The default writes {@link #write} into a
   * new array; codecs of length-prefixed types may drop the prefix.
   *
   * @param element the element; never null
   * @return a new array; equal elements give equal bytes
   * @throws IllegalArgumentException if the element cannot be encoded faithfully
   */
  default byte[] toBytes(E element) {
    CompactWriter out = new CompactWriter(16);
    write(element, out);
    return out.toByteArray();
  }

  /**
   * Decodes an element from exactly the bytes {@link #toBytes(Object)} produced.
   *
   * @param bytes the bytes; never null
   * @return the element; never null
   * @throws MalformedEncodingException if the bytes are not exactly one canonical element
   */
  default E fromBytes(byte[] bytes) {
    CompactReader in = new CompactReader(bytes);
    E element = read(in);
    in.expectEnd("element");
    return element;
  }

  /**
   * Returns the codec of strings: a length-prefixed UTF-8 encoding, ordered as {@link
   * String#compareTo}. Strings must be well-formed UTF-16: an unpaired surrogate cannot be encoded
   * and is rejected when written.
   *
   * @return the string codec
   */
  static ElementCodec<String> strings() {
    return StringCodec.INSTANCE;
  }

  /**
   * Returns the codec of longs: eight big-endian bytes with the sign bit flipped, so that the byte
   * order equals the numeric order and neighbouring values share prefixes.
   *
   * @return the long codec
   */
  static ElementCodec<Long> longs() {
    return LongCodec.INSTANCE;
  }

  /**
   * Returns the codec of {@link Bytes}: a length-prefixed byte string, ordered as unsigned bytes.
   *
   * @return the byte-string codec
   */
  static ElementCodec<Bytes> bytes() {
    return BytesCodec.INSTANCE;
  }
}
