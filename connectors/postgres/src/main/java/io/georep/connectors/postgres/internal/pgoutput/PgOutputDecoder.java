package io.georep.connectors.postgres.internal.pgoutput;

import io.georep.connectors.postgres.internal.pgoutput.PgOutputMessage.Begin;
import io.georep.connectors.postgres.internal.pgoutput.PgOutputMessage.Commit;
import io.georep.connectors.postgres.internal.pgoutput.PgOutputMessage.Delete;
import io.georep.connectors.postgres.internal.pgoutput.PgOutputMessage.Insert;
import io.georep.connectors.postgres.internal.pgoutput.PgOutputMessage.Message;
import io.georep.connectors.postgres.internal.pgoutput.PgOutputMessage.Origin;
import io.georep.connectors.postgres.internal.pgoutput.PgOutputMessage.Relation;
import io.georep.connectors.postgres.internal.pgoutput.PgOutputMessage.RelationColumn;
import io.georep.connectors.postgres.internal.pgoutput.PgOutputMessage.StreamAbort;
import io.georep.connectors.postgres.internal.pgoutput.PgOutputMessage.StreamCommit;
import io.georep.connectors.postgres.internal.pgoutput.PgOutputMessage.StreamStart;
import io.georep.connectors.postgres.internal.pgoutput.PgOutputMessage.StreamStop;
import io.georep.connectors.postgres.internal.pgoutput.PgOutputMessage.Truncate;
import io.georep.connectors.postgres.internal.pgoutput.PgOutputMessage.Update;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Decodes the binary messages of PostgreSQL's {@code pgoutput} plugin (protocol versions 1–4).
 *
 * <p>Design: the decoder is a pure function of the message bytes plus one bit of state, whether a
 * streamed-transaction block ({@code S} … {@code E}) is open, because inside such a block the
 * change messages carry the transaction id after their type byte. All multi-byte integers are
 * big-endian; strings are NUL-terminated UTF-8. Every length read from the wire is checked against
 * the bytes that remain before anything is allocated, so a corrupt message fails with {@link
 * PgOutputProtocolException} naming the message type and offset instead of exhausting memory.
 *
 * <p>Not thread-safe: one decoder per replication stream, used by the stream's reader thread.
 */
public final class PgOutputDecoder {
  private boolean inStreamBlock;

  /**
   * Decodes one message. The buffer's position is advanced to its end.
   *
   * @param buffer the message bytes, from the type byte on; never null
   * @return the message; never null
   * @throws PgOutputProtocolException if the bytes are not a valid message
   */
  public PgOutputMessage decode(ByteBuffer buffer) {
    int start = buffer.position();
    char type = 0;
    try {
      type = (char) buffer.get();
      PgOutputMessage message = decode(type, buffer);
      if (buffer.hasRemaining()) {
        throw error(
            type, buffer.position() - start, buffer.remaining() + " unexpected trailing bytes");
      }
      return message;
    } catch (BufferUnderflowException e) {
      throw error(type, buffer.position() - start, "message truncated");
    }
  }

  private PgOutputMessage decode(char type, ByteBuffer b) {
    return switch (type) {
      case 'B' -> new Begin(b.getLong(), b.getLong(), b.getInt());
      case 'C' -> new Commit(b.get(), b.getLong(), b.getLong(), b.getLong());
      case 'O' -> new Origin(b.getLong(), string(type, b));
      case 'M' -> {
        int xid = streamXid(b);
        boolean transactional = (b.get() & 1) != 0;
        long lsn = b.getLong();
        String prefix = string(type, b);
        byte[] content = bytes(type, b, b.getInt());
        yield new Message(xid, transactional, lsn, prefix, ByteBuffer.wrap(content));
      }
      case 'R' -> relation(type, b);
      case 'Y' -> {
        int xid = streamXid(b);
        yield new PgOutputMessage.Type(xid, b.getInt(), string(type, b), string(type, b));
      }
      case 'I' -> {
        int xid = streamXid(b);
        int oid = b.getInt();
        expect(type, b, 'N');
        yield new Insert(xid, oid, tuple(type, b));
      }
      case 'U' -> update(type, b);
      case 'D' -> {
        int xid = streamXid(b);
        int oid = b.getInt();
        char marker = (char) b.get();
        if (marker != 'K' && marker != 'O') {
          throw error(
              type,
              b.position() - 1,
              "expected 'K' or 'O' before the old tuple, got " + show(marker));
        }
        yield new Delete(xid, oid, marker, tuple(type, b));
      }
      case 'T' -> {
        int xid = streamXid(b);
        int count = b.getInt();
        int options = b.get();
        checkCount(type, b, count, 4);
        List<Integer> oids = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
          oids.add(b.getInt());
        }
        yield new Truncate(xid, options, oids);
      }
      case 'S' -> {
        StreamStart start = new StreamStart(b.getInt(), b.get() == 1);
        inStreamBlock = true;
        yield start;
      }
      case 'E' -> {
        inStreamBlock = false;
        yield new StreamStop();
      }
      case 'c' -> new StreamCommit(b.getInt(), b.get(), b.getLong(), b.getLong(), b.getLong());
      case 'A' -> {
        StreamAbort abort = new StreamAbort(b.getInt(), b.getInt());
        // Protocol 4 (parallel streaming) appends the abort LSN and time; not needed here.
        b.position(b.limit());
        yield abort;
      }
      default -> throw error(type, 0, "unknown message type " + show(type));
    };
  }

  private Relation relation(char type, ByteBuffer b) {
    int xid = streamXid(b);
    int oid = b.getInt();
    String namespace = string(type, b);
    String name = string(type, b);
    char identity = (char) b.get();
    int count = Short.toUnsignedInt(b.getShort());
    // Each column takes at least 10 bytes: flags, an empty name, type oid and modifier.
    checkCount(type, b, count, 10);
    List<RelationColumn> columns = new ArrayList<>(count);
    for (int i = 0; i < count; i++) {
      boolean key = (b.get() & 1) != 0;
      String column = string(type, b);
      columns.add(new RelationColumn(key, column, b.getInt(), b.getInt()));
    }
    return new Relation(xid, oid, namespace, name, identity, columns);
  }

  private Update update(char type, ByteBuffer b) {
    int xid = streamXid(b);
    int oid = b.getInt();
    char marker = (char) b.get();
    char oldKind = 0;
    TupleData old = null;
    if (marker == 'K' || marker == 'O') {
      oldKind = marker;
      old = tuple(type, b);
      marker = (char) b.get();
    }
    if (marker != 'N') {
      throw error(type, b.position() - 1, "expected 'N' before the new tuple, got " + show(marker));
    }
    return new Update(xid, oid, oldKind, old, tuple(type, b));
  }

  private int streamXid(ByteBuffer b) {
    return inStreamBlock ? b.getInt() : 0;
  }

  private static TupleData tuple(char type, ByteBuffer b) {
    int count = Short.toUnsignedInt(b.getShort());
    checkCount(type, b, count, 1);
    TupleData.Kind[] kinds = new TupleData.Kind[count];
    byte[][] values = new byte[count][];
    for (int i = 0; i < count; i++) {
      char kind = (char) b.get();
      switch (kind) {
        case 'n' -> {
          kinds[i] = TupleData.Kind.NULL;
          values[i] = new byte[0];
        }
        case 'u' -> {
          kinds[i] = TupleData.Kind.UNCHANGED_TOAST;
          values[i] = new byte[0];
        }
        case 't', 'b' -> {
          kinds[i] = kind == 't' ? TupleData.Kind.TEXT : TupleData.Kind.BINARY;
          values[i] = bytes(type, b, b.getInt());
        }
        default ->
            throw error(
                type,
                b.position() - 1,
                "unknown tuple column kind " + show(kind) + " in column " + (i + 1));
      }
    }
    return new TupleData(kinds, values);
  }

  private static byte[] bytes(char type, ByteBuffer b, int length) {
    if (length < 0 || length > b.remaining()) {
      throw error(
          type,
          b.position() - 4,
          "length " + length + " exceeds the " + b.remaining() + " bytes left");
    }
    byte[] out = new byte[length];
    b.get(out);
    return out;
  }

  private static String string(char type, ByteBuffer b) {
    int start = b.position();
    int end = start;
    while (end < b.limit() && b.get(end) != 0) {
      end++;
    }
    if (end == b.limit()) {
      throw error(type, start, "unterminated string");
    }
    byte[] raw = new byte[end - start];
    b.get(raw);
    b.get(); // the terminating NUL
    return new String(raw, StandardCharsets.UTF_8);
  }

  private static void expect(char type, ByteBuffer b, char expected) {
    char got = (char) b.get();
    if (got != expected) {
      throw error(type, b.position() - 1, "expected " + show(expected) + ", got " + show(got));
    }
  }

  private static void checkCount(char type, ByteBuffer b, int count, int minBytesEach) {
    if (count < 0 || (long) count * minBytesEach > b.remaining()) {
      throw error(
          type,
          b.position(),
          "count " + count + " exceeds what the " + b.remaining() + " bytes left can hold");
    }
  }

  private static String show(char c) {
    return c >= 0x20 && c < 0x7f ? "'" + c + "'" : String.format("0x%02x", (int) c);
  }

  private static PgOutputProtocolException error(char type, int offset, String what) {
    return new PgOutputProtocolException(
        "malformed pgoutput message "
            + show(type)
            + " at byte "
            + offset
            + ": "
            + what
            + "; the replication stream cannot be decoded past this point (is the slot using the"
            + " pgoutput plugin with a supported proto_version, 1 to 4?)");
  }
}
