package io.georep.connectors.postgres.internal.apply;

import io.georep.connector.ColumnSchema;
import io.georep.connector.RowChange;
import io.georep.connector.RowKey;
import io.georep.connector.SourceTransaction;
import io.georep.connector.TableId;
import io.georep.connector.TableSchema;
import io.georep.connector.Value;
import io.georep.connector.spi.ApplyRetryException;
import io.georep.connectors.postgres.ApplyMark;
import io.georep.resolver.ColumnPolicy;
import io.georep.resolver.Conflict;
import io.georep.resolver.MergeResult;
import io.georep.resolver.RowMerge;
import io.georep.resolver.RowState;
import io.georep.resolver.TablePolicy;
import io.georep.resolver.UniqueClashPolicy;
import io.georep.resolver.VisibleRow;
import io.georep.resolver.Write;
import io.georep.resolver.spi.Version;
import io.georep.vectorclock.Dot;
import io.georep.vectorclock.HybridTimestamp;
import io.georep.vectorclock.ReplicaId;
import io.georep.vectorclock.VersionVector;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Savepoint;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.function.Function;
import org.postgresql.util.PSQLException;

/**
 * One apply database transaction: merges the writes of one or more source transactions into the
 * local rows and commits them together with their progress, echo mark, stamps and conflicts.
 *
 * <h2>Design</h2>
 *
 * <p>Everything an apply changes is in this one database transaction, so "applied but progress not
 * recorded" (or the reverse) cannot exist: the rows, {@code georep.row_meta}, {@code
 * georep.apply_progress}, the {@link ApplyMark} logical message, the apply's {@code
 * georep.xid_stamp} rows and {@code georep.conflict_log} commit or roll back as one.
 *
 * <p>Per row write (after Shapiro et al. for the merge, which {@link RowMerge} implements):
 *
 * <ol>
 *   <li><b>Lock.</b> An advisory transaction lock on a hash of (table, key) serialises appliers on
 *       the row, including the case where neither the row nor its metadata exists yet; {@code
 *       SELECT … FOR UPDATE} then locks the table row against local writers. A local insert of an
 *       absent key can still race the apply's insert: the primary-key violation aborts the whole
 *       transaction as retriable, and the retry folds the local row. Row lockers first take a
 *       shared advisory lock on the table; a transaction with more than {@link #ESCALATION_ROWS}
 *       rows of a table takes that lock exclusively instead of one lock per row, because advisory
 *       locks fill PostgreSQL's shared lock table. {@link #prefetch} takes the table locks, then
 *       the row locks, each in hash order, and reads the rows a few statements per table.
 *   <li><b>Fold local writes.</b> The metadata records the table row's {@code xmin} when the
 *       applier last synchronised it ({@code writer_xid32}). A different {@code xmin}, or a row
 *       without metadata, means an application in this region wrote it since: its dot, HLC and
 *       causal context come from the capture's stamp for that xid, and {@link Write#diff} turns
 *       "visible state vs database" into a local write merged before the remote one. A row that is
 *       gone while its state says it exists was deleted locally; the delete is attributed to the
 *       newest local stamp committed after the last synchronisation (whose context contains the
 *       deleter's). Without a stamp the applier never guesses (a guess could claim "dominated" and
 *       silently lose the local write): it polls for the stamp up to {@code stampWait} and then
 *       aborts with a retriable {@link ApplyRetryException.Reason#STAMP_PENDING}.
 *   <li><b>Merge</b> the remote write: dominated versions are replaced, concurrent ones resolved,
 *       stale and duplicate writes skipped — all inside {@link RowMerge#merge}.
 *   <li><b>Write back</b> only what differs between the merged visible row and the database
 *       (insert, update of the differing columns, delete), and remember the new {@code xmin} (this
 *       transaction's xid). A unique violation on a non-primary key is a clash between two rows:
 *       the clashing row is found, folded, and the {@link UniqueClashPolicy} keeps the row whose
 *       latest write has the later HLC — a function of the two rows' states, so every region
 *       removes the same row. The loser's state is kept with {@code suppressed = true} (it exists
 *       in the replicated state but not in the table) and is tried again on its next write. A
 *       delete of a row that foreign keys reference first cascades to the children written
 *       concurrently with it, and a child whose parent was deleted concurrently is cascaded instead
 *       of written ({@link ParentDeletes}).
 * </ol>
 *
 * <p>Concurrency: one instance per database transaction, confined to the applying thread. Several
 * appliers may run on one database; they serialise on row locks and on the origin's progress row.
 *
 * <p>About 1,850 lines: it holds one database transaction's row handles, locks and pending writes,
 * which every step (lock and read, fold, merge, write-back, unique clashes, metadata) reads and
 * changes. The seam it splits along is a database-independent engine over a small row-store SPI,
 * with only the SQL left here; that is a change of the connector's structure, not of this class
 * alone.
 */
public final class ApplyTransaction {
  private static final long MASK32 = 0xFFFFFFFFL;

  /**
   * Reads the metadata of many keys of one table (parameters: the keys' bytes, schema, table), one
   * index probe per key whatever the statistics say. Before {@code row_meta}'s first {@code
   * ANALYZE} (a new region filling it by an initial copy) the planner takes {@code (table_schema,
   * table_name)} for selective: with {@code row_key = ANY(?)} it scanned every metadata row of the
   * table and tested it against the whole array, and with a plain join of the keys it hashed every
   * metadata row of the table — each look-up grew with the table. A lateral subquery that cannot be
   * flattened ({@code LIMIT 1}; the key is unique) is probed once per key by the whole key.
   */
  public static final String ROW_META_OF_KEYS =
      "SELECT m.row_key, m.state, m.suppressed, m.writer_xid32, m.sync_lsn, m.last_origin,"
          + " m.last_seq, m.last_wall, m.last_logical, m.writer_xid"
          + " FROM unnest(?::bytea[]) AS k(row_key) CROSS JOIN LATERAL"
          + " (SELECT * FROM georep.row_meta r WHERE r.table_schema = ? AND r.table_name = ?"
          + " AND r.row_key = k.row_key LIMIT 1) m";

  /** The {@code xid32} argument of {@link #foldLocal} for the initial copy transaction. */
  public static final long INITIAL_COPY = -1;

  /**
   * Added to the xid of a chunk of the chunked initial copy ({@code xid_stamp.copy_chunk}) when it
   * is folded: the chunk's transaction wrote no table row, it carries the rows it read.
   */
  public static final long COPY_CHUNK = 1L << 40;

  private static final int MAX_CLASH_ROUNDS = 16;

  /** Where the apply is, for error messages. */
  private Dot currentDot;

  private TableId currentTable;
  private RowKey currentKey;

  private final Connection connection;
  private final ReplicaId region;
  private final Duration stampWait;
  private final Function<TableSchema, TablePolicy> policies;
  private final Function<TableSchema, TableSql> statements;
  private final UniqueClashPolicy clashPolicy;
  private boolean agentFolds;
  private boolean rowsWritten;

  /**
   * Whether this database transaction merges one large transaction in parts ({@link #inParts}):
   * every table is locked whole, and a row whose metadata this database transaction wrote takes the
   * transaction's next part as a continuation ({@link RowMerge#merge(Optional, Write, TablePolicy,
   * boolean)}).
   */
  private boolean inParts;

  /** Whether the part being applied is not the transaction's first. */
  private boolean continuing;

  /** The position in its transaction of the next part's first change. */
  private long partBase;

  /**
   * Whether this transaction folds local writes: a write-back then leaves masked columns alone,
   * since the origin's rows keep the values its applications wrote.
   */
  private boolean folding;

  /** The schemas of tables no change named yet, for the parent-deleted rule; null: rule off. */
  private Function<TableId, Optional<TableSchema>> schemas;

  private boolean checkParents;
  private final List<SourceTransaction> folded = new ArrayList<>();
  private final Map<RowRef, RowHandle> rows = new LinkedHashMap<>();
  private final List<Conflict> conflicts = new ArrayList<>();
  private final Map<ReplicaId, Progress> progress = new TreeMap<>();
  private final List<SourceTransaction> applied = new ArrayList<>();
  private final Map<RowRef, Map<String, Value>> keyChangeSources = new HashMap<>();
  private final IdentityHashMap<SourceTransaction, List<Write>> writes = new IdentityHashMap<>();
  private final IdentityHashMap<RowKey, byte[]> keyBytes = new IdentityHashMap<>();
  private final List<PendingWrite> pendingWrites = new ArrayList<>();
  private final KeylessRows keyless;

  /** The tables this transaction holds a table-level lock on: true if exclusive (escalated). */
  private final Map<TableId, Boolean> tableLocks = new HashMap<>();

  private long xid;
  private long lsn;
  private long writtenXmin;
  private Duration rowLockTimeout = Duration.ZERO;

  /** Whether the server records commit timestamps; read when first needed. */
  private Boolean commitTimestamps;

  /** Whether an xmin has a stamp, per xmin looked up by {@link #subtransactionOf}. */
  private final Map<Long, Boolean> stampedXmins = new HashMap<>();

  /**
   * {@link #writtenAfter}'s answers for the chunk being folded, per {@code xmin}: a chunk's rows
   * mostly share the few {@code xmin}s of the transactions that loaded the table, so a chunk of
   * 10,000 rows asks the database a few times, not 10,000 times.
   */
  private final Map<Long, Boolean> writtenAfterChunk = new HashMap<>();

  private long writtenAfterSeq = -1;

  /** A row's identity: table and key bytes. */
  private record RowRef(TableId table, ByteBuffer key) {}

  /** A local transaction's stamp. */
  private record LocalStamp(Dot dot, HybridTimestamp timestamp, VersionVector context) {}

  /** A table write not sent yet: sent in order, consecutive equal statements as one JDBC batch. */
  private record PendingWrite(String statement, List<String> parameters) {}

  /** Keys per statement when {@link #prefetch} locks and reads rows. */
  static final int PREFETCH_CHUNK = 2_000;

  /**
   * Rows of one table that one database transaction locks one by one; beyond it, {@link #prefetch}
   * locks the whole table instead (lock escalation). Advisory locks live in PostgreSQL's shared
   * lock table, sized {@code max_locks_per_transaction × max_connections} (about 7,000 by default)
   * for all sessions: a transaction that took one per row could not apply more rows than that at
   * all ({@code out of shared memory}, retried forever).
   */
  static final int ESCALATION_ROWS = 500;

  /**
   * An origin's progress row. Locked at first use for in-order applies; read unlocked and locked
   * only in {@link #finish} for positioned (out-of-order) applies, so parallel workers do not
   * serialise on it for the whole apply.
   */
  private static final class Progress {
    long watermark;
    long offset = -1;
    List<AboveSet.Entry> above;
    boolean locked;
    boolean changed;
    final List<AboveSet.Entry> pending = new ArrayList<>();
  }

  /** A locked row: its metadata and database values, updated as the transaction goes. */
  private static final class RowHandle {
    final TableSchema table;
    final RowKey key;
    final byte[] keyBytes;
    RowState state;
    boolean suppressed;
    Long writerXid32;

    /** Whether this database transaction wrote the row's metadata (an earlier part). */
    boolean ownMeta;

    /**
     * Whether the row has a {@code row_meta} row: read, or written by this transaction. A row
     * without one gets a plain insert — no other writer of metadata can add it while the row's lock
     * is held — which costs the server less than an upsert's speculative insertion.
     */
    boolean metaStored;

    long syncLsn;
    Dot lastDot;
    HybridTimestamp lastTimestamp;
    Optional<Map<String, Value>> db;
    long xmin;
    boolean dirty;

    /** The visible row of {@link #visibleOf}: computed once per state (it runs the resolvers). */
    RowState visibleOf;

    VisibleRow visibleRow;

    RowHandle(TableSchema table, RowKey key, byte[] keyBytes) {
      this.table = table;
      this.key = key;
      this.keyBytes = keyBytes;
    }
  }

  /**
   * Creates the transaction on a connection in manual-commit mode.
   *
   * @param connection the connection; auto-commit off
   * @param region the local region
   * @param stampWait how long to wait for the capture to stamp a local write
   * @param policies the policy of each table
   * @param statements the statements of each table
   * @param clashPolicy the unique-key clash policy
   */
  public ApplyTransaction(
      Connection connection,
      ReplicaId region,
      Duration stampWait,
      Function<TableSchema, TablePolicy> policies,
      Function<TableSchema, TableSql> statements,
      UniqueClashPolicy clashPolicy) {
    this.connection = connection;
    this.region = region;
    this.stampWait = stampWait;
    // Per-row lookups by the change's schema instance: a schema's hashCode and equals walk all of
    // its columns, and a transaction's changes share a few instances.
    IdentityHashMap<TableSchema, TablePolicy> policyByInstance = new IdentityHashMap<>();
    IdentityHashMap<TableSchema, TableSql> sqlByInstance = new IdentityHashMap<>();
    this.policies = t -> policyByInstance.computeIfAbsent(t, policies);
    this.statements = t -> sqlByInstance.computeIfAbsent(t, statements);
    this.clashPolicy = clashPolicy;
    this.keyless = new KeylessRows(connection, this::lockRow, conflicts);
  }

  /**
   * Declares that the agent folds captured local transactions ({@link #foldLocal}): a local write
   * not folded yet then aborts the apply as retriable instead of being folded here as one write.
   *
   * @param agentFolds whether the agent folds
   */
  public void setAgentFolds(boolean agentFolds) {
    this.agentFolds = agentFolds;
  }

  /**
   * Turns on the parent-deleted rule ({@link ParentDeletes}, docs/conflicts.md): a parent row's
   * delete cascades to the child rows written concurrently with it. The cascade from a parent's
   * delete is always checked; {@code checkParents} also checks, before each child write, whether
   * its parent is a concurrent tombstone — the caller turns it on when an apply without it failed
   * on a foreign key, so the common path pays nothing.
   *
   * @param schemas the replicated schema of a table by id, empty if it is not replicated
   * @param checkParents whether to check the parents of written child rows
   */
  public void setParentRule(
      Function<TableId, Optional<TableSchema>> schemas, boolean checkParents) {
    this.schemas = schemas;
    this.checkParents = checkParents;
  }

  /**
   * Makes this database transaction merge one large transaction in parts, each part's rows written
   * and forgotten before the next ({@link #endPart}), so that memory holds one part: a fold with
   * {@link #foldLocal} per part, or an apply with {@link #applyPart} per part. Every table is
   * locked whole (a lock per row would fill PostgreSQL's lock table). Call before {@link #begin}.
   */
  public void inParts() {
    inParts = true;
  }

  /**
   * Starts the transaction: reads its xid and the WAL position.
   *
   * @throws SQLException on a database failure
   */
  public void begin() throws SQLException {
    try (Statement s = connection.createStatement();
        ResultSet rs =
            s.executeQuery(
                "SELECT txid_current(), (pg_current_wal_lsn() - '0/0'::pg_lsn)::bigint")) {
      rs.next();
      xid = rs.getLong(1);
      lsn = rs.getLong(2);
      if (inParts) {
        keyless.mergeInParts(xid & MASK32);
      }
      // Deferrable foreign keys are checked at commit, so a parent and its child may arrive in
      // either order within one apply transaction; non-deferrable ones are unaffected.
      s.execute("SET CONSTRAINTS ALL DEFERRED");
    }
  }

  /**
   * Returns a description of where the apply is: origin, seq, table and key.
   *
   * @return the description
   */
  public String position() {
    return (currentDot == null ? "before the first transaction" : "transaction " + currentDot)
        + (currentTable == null ? "" : ", table " + currentTable)
        + (currentKey == null ? "" : ", key " + currentKey.values());
  }

  /**
   * Applies one source transaction unless its dot is already applied.
   *
   * @param tx the transaction
   * @return false if it was a duplicate and was skipped
   * @throws SQLException on a database failure
   */
  public boolean apply(SourceTransaction tx) throws SQLException {
    return apply(tx, IN_ORDER, -1);
  }

  /** The predecessor argument of {@link #apply(SourceTransaction, long, long)} for in-order use. */
  public static final long IN_ORDER = -1;

  /**
   * Applies one source transaction unless its dot is already applied, recording its place in its
   * origin's stream.
   *
   * @param tx the transaction
   * @param previousSeq the seq of its predecessor in the origin's stream (0 for the first), or
   *     {@link #IN_ORDER} when the caller applies the origin in seq order: then the progress row is
   *     locked at once and the watermark simply becomes the seq
   * @param offset the stream offset of the batch that carried it, or -1 if unknown
   * @return false if it was a duplicate and was skipped
   * @throws SQLException on a database failure
   */
  public boolean apply(SourceTransaction tx, long previousSeq, long offset) throws SQLException {
    return applyPart(tx, 0, previousSeq, offset);
  }

  /**
   * Applies one part of a large transaction applied in parts ({@link #inParts}): its first part
   * ({@code index} 0) as {@link #apply(SourceTransaction, long, long)} does a whole transaction
   * (skipped, returning false, if its dot is already applied), each later one as the continuation
   * of the parts before it. Call {@link #endPart} after each.
   *
   * @param part the part: the transaction's identity with the next slice of its changes
   * @param index the part's position, from 0
   * @param previousSeq as {@link #apply(SourceTransaction, long, long)}
   * @param offset as {@link #apply(SourceTransaction, long, long)}
   * @return false if the transaction was a duplicate and was skipped (only for index 0)
   * @throws SQLException on a database failure
   */
  public boolean applyPart(SourceTransaction part, int index, long previousSeq, long offset)
      throws SQLException {
    SourceTransaction tx = part;
    currentDot = tx.dot();
    currentTable = null;
    currentKey = null;
    continuing = index > 0;
    if (continuing && !inParts) {
      throw new IllegalStateException("part " + index + " of " + tx.dot() + " without inParts()");
    }
    Progress p = continuing ? null : progress(tx.origin(), previousSeq == IN_ORDER);
    if (p != null
        && (tx.seq() <= p.watermark
            || AboveSet.contains(p.above, tx.seq())
            || AboveSet.contains(p.pending, tx.seq()))) {
      writes.remove(tx);
      return false;
    }
    keyChangeSources.clear();
    Map<RowRef, RowRef> keyChanges = keyChanges(tx);
    for (Write write : writesOf(tx)) {
      currentTable = write.table().id();
      currentKey = write.key();
      applyWrite(write, keyChanges);
    }
    if (KeylessRows.touches(tx)) {
      keyless.merge(tx, false, inParts ? partBase : -1);
    }
    partBase += tx.changes().size();
    // Applied: its writes are not needed again (a group may hold many large transactions).
    writes.remove(tx);
    currentTable = null;
    currentKey = null;
    continuing = false;
    if (p == null) {
      return true;
    }
    if (inParts) {
      // Only its identity is needed from here on (finish): not the part's changes.
      tx = tx.withChanges(List.of());
    }
    if (previousSeq == IN_ORDER) {
      // In-order apply (ChangeApplier's contract): the watermark simply becomes the seq, and
      // entries left above it by earlier out-of-order applies join the prefix if they continue it.
      long[] moved = AboveSet.absorb(Math.max(p.watermark, tx.seq()), p.offset, p.above);
      p.watermark = moved[0];
      p.offset = moved[1];
    } else {
      // Out of order: merged into the progress row under its lock in finish().
      p.pending.add(new AboveSet.Entry(tx.seq(), previousSeq, offset));
    }
    p.changed = true;
    applied.add(tx);
    return true;
  }

  /**
   * Ends a part of a transaction merged in parts ({@link #inParts}): writes its rows, their
   * metadata and its conflicts, and forgets them, so that memory holds one part at a time. The
   * database transaction stays open; the next part reads the rows it needs again.
   *
   * @return the conflicts the part recorded (in the conflict log now)
   * @throws SQLException on a database failure
   */
  public List<Conflict> endPart() throws SQLException {
    flushWrites();
    writeMetadata();
    keyless.writeMetadata();
    ConflictLog.insert(connection, conflicts);
    List<Conflict> out = List.copyOf(conflicts);
    conflicts.clear();
    rows.clear();
    keyBytes.clear();
    keyless.forget();
    return out;
  }

  /**
   * Finishes the transaction before commit: row metadata, progress, echo mark, stamps and conflict
   * log. Does nothing for the mark and stamps if no transaction was applied.
   *
   * @throws SQLException on a database failure
   */
  public void finish() throws SQLException {
    currentDot = null;
    flushWrites();
    writeMetadata();
    keyless.writeMetadata();
    if (applied.isEmpty()) {
      if (rowsWritten && !folded.isEmpty()) {
        // A fold wrote rows back: mark it, so that the capture does not ship the write-back.
        List<Dot> dots = new ArrayList<>();
        HybridTimestamp latest = folded.get(0).commitTimestamp();
        for (SourceTransaction tx : folded) {
          dots.add(tx.dot());
          if (tx.commitTimestamp().isAfter(latest)) {
            latest = tx.commitTimestamp();
          }
        }
        try (PreparedStatement mark = connection.prepareStatement(ApplyMark.SQL)) {
          mark.setBytes(1, new ApplyMark(dots, VersionVector.empty(), latest).encode());
          mark.execute();
        }
      }
      ConflictLog.insert(connection, conflicts);
      return;
    }
    // Positioned applies lock their origins' progress rows only now, in origin order (the
    // TreeMap's), so parallel workers hold them just until commit and cannot deadlock on them.
    for (Map.Entry<ReplicaId, Progress> e : progress.entrySet()) {
      if (!e.getValue().pending.isEmpty()) {
        mergePending(e.getKey(), e.getValue());
      }
    }
    try (PreparedStatement update =
        connection.prepareStatement(
            "UPDATE georep.apply_progress SET watermark = ?, above = ?, watermark_offset = ?,"
                + " updated_at = now() WHERE origin = ?")) {
      for (Map.Entry<ReplicaId, Progress> e : progress.entrySet()) {
        Progress p = e.getValue();
        if (p.changed) {
          update.setLong(1, p.watermark);
          update.setBytes(2, AboveSet.encode(p.above));
          if (p.offset < 0) {
            update.setNull(3, java.sql.Types.BIGINT);
          } else {
            update.setLong(3, p.offset);
          }
          update.setString(4, e.getKey().name());
          update.addBatch();
        }
      }
      update.executeBatch();
    }
    List<Dot> dots = new ArrayList<>();
    HybridTimestamp latest = applied.get(0).commitTimestamp();
    for (SourceTransaction tx : applied) {
      dots.add(tx.dot());
      if (tx.commitTimestamp().isAfter(latest)) {
        latest = tx.commitTimestamp();
      }
    }
    VersionVector watermark = VersionVector.empty();
    for (Map.Entry<ReplicaId, Progress> e : progress.entrySet()) {
      if (e.getValue().watermark > 0) {
        watermark = watermark.advance(e.getKey(), e.getValue().watermark);
      }
    }
    try (PreparedStatement mark = connection.prepareStatement(ApplyMark.SQL)) {
      mark.setBytes(1, new ApplyMark(dots, watermark, latest).encode());
      mark.execute();
    }
    try (PreparedStatement stamp =
        connection.prepareStatement(
            "INSERT INTO georep.xid_stamp (origin, seq, xid, xid32, hlc_wall, hlc_logical,"
                + " causal_context) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING")) {
      for (SourceTransaction tx : applied) {
        stamp.setString(1, tx.origin().name());
        stamp.setLong(2, tx.seq());
        stamp.setLong(3, xid);
        stamp.setLong(4, xid & MASK32);
        stamp.setLong(5, tx.commitTimestamp().wallTimeMillis());
        stamp.setInt(6, tx.commitTimestamp().logical());
        stamp.setBytes(7, tx.causalContext().toBytes());
        stamp.addBatch();
      }
      stamp.executeBatch();
    }
    ConflictLog.insert(connection, conflicts);
  }

  /**
   * Returns the conflicts recorded so far.
   *
   * @return the conflicts
   */
  public List<Conflict> conflicts() {
    return List.copyOf(conflicts);
  }

  /**
   * Returns the source transactions applied (not skipped) so far.
   *
   * @return the transactions
   */
  public List<SourceTransaction> applied() {
    return List.copyOf(applied);
  }

  // ---- progress ----

  /**
   * Returns the number of entries of an encoded above-set ({@code apply_progress.above}).
   *
   * @param above the column's bytes
   * @return the number of transactions applied above the watermark
   */
  public static int aboveCount(byte[] above) {
    return AboveSet.decode(above).size();
  }

  private Progress progress(ReplicaId origin, boolean lock) throws SQLException {
    Progress p = progress.get(origin);
    if (p == null) {
      p = new Progress();
      progress.put(origin, p);
      read(origin, p, lock);
    } else if (lock && !p.locked) {
      read(origin, p, true);
    }
    return p;
  }

  private void read(ReplicaId origin, Progress p, boolean lock) throws SQLException {
    if (lock) {
      try (PreparedStatement insert =
          connection.prepareStatement(
              "INSERT INTO georep.apply_progress (origin) VALUES (?) ON CONFLICT DO NOTHING")) {
        insert.setString(1, origin.name());
        insert.executeUpdate();
      }
    }
    try (PreparedStatement select =
        connection.prepareStatement(
            "SELECT watermark, above, watermark_offset FROM georep.apply_progress"
                + " WHERE origin = ?"
                + (lock ? " FOR UPDATE" : ""))) {
      select.setString(1, origin.name());
      try (ResultSet rs = select.executeQuery()) {
        if (rs.next()) {
          p.watermark = rs.getLong(1);
          p.above = AboveSet.decode(rs.getBytes(2));
          long offset = rs.getLong(3);
          p.offset = rs.wasNull() ? -1 : offset;
        } else {
          p.watermark = 0;
          p.above = new ArrayList<>();
          p.offset = -1;
        }
      }
    }
    p.locked = lock;
  }

  /**
   * Merges the positioned applies of one origin into its progress row, read again under its lock: a
   * transaction applied meanwhile by another applier aborts this one as retriable (the retry skips
   * it as a duplicate); the watermark absorbs the entries that continue the prefix.
   */
  private void mergePending(ReplicaId origin, Progress p) throws SQLException {
    read(origin, p, true);
    for (AboveSet.Entry e : p.pending) {
      if (e.seq() <= p.watermark || AboveSet.contains(p.above, e.seq())) {
        throw new ApplyRetryException(
            ApplyRetryException.Reason.CONCURRENCY,
            "transaction "
                + origin
                + ":"
                + e.seq()
                + " was applied concurrently by another applier; the apply is retried and skips"
                + " it",
            null);
      }
    }
    p.above.addAll(p.pending);
    long[] moved = AboveSet.absorb(p.watermark, p.offset, p.above);
    p.watermark = moved[0];
    p.offset = moved[1];
    if (p.above.size() > AboveSet.MAX_SIZE) {
      throw new ApplyRetryException(
          ApplyRetryException.Reason.CONCURRENCY,
          "origin "
              + origin
              + " has "
              + p.above.size()
              + " transactions applied above its watermark "
              + p.watermark
              + ", more than the bound of "
              + AboveSet.MAX_SIZE
              + "; the apply waits for the prefix to complete",
          null);
    }
    p.pending.clear();
  }

  // ---- one row ----

  /** Maps the new key of each key-changing update to its old key. */
  private static Map<RowRef, RowRef> keyChanges(SourceTransaction tx) {
    Map<RowRef, RowRef> map = new HashMap<>();
    for (RowChange change : tx.changes()) {
      if (change instanceof RowChange.Update u) {
        TableSchema t = u.table();
        List<Value> newKey = new ArrayList<>(u.key().values());
        boolean changed = false;
        for (int k = 0; k < t.keyColumns().size(); k++) {
          Value v = u.changed().get(t.keyColumns().get(k).name());
          if (v != null && v.isDatum() && !v.equals(newKey.get(k))) {
            newKey.set(k, v);
            changed = true;
          }
        }
        if (changed) {
          map.put(ref(t, new RowKey(newKey)), ref(t, u.key()));
        }
      }
    }
    return map;
  }

  private static RowRef ref(TableSchema table, RowKey key) {
    return new RowRef(table.id(), ByteBuffer.wrap(SqlValues.keyBytes(key)));
  }

  private void applyWrite(Write write, Map<RowRef, RowRef> keyChanges) throws SQLException {
    TablePolicy policy = policies.apply(write.table());
    TableSql sql = statements.apply(write.table());
    RowHandle h = lock(sql, write.table(), write.key());
    fold(h, policy);
    // Only a transaction with key-changing updates needs the row's identity here.
    RowRef self = keyChanges.isEmpty() ? null : ref(write.table(), write.key());
    if (self != null && write.kind() == RowChange.Kind.DELETE && keyChanges.containsValue(self)) {
      // The old key of a key-changing update: its values complete the new key's insert.
      VisibleRow before = visible(h, policy);
      if (before.exists()) {
        keyChangeSources.put(self, before.values());
      }
    }
    RowRef source = self == null ? null : keyChanges.get(self);
    if (write.kind() == RowChange.Kind.INSERT && source != null) {
      Map<String, Value> old = keyChangeSources.get(source);
      if (old != null) {
        Map<String, Value> completed = new LinkedHashMap<>();
        for (ColumnSchema c : write.table().columns()) {
          if (c.isKey()) {
            continue;
          }
          Value v = write.columns().get(c.name());
          if (v == null) {
            v = old.get(c.name());
          }
          if (v != null) {
            completed.put(c.name(), v);
          }
        }
        write =
            new Write(
                write.table(),
                write.key(),
                RowChange.Kind.INSERT,
                completed,
                write.dot(),
                write.timestamp(),
                write.context());
      }
    }
    MergeResult result =
        RowMerge.merge(Optional.ofNullable(h.state), write, policy, continuing && h.ownMeta);
    conflicts.addAll(result.conflicts());
    remember(h, result);
    if (!result.applied()) {
      if (h.dirty) {
        writeBack(h, sql, policy, visible(h, policy));
      }
      return;
    }
    h.state = result.state();
    noteWrite(h, write.dot(), write.timestamp());
    h.dirty = true;
    VisibleRow row =
        schemas == null ? result.row() : parentRule(h, sql, policy, write, result.row());
    writeBack(h, sql, policy, row);
  }

  // ---- the parent-deleted rule (ParentDeletes) ----

  /**
   * Applies the parent-deleted rule to a row a write is about to make show {@code row}: a child
   * whose parent was deleted concurrently is cascaded; a parent being deleted cascades its children
   * written concurrently with the delete. Returns the row to write back.
   */
  private VisibleRow parentRule(
      RowHandle h, TableSql sql, TablePolicy policy, Write write, VisibleRow row)
      throws SQLException {
    if (row.exists()) {
      if (!checkParents) {
        return row;
      }
      for (ForeignKey fk : sql.references()) {
        Optional<TableSchema> parent = schemas.apply(fk.parent());
        if (parent.isEmpty()) {
          continue;
        }
        Optional<ParentDeletes.DeletedParent> deleted =
            ParentDeletes.deletedParent(
                connection, fk, parent.get(), row.values(), write.context());
        if (deleted.isPresent()) {
          Version child = new Version(write.dot(), write.timestamp(), write.kind(), nonKey(h, row));
          conflicts.add(ParentDeletes.conflict(fk, h.key, child, deleted.get().delete(), false));
          IdentityHashMap<RowHandle, Boolean> visited = new IdentityHashMap<>();
          visited.put(h, true);
          return orphan(
              h,
              sql,
              policy,
              deleted.get().history(),
              write.context(),
              deleted.get().delete(),
              visited);
        }
      }
      return row;
    }
    if (h.db.isPresent() && !sql.referencedBy().isEmpty()) {
      // The delete children yield to is the parent's latest, whichever write brought it here, so
      // that a region that sees the child first decides on the same one (ParentDeletes).
      Optional<Version> delete = h.state.latestDelete();
      if (delete.isPresent()) {
        IdentityHashMap<RowHandle, Boolean> visited = new IdentityHashMap<>();
        visited.put(h, true);
        cascade(h, write.context(), delete.get(), visited);
      }
    }
    return row;
  }

  /** Turns a child row into a tombstone that yields to its parent's delete, and cascades on. */
  private VisibleRow orphan(
      RowHandle h,
      TableSql sql,
      TablePolicy policy,
      VersionVector parentHistory,
      VersionVector deleteContext,
      Version parentDelete,
      IdentityHashMap<RowHandle, Boolean> visited)
      throws SQLException {
    MergeResult r =
        RowMerge.orphan(
            h.state, parentDelete.dot(), parentDelete.timestamp(), parentHistory, policy, h.key);
    remember(h, r);
    h.state = r.state();
    h.dirty = true;
    if (h.db.isPresent() && !sql.referencedBy().isEmpty()) {
      cascade(h, deleteContext, parentDelete, visited);
    }
    return r.row();
  }

  /**
   * Before a parent row is deleted: cascades the delete to the child rows (of every foreign key
   * referencing it) that show a version the delete has not seen, so that neither the foreign key
   * rejects the delete nor the key's own action changes children behind their metadata.
   */
  private void cascade(
      RowHandle parent,
      VersionVector deleteContext,
      Version parentDelete,
      IdentityHashMap<RowHandle, Boolean> visited)
      throws SQLException {
    flushWrites();
    for (ForeignKey fk : statements.apply(parent.table).referencedBy()) {
      Optional<TableSchema> table = schemas.apply(fk.child());
      if (table.isEmpty() || table.get().keyless()) {
        // A keyless child's copies live in keyless_meta, not row_meta: not cascaded here (the
        // parent's delete then waits on the foreign key like a missing parent; docs/apply.md).
        continue;
      }
      TableSql childSql = statements.apply(table.get());
      TablePolicy childPolicy = policies.apply(table.get());
      for (RowKey key : ParentDeletes.children(connection, fk, table.get(), parent.db.get())) {
        RowHandle c = lock(childSql, table.get(), key);
        if (visited.put(c, true) != null) {
          continue;
        }
        fold(c, childPolicy);
        if (c.state == null
            || c.suppressed
            || !visible(c, childPolicy).exists()
            || !ParentDeletes.concurrent(c.state, deleteContext)) {
          // Seen by the delete (its own transaction deletes it, or the foreign key decides).
          continue;
        }
        Version child = version(c, visible(c, childPolicy));
        conflicts.add(ParentDeletes.conflict(fk, c.key, child, parentDelete, true));
        VisibleRow gone =
            orphan(
                c,
                childSql,
                childPolicy,
                parent.state.history(),
                deleteContext,
                parentDelete,
                visited);
        writeBack(c, childSql, childPolicy, gone);
      }
    }
  }

  private static Map<String, Value> nonKey(RowHandle h, VisibleRow row) {
    Map<String, Value> values = new LinkedHashMap<>();
    for (Map.Entry<String, Value> e : row.values().entrySet()) {
      if (!h.table.column(h.table.indexOf(e.getKey())).isKey()) {
        values.put(e.getKey(), e.getValue());
      }
    }
    return values;
  }

  // Identity on purpose: a state is immutable, and the cache is for this very instance.
  @SuppressWarnings("ReferenceEquality")
  private static VisibleRow visible(RowHandle h, TablePolicy policy) {
    if (h.state == null) {
      return VisibleRow.ABSENT;
    }
    if (h.visibleOf != h.state) {
      h.visibleRow = RowMerge.visible(h.state, policy, h.key);
      h.visibleOf = h.state;
    }
    return h.visibleRow;
  }

  /** Remembers a merge's visible row, which is its state's. */
  private static void remember(RowHandle h, MergeResult r) {
    h.visibleOf = r.state();
    h.visibleRow = r.row();
  }

  private static void noteWrite(RowHandle h, Dot dot, HybridTimestamp ts) {
    if (h.lastTimestamp == null || ts.compareTo(h.lastTimestamp) > 0) {
      h.lastTimestamp = ts;
      h.lastDot = dot;
    }
  }

  /** Returns a key's bytes, computed once per key instance. */
  private byte[] keyBytesOf(RowKey key) {
    return keyBytes.computeIfAbsent(key, SqlValues::keyBytes);
  }

  /** Returns a transaction's row writes, computed once per transaction. */
  private List<Write> writesOf(SourceTransaction tx) {
    return writes.computeIfAbsent(tx, Write::of);
  }

  /**
   * Locks and reads, a few statements per table instead of three per row, every row the given
   * transactions write (as {@link #apply} and {@link #foldLocal} would, one row at a time): the
   * rows' advisory locks in ascending order of their hashes, their metadata, and their table rows
   * {@code FOR UPDATE}. Rows locked before are left alone; rows of another schema of an already
   * locked table are left to {@link #lock}, which reports them. Optional: a transaction applied
   * without it locks its rows one by one.
   *
   * @param transactions the transactions about to be applied or folded
   * @throws SQLException on a database failure
   */
  public void prefetch(List<SourceTransaction> transactions) throws SQLException {
    Map<TableSchema, LinkedHashMap<ByteBuffer, RowKey>> byTable = new LinkedHashMap<>();
    Map<TableSchema, Dot> firstWriter = new HashMap<>();
    for (SourceTransaction tx : transactions) {
      for (Write w : writesOf(tx)) {
        ByteBuffer key = ByteBuffer.wrap(keyBytesOf(w.key()));
        if (!rows.containsKey(new RowRef(w.table().id(), key))) {
          byTable.computeIfAbsent(w.table(), t -> new LinkedHashMap<>()).putIfAbsent(key, w.key());
          firstWriter.putIfAbsent(w.table(), tx.dot());
        }
      }
    }
    // Table-level locks first, in one order for every applier: exclusive for a table with more
    // rows to lock than ESCALATION_ROWS, shared (intention) otherwise.
    Map<TableId, Integer> counts = new java.util.TreeMap<>();
    for (Map.Entry<TableSchema, LinkedHashMap<ByteBuffer, RowKey>> e : byTable.entrySet()) {
      counts.merge(e.getKey().id(), e.getValue().size(), Integer::sum);
    }
    List<TableId> order = new ArrayList<>(counts.keySet());
    order.sort(java.util.Comparator.comparingLong(ApplyTransaction::tableHash));
    for (TableId t : order) {
      if (!tableLocks.containsKey(t)) {
        lockTable(t, inParts || counts.get(t) > ESCALATION_ROWS);
      }
    }
    // Row locks next, of every table at once in one global order (ascending hash), so that two
    // appliers or an applier and a fold that lock overlapping rows of several tables cannot
    // deadlock on them. They wait without a time limit: only georep's own transactions take them.
    Map<TableSchema, List<Map.Entry<ByteBuffer, RowKey>>> toRead = new LinkedHashMap<>();
    List<Long> hashes = new ArrayList<>();
    for (Map.Entry<TableSchema, LinkedHashMap<ByteBuffer, RowKey>> e : byTable.entrySet()) {
      TableSchema table = e.getKey();
      List<Map.Entry<ByteBuffer, RowKey>> keys = new ArrayList<>();
      for (Map.Entry<ByteBuffer, RowKey> k : e.getValue().entrySet()) {
        if (!rows.containsKey(new RowRef(table.id(), k.getKey()))) {
          keys.add(k);
          if (!Boolean.TRUE.equals(tableLocks.get(table.id()))) {
            hashes.add(hash(table.id(), k.getKey().array()));
          }
        }
      }
      toRead.put(table, keys);
    }
    Collections.sort(hashes);
    for (int from = 0; from < hashes.size(); from += PREFETCH_CHUNK) {
      Object[] chunk =
          hashes.subList(from, Math.min(hashes.size(), from + PREFETCH_CHUNK)).toArray();
      withoutLockTimeout(
          () -> {
            try (PreparedStatement lock =
                connection.prepareStatement(
                    "SELECT pg_advisory_xact_lock(h) FROM unnest(?::bigint[]) h")) {
              lock.setArray(1, connection.createArrayOf("bigint", chunk));
              try (ResultSet rs = lock.executeQuery()) {
                while (rs.next()) {
                  // Each row is one lock taken.
                }
              }
            }
          });
    }
    for (Map.Entry<TableSchema, List<Map.Entry<ByteBuffer, RowKey>>> e : toRead.entrySet()) {
      TableSchema table = e.getKey();
      // Errors name the first transaction that writes the table.
      currentDot = firstWriter.get(table);
      currentTable = table.id();
      TableSql sql = statements.apply(table);
      List<Map.Entry<ByteBuffer, RowKey>> keys = e.getValue();
      for (int from = 0; from < keys.size(); from += PREFETCH_CHUNK) {
        readAll(sql, table, keys.subList(from, Math.min(keys.size(), from + PREFETCH_CHUNK)));
      }
    }
    currentDot = null;
    currentTable = null;
  }

  /**
   * Sets a limit on waiting for the table rows' locks ({@code SELECT … FOR UPDATE}), which the
   * applications' transactions hold: beyond it the transaction fails retriably. Georep's own locks
   * (advisory locks, which only appliers and folds take) are always waited for.
   *
   * @param timeout the limit; zero for none (PostgreSQL's deadlock detection then decides)
   * @throws SQLException on a database failure
   */
  public void setRowLockTimeout(Duration timeout) throws SQLException {
    rowLockTimeout = timeout;
    setLockTimeout(timeout);
  }

  private void setLockTimeout(Duration timeout) throws SQLException {
    try (Statement s = connection.createStatement()) {
      s.execute("SET LOCAL lock_timeout = '" + timeout.toMillis() + "ms'");
    }
  }

  /** Runs a statement that takes advisory locks with no lock timeout in force. */
  private void withoutLockTimeout(SqlAction action) throws SQLException {
    if (rowLockTimeout.isZero()) {
      action.run();
      return;
    }
    setLockTimeout(Duration.ZERO);
    // Not in a finally: after a failure (a deadlock between two appliers' advisory locks) the
    // transaction is aborted, and a SET would replace the failure's SQLSTATE, which says whether to
    // retry, with "current transaction is aborted" (25P02), which halts.
    action.run();
    setLockTimeout(rowLockTimeout);
  }

  /** A database action. */
  @FunctionalInterface
  private interface SqlAction {
    void run() throws SQLException;
  }

  /** Reads the metadata and the table rows of keys whose advisory locks are held. */
  private void readAll(TableSql sql, TableSchema table, List<Map.Entry<ByteBuffer, RowKey>> keys)
      throws SQLException {
    byte[][] keyBytes = new byte[keys.size()][];
    RowHandle[] handles = new RowHandle[keys.size()];
    Map<ByteBuffer, RowHandle> byKey = new HashMap<>();
    for (int i = 0; i < keys.size(); i++) {
      keyBytes[i] = keys.get(i).getKey().array();
      handles[i] = new RowHandle(table, keys.get(i).getValue(), keyBytes[i]);
      handles[i].db = Optional.empty();
      byKey.put(keys.get(i).getKey(), handles[i]);
    }
    try (PreparedStatement meta = connection.prepareStatement(ROW_META_OF_KEYS)) {
      meta.setArray(1, connection.createArrayOf("bytea", keyBytes));
      meta.setString(2, table.id().schema());
      meta.setString(3, table.id().name());
      try (ResultSet rs = meta.executeQuery()) {
        while (rs.next()) {
          RowHandle h = byKey.get(ByteBuffer.wrap(rs.getBytes(1)));
          if (h != null) {
            readMeta(rs, 2, h);
            h.ownMeta = inParts && rs.getLong(10) == xid;
          }
        }
      }
    }
    List<ColumnSchema> keyColumns = table.keyColumns();
    try (PreparedStatement select = connection.prepareStatement(sql.selectRows())) {
      for (int k = 0; k < keyColumns.size(); k++) {
        String[] texts = new String[keys.size()];
        for (int i = 0; i < keys.size(); i++) {
          texts[i] = SqlValues.text(keys.get(i).getValue().get(k));
        }
        select.setArray(k + 1, connection.createArrayOf("text", texts));
      }
      try (ResultSet rs = select.executeQuery()) {
        while (rs.next()) {
          RowHandle h = handles[rs.getInt(1) - 1];
          h.xmin = rs.getLong(2) & MASK32;
          h.db = Optional.of(values(table, rs, 3));
        }
      }
    }
    for (RowHandle h : handles) {
      rows.put(new RowRef(table.id(), ByteBuffer.wrap(h.keyBytes)), h);
    }
  }

  /** Reads a row_meta row's columns from {@code state} on, starting at column {@code from}. */
  private static void readMeta(ResultSet rs, int from, RowHandle h) throws SQLException {
    h.metaStored = true;
    h.state = RowState.fromBytes(rs.getBytes(from));
    h.suppressed = rs.getBoolean(from + 1);
    long w = rs.getLong(from + 2);
    h.writerXid32 = rs.wasNull() ? null : w;
    h.syncLsn = rs.getLong(from + 3);
    ReplicaId origin = ReplicaId.of(rs.getString(from + 4));
    h.lastDot = new Dot(origin, rs.getLong(from + 5));
    h.lastTimestamp = new HybridTimestamp(rs.getLong(from + 6), rs.getInt(from + 7), origin);
  }

  /** Parses a table row's columns, read as text from column {@code from} on. */
  private static Map<String, Value> values(TableSchema table, ResultSet rs, int from)
      throws SQLException {
    Map<String, Value> values = new LinkedHashMap<>();
    for (int i = 0; i < table.columnCount(); i++) {
      ColumnSchema c = table.column(i);
      values.put(c.name(), SqlValues.parse(c.type(), rs.getString(from + i)));
    }
    return values;
  }

  /** Tells whether two schemas are equal; the same instance, the common case, without a walk. */
  @SuppressWarnings("ReferenceEquality")
  private static boolean sameSchema(TableSchema a, TableSchema b) {
    return a == b || a.equals(b);
  }

  /** Locks a row and reads its metadata and database values; reuses a row locked before. */
  private RowHandle lock(TableSql sql, TableSchema table, RowKey key) throws SQLException {
    byte[] keyBytes = keyBytesOf(key);
    RowRef ref = new RowRef(table.id(), ByteBuffer.wrap(keyBytes));
    RowHandle h = rows.get(ref);
    if (h != null) {
      if (!sameSchema(h.table, table)) {
        throw new IllegalArgumentException(
            "two schemas of table " + table.id() + " in one apply transaction; apply them apart");
      }
      return h;
    }
    lockRow(table.id(), keyBytes);
    readAll(sql, table, List.of(Map.entry(ref.key(), key)));
    return rows.get(ref);
  }

  private static void bindKey(PreparedStatement s, int from, RowKey key) throws SQLException {
    for (int k = 0; k < key.size(); k++) {
      s.setString(from + k, SqlValues.text(key.get(k)));
    }
  }

  /**
   * Takes a row's advisory lock (after the table's shared lock), unless the table's lock is held
   * exclusively; also the lock of a keyless table's group ({@link KeylessRows.GroupLock}).
   */
  private void lockRow(TableId table, byte[] key) throws SQLException {
    if (!tableLocks.containsKey(table)) {
      lockTable(table, inParts);
    }
    if (!tableLocks.get(table)) {
      long rowHash = hash(table, key);
      withoutLockTimeout(
          () -> {
            try (PreparedStatement lock =
                connection.prepareStatement("SELECT pg_advisory_xact_lock(?)")) {
              lock.setLong(1, rowHash);
              lock.execute();
            }
          });
    }
  }

  /**
   * Takes the table-level advisory lock of a table: shared (the intention to lock rows of it one by
   * one) or exclusive (instead of locking its rows). Row lockers and escalated transactions thus
   * exclude each other; row lockers of disjoint rows do not.
   */
  private void lockTable(TableId table, boolean exclusive) throws SQLException {
    withoutLockTimeout(
        () -> {
          try (PreparedStatement lock =
              connection.prepareStatement(
                  exclusive
                      ? "SELECT pg_advisory_xact_lock(?)"
                      : "SELECT pg_advisory_xact_lock_shared(?)")) {
            lock.setLong(1, tableHash(table));
            lock.execute();
          }
        });
    tableLocks.put(table, exclusive);
  }

  /** FNV-1a over a table's name, in a key space of its own: the table-level advisory lock. */
  private static long tableHash(TableId table) {
    long h = 0xcbf29ce484222325L;
    for (byte b :
        ("georep.table\0" + table.schema() + "\0" + table.name())
            .getBytes(StandardCharsets.UTF_8)) {
      h = (h ^ (b & 0xff)) * 0x100000001b3L;
    }
    return h;
  }

  /** FNV-1a over table and key: the advisory lock of a row. */
  private static long hash(TableId table, byte[] key) {
    long h = 0xcbf29ce484222325L;
    for (byte b : (table.schema() + "\0" + table.name() + "\0").getBytes(StandardCharsets.UTF_8)) {
      h = (h ^ (b & 0xff)) * 0x100000001b3L;
    }
    for (byte b : key) {
      h = (h ^ (b & 0xff)) * 0x100000001b3L;
    }
    return h;
  }

  /** Folds a local write made since the row was last synchronised into its state. */
  private void fold(RowHandle h, TablePolicy policy) throws SQLException {
    LocalStamp stamp;
    if (h.db.isPresent()) {
      if (h.state != null && h.writerXid32 != null && h.writerXid32 == h.xmin) {
        return;
      }
      if (agentFolds) {
        throw notFolded(h, "written by local transaction xid " + h.xmin);
      }
      stamp = awaitStamp(h, true);
    } else {
      if (h.state == null || !visible(h, policy).exists() || h.suppressed) {
        return;
      }
      if (agentFolds) {
        throw notFolded(h, "deleted by a local transaction");
      }
      stamp = awaitStamp(h, false);
    }
    Optional<Write> local =
        Write.diff(
            policy,
            h.key,
            visible(h, policy),
            h.db,
            stamp.dot(),
            stamp.timestamp(),
            stamp.context());
    h.dirty = true;
    h.writerXid32 = h.db.isPresent() ? h.xmin : null;
    if (local.isEmpty()) {
      return;
    }
    MergeResult r = RowMerge.merge(Optional.ofNullable(h.state), local.get(), policy);
    conflicts.addAll(r.conflicts());
    remember(h, r);
    if (r.applied()) {
      h.state = r.state();
      noteWrite(h, stamp.dot(), stamp.timestamp());
    }
  }

  private ApplyRetryException notFolded(RowHandle h, String what) {
    return new ApplyRetryException(
        ApplyRetryException.Reason.STAMP_PENDING,
        "row "
            + h.key.values()
            + " of "
            + h.table.id()
            + " was "
            + what
            + " that the agent has not folded into the row's metadata yet (at "
            + position()
            + "); the apply is retried once the capture has handed it on",
        null);
  }

  /**
   * Folds one captured local transaction into the metadata of the rows it wrote, as exactly the
   * write every other region merges: its own dot, HLC, causal context and changes (delta columns,
   * counter deltas, set deltas). Each row is locked as for an apply; a row whose metadata already
   * covers the transaction's dot (folded before, or at apply time) is skipped. If the table row
   * still shows this transaction's write ({@code xmin} is its xid), the row is marked synchronised
   * ({@code writer_xid32}); should the merge show something else (a concurrent version already
   * merged wins), the row is written back, and the transaction then carries an apply mark so that
   * the capture does not ship the write-back. A row a later local transaction has overwritten since
   * keeps its old synchronisation point: that later write is folded in its turn.
   *
   * @param tx a local transaction as the capture handed it on
   *     <p>The initial copy ({@code xid32} = {@link #INITIAL_COPY}) has no xid of its own: it ships
   *     the row versions visible in the slot's exported snapshot. A row whose {@code xmin} has no
   *     stamp predates the capture, so it still shows the copied version; a row written since
   *     carries the stamp of a later local or apply transaction, which is folded or applied in its
   *     turn. A chunk of the chunked copy ({@code xid32} ≥ {@link #COPY_CHUNK}) ships the rows it
   *     read under a table lock: a row not written by a later local transaction shows them.
   * @param xid32 the low 32 bits of its xid (from its stamp), plus {@link #COPY_CHUNK} for a chunk
   *     of the initial copy, or {@link #INITIAL_COPY}
   * @throws SQLException on a database failure
   */
  public void foldLocal(SourceTransaction tx, long xid32) throws SQLException {
    currentDot = tx.dot();
    folding = true;
    boolean any = false;
    for (Write write : writesOf(tx)) {
      currentTable = write.table().id();
      currentKey = write.key();
      TablePolicy policy = policies.apply(write.table());
      TableSql sql = statements.apply(write.table());
      RowHandle h = lock(sql, write.table(), write.key());
      // In parts, a row whose metadata an earlier part wrote takes this part as a continuation.
      boolean continued = inParts && h.ownMeta;
      if (h.state != null && h.state.covers(write.dot()) && !continued) {
        continue;
      }
      MergeResult r = RowMerge.merge(Optional.ofNullable(h.state), write, policy, continued);
      conflicts.addAll(r.conflicts());
      remember(h, r);
      if (r.applied()) {
        h.state = r.state();
        noteWrite(h, write.dot(), write.timestamp());
        h.dirty = true;
        any = true;
      }
      // The row shows this transaction's write, or exactly what the applier last synchronised
      // (no local write since): either way the merged state is what it must show. The second case
      // is a row an apply wrote over a key whose local insert and delete were not folded yet
      // (nothing in the table or the metadata showed them); without it that remote row stayed in
      // the table while the metadata, as everywhere else, said the local delete removed it.
      boolean synchronised = h.writerXid32 != null && h.writerXid32 == h.xmin;
      boolean current =
          h.db.isPresent()
              ? (xid32 == INITIAL_COPY
                  ? !stamped(h.xmin)
                  : xid32 >= COPY_CHUNK
                      ? !writtenAfter(h.xmin, tx.seq())
                      : h.xmin == xid32 || synchronised || subtransactionOf(h.xmin, xid32))
              : write.kind() == RowChange.Kind.DELETE;
      if (current && h.state != null) {
        h.dirty = true;
        writeBack(h, sql, policy, visible(h, policy));
      }
    }
    currentTable = null;
    currentKey = null;
    writes.remove(tx);
    boolean keylessWritten =
        KeylessRows.touches(tx) && keyless.merge(tx, true, inParts ? partBase : -1);
    partBase += tx.changes().size();
    if (keylessWritten) {
      // The fold put rows of a keyless table back (KeylessRows): mark it like a write-back.
      rowsWritten = true;
      any = true;
    }
    if (any && !(inParts && !folded.isEmpty())) {
      // In parts, its identity once: not every part's changes.
      folded.add(inParts ? tx.withChanges(List.of()) : tx);
    }
  }

  /**
   * Whether a row version's {@code xmin} is a subtransaction of the local transaction {@code top}
   * (the application wrote the row inside a savepoint): it has no stamp of its own and committed at
   * the very instant {@code top} did. PostgreSQL records one commit timestamp for a transaction and
   * all its subtransactions, and two transactions that wrote the same row cannot commit at the same
   * microsecond, as the second waits for the first's commit. Needs {@code track_commit_timestamp};
   * without it such rows are never recognised, and remote writes to them wait (docs/apply.md).
   */
  private boolean subtransactionOf(long xmin, long top) throws SQLException {
    if (commitTimestamps == null) {
      try (Statement q = connection.createStatement();
          ResultSet rs = q.executeQuery("SELECT current_setting('track_commit_timestamp')::bool")) {
        commitTimestamps = rs.next() && rs.getBoolean(1);
      }
    }
    if (!commitTimestamps) {
      return false;
    }
    // Usually the xmin is a later local transaction of the same fold: stamped, looked up once.
    Boolean isStamped = stampedXmins.get(xmin);
    if (isStamped == null) {
      isStamped = stamped(xmin);
      stampedXmins.put(xmin, isStamped);
    }
    if (isStamped) {
      return false;
    }
    try (PreparedStatement q =
        connection.prepareStatement(
            "SELECT pg_xact_commit_timestamp(?::text::xid)"
                + " = pg_xact_commit_timestamp(?::text::xid)")) {
      q.setString(1, Long.toString(xmin));
      q.setString(2, Long.toString(top));
      try (ResultSet rs = q.executeQuery()) {
        // NULL (a commit time no longer or never recorded) reads as false.
        return rs.next() && rs.getBoolean(1);
      }
    }
  }

  /**
   * Whether a row version was written by a local transaction that committed after a chunk of the
   * initial copy (a greater seq). The chunk read the table under a {@code SHARE} lock, so any other
   * version it finds is the one it copied: written before the capture started (no stamp), or by a
   * local transaction before the chunk, whose change to this row the capture did not ship because
   * the chunk carries it.
   */
  private boolean writtenAfter(long xmin, long chunkSeq) throws SQLException {
    if (writtenAfterSeq != chunkSeq) {
      writtenAfterChunk.clear();
      writtenAfterSeq = chunkSeq;
    }
    Boolean known = writtenAfterChunk.get(xmin);
    if (known != null) {
      return known;
    }
    boolean after = stampedAfter(xmin, chunkSeq);
    writtenAfterChunk.put(xmin, after);
    return after;
  }

  private boolean stampedAfter(long xmin, long chunkSeq) throws SQLException {
    try (PreparedStatement q =
        connection.prepareStatement(
            "SELECT 1 FROM georep.xid_stamp WHERE xid32 = ? AND origin = ? AND seq > ? LIMIT 1")) {
      q.setLong(1, xmin);
      q.setString(2, currentDot.origin().name());
      q.setLong(3, chunkSeq);
      try (ResultSet rs = q.executeQuery()) {
        return rs.next();
      }
    }
  }

  /** Whether a stamp (of a local or an apply transaction) has the given low 32 xid bits. */
  private boolean stamped(long xmin) throws SQLException {
    try (PreparedStatement q =
        connection.prepareStatement("SELECT 1 FROM georep.xid_stamp WHERE xid32 = ? LIMIT 1")) {
      q.setLong(1, xmin);
      try (ResultSet rs = q.executeQuery()) {
        return rs.next();
      }
    }
  }

  /**
   * Finds the stamp of the local write: by xmin for a present row, else the newest local stamp
   * after the row's last synchronisation not yet merged; polls until {@code stampWait}.
   */
  private LocalStamp awaitStamp(RowHandle h, boolean byXmin) throws SQLException {
    String sql =
        byXmin
            ? "SELECT seq, hlc_wall, hlc_logical, causal_context FROM georep.xid_stamp"
                + " WHERE xid32 = ? AND origin = ? AND xid > ? ORDER BY xid DESC LIMIT 1"
            : "SELECT seq, hlc_wall, hlc_logical, causal_context FROM georep.xid_stamp"
                + " WHERE seq > ? AND origin = ? ORDER BY seq DESC LIMIT 1";
    long deadline = System.nanoTime() + stampWait.toNanos();
    long pauseMillis = 2;
    while (true) {
      try (PreparedStatement query = connection.prepareStatement(sql)) {
        query.setLong(1, byXmin ? h.xmin : h.syncLsn);
        query.setString(2, region.name());
        if (byXmin) {
          query.setLong(3, xid - (1L << 31));
        }
        try (ResultSet rs = query.executeQuery()) {
          if (rs.next()) {
            Dot dot = new Dot(region, rs.getLong(1));
            if (h.state == null || !h.state.covers(dot)) {
              return new LocalStamp(
                  dot,
                  new HybridTimestamp(rs.getLong(2), rs.getInt(3), region),
                  VersionVector.fromBytes(rs.getBytes(4)));
            }
          }
        }
      }
      if (System.nanoTime() > deadline) {
        throw new ApplyRetryException(
            ApplyRetryException.Reason.STAMP_PENDING,
            "row "
                + h.key.values()
                + " of "
                + h.table.id()
                + (byXmin
                    ? " was written by local transaction xid " + h.xmin
                    : " was deleted by a local transaction")
                + " that the capture has not stamped yet (waited "
                + stampWait.toMillis()
                + " ms, at "
                + position()
                + "); the local write must be identified before a remote change is merged, or it"
                + " could be silently overwritten. Make sure the capture (PostgresChangeSource) of"
                + " region "
                + region
                + " runs on this database; the apply is retried",
            null);
      }
      try {
        Thread.sleep(pauseMillis);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new ApplyRetryException(
            ApplyRetryException.Reason.UNAVAILABLE, "interrupted waiting for a stamp", e);
      }
      pauseMillis = Math.min(50, pauseMillis * 2);
    }
  }

  // ---- write-back ----

  /** Makes the table row show {@code row}, resolving unique-key clashes. */
  private void writeBack(RowHandle h, TableSql sql, TablePolicy policy, VisibleRow row)
      throws SQLException {
    if (!row.exists()) {
      h.suppressed = false;
      if (h.db.isPresent()) {
        execute(sql.delete(), List.of(), h.key, null);
        h.db = Optional.empty();
      }
      h.writerXid32 = null;
      return;
    }
    for (int round = 0; round < MAX_CLASH_ROUNDS; round++) {
      List<String> columns = new ArrayList<>();
      List<Value> values = new ArrayList<>();
      String statement;
      if (h.db.isEmpty()) {
        for (Map.Entry<String, Value> e : row.values().entrySet()) {
          columns.add(e.getKey());
          values.add(e.getValue());
        }
        statement = sql.uniques().isEmpty() ? sql.insertBatched(columns) : sql.insert(columns);
      } else {
        for (Map.Entry<String, Value> e : row.values().entrySet()) {
          ColumnSchema c = h.table.column(h.table.indexOf(e.getKey()));
          if (!c.isKey()
              && !(folding && policy.maskedColumns().contains(e.getKey()))
              && !e.getValue().equals(h.db.get().get(e.getKey()))) {
            columns.add(e.getKey());
            values.add(e.getValue());
          }
        }
        if (columns.isEmpty()) {
          h.suppressed = false;
          h.writerXid32 = h.xmin;
          return;
        }
        statement = sql.uniques().isEmpty() ? sql.updateBatched(columns) : sql.update(columns);
      }
      String clash =
          execute(
              statement,
              values,
              h.db.isEmpty() ? null : h.key,
              sql.uniques().isEmpty() ? null : sql);
      if (clash == null) {
        Map<String, Value> now = new LinkedHashMap<>(h.db.orElse(Map.of()));
        now.putAll(row.values());
        h.db = Optional.of(now);
        h.xmin = writtenXmin;
        h.writerXid32 = h.xmin;
        h.suppressed = false;
        return;
      }
      if (!resolveClash(h, sql, policy, row, clash)) {
        return;
      }
    }
    throw new IllegalStateException(
        "unique-key clashes of row " + h.key.values() + " did not settle; " + position());
  }

  /**
   * Executes a write; with {@code clashes} set, inside a savepoint, returning the violated
   * non-primary unique constraint instead of failing.
   */
  private String execute(String statement, List<Value> values, RowKey key, TableSql clashes)
      throws SQLException {
    rowsWritten = true;
    if (clashes == null) {
      // No clash to catch: the write joins the pending batch, sent before anything that could
      // observe it (flushWrites). Outside a savepoint the new row version's xmin is our own xid.
      List<String> parameters = new ArrayList<>(values.size() + (key == null ? 0 : key.size()));
      for (Value v : values) {
        parameters.add(SqlValues.text(v));
      }
      if (key != null) {
        for (int k = 0; k < key.size(); k++) {
          parameters.add(SqlValues.text(key.get(k)));
        }
      }
      pendingWrites.add(new PendingWrite(statement, parameters));
      writtenXmin = xid & MASK32;
      return null;
    }
    flushWrites();
    Savepoint savepoint = connection.setSavepoint();
    try (PreparedStatement s = connection.prepareStatement(statement)) {
      int i = 1;
      for (Value v : values) {
        s.setString(i++, SqlValues.text(v));
      }
      if (key != null) {
        bindKey(s, i, key);
      }
      if (s.execute()) {
        try (ResultSet rs = s.getResultSet()) {
          if (rs.next()) {
            // Inside a savepoint the row's xmin is the subtransaction's xid, not the top-level one.
            writtenXmin = rs.getLong(1) & MASK32;
          }
        }
      }
      connection.releaseSavepoint(savepoint);
      return null;
    } catch (PSQLException e) {
      String constraint =
          e.getServerErrorMessage() == null ? null : e.getServerErrorMessage().getConstraint();
      if ("23505".equals(e.getSQLState())
          && constraint != null
          && clashes.uniques().containsKey(constraint)) {
        connection.rollback(savepoint);
        // ROLLBACK TO SAVEPOINT keeps the savepoint, and what follows would run in a new
        // subtransaction whose xid becomes the xmin of the rows written next; the batched writes
        // record the top-level xid as theirs, so the savepoint must end here.
        connection.releaseSavepoint(savepoint);
        return constraint;
      }
      throw e;
    }
  }

  /**
   * Sends the pending table writes in their order, consecutive writes with the same statement as
   * one JDBC batch (one round trip).
   */
  private void flushWrites() throws SQLException {
    int from = 0;
    while (from < pendingWrites.size()) {
      String statement = pendingWrites.get(from).statement();
      int to = from + 1;
      while (to < pendingWrites.size() && pendingWrites.get(to).statement().equals(statement)) {
        to++;
      }
      try (PreparedStatement s = connection.prepareStatement(statement)) {
        for (int w = from; w < to; w++) {
          List<String> parameters = pendingWrites.get(w).parameters();
          for (int i = 0; i < parameters.size(); i++) {
            s.setString(i + 1, parameters.get(i));
          }
          if (to - from > 1) {
            s.addBatch();
          }
        }
        if (to - from > 1) {
          s.executeBatch();
        } else {
          s.executeUpdate();
        }
      }
      from = to;
    }
    pendingWrites.clear();
  }

  /**
   * Resolves a clash of {@code h}'s row with another row on a unique key.
   *
   * @return true if the write should be tried again (the other row lost), false if this row lost
   */
  private boolean resolveClash(
      RowHandle h, TableSql sql, TablePolicy policy, VisibleRow row, String constraint)
      throws SQLException {
    List<String> uniqueColumns = sql.uniques().get(constraint);
    RowKey otherKey = null;
    try (PreparedStatement find = connection.prepareStatement(sql.selectClash(constraint))) {
      int i = 1;
      for (ColumnSchema c : h.table.columns()) {
        Value v = c.isKey() ? h.key.get(c.keyPosition() - 1) : row.values().get(c.name());
        find.setString(i++, SqlValues.text(v == null ? Value.NULL : v));
      }
      bindKey(find, i, h.key);
      try (ResultSet rs = find.executeQuery()) {
        if (rs.next()) {
          List<Value> key = new ArrayList<>();
          List<ColumnSchema> keyColumns = h.table.keyColumns();
          for (int k = 0; k < keyColumns.size(); k++) {
            key.add(SqlValues.parse(keyColumns.get(k).type(), rs.getString(k + 1)));
          }
          otherKey = new RowKey(key);
        }
      }
    }
    if (otherKey == null) {
      throw new ApplyRetryException(
          ApplyRetryException.Reason.LOCAL_RACE,
          "unique constraint "
              + constraint
              + " of "
              + h.table.id()
              + " rejected row "
              + h.key.values()
              + " but the clashing row is not visible yet (a concurrent local write); "
              + position()
              + "; the apply is retried",
          null);
    }
    RowHandle other = lock(sql, h.table, otherKey);
    fold(other, policy);
    VisibleRow otherRow = visible(other, policy);
    UniqueClashPolicy.Outcome outcome =
        clashPolicy.decide(
            h.table,
            uniqueColumns,
            new UniqueClashPolicy.ClashingRow(otherKey, version(other, otherRow)),
            new UniqueClashPolicy.ClashingRow(h.key, version(h, row)));
    conflicts.add(outcome.conflict());
    if (outcome.winner() == Conflict.Winner.REMOTE) {
      execute(sql.delete(), List.of(), otherKey, null);
      other.db = Optional.empty();
      other.writerXid32 = null;
      other.suppressed = true;
      other.dirty = true;
      return true;
    }
    if (h.db.isPresent()) {
      execute(sql.delete(), List.of(), h.key, null);
      h.db = Optional.empty();
    }
    h.writerXid32 = null;
    h.suppressed = true;
    h.dirty = true;
    return false;
  }

  private static Version version(RowHandle h, VisibleRow row) {
    Map<String, Value> values = new LinkedHashMap<>();
    for (Map.Entry<String, Value> e : row.values().entrySet()) {
      if (!h.table.column(h.table.indexOf(e.getKey())).isKey()) {
        values.put(e.getKey(), e.getValue());
      }
    }
    Dot dot = h.lastDot;
    HybridTimestamp ts = h.lastTimestamp;
    if (dot == null) {
      throw new IllegalStateException("row " + h.key.values() + " has no merged write");
    }
    return new Version(
        dot, ts, row.exists() ? RowChange.Kind.UPDATE : RowChange.Kind.DELETE, values);
  }

  // ---- metadata ----

  private void writeMetadata() throws SQLException {
    String columns =
        "INSERT INTO georep.row_meta (table_schema, table_name, row_key, state, row_exists,"
            + " suppressed, writer_xid32, writer_xid, sync_lsn, last_origin, last_seq,"
            + " last_wall, last_logical, accumulates, updated_at)"
            + " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, now())";
    try (PreparedStatement insert = connection.prepareStatement(columns);
        PreparedStatement upsert =
            connection.prepareStatement(
                columns
                    + " ON CONFLICT (table_schema, table_name, row_key) DO UPDATE SET"
                    + " state = excluded.state, row_exists = excluded.row_exists,"
                    + " suppressed = excluded.suppressed, writer_xid32 = excluded.writer_xid32,"
                    + " writer_xid = excluded.writer_xid, sync_lsn = excluded.sync_lsn,"
                    + " last_origin = excluded.last_origin, last_seq = excluded.last_seq,"
                    + " last_wall = excluded.last_wall, last_logical = excluded.last_logical,"
                    + " accumulates = excluded.accumulates, updated_at = now()")) {
      int inserts = 0;
      int upserts = 0;
      for (RowHandle h : rows.values()) {
        if (!h.dirty || h.state == null) {
          continue;
        }
        PreparedStatement s = h.metaStored ? upsert : insert;
        if (h.metaStored) {
          upserts++;
        } else {
          inserts++;
        }
        h.metaStored = true;
        TablePolicy policy = policies.apply(h.table);
        s.setString(1, h.table.id().schema());
        s.setString(2, h.table.id().name());
        s.setBytes(3, h.keyBytes);
        s.setBytes(4, h.state.toBytes());
        s.setBoolean(5, visible(h, policy).exists());
        s.setBoolean(6, h.suppressed);
        if (h.writerXid32 == null) {
          s.setNull(7, java.sql.Types.BIGINT);
        } else {
          s.setLong(7, h.writerXid32);
        }
        s.setLong(8, xid);
        s.setLong(9, lsn);
        s.setString(10, h.lastDot.origin().name());
        s.setLong(11, h.lastDot.seq());
        s.setLong(12, h.lastTimestamp.wallTimeMillis());
        s.setInt(13, h.lastTimestamp.logical());
        s.setBoolean(14, accumulates(policy));
        s.addBatch();
      }
      if (inserts > 0) {
        insert.executeBatch();
      }
      if (upserts > 0) {
        upsert.executeBatch();
      }
    }
  }

  /** Tells whether the policy has columns whose totals survive a delete. */
  static boolean accumulates(TablePolicy policy) {
    for (int i = 0; i < policy.table().columnCount(); i++) {
      ColumnPolicy p = policy.columnAt(i);
      if (p == null) {
        continue; // a key column
      }
      boolean survivesDelete =
          switch (p.kind()) {
            case COUNTER, G_COUNTER, MAX, MIN, G_SET, TWO_PHASE_SET -> true;
            case REGISTER, OR_SET -> false;
          };
      if (survivesDelete) {
        return true;
      }
    }
    return false;
  }
}
