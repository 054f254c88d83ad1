package io.georep.crdt;

import io.georep.vectorclock.encoding.CompactReader;
import io.georep.vectorclock.encoding.CompactWriter;
import io.georep.vectorclock.encoding.MalformedEncodingException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/** The built-in codec of strings; see {@link ElementCodec#strings()}. */
final class StringCodec implements ElementCodec<String> {
  static final StringCodec INSTANCE = new StringCodec();

  private StringCodec() {}

  @Override
  public void write(String element, CompactWriter out) {
    // getBytes silently replaces unpaired surrogates; refuse what would not round-trip.
    if (hasUnpairedSurrogate(element)) {
      throw new IllegalArgumentException(
          "string element has an unpaired UTF-16 surrogate and cannot be encoded as UTF-8");
    }
    out.writeBytes(element.getBytes(StandardCharsets.UTF_8));
  }

  private static boolean hasUnpairedSurrogate(String s) {
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (Character.isHighSurrogate(c)
          && i + 1 < s.length()
          && Character.isLowSurrogate(s.charAt(i + 1))) {
        i++;
      } else if (Character.isSurrogate(c)) {
        return true;
      }
    }
    return false;
  }

  @Override
  public byte[] toBytes(String element) {
    if (hasUnpairedSurrogate(element)) {
      throw new IllegalArgumentException(
          "string element has an unpaired UTF-16 surrogate and cannot be encoded as UTF-8");
    }
    return element.getBytes(StandardCharsets.UTF_8);
  }

  @Override
  public String fromBytes(byte[] bytes) {
    try {
      return StandardCharsets.UTF_8
          .newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT)
          .decode(ByteBuffer.wrap(bytes))
          .toString();
    } catch (CharacterCodingException e) {
      throw new MalformedEncodingException("invalid UTF-8 in string element", 0);
    }
  }

  @Override
  public String read(CompactReader in) {
    return in.readString("string element", Integer.MAX_VALUE);
  }

  @Override
  public int compare(String a, String b) {
    return a.compareTo(b);
  }

  @Override
  public String toString() {
    return "strings";
  }
}
