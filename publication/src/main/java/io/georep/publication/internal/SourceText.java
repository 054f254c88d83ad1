package io.georep.publication.internal;

import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * The text of a publication file, decoded strictly as UTF-8, with line access for mapping
 * positions. Immutable and thread-safe.
 *
 * @param text the decoded text without a byte-order mark
 * @param lines the text split at line breaks ({@code \n}, {@code \r\n} or {@code \r})
 */
public record SourceText(String text, List<String> lines) {

  /** Where a byte sequence is not UTF-8: a 1-based line and column, and the byte offset. */
  public record EncodingError(int line, int column, long byteOffset, int badByte) {
    /** Returns a message naming the byte and its place. */
    public String message() {
      return String.format(
          Locale.ROOT,
          "file is not valid UTF-8: byte 0x%02X at byte offset %d cannot be decoded",
          badByte,
          byteOffset);
    }
  }

  /** Copies the lines. */
  public SourceText {
    lines = List.copyOf(lines);
  }

  /**
   * Decodes {@code bytes} as strict UTF-8, dropping a leading byte-order mark.
   *
   * @return the text, or the first place the bytes are not UTF-8
   */
  public static Decoded decode(byte[] bytes) {
    CharsetDecoder decoder =
        StandardCharsets.UTF_8
            .newDecoder()
            .onMalformedInput(CodingErrorAction.REPORT)
            .onUnmappableCharacter(CodingErrorAction.REPORT);
    ByteBuffer in = ByteBuffer.wrap(bytes);
    CharBuffer out = CharBuffer.allocate(bytes.length + 1);
    CoderResult result = decoder.decode(in, out, true);
    if (result.isError()) {
      int offset = in.position();
      String before = out.flip().toString();
      int line = 1;
      int lineStart = 0;
      for (int i = 0; i < before.length(); i++) {
        if (before.charAt(i) == '\n') {
          line++;
          lineStart = i + 1;
        }
      }
      int column = before.codePointCount(lineStart, before.length()) + 1;
      return new Decoded(
          Optional.empty(),
          Optional.of(new EncodingError(line, column, offset, bytes[offset] & 0xFF)));
    }
    try {
      decoder.flush(out);
    } catch (IllegalStateException e) {
      throw new IllegalStateException("UTF-8 decoder misused", e);
    }
    String text = out.flip().toString();
    if (text.startsWith("\uFEFF")) {
      text = text.substring(1);
    }
    return new Decoded(Optional.of(of(text)), Optional.empty());
  }

  /** Wraps already decoded text. */
  public static SourceText of(String text) {
    List<String> lines = new ArrayList<>();
    int start = 0;
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (c == '\n' || c == '\r') {
        lines.add(text.substring(start, i));
        if (c == '\r' && i + 1 < text.length() && text.charAt(i + 1) == '\n') {
          i++;
        }
        start = i + 1;
      }
    }
    lines.add(text.substring(start));
    return new SourceText(text, lines);
  }

  /** The outcome of {@link #decode(byte[])}: exactly one of the two is present. */
  public record Decoded(Optional<SourceText> text, Optional<EncodingError> error) {}

  /** Returns whether the text holds nothing but whitespace and comments. */
  public boolean onlyComments() {
    for (String line : lines) {
      String stripped = line.strip();
      if (!stripped.isEmpty() && !stripped.startsWith("#")) {
        return false;
      }
    }
    return true;
  }

  /**
   * Maps each UTF-16 offset of a scalar's value to a 0-based {@code [line, column]} (code points)
   * in this text, by aligning the value with the source from the scalar's start.
   *
   * <p>Quotes, escapes, indentation and folded line breaks appear in the source but not in the
   * value; the alignment skips source characters until it finds the value's next character, and
   * lets a space or line break in the value match a line break in the source. Offsets it cannot
   * place (rare escape sequences) map to the scalar's start. The array has one extra entry for the
   * position just after the value.
   */
  public int[][] align(String value, int startLine, int startColumn, int endLine, int endColumn) {
    int[][] map = new int[value.length() + 1][];
    int line = startLine;
    int column = startColumn;
    int i = 0;
    while (i < value.length()) {
      int cp = value.codePointAt(i);
      boolean placed = false;
      while (line < lines.size() && (line < endLine || (line == endLine && column <= endColumn))) {
        String source = lines.get(line);
        int[] points = source.codePoints().toArray();
        if (column >= points.length) {
          if (cp == '\n' || cp == ' ') {
            map[i] = new int[] {line, column};
            line++;
            column = 0;
            placed = true;
            break;
          }
          line++;
          column = 0;
          continue;
        }
        if (points[column] == cp) {
          map[i] = new int[] {line, column};
          column++;
          placed = true;
          break;
        }
        column++;
      }
      if (!placed) {
        map[i] = new int[] {startLine, startColumn};
      }
      if (Character.charCount(cp) == 2) {
        map[i + 1] = map[i];
      }
      i += Character.charCount(cp);
    }
    map[value.length()] =
        value.isEmpty()
            ? new int[] {startLine, startColumn}
            : new int[] {map[value.length() - 1][0], map[value.length() - 1][1] + 1};
    return map;
  }
}
