package io.georep.connectors.postgres.internal.pgoutput;

import java.nio.ByteBuffer;
import java.util.List;
import java.util.Objects;

/**
 * One message of PostgreSQL's {@code pgoutput} logical decoding plugin, decoded but not yet
 * interpreted: values are still in the server's text (or binary) output format.
 *
 * <p>The layout follows "Logical Replication Message Formats" of the PostgreSQL protocol
 * documentation (protocol versions 1 to 4). Messages of a streamed in-progress transaction carry
 * its {@code xid}; others carry 0 there.
 */
public sealed interface PgOutputMessage {

  /** A transaction begins; its changes follow until {@link Commit}. */
  record Begin(long finalLsn, long commitTimeMicros, int xid) implements PgOutputMessage {}

  /** A transaction committed. */
  record Commit(int flags, long commitLsn, long endLsn, long commitTimeMicros)
      implements PgOutputMessage {}

  /** The transaction was replayed from a replication origin (only without {@code origin=none}). */
  record Origin(long originLsn, String name) implements PgOutputMessage {}

  /**
   * A logical decoding message written with {@code pg_logical_emit_message}. The content is a
   * read-only view; immutable.
   */
  record Message(int xid, boolean transactional, long lsn, String prefix, ByteBuffer content)
      implements PgOutputMessage {
    /** Copies the content into a read-only buffer. */
    public Message {
      Objects.requireNonNull(prefix, "prefix");
      ByteBuffer copy = ByteBuffer.allocate(content.remaining());
      copy.put(content.duplicate()).flip();
      content = copy.asReadOnlyBuffer();
    }

    /**
     * Returns a copy of the content bytes.
     *
     * @return the bytes; never null
     */
    public byte[] contentBytes() {
      byte[] out = new byte[content.remaining()];
      content.duplicate().get(out);
      return out;
    }
  }

  /** A column of a {@link Relation}. */
  record RelationColumn(boolean key, String name, int typeOid, int typeModifier) {
    /** Validates the column. */
    public RelationColumn {
      Objects.requireNonNull(name, "name");
    }
  }

  /**
   * The description of a table, sent before its first change and again after it changes.
   *
   * @param replicaIdentity {@code d} default, {@code n} nothing, {@code f} full, {@code i} index
   */
  record Relation(
      int xid,
      int relationOid,
      String namespace,
      String name,
      char replicaIdentity,
      List<RelationColumn> columns)
      implements PgOutputMessage {
    /** Copies the column list. */
    public Relation {
      Objects.requireNonNull(namespace, "namespace");
      Objects.requireNonNull(name, "name");
      columns = List.copyOf(columns);
    }
  }

  /** The name of a non-built-in data type, sent before a relation that uses it. */
  record Type(int xid, int typeOid, String namespace, String name) implements PgOutputMessage {}

  /** A row was inserted. */
  record Insert(int xid, int relationOid, TupleData newTuple) implements PgOutputMessage {}

  /**
   * A row was updated.
   *
   * @param oldKind {@code 'K'} if {@code oldTuple} holds only the replica identity key, {@code 'O'}
   *     if it holds the whole old row ({@code REPLICA IDENTITY FULL}), 0 if absent
   * @param oldTuple the old key or row; null when the key did not change and the identity is not
   *     FULL
   */
  record Update(int xid, int relationOid, char oldKind, TupleData oldTuple, TupleData newTuple)
      implements PgOutputMessage {}

  /**
   * A row was deleted.
   *
   * @param oldKind {@code 'K'} key only or {@code 'O'} whole old row
   */
  record Delete(int xid, int relationOid, char oldKind, TupleData oldTuple)
      implements PgOutputMessage {}

  /** Tables were truncated. Options: 1 = CASCADE, 2 = RESTART IDENTITY. */
  record Truncate(int xid, int options, List<Integer> relationOids) implements PgOutputMessage {
    /** Copies the oid list. */
    public Truncate {
      relationOids = List.copyOf(relationOids);
    }
  }

  /** A block of a streamed, still in-progress, large transaction begins. */
  record StreamStart(int xid, boolean firstSegment) implements PgOutputMessage {}

  /** A block of a streamed transaction ends. */
  record StreamStop() implements PgOutputMessage {}

  /** A streamed transaction committed. */
  record StreamCommit(int xid, int flags, long commitLsn, long endLsn, long commitTimeMicros)
      implements PgOutputMessage {}

  /** A streamed (sub)transaction aborted: its changes, and those of its subtransaction, vanish. */
  record StreamAbort(int xid, int subXid) implements PgOutputMessage {}
}
