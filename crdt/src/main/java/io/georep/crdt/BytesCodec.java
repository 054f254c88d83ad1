package io.georep.crdt;

import io.georep.vectorclock.encoding.CompactReader;
import io.georep.vectorclock.encoding.CompactWriter;

/** The built-in codec of byte strings; see {@link ElementCodec#bytes()}. */
final class BytesCodec implements ElementCodec<Bytes> {
  static final BytesCodec INSTANCE = new BytesCodec();

  private BytesCodec() {}

  @Override
  public void write(Bytes element, CompactWriter out) {
    element.writeTo(out);
  }

  @Override
  public byte[] toBytes(Bytes element) {
    return element.toArray();
  }

  @Override
  public Bytes fromBytes(byte[] bytes) {
    return Bytes.wrap(bytes.clone());
  }

  @Override
  public Bytes read(CompactReader in) {
    return Bytes.wrap(in.readBytes("bytes element", Integer.MAX_VALUE));
  }

  @Override
  public int compare(Bytes a, Bytes b) {
    return a.compareTo(b);
  }

  @Override
  public String toString() {
    return "bytes";
  }
}
