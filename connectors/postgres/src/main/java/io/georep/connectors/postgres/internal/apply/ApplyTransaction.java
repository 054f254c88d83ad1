package io.georep.connectors.postgres.internal.apply;

import io.georep.apply.ApplyEngine;
import io.georep.connector.RowKey;
import io.georep.connector.SourceTransaction;
import io.georep.connector.TableId;
import io.georep.connector.TableSchema;
import io.georep.connector.spi.RowRestoring;
import io.georep.connectors.postgres.ApplyMark;
import io.georep.resolver.Conflict;
import io.georep.resolver.RowMerge;
import io.georep.resolver.TablePolicy;
import io.georep.resolver.UniqueClashPolicy;
import io.georep.resolver.Write;
import io.georep.vectorclock.Dot;
import io.georep.vectorclock.HybridTimestamp;
import io.georep.vectorclock.ReplicaId;
import io.georep.vectorclock.VersionVector;
import java.nio.ByteBuffer;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;

/**
 * One apply database transaction on PostgreSQL: merges the writes of one or more source
 * transactions into the local rows and commits them together with their progress, echo mark, stamps
 * and conflicts.
 *
 * <h2>Design</h2>
 *
 * <p>Everything an apply changes is in this one database transaction, so "applied but progress not
 * recorded" (or the reverse) cannot exist: the rows, {@code georep.row_meta}, {@code
 * georep.apply_progress}, the {@link ApplyMark} logical message, the apply's {@code
 * georep.xid_stamp} rows and {@code georep.conflict_log} commit or roll back as one.
 *
 * <p>It is split along its seams: the database-independent algorithm (fold local writes, merge,
 * write back, unique-key clashes, the parent-deleted rule) is the {@link ApplyEngine}; the rows,
 * their locks, metadata and SQL are the {@link PostgresRowStore} it runs on; keyless tables are
 * {@link KeylessRows}. What is left here is the transaction's frame: duplicate detection against
 * each origin's progress row, progress and its above-set, the echo mark, stamps and the conflict
 * log.
 *
 * <p>Concurrency: one instance per database transaction, confined to the applying thread. Several
 * appliers may run on one database; they serialise on row locks and on the origin's progress row.
 */
public final class ApplyTransaction {
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

  private final Connection connection;
  private final ProgressRows progress;
  private final PostgresRowStore store;
  private final ApplyEngine<PostgresRow> engine;
  private final Function<TableSchema, TablePolicy> policies;

  /**
   * Whether this database transaction merges one large transaction in parts ({@link #inParts}):
   * every table is locked whole, and a row whose metadata this database transaction wrote takes the
   * transaction's next part as a continuation ({@link RowMerge#merge(Optional, Write, TablePolicy,
   * boolean)}).
   */
  private boolean inParts;

  /** The position in its transaction of the next part's first change. */
  private long partBase;

  private final List<SourceTransaction> folded = new ArrayList<>();
  private final List<Conflict> conflicts = new ArrayList<>();
  private final List<SourceTransaction> applied = new ArrayList<>();
  private final IdentityHashMap<SourceTransaction, List<Write>> writes = new IdentityHashMap<>();
  private final KeylessRows keyless;

  /** The replication origin the session set up for this transaction, or null. */
  private ReplicationOrigins.Session origin;

  private final ReplicaId region;

  /** The repair whose {@link #restore} wrote a row; null: none. */
  private Dot restoredBy;

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
    this.progress = new ProgressRows(connection);
    // Per-row lookups by the change's schema instance: a schema's hashCode and equals walk all of
    // its columns, and a transaction's changes share a few instances.
    IdentityHashMap<TableSchema, TablePolicy> policyByInstance = new IdentityHashMap<>();
    IdentityHashMap<TableSchema, TableSql> sqlByInstance = new IdentityHashMap<>();
    this.policies = t -> policyByInstance.computeIfAbsent(t, policies);
    this.store =
        new PostgresRowStore(
            connection,
            region,
            stampWait,
            this.policies,
            t -> sqlByInstance.computeIfAbsent(t, statements),
            this::position,
            this::currentDot);
    this.engine = new ApplyEngine<>(store, this.policies, clashPolicy, conflicts);
    this.keyless = new KeylessRows(connection, store::lockRow, conflicts);
  }

  /**
   * Makes a row's table row show its replicated state again, discarding a change made behind
   * georep's back ({@link ApplyEngine#restore}); {@link #finish} then marks the transaction so that
   * the capture does not ship what it wrote.
   *
   * @param table the table
   * @param key the row's key
   * @param version the row's version as the caller read it ({@link #rowVersion}): a row changed
   *     since is left alone
   * @param repair the repair's dot, which names it in the conflict log
   * @param repairStamp the repair's HLC
   * @return what was done
   * @throws SQLException on a database failure
   */
  public RowRestoring.Restored restore(
      TableSchema table, RowKey key, Long version, Dot repair, HybridTimestamp repairStamp)
      throws SQLException {
    RowRestoring.Restored r =
        engine.restore(
            table,
            key,
            h ->
                version == null
                    ? h.values().isEmpty()
                    : h.values().isPresent() && h.xmin == version,
            repair,
            repairStamp);
    if (r.outcome() == RowRestoring.Restored.Outcome.RESTORED) {
      restoredBy = repair;
    }
    return r;
  }

  /**
   * Locks and reads a row, and returns its version: the table row's {@code xmin}, or null if it is
   * absent.
   *
   * @param table the table
   * @param key the row's key
   * @return the version
   * @throws SQLException on a database failure
   */
  public Long rowVersion(TableSchema table, RowKey key) throws SQLException {
    PostgresRow h = store.row(table, key);
    return h.values().isPresent() ? h.xmin : null;
  }

  /**
   * Locks and reads a row and names the latest write merged into its state.
   *
   * @param table the table
   * @param key the row's key
   * @return its dot and HLC, or empty if the row has no replicated state
   * @throws SQLException on a database failure
   */
  public Optional<String> lastWrite(TableSchema table, RowKey key) throws SQLException {
    PostgresRow h = store.row(table, key);
    return h.state() == null
        ? Optional.empty()
        : Optional.of(h.lastDot() + " at " + h.lastTimestamp());
  }

  /**
   * Declares that the agent folds captured local transactions ({@link #foldLocal}): a local write
   * not folded yet then aborts the apply as retriable, as does a remote delete of a keyless row
   * whose causal context names one ({@link KeylessRows}: which copy it removes depends on it).
   *
   * @param agentFolds whether the agent folds
   * @param folded tells whether local transactions are folded; null: not checked
   */
  public void setAgentFolds(boolean agentFolds, OwnFolds folded) {
    engine.setAgentFolds(agentFolds);
    keyless.awaitOwnFolds(region, agentFolds ? folded : null);
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
    engine.setParentRule(schemas, checkParents);
  }

  /**
   * Makes this database transaction merge one large transaction in parts, each part's rows written
   * and forgotten before the next ({@link #endPart}), so that memory holds one part: a fold with
   * {@link #foldLocal} per part, or an apply with {@link #applyPart} per part. Every table is
   * locked whole (a lock per row would fill PostgreSQL's lock table). Call before {@link #begin}.
   */
  public void inParts() {
    inParts = true;
    store.inParts();
  }

  /**
   * Starts the transaction: reads its xid and the WAL position.
   *
   * @throws SQLException on a database failure
   */
  public void begin() throws SQLException {
    if (origin == null) {
      store.begin(null);
    } else {
      try {
        store.begin(origin.name());
        origin.setUp();
      } catch (SQLException e) {
        // Nothing is written yet: start again without an origin (decoded as an echo).
        connection.rollback();
        origin.failed(e);
        origin = null;
        store.begin(null);
      }
    }
    if (inParts) {
      keyless.mergeInParts(store.xid() & PostgresRowStore.MASK32);
    }
  }

  /**
   * Returns a description of where the apply is: origin, seq, table and key.
   *
   * @return the description
   */
  public String position() {
    return engine.position();
  }

  private Dot currentDot() {
    return engine.dot();
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
    engine.at(tx.dot(), null, null);
    boolean continuing = index > 0;
    if (continuing && !inParts) {
      throw new IllegalStateException("part " + index + " of " + tx.dot() + " without inParts()");
    }
    if (!continuing && progress.applied(tx.origin(), tx.seq(), previousSeq == IN_ORDER)) {
      writes.remove(tx);
      return false;
    }
    engine.apply(tx, writesOf(tx), continuing);
    if (KeylessRows.touches(tx)) {
      keyless.merge(tx, false, inParts ? partBase : -1);
    }
    partBase += tx.changes().size();
    // Applied: its writes are not needed again (a group may hold many large transactions).
    writes.remove(tx);
    if (continuing) {
      return true;
    }
    if (inParts) {
      // Only its identity is needed from here on (finish): not the part's changes.
      tx = tx.withChanges(List.of());
    }
    progress.record(tx.origin(), tx.seq(), previousSeq == IN_ORDER, previousSeq, offset);
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
    store.flush();
    store.writeMetadata();
    keyless.writeMetadata();
    ConflictLog.insert(connection, conflicts);
    List<Conflict> out = List.copyOf(conflicts);
    conflicts.clear();
    store.forget();
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
    engine.at(null, null, null);
    store.flush();
    store.writeMetadata();
    keyless.writeMetadata();
    if (applied.isEmpty()) {
      if (store.rowsWritten() && folded.isEmpty() && restoredBy != null) {
        // Rows restored ({@link #restore}): marked, under the repair's own dot, not shipped.
        ConflictLog.insert(connection, conflicts);
        HybridTimestamp none = new HybridTimestamp(0, 0, region);
        emitMark(new ApplyMark(List.of(restoredBy), VersionVector.empty(), none));
        return;
      }
      if (store.rowsWritten() && !folded.isEmpty()) {
        // A fold wrote rows back: mark it, so that the capture does not ship the write-back.
        List<Dot> dots = new ArrayList<>();
        HybridTimestamp latest = folded.get(0).commitTimestamp();
        for (SourceTransaction tx : folded) {
          dots.add(tx.dot());
          if (tx.commitTimestamp().isAfter(latest)) {
            latest = tx.commitTimestamp();
          }
        }
        ConflictLog.insert(connection, conflicts);
        emitMark(new ApplyMark(dots, VersionVector.empty(), latest));
        return;
      }
      ConflictLog.insert(connection, conflicts);
      resetOrigin();
      return;
    }
    progress.write();
    List<Dot> dots = new ArrayList<>();
    HybridTimestamp latest = applied.get(0).commitTimestamp();
    for (SourceTransaction tx : applied) {
      dots.add(tx.dot());
      if (tx.commitTimestamp().isAfter(latest)) {
        latest = tx.commitTimestamp();
      }
    }
    VersionVector watermark = progress.watermarks();
    try (PreparedStatement stamp =
        connection.prepareStatement(
            "INSERT INTO georep.xid_stamp (origin, seq, xid, xid32, hlc_wall, hlc_logical,"
                + " causal_context) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING")) {
      for (SourceTransaction tx : applied) {
        stamp.setString(1, tx.origin().name());
        stamp.setLong(2, tx.seq());
        stamp.setLong(3, store.xid());
        stamp.setLong(4, store.xid() & PostgresRowStore.MASK32);
        stamp.setLong(5, tx.commitTimestamp().wallTimeMillis());
        stamp.setInt(6, tx.commitTimestamp().logical());
        stamp.setBytes(7, tx.causalContext().toBytes());
        stamp.addBatch();
      }
      stamp.executeBatch();
    }
    ConflictLog.insert(connection, conflicts);
    emitMark(new ApplyMark(dots, watermark, latest));
  }

  /**
   * Writes the echo mark as the transaction's last statement. A transaction that set up a
   * replication origin resets it first, so that the mark and the commit record carry none: the
   * capture's slot filters what carries the origin, and must see the mark.
   */
  private void emitMark(ApplyMark applyMark) throws SQLException {
    boolean reset = origin != null && origin.isSet();
    // The reset runs first, in the same statement (a subquery in FROM is evaluated before the
    // outer target list): no extra round trip.
    try (PreparedStatement mark =
        connection.prepareStatement(
            reset
                ? ApplyMark.SQL
                    + " FROM (SELECT pg_catalog.pg_replication_origin_session_reset())"
                    + " AS o"
                : ApplyMark.SQL)) {
      mark.setBytes(1, applyMark.encode());
      mark.execute();
    }
    if (reset) {
      origin.wasReset();
    }
  }

  /**
   * Resets the session's origin before a commit without a mark, so that the connection goes back to
   * the pool without it.
   */
  private void resetOrigin() throws SQLException {
    if (origin != null && origin.isSet()) {
      origin.reset();
    }
  }

  /**
   * Tells the transaction the replication origin it is to set up for its session in {@link #begin}
   * ({@link ReplicationOrigins}), and to reset with its mark or before it commits.
   *
   * @param origin the origin taken for it, or null for none
   */
  public void setOrigin(ReplicationOrigins.Session origin) {
    this.origin = origin;
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

  /**
   * Returns the number of entries of an encoded above-set ({@code apply_progress.above}).
   *
   * @param above the column's bytes
   * @return the number of transactions applied above the watermark
   */
  public static int aboveCount(byte[] above) {
    return AboveSet.decode(above).size();
  }

  /** Returns a transaction's row writes, computed once per transaction. */
  private List<Write> writesOf(SourceTransaction tx) {
    return writes.computeIfAbsent(tx, Write::of);
  }

  /**
   * Locks and reads, a few statements per table instead of three per row, every row the given
   * transactions write (as {@link #apply} and {@link #foldLocal} would, one row at a time): see
   * {@link PostgresRowStore#prefetch}. Rows of another schema of an already locked table are left
   * to the row-by-row path, which reports them. Optional: a transaction applied without it locks
   * its rows one by one.
   *
   * @param transactions the transactions about to be applied or folded
   * @throws SQLException on a database failure
   */
  public void prefetch(List<SourceTransaction> transactions) throws SQLException {
    Map<TableSchema, LinkedHashMap<ByteBuffer, RowKey>> byTable = new LinkedHashMap<>();
    Map<TableSchema, Dot> firstWriter = new HashMap<>();
    for (SourceTransaction tx : transactions) {
      for (Write w : writesOf(tx)) {
        ByteBuffer key = ByteBuffer.wrap(store.keyBytesOf(w.key()));
        if (!store.holds(w.table().id(), key)) {
          byTable.computeIfAbsent(w.table(), t -> new LinkedHashMap<>()).putIfAbsent(key, w.key());
          firstWriter.putIfAbsent(w.table(), tx.dot());
        }
      }
    }
    store.prefetch(byTable, firstWriter, (dot, table) -> engine.at(dot, table, null));
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
    store.setRowLockTimeout(timeout);
  }

  /**
   * Folds one captured local transaction into the metadata of the rows it wrote, as exactly the
   * write every other region merges ({@link ApplyEngine#foldLocal}). Each row is locked as for an
   * apply. If the table row still shows this transaction's write ({@code xmin} is its xid), the row
   * is marked synchronised ({@code writer_xid32}); should the merge show something else, the row is
   * written back, and the transaction then carries an apply mark so that the capture does not ship
   * the write-back.
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
    boolean any =
        engine.foldLocal(tx, writesOf(tx), inParts, row -> store.shows(row, xid32, tx.seq()));
    writes.remove(tx);
    boolean keylessWritten =
        KeylessRows.touches(tx) && keyless.merge(tx, true, inParts ? partBase : -1);
    partBase += tx.changes().size();
    if (keylessWritten) {
      // The fold put rows of a keyless table back (KeylessRows): mark it like a write-back.
      store.markRowsWritten();
      any = true;
    }
    if (any && !(inParts && !folded.isEmpty())) {
      // In parts, its identity once: not every part's changes.
      folded.add(inParts ? tx.withChanges(List.of()) : tx);
    }
  }
}
