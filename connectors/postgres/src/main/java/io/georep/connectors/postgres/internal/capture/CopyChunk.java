package io.georep.connectors.postgres.internal.capture;

import io.georep.connectors.postgres.CaptureException;
import io.georep.connectors.postgres.internal.pgoutput.TupleData;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * The rows of one chunk of the initial copy as they travel in the WAL: the content of a
 * transactional logical message with prefix {@value #PREFIX}, written by {@link ChunkedCopy} in the
 * chunk's transaction and decoded by the capture from the slot. Values are the types' text output,
 * as pgoutput sends them, so the capture converts them like streamed inserts.
 *
 * <p>Layout (big-endian): version byte 1; table oid (int); schema and table name (UTF-8, each an
 * int length and bytes); chunk number (long, from 1 per table); flags byte (bit 0: the table is
 * complete after this message; bit 1: the table is read in one transaction, not by key range);
 * column count (int); row count (int); then per row and column an int length (-1: NULL) and that
 * many UTF-8 bytes.
 *
 * @param relationOid the table's oid
 * @param schema the table's schema
 * @param table the table's name
 * @param chunkNo the chunk's number, from 1 per table
 * @param last whether the table is complete after this message
 * @param whole whether the table is read in one transaction (no orderable key), not by key range
 * @param columns the column count
 * @param rows the rows, each {@code columns} texts (null for NULL)
 */
public record CopyChunk(
    int relationOid,
    String schema,
    String table,
    long chunkNo,
    boolean last,
    boolean whole,
    int columns,
    List<String[]> rows) {

  /** The prefix of the logical messages that carry copied rows. */
  public static final String PREFIX = "georep.copy";

  private static final byte VERSION = 1;

  /** Copies the row list. */
  public CopyChunk {
    rows = List.copyOf(rows);
  }

  /**
   * Encodes the chunk.
   *
   * @return the message content
   */
  public byte[] encode() {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream(64 + rows.size() * columns * 16);
    try (DataOutputStream out = new DataOutputStream(bytes)) {
      out.writeByte(VERSION);
      out.writeInt(relationOid);
      writeText(out, schema);
      writeText(out, table);
      out.writeLong(chunkNo);
      out.writeByte((last ? 1 : 0) | (whole ? 2 : 0));
      out.writeInt(columns);
      out.writeInt(rows.size());
      for (String[] row : rows) {
        for (String value : row) {
          writeText(out, value);
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return bytes.toByteArray();
  }

  /**
   * Decodes a chunk.
   *
   * @param content the message content
   * @param lsn the message's LSN, for errors
   * @return the chunk
   * @throws CaptureException if the content is not a chunk this version writes
   */
  public static CopyChunk decode(byte[] content, long lsn) {
    ByteBuffer in = ByteBuffer.wrap(content);
    try {
      checkVersion(in.get(), lsn);
      int oid = in.getInt();
      String schema = readText(in);
      String table = readText(in);
      long chunkNo = in.getLong();
      byte flags = in.get();
      boolean last = (flags & 1) != 0;
      boolean whole = (flags & 2) != 0;
      int columns = in.getInt();
      int count = in.getInt();
      List<String[]> rows = new ArrayList<>(count);
      for (int r = 0; r < count; r++) {
        String[] row = new String[columns];
        for (int c = 0; c < columns; c++) {
          row[c] = readText(in);
        }
        rows.add(row);
      }
      return new CopyChunk(oid, schema, table, chunkNo, last, whole, columns, rows);
    } catch (BufferUnderflowException | IllegalArgumentException e) {
      throw new CaptureException(
          "a georep.copy message at LSN "
              + Lsn.format(lsn)
              + " is truncated or malformed ("
              + e
              + "); only georep's initial copy may write messages with prefix georep.copy",
          e);
    }
  }

  /**
   * Which chunk a message carries, read without its rows.
   *
   * @param schema the table's schema
   * @param table the table's name
   * @param chunkNo the chunk's number
   * @param rows how many rows it carries
   */
  public record Header(String schema, String table, long chunkNo, int rows) {}

  /**
   * Reads a chunk's header only.
   *
   * @param content the message content
   * @param lsn the message's LSN, for errors
   * @return the header
   * @throws CaptureException if the content is not a chunk this version writes
   */
  public static Header header(byte[] content, long lsn) {
    ByteBuffer in = ByteBuffer.wrap(content);
    try {
      checkVersion(in.get(), lsn);
      in.getInt();
      String schema = readText(in);
      String table = readText(in);
      long chunkNo = in.getLong();
      in.get();
      in.getInt();
      return new Header(schema, table, chunkNo, in.getInt());
    } catch (BufferUnderflowException | IllegalArgumentException e) {
      throw new CaptureException(
          "a georep.copy message at LSN "
              + Lsn.format(lsn)
              + " is truncated or malformed ("
              + e
              + "); only georep's initial copy may write messages with prefix georep.copy",
          e);
    }
  }

  /**
   * Returns one row as pgoutput would send it in an {@code Insert}.
   *
   * @param row the row's texts
   * @return the tuple
   */
  public static TupleData tuple(String[] row) {
    TupleData.Kind[] kinds = new TupleData.Kind[row.length];
    byte[][] values = new byte[row.length][];
    for (int c = 0; c < row.length; c++) {
      kinds[c] = row[c] == null ? TupleData.Kind.NULL : TupleData.Kind.TEXT;
      values[c] = row[c] == null ? null : row[c].getBytes(StandardCharsets.UTF_8);
    }
    return TupleData.of(kinds, values);
  }

  private static void checkVersion(byte version, long lsn) {
    if (version != VERSION) {
      throw new CaptureException(
          "a georep.copy message at LSN "
              + Lsn.format(lsn)
              + " has version "
              + version
              + ", this agent reads version "
              + VERSION
              + "; an agent of another version wrote it: run the same version in this region");
    }
  }

  private static void writeText(DataOutputStream out, String text) throws IOException {
    if (text == null) {
      out.writeInt(-1);
      return;
    }
    byte[] utf8 = text.getBytes(StandardCharsets.UTF_8);
    out.writeInt(utf8.length);
    out.write(utf8);
  }

  private static String readText(ByteBuffer in) {
    int length = in.getInt();
    if (length < 0) {
      return null;
    }
    if (length > in.remaining()) {
      throw new IllegalArgumentException("a value of " + length + " bytes runs past the end");
    }
    String text =
        new String(in.array(), in.arrayOffset() + in.position(), length, StandardCharsets.UTF_8);
    in.position(in.position() + length);
    return text;
  }
}
