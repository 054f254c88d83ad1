package io.georep.replicator.internal.transport;

import io.georep.replicator.codec.WireBatch;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeader;

/**
 * The layout of one changes-stream record: the value is one wire-codec frame (a {@link WireBatch});
 * headers {@code georep.origin}, {@code georep.first.seq}, {@code georep.last.seq} and {@code
 * georep.transactions} (UTF-8 decimal text, readable with Kafka's console tools) describe it
 * without decoding. The key is null (one partition per stream).
 */
public final class StreamRecords {
  /** Header: the origin region. */
  public static final String ORIGIN = "georep.origin";

  /** Header: seq of the first transaction. */
  public static final String FIRST_SEQ = "georep.first.seq";

  /** Header: seq of the last transaction. */
  public static final String LAST_SEQ = "georep.last.seq";

  /** Header: number of transactions. */
  public static final String TRANSACTIONS = "georep.transactions";

  /**
   * Header of a fragment's record: its index in its transaction, followed by {@code " last"} on the
   * final one. Informative only; the frame carries the fragment ({@link WireBatch.Fragment}).
   */
  public static final String FRAGMENT = "georep.fragment";

  private StreamRecords() {}

  /**
   * Returns the headers of a batch's record.
   *
   * @param batch the batch
   * @return the headers
   */
  public static List<Header> headers(WireBatch batch) {
    List<Header> headers =
        new ArrayList<>(
            List.of(
                header(ORIGIN, batch.origin().name()),
                header(FIRST_SEQ, Long.toString(batch.firstSeq())),
                header(LAST_SEQ, Long.toString(batch.lastSeq())),
                header(TRANSACTIONS, Integer.toString(batch.transactions().size()))));
    if (batch.isFragment()) {
      headers.add(
          header(FRAGMENT, batch.fragment().index() + (batch.fragment().last() ? " last" : "")));
    }
    return headers;
  }

  private static Header header(String key, String value) {
    return new RecordHeader(key, value.getBytes(StandardCharsets.UTF_8));
  }

  /**
   * Returns a header's text, or null.
   *
   * @param headers the headers
   * @param key the key
   * @return the value
   */
  public static String header(Headers headers, String key) {
    Header h = headers.lastHeader(key);
    return h == null || h.value() == null ? null : new String(h.value(), StandardCharsets.UTF_8);
  }

  /**
   * Returns text from a record (a header, a name in a frame) fit for a log line: control characters
   * (line breaks that could forge log lines, terminal escapes) become {@code ?}, and it is cut at
   * 200 characters.
   *
   * @param text untrusted text, or null
   * @return the text to log
   */
  public static String printable(String text) {
    return printable(text, 200);
  }

  /**
   * Returns untrusted text fit for a log line, as {@link #printable(String)}, cut at a given length
   * (for a message that quotes parts of a record).
   *
   * @param text untrusted text, or null
   * @param max the most characters kept
   * @return the text to log
   */
  public static String printable(String text, int max) {
    if (text == null) {
      return null;
    }
    StringBuilder out = new StringBuilder(Math.min(text.length(), max + 1));
    for (int i = 0; i < text.length() && out.length() < max; i++) {
      char c = text.charAt(i);
      out.append(Character.isISOControl(c) || Character.getType(c) == Character.FORMAT ? '?' : c);
    }
    if (text.length() > max) {
      out.append('…');
    }
    return out.toString();
  }

  /**
   * Reads the uncompressed (envelope) length from a frame's header (bytes 16–19, big-endian; see
   * {@code docs/wire-format.md}), for the compression-ratio metric; 0 if the frame is too short.
   *
   * @param frame the frame
   * @return the envelope length
   */
  public static long uncompressedLength(byte[] frame) {
    return frame.length < 28 ? 0 : Integer.toUnsignedLong(ByteBuffer.wrap(frame, 16, 4).getInt());
  }
}
