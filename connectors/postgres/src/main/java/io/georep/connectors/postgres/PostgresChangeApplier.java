package io.georep.connectors.postgres;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.georep.connector.RowChange;
import io.georep.connector.RowKey;
import io.georep.connector.SourceTransaction;
import io.georep.connector.TableId;
import io.georep.connector.TableSchema;
import io.georep.connector.spi.ApplyException;
import io.georep.connector.spi.ApplyRetryException;
import io.georep.connector.spi.ConflictListener;
import io.georep.connector.spi.ConsistencyWaits;
import io.georep.connector.spi.DatabaseRefusedException;
import io.georep.connector.spi.GarbageCollecting.Collected;
import io.georep.connector.spi.OriginProgress;
import io.georep.connector.spi.PositionedTransaction;
import io.georep.connector.spi.RegionApplier;
import io.georep.connector.spi.RegionProgressRecording;
import io.georep.connector.spi.RowRestoring;
import io.georep.connectors.postgres.internal.apply.ApplyTransaction;
import io.georep.connectors.postgres.internal.apply.ConsistencyCalls;
import io.georep.connectors.postgres.internal.apply.MetadataCollection;
import io.georep.connectors.postgres.internal.apply.RegionProgressRows;
import io.georep.connectors.postgres.internal.apply.ReplicationOrigins;
import io.georep.connectors.postgres.internal.apply.TableDefinitions;
import io.georep.connectors.postgres.internal.apply.TableSql;
import io.georep.connectors.postgres.internal.capture.CaptureLoop;
import io.georep.connectors.postgres.internal.capture.Lsn;
import io.georep.connectors.postgres.internal.schema.MetadataSchema;
import io.georep.resolver.Conflict;
import io.georep.resolver.ConflictResolutionException;
import io.georep.resolver.StateShapeException;
import io.georep.resolver.TablePolicy;
import io.georep.vectorclock.Dot;
import io.georep.vectorclock.GeorepException;
import io.georep.vectorclock.HybridTimestamp;
import io.georep.vectorclock.ReplicaId;
import io.georep.vectorclock.VersionVector;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Applies transactions of other regions to a PostgreSQL database over JDBC, exactly once, merging
 * each row with the convergent {@link io.georep.resolver.RowMerge} and recording every conflict.
 *
 * <p>Each {@link #apply} call is one database transaction holding the rows, the per-row metadata
 * ({@code georep.row_meta}), the origins' progress ({@code georep.apply_progress}), the echo mark
 * ({@link ApplyMark}, so the local capture never ships it back and learns what was applied), the
 * apply's xid stamps and the conflict log: either all of it commits or none. Transactions already
 * applied (by {@code (origin, seq)}) are skipped, so redelivery after a crash is harmless. The
 * algorithm is described in {@code docs/apply.md} and on {@code ApplyTransaction}.
 *
 * <p>{@link #start} migrates the {@code georep} metadata schema and opens a HikariCP pool. Not
 * thread-safe: one applier per worker thread (several appliers may share a database). Failures are
 * {@link ApplyRetryException} (transient: retry the same call later) or {@link ApplyException}
 * (permanent: a poison transaction halts its stream; the message names origin, seq, table, key).
 *
 * <p>This class is the connector's facade: every operation the agent calls (apply, fold, progress,
 * garbage collection) with its transaction scaffolding and failure classification. The work is in
 * {@code internal.apply}: the merge and write-back ({@code ApplyTransaction}, {@code KeylessRows},
 * {@code ParentDeletes}) and the metadata collection ({@code MetadataCollection}); what remains
 * here is one method per operation of {@link RegionApplier} and its capabilities.
 *
 * <p>About 1,400 lines: every operation shares the pool, the transaction set-up (with its
 * replication origin) and the error classification ({@code inTransaction}); the merge itself is the
 * database-independent apply engine's, and the consistency calls' SQL is {@code ConsistencyCalls}'
 * and {@code RegionProgressRows}'. The seam left is per capability (garbage collection, progress,
 * folding, consistency), each of which could become a class of its own over the shared set-up.
 */
public final class PostgresChangeApplier
    implements RegionApplier, RegionProgressRecording, ConsistencyWaits, RowRestoring {
  private static final Logger LOG = LoggerFactory.getLogger(PostgresChangeApplier.class);
  private static final Duration FOLD_ROW_LOCK_TIMEOUT = Duration.ofMillis(200);

  private final PostgresSinkConfig config;
  private final HikariDataSource pool;

  /** Keeps the applier's own writes out of the capture's decoding (PostgreSQL 16+). */
  private final ReplicationOrigins origins;

  private final Map<TableSchema, TablePolicy> policies = new ConcurrentHashMap<>();
  private final Map<TableSchema, TableSql> statements = new ConcurrentHashMap<>();
  private final List<SourceTransaction> fragments = new ArrayList<>();
  private volatile ConflictListener listener = ConflictListener.NONE;
  private volatile boolean closed;

  /** The prefix of the logical decoding message that marks when a frontier was first seen. */
  static final String HOLD_PREFIX = "georep.gc";

  /** Remote definitions of tables widened to the local ones, and the schema drift check. */
  private final TableDefinitions definitions = new TableDefinitions();

  /** The slot of this region's capture, whose progress garbage collection waits for; or null. */
  private volatile String captureSlot;

  /** The highest position the capture's slot was seen to have confirmed (0: not looked yet). */
  private volatile long slotConfirmed;

  /** A frontier garbage collection holds until the capture has passed {@link #heldLsn}. */
  private VersionVector heldFrontier;

  private String heldLsn;
  private VersionVector lastCollected;

  private PostgresChangeApplier(
      PostgresSinkConfig config, HikariDataSource pool, ReplicationOrigins origins) {
    this.config = config;
    this.pool = pool;
    this.origins = origins;
  }

  /**
   * Opens the pool and creates or migrates the {@code georep} metadata schema.
   *
   * @param config the configuration; never null
   * @return the applier
   * @throws ApplyRetryException if the database is unreachable
   * @throws GeorepException if the schema cannot be migrated
   */
  public static PostgresChangeApplier start(PostgresSinkConfig config) {
    Objects.requireNonNull(config, "config");
    HikariConfig hikari = new HikariConfig();
    hikari.setJdbcUrl(config.jdbcUrl());
    hikari.setUsername(config.user());
    hikari.setPassword(config.password());
    hikari.setMaximumPoolSize(config.poolSize());
    hikari.setMinimumIdle(1);
    hikari.setAutoCommit(false);
    hikari.setConnectionTimeout(config.connectionTimeout().toMillis());
    hikari.setPoolName("georep-apply-" + config.region());
    hikari.setInitializationFailTimeout(-1);
    // The applier sends row writes and metadata upserts as JDBC batches; PgJDBC sends a batch of
    // inserts as multi-row inserts, which PostgreSQL parses, plans and executes once per statement
    // instead of once per row.
    hikari.addDataSourceProperty("reWriteBatchedInserts", "true");
    PostgresConnections.tlsProperties(config.jdbcUrl(), config.tls())
        .forEach(hikari::addDataSourceProperty);
    HikariDataSource pool = new HikariDataSource(hikari);
    ReplicationOrigins origins;
    try (Connection c = pool.getConnection()) {
      MetadataSchema.migrate(c);
      c.setAutoCommit(true);
      origins = ReplicationOrigins.of(c, config.jdbcUrl(), config.region().name());
      c.setAutoCommit(false);
    } catch (SQLException e) {
      pool.close();
      Optional<DatabaseRefusedException> refused =
          PostgresConnections.refused(e, config.jdbcUrl(), config.user(), config.tls());
      if (refused.isPresent()) {
        // Refused at start already (Agent.start connects first); met later, it is retried with
        // the setting to fix in the status, so fixing the server resumes the apply.
        throw new ApplyRetryException(
            ApplyRetryException.Reason.UNAVAILABLE, refused.get().getMessage(), e);
      }
      throw new ApplyRetryException(
          ApplyRetryException.Reason.UNAVAILABLE,
          "cannot reach the apply database "
              + config
              + " to migrate schema georep: "
              + e.getMessage(),
          e);
    } catch (RuntimeException e) {
      pool.close();
      throw e;
    }
    return new PostgresChangeApplier(config, pool, origins);
  }

  /**
   * Sets the listener that receives each committed transaction's conflicts.
   *
   * @param listener the listener; never null
   */
  @Override
  public void setConflictListener(ConflictListener listener) {
    this.listener = Objects.requireNonNull(listener, "listener");
  }

  /**
   * {@inheritDoc}
   *
   * <p>Coalescing: the transactions go into one database transaction, at most {@link
   * PostgresSinkConfig#maxGroupTransactions()} of them.
   *
   * @throws IllegalArgumentException if the list is empty or longer than the coalescing limit
   * @throws ApplyRetryException if the call should be retried later; nothing was applied
   * @throws ApplyException if a transaction cannot be applied; nothing was applied
   */
  @Override
  public void apply(List<SourceTransaction> transactions) {
    checkOpen();
    Objects.requireNonNull(transactions, "transactions");
    if (transactions.isEmpty() || transactions.size() > config.maxGroupTransactions()) {
      throw new IllegalArgumentException(
          "apply takes 1 to "
              + config.maxGroupTransactions()
              + " transactions (sink.postgres.group.max.transactions), got "
              + transactions.size());
    }
    List<PositionedTransaction> inOrder = new ArrayList<>(transactions.size());
    for (SourceTransaction t : transactions) {
      inOrder.add(null);
      Objects.requireNonNull(t, "transaction");
    }
    notifyConflicts(applyGroup(transactions, inOrder));
  }

  /**
   * Applies transactions atomically, like {@link #apply}, but allows each origin's transactions to
   * come out of stream order: each carries its predecessor in its origin's stream, and the origin's
   * watermark advances only over the contiguous prefix of the stream; transactions applied above it
   * are kept in the bounded above-set ({@code georep.apply_progress.above}) until the prefix
   * reaches them. The origins' progress rows are locked only at the end of the database
   * transaction, so several appliers (per-table workers) may apply one origin in parallel, each
   * with a disjoint set of rows. The stream offset of the watermark's batch is stored with it
   * ({@link #appliedProgress()}).
   *
   * <p>Transactions already applied (at or below the watermark, or in the above-set) are skipped.
   * The caller must keep the number of transactions applied above an origin's watermark below
   * 10,000; beyond it the apply fails as retriable until the prefix catches up.
   *
   * @param transactions the transactions with their stream positions; never null or empty; at most
   *     {@link PostgresSinkConfig#maxGroupTransactions()}; causally ready
   * @throws IllegalArgumentException if the list is empty or longer than the coalescing limit
   * @throws ApplyRetryException if the call should be retried later; nothing was applied
   * @throws ApplyException if a transaction cannot be applied; nothing was applied
   */
  @Override
  public void applyPositioned(List<PositionedTransaction> transactions) {
    checkOpen();
    Objects.requireNonNull(transactions, "transactions");
    if (transactions.isEmpty() || transactions.size() > config.maxGroupTransactions()) {
      throw new IllegalArgumentException(
          "apply takes 1 to "
              + config.maxGroupTransactions()
              + " transactions (sink.postgres.group.max.transactions), got "
              + transactions.size());
    }
    List<SourceTransaction> plain = new ArrayList<>(transactions.size());
    for (PositionedTransaction p : transactions) {
      plain.add(p.transaction());
    }
    notifyConflicts(applyGroup(plain, transactions));
  }

  /**
   * Folds captured local transactions into the row metadata, in one database transaction: each as
   * exactly the write the other regions merge (its dot, HLC, causal context and changes), so the
   * local region's metadata never lumps several local transactions into one write (see {@code
   * docs/apply.md}). The agent calls it for every transaction its capture hands on, in capture
   * order, and sets {@link PostgresSinkConfig#agentFoldsLocalWrites()} on its appliers. Idempotent:
   * rows whose metadata already covers a transaction are skipped. Conflicts found (a local write
   * concurrent with a remote version merged before) are logged and reported like an apply's.
   *
   * @param transactions local transactions of this region, in capture order; never null or empty
   * @throws ApplyRetryException if the call should be retried later (nothing was folded)
   * @throws ApplyException if a transaction cannot be folded (a schema mismatch, a failing
   *     resolver)
   */
  @Override
  public void foldLocal(List<SourceTransaction> transactions) {
    checkOpen();
    Objects.requireNonNull(transactions, "transactions");
    notifyConflicts(
        inTransaction(
            true,
            false,
            false,
            "transactions",
            (c, tx, conflicts) -> {
              tx.prefetch(transactions);
              Map<Long, Long> xids = localXids(c, transactions);
              for (SourceTransaction t : transactions) {
                if (!t.origin().equals(config.region())) {
                  throw new IllegalArgumentException(
                      "foldLocal takes this region's transactions, got " + t.dot());
                }
                tx.foldLocal(t, stamped(xids, t));
              }
              tx.finish();
              markCopiesDone(c, transactions, xids);
            }));
  }

  /** The xid of a local transaction's stamp; retriable if the capture has not stamped it yet. */
  private static long stamped(Map<Long, Long> xids, SourceTransaction t) {
    Long xid32 = xids.get(t.seq());
    if (xid32 == null) {
      throw new ApplyRetryException(
          ApplyRetryException.Reason.STAMP_PENDING,
          "local transaction " + t.dot() + " has no stamp yet; folding is retried",
          null);
    }
    return xid32;
  }

  /**
   * Folds one large local transaction into the row metadata in parts, in one database transaction
   * that holds one part in memory at a time: as {@link #foldLocal} would fold it whole, except that
   * a row changed in two parts takes the second as a continuation of the first ({@code RowMerge}).
   * The agent folds this way every transaction it ships in fragments, with the fragments it ships,
   * so that this region merges it in the same parts as every other region.
   *
   * @param head the transaction's identity (its changes are not read)
   * @param parts its changes in consecutive parts, each a transaction with the head's identity;
   *     iterated once per attempt
   * @throws ApplyRetryException if the call should be retried later (nothing was folded)
   * @throws ApplyException if the transaction cannot be folded
   */
  @Override
  public void foldInParts(SourceTransaction head, Iterable<SourceTransaction> parts) {
    checkOpen();
    Objects.requireNonNull(head, "head");
    if (!head.origin().equals(config.region())) {
      throw new IllegalArgumentException(
          "foldInParts takes this region's transactions, got " + head.dot());
    }
    notifyConflicts(
        inTransaction(
            true,
            true,
            false,
            "transaction " + head.dot(),
            (c, tx, conflicts) -> {
              Map<Long, Long> xids = localXids(c, List.of(head));
              long xid32 = stamped(xids, head);
              PartsProgress progress = new PartsProgress("folding", head);
              for (SourceTransaction part : parts) {
                checkPart(head, part);
                tx.prefetch(List.of(part));
                tx.foldLocal(part, xid32);
                conflicts.addAll(tx.endPart());
                progress.part(part);
              }
              tx.finish();
              markCopiesDone(c, List.of(head), xids);
            }));
  }

  /**
   * Applies one large transaction in parts, in one database transaction that holds one part in
   * memory at a time: all of it or nothing, like {@link #applyPositioned} with a group of one. A
   * row changed in two parts takes the second as a continuation of the first ({@code RowMerge}).
   *
   * @param head the transaction's identity and stream position (its changes are not read)
   * @param parts its changes in consecutive parts, each a transaction with the head's identity;
   *     iterated once per attempt
   * @throws ApplyRetryException if the call should be retried later; nothing was applied
   * @throws ApplyException if the transaction cannot be applied; nothing was applied
   */
  @Override
  public void applyInParts(PositionedTransaction head, Iterable<SourceTransaction> parts) {
    checkOpen();
    Objects.requireNonNull(head, "head");
    Objects.requireNonNull(parts, "parts");
    List<Conflict> conflicts;
    try {
      conflicts = applyInParts(head, parts, false);
    } catch (ApplyRetryException e) {
      if (e.reason() != ApplyRetryException.Reason.MISSING_PARENT) {
        throw e;
      }
      conflicts = applyInParts(head, parts, true);
    }
    notifyConflicts(conflicts);
  }

  private List<Conflict> applyInParts(
      PositionedTransaction head, Iterable<SourceTransaction> parts, boolean checkParents) {
    SourceTransaction t = head.transaction();
    checkRemote(t);
    return inTransaction(
        false,
        true,
        checkParents,
        "transaction " + t.dot(),
        (c, tx, conflicts) -> {
          int index = 0;
          PartsProgress progress = new PartsProgress("applying", t);
          for (SourceTransaction received : parts) {
            checkPart(t, received);
            SourceTransaction part = definitions.widen(received);
            tx.prefetch(List.of(part));
            if (!tx.applyPart(part, index++, head.previousSeq(), head.streamOffset())) {
              // Applied before: nothing of it is applied again.
              break;
            }
            conflicts.addAll(tx.endPart());
            progress.part(part);
          }
          tx.finish();
        });
  }

  /** Rejects a transaction of this region itself: an applier applies only other regions'. */
  private void checkRemote(SourceTransaction t) {
    if (t.origin().equals(config.region())) {
      throw new ApplyException(
          "transaction "
              + t.dot()
              + " originates in this region ("
              + config.region()
              + "); an applier applies only other regions' transactions — check the"
              + " agent's region name and the consumed streams");
    }
  }

  /**
   * What runs inside {@link #inTransaction}, after {@code begin}, up to and with {@code finish}.
   */
  @FunctionalInterface
  private interface Body {
    void run(Connection c, ApplyTransaction tx, List<Conflict> conflicts) throws SQLException;
  }

  /**
   * Runs an apply or a fold in one database transaction: creates the {@link ApplyTransaction},
   * begins it, runs the body (which finishes it), commits, and turns failures into the applier's
   * exceptions: retriable ones as {@link ApplyRetryException}, the rest as {@link ApplyException}
   * naming where the apply was.
   *
   * @param fold whether it folds local transactions (row locks wait at most {@link
   *     #FOLD_ROW_LOCK_TIMEOUT}) or applies remote ones
   * @param inParts whether it merges one large transaction in parts
   * @param checkParents whether an apply checks the parents of written child rows
   * @param what what is applied, for errors before the transaction knows its position
   * @param body the work
   * @return the conflicts recorded: those the body collected, then the transaction's
   */
  private List<Conflict> inTransaction(
      boolean fold, boolean inParts, boolean checkParents, String what, Body body) {
    Set<TableSchema> touched = new LinkedHashSet<>();
    try {
      return inTransaction(fold, inParts, checkParents, what, body, touched);
    } catch (ApplyException e) {
      if (fold) {
        throw e;
      }
      if (causedBy(e, StateShapeException.class) && widenToLocal(touched)) {
        // Stored states have columns the changes' definition lacks (added here first): merge
        // under the local definition, once.
        Set<TableSchema> again = new LinkedHashSet<>();
        try {
          return inTransaction(fold, inParts, checkParents, what, body, again);
        } catch (ApplyException second) {
          throw driftOr(second, again);
        }
      }
      GeorepException drift = driftOr(e, touched);
      if (drift == e && undefinedObject(e)) {
        // A column or table the statement named was missing, yet the definitions match now: DDL
        // here committed between the statement and the check (the same DDL the origin ran).
        // Once more, against the table as it is now.
        Set<TableSchema> again = new LinkedHashSet<>();
        try {
          return inTransaction(fold, inParts, checkParents, what, body, again);
        } catch (ApplyException second) {
          throw driftOr(second, again);
        }
      }
      throw drift;
    }
  }

  /** Whether PostgreSQL named an undefined column or table (SQLSTATE 42703, 42P01). */
  private static boolean undefinedObject(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof SQLException sql
          && ("42703".equals(sql.getSQLState()) || "42P01".equals(sql.getSQLState()))) {
        return true;
      }
    }
    return false;
  }

  private static boolean causedBy(Throwable e, Class<? extends Throwable> type) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (type.isInstance(t)) {
        return true;
      }
    }
    return false;
  }

  private List<Conflict> inTransaction(
      boolean fold,
      boolean inParts,
      boolean checkParents,
      String what,
      Body body,
      Set<TableSchema> touched) {
    ApplyTransaction tx = null;
    List<Conflict> conflicts = new ArrayList<>();
    try (Connection c = pool.getConnection()) {
      c.setAutoCommit(false);
      ReplicationOrigins.Session origin = null;
      try {
        origin = origins.take(c);
        tx =
            new ApplyTransaction(
                c,
                config.region(),
                config.stampWait(),
                this::policy,
                schema -> {
                  touched.add(schema);
                  return statements(c, schema);
                },
                config.uniqueClash());
        if (!fold) {
          tx.setAgentFolds(
              config.agentFoldsLocalWrites(),
              captureSlot == null ? null : seq -> slotPassed(c, seq));
          tx.setParentRule(id -> replicatedSchema(c, id), checkParents);
        }
        if (inParts) {
          tx.inParts();
        }
        tx.setOrigin(origin);
        tx.begin();
        if (fold) {
          // Folding locks rows the applications write. Give up waiting for one (retriably) sooner
          // than PostgreSQL's deadlock detection (deadlock_timeout, 1 s by default) would pick a
          // victim, so that in a deadlock with an application transaction the fold yields, never
          // the application.
          tx.setRowLockTimeout(FOLD_ROW_LOCK_TIMEOUT);
        }
        body.run(c, tx, conflicts);
        c.commit();
        conflicts.addAll(tx.conflicts());
        return conflicts;
      } catch (SQLException | RuntimeException e) {
        rollback(c, e);
        throw e;
      } finally {
        if (origin != null && !origin.release()) {
          // Its origin may still be set: the pool must not hand it to anything else.
          pool.evictConnection(c);
        }
      }
    } catch (SQLException e) {
      throw classify(e, tx);
    } catch (ApplyRetryException e) {
      throw e;
    } catch (ApplyException e) {
      throw fold || tx == null
          ? e
          : new ApplyException(e.getMessage() + " (at " + tx.position() + ")", e);
    } catch (ConflictResolutionException | IllegalArgumentException e) {
      throw new ApplyException(
          (fold ? "cannot fold local " : "cannot apply ")
              + (tx == null ? what : tx.position())
              + ": "
              + e.getMessage()
              + (fold
                  ? ""
                  : "; the stream of this origin halts here (skipping the transaction would make"
                      + " the regions diverge)"),
          e);
    }
  }

  /** Logs the progress of a transaction merged in parts every 30 s: it may take minutes. */
  private static final class PartsProgress {
    private static final long EVERY_NANOS = 30_000_000_000L;
    private final String doing;
    private final SourceTransaction head;
    private final long start = System.nanoTime();
    private long lastLog = start;
    private int parts;
    private long changes;

    PartsProgress(String doing, SourceTransaction head) {
      this.doing = doing;
      this.head = head;
    }

    void part(SourceTransaction part) {
      parts++;
      changes += part.changes().size();
      long now = System.nanoTime();
      if (now - lastLog >= EVERY_NANOS) {
        lastLog = now;
        LOG.info(
            "{} transaction {} in parts: {} parts, {} row changes so far ({} changes/s); it"
                + " commits after its last part",
            doing,
            head.dot(),
            parts,
            changes,
            Math.round(changes / ((now - start) / 1e9)));
      }
    }
  }

  private static void checkPart(SourceTransaction head, SourceTransaction part) {
    if (!part.dot().equals(head.dot())) {
      throw new IllegalArgumentException(
          "a part of transaction " + part.dot() + " among the parts of " + head.dot());
    }
  }

  private static Map<Long, Long> localXids(Connection c, List<SourceTransaction> transactions)
      throws SQLException {
    Map<Long, Long> xids = new HashMap<>();
    try (PreparedStatement q =
        c.prepareStatement(
            "SELECT seq, xid32, copy_chunk FROM georep.xid_stamp WHERE origin = ? AND seq = ?")) {
      for (SourceTransaction t : transactions) {
        q.setString(1, t.origin().name());
        q.setLong(2, t.seq());
        try (ResultSet rs = q.executeQuery()) {
          if (rs.next()) {
            xids.put(
                rs.getLong(1),
                rs.getLong(2) + (rs.getBoolean(3) ? ApplyTransaction.COPY_CHUNK : 0));
          }
        }
      }
    }
    // The initial copy has no stamp: it is one transaction shipping the rows of a snapshot.
    try (PreparedStatement q =
        c.prepareStatement("SELECT 1 FROM georep.initial_copy WHERE origin = ? AND seq = ?")) {
      for (SourceTransaction t : transactions) {
        if (!xids.containsKey(t.seq())) {
          q.setString(1, t.origin().name());
          q.setLong(2, t.seq());
          try (ResultSet rs = q.executeQuery()) {
            if (rs.next()) {
              xids.put(t.seq(), ApplyTransaction.INITIAL_COPY);
            }
          }
        }
      }
    }
    return xids;
  }

  /**
   * Marks an initial copy done in the transaction that folds it. The fold follows Kafka's
   * acknowledgement, so from this commit on no restart copies again: without it, a crash after the
   * fold and before the capture's next confirmation made the restart copy every row a second time,
   * under a new seq, and the receivers (who had applied the first copy) counted the counter columns
   * of every copied row twice.
   */
  private static void markCopiesDone(
      Connection c, List<SourceTransaction> transactions, Map<Long, Long> xids)
      throws SQLException {
    try (PreparedStatement done =
        c.prepareStatement(
            "UPDATE georep.initial_copy SET status = 'done', finished_at = now()"
                + " WHERE origin = ? AND seq = ? AND status <> 'done'")) {
      for (SourceTransaction t : transactions) {
        Long xid32 = xids.get(t.seq());
        if (xid32 != null && xid32 == ApplyTransaction.INITIAL_COPY) {
          done.setString(1, t.origin().name());
          done.setLong(2, t.seq());
          done.executeUpdate();
        }
      }
    }
  }

  private void notifyConflicts(List<Conflict> conflicts) {
    if (!conflicts.isEmpty()) {
      try {
        listener.onConflicts(conflicts);
      } catch (RuntimeException e) {
        LOG.warn("conflict listener failed; the conflicts are in georep.conflict_log", e);
      }
    }
  }

  /**
   * Receives the next fragment of a large transaction; the fragments are applied, all together in
   * one database transaction, when the last one arrives. A fragment with index 0 discards any
   * incomplete earlier transaction (a source restarted and delivers it again).
   *
   * @param fragment the fragment; never null
   * @param index its position, from 0
   * @param last whether it is the final fragment
   * @throws IllegalArgumentException if a fragment arrives out of order or of another transaction
   * @throws ApplyRetryException as {@link #apply}
   * @throws ApplyException as {@link #apply}
   */
  public void applyFragment(SourceTransaction fragment, int index, boolean last) {
    checkOpen();
    Objects.requireNonNull(fragment, "fragment");
    if (index == 0) {
      fragments.clear();
    } else if (fragments.size() != index || !fragments.get(0).dot().equals(fragment.dot())) {
      fragments.clear();
      throw new IllegalArgumentException(
          "fragment " + index + " of transaction " + fragment.dot() + " arrived out of order");
    }
    fragments.add(fragment);
    if (last) {
      List<RowChange> all = new ArrayList<>();
      for (SourceTransaction f : fragments) {
        all.addAll(f.changes());
      }
      SourceTransaction whole = fragment.withChanges(all);
      fragments.clear();
      apply(List.of(whole));
    }
  }

  private List<Conflict> applyGroup(
      List<SourceTransaction> transactions, List<PositionedTransaction> positions) {
    try {
      return applyGroup(transactions, positions, false);
    } catch (ApplyRetryException e) {
      if (e.reason() != ApplyRetryException.Reason.MISSING_PARENT) {
        throw e;
      }
      // A foreign key rejected a row: once more with parent checks, which resolve a child whose
      // parent was deleted concurrently (docs/conflicts.md, parent-deleted). A parent that has
      // simply not arrived yet fails the same way again, and the caller retries later.
      return applyGroup(transactions, positions, true);
    }
  }

  private List<Conflict> applyGroup(
      List<SourceTransaction> transactions,
      List<PositionedTransaction> positions,
      boolean checkParents) {
    return inTransaction(
        false,
        false,
        checkParents,
        "the transactions",
        (c, tx, conflicts) -> {
          List<SourceTransaction> widenedTransactions = new ArrayList<>(transactions.size());
          for (SourceTransaction t : transactions) {
            widenedTransactions.add(definitions.widen(t));
          }
          tx.prefetch(widenedTransactions);
          for (int i = 0; i < widenedTransactions.size(); i++) {
            SourceTransaction t = widenedTransactions.get(i);
            PositionedTransaction position = positions.get(i);
            checkRemote(t);
            if (position == null) {
              tx.apply(t);
            } else {
              tx.apply(t, position.previousSeq(), position.streamOffset());
            }
          }
          tx.finish();
        });
  }

  /**
   * Tells schema drift from a poison transaction ({@link TableDefinitions#drift}): a retriable
   * failure if a table the failed apply touched differs from the definition its changes arrived
   * with; otherwise the failure stands.
   */
  private GeorepException driftOr(ApplyException failure, Set<TableSchema> touched) {
    if (touched.isEmpty()) {
      return failure;
    }
    try (Connection c = pool.getConnection()) {
      c.setAutoCommit(true);
      return definitions
          .drift(c, touched, failure)
          .map(GeorepException.class::cast)
          .orElse(failure);
    } catch (SQLException e) {
      failure.addSuppressed(e);
      return failure;
    }
  }

  private boolean widenToLocal(Set<TableSchema> touched) {
    try (Connection c = pool.getConnection()) {
      c.setAutoCommit(true);
      return definitions.widenToLocal(c, touched);
    } catch (SQLException e) {
      LOG.debug("cannot read the local definitions: {}", e.getMessage());
      return false;
    }
  }

  private static void rollback(Connection c, Exception cause) {
    try {
      c.rollback();
    } catch (SQLException e) {
      cause.addSuppressed(e);
    }
  }

  private GeorepException classify(SQLException e, ApplyTransaction tx) {
    String state = e.getSQLState() == null ? "" : e.getSQLState();
    String where = tx == null ? "" : " at " + tx.position();
    if (state.equals("23503")) {
      return new ApplyRetryException(
          ApplyRetryException.Reason.MISSING_PARENT,
          "a foreign key of the applied rows is violated"
              + where
              + " ("
              + e.getMessage()
              + "): the parent row has not arrived yet (a parent deleted concurrently with the"
              + " child is resolved, not retried: docs/conflicts.md, parent-deleted); the"
              + " transaction waits and is retried. If it never succeeds, check that the parent"
              + " table is replicated to this region and that the foreign key references the"
              + " parent's primary key",
          e);
    }
    if (state.equals("23505")) {
      return new ApplyRetryException(
          ApplyRetryException.Reason.LOCAL_RACE,
          "a local write inserted the same key concurrently" + where + "; the apply is retried",
          e);
    }
    if (state.equals("40001") || state.equals("40P01") || state.equals("55P03")) {
      return new ApplyRetryException(
          ApplyRetryException.Reason.CONCURRENCY,
          "serialization failure or deadlock" + where + "; the apply is retried",
          e);
    }
    if (state.isEmpty()
        || state.startsWith("08")
        || state.startsWith("53")
        || state.startsWith("57")
        || state.startsWith("58")) {
      return new ApplyRetryException(
          ApplyRetryException.Reason.UNAVAILABLE,
          "the apply database failed" + where + " (" + e.getMessage() + "); the apply is retried",
          e);
    }
    return new ApplyException(
        "cannot apply"
            + where
            + ": PostgreSQL rejected it with SQLSTATE "
            + state
            + " ("
            + e.getMessage()
            + "); the table's definition matches the origin's, so the data itself is refused"
            + " here (a constraint, trigger or permission of this region): fix the cause and"
            + " restart the agent; the stream of this origin halts here",
        e);
  }

  /**
   * Returns the replicated schema of a table: the one its changes arrived with, else the local
   * catalog's; empty if no publication of this region names the table.
   */
  private Optional<TableSchema> replicatedSchema(Connection c, TableId id) {
    for (TableSchema known : statements.keySet()) {
      if (known.id().equals(id)) {
        return Optional.of(known);
      }
    }
    Optional<TableSchema> described;
    try {
      described = TableSql.describe(c, id);
    } catch (SQLException e) {
      throw new ApplyRetryException(
          ApplyRetryException.Reason.UNAVAILABLE,
          "cannot read the catalog entry of " + id + ": " + e.getMessage(),
          e);
    }
    if (described.isEmpty()) {
      return described;
    }
    try {
      policy(described.get());
    } catch (ApplyException e) {
      // Not replicated: its rows have no metadata, and the foreign key's own action applies.
      return Optional.empty();
    }
    return described;
  }

  private TablePolicy policy(TableSchema table) {
    return policies.computeIfAbsent(table, config.policies());
  }

  private TableSql statements(Connection c, TableSchema table) {
    TableSql sql = statements.get(table);
    if (sql == null) {
      try {
        sql = TableSql.load(c, table);
      } catch (SQLException e) {
        throw new ApplyRetryException(
            ApplyRetryException.Reason.UNAVAILABLE,
            "cannot read the catalog entry of " + table.id() + ": " + e.getMessage(),
            e);
      }
      statements.put(table, sql);
    }
    return sql;
  }

  /**
   * {@inheritDoc}
   *
   * @throws ApplyRetryException if the database is unavailable
   */
  @Override
  public VersionVector appliedWatermark() {
    checkOpen();
    try (Connection c = pool.getConnection();
        PreparedStatement q =
            c.prepareStatement(
                "SELECT origin, watermark FROM georep.apply_progress WHERE watermark > 0")) {
      Map<ReplicaId, Long> entries = new HashMap<>();
      try (ResultSet rs = q.executeQuery()) {
        while (rs.next()) {
          entries.put(ReplicaId.of(rs.getString(1)), rs.getLong(2));
        }
      }
      c.commit();
      return VersionVector.of(entries);
    } catch (SQLException e) {
      throw classifyUnavailable(e);
    }
  }

  /**
   * Returns the durable apply progress of every origin: watermark, applied transactions above it
   * and the stream offset of the watermark's batch. A receiver seeks its origin's stream to that
   * offset on start (Kafka's committed offsets are never used): the effect of what it reads again
   * is deduplicated by {@code (origin, seq)}.
   *
   * @return the progress by origin; never null
   * @throws ApplyRetryException if the database is unavailable
   */
  @Override
  public Map<ReplicaId, OriginProgress> appliedProgress() {
    checkOpen();
    try (Connection c = pool.getConnection();
        PreparedStatement q =
            c.prepareStatement(
                "SELECT origin, watermark, above, watermark_offset FROM georep.apply_progress")) {
      Map<ReplicaId, OriginProgress> result = new HashMap<>();
      try (ResultSet rs = q.executeQuery()) {
        while (rs.next()) {
          long offset = rs.getLong(4);
          if (rs.wasNull()) {
            offset = -1;
          }
          result.put(
              ReplicaId.of(rs.getString(1)),
              new OriginProgress(
                  rs.getLong(2), ApplyTransaction.aboveCount(rs.getBytes(3)), offset));
        }
      }
      c.commit();
      return result;
    } catch (SQLException e) {
      throw classifyUnavailable(e);
    }
  }

  private static ApplyRetryException unavailable(String what, SQLException e) {
    return new ApplyRetryException(
        ApplyRetryException.Reason.UNAVAILABLE, "cannot " + what + ": " + e.getMessage(), e);
  }

  private static ApplyRetryException classifyUnavailable(SQLException e) {
    return new ApplyRetryException(
        ApplyRetryException.Reason.UNAVAILABLE,
        "cannot read georep.apply_progress: " + e.getMessage(),
        e);
  }

  /**
   * Removes metadata that the causally stable frontier makes useless: tombstones (metadata of
   * deleted rows) whose whole history the frontier covers, for tables without counter, max, min or
   * g-set columns (whose totals survive deletes), and the apply stamps of remote transactions the
   * frontier covers. Local stamps are removed once no one can need them (the rule is in {@code
   * docs/apply.md}); until then they are how a local write not yet folded into a row's metadata is
   * identified.
   *
   * <p>The frontier must be causally stable, not merely applied everywhere: every transaction that
   * any region committed without the frontier in its causal past must already be applied here. Then
   * every write still to arrive has the frontier in its context, so it dominates the removed
   * tombstone, and merging it into no state gives the same state as merging it into the tombstone
   * (see {@code docs/apply.md}). With {@link #holdGarbageForCapture}, a frontier is held until the
   * capture has folded every local transaction that could be concurrent with what it removes, and
   * used at a later call.
   *
   * @param stableFrontier the causally stable frontier, from the agents' applied vectors
   * @return what was removed
   * @throws ApplyRetryException if the database is unavailable
   */
  @Override
  public synchronized Collected collectGarbage(VersionVector stableFrontier) {
    checkOpen();
    Objects.requireNonNull(stableFrontier, "stableFrontier");
    try (Connection c = pool.getConnection()) {
      VersionVector usable =
          captureSlot == null ? stableFrontier : foldedEverywhereHere(c, stableFrontier);
      if (usable == null) {
        c.commit();
        return new Collected(0, 0, 0);
      }
      Collected done =
          MetadataCollection.collect(c, usable, config.region(), config.agentFoldsLocalWrites());
      c.commit();
      lastCollected = usable;
      return done;
    } catch (SQLException e) {
      throw classifyUnavailable(e);
    }
  }

  /**
   * Makes garbage collection wait for this region's capture (see {@link
   * #collectGarbage(VersionVector)}): a frontier is used only once the capture's slot has confirmed
   * every local transaction that committed before the frontier was first seen.
   *
   * <p>Why: a frontier is causally stable for the streams (every transaction still to arrive from
   * another region has it in its causal past), but a local transaction that committed here before
   * this region applied a removal the frontier covers, and that the capture has not handed on or
   * the agent has not folded yet, is concurrent with that removal. Its fold must still find what
   * the removal removed: a keyless table's removed copy, which a concurrent delete may choose
   * (every other region keeps it until the same frontier, and the delete's fold would otherwise
   * remove a different copy here only), or a row's tombstone. The slot confirms a local transaction
   * only once it is folded, and the removals a frontier covers were applied before it was seen, so
   * when the slot has passed the WAL position of that moment, every local transaction concurrent
   * with them is folded.
   *
   * @param slot the capture's replication slot
   */
  public void holdGarbageForCapture(String slot) {
    this.captureSlot = Objects.requireNonNull(slot, "slot");
  }

  /**
   * Tells whether the capture's slot has passed a local transaction, and so folded it (it confirms
   * one only once folded): its seq is its commit LSN, below the end the slot confirms. A slot that
   * is gone has no folds pending that could be waited for.
   */
  private boolean slotPassed(Connection c, long seq) throws SQLException {
    if (seq < slotConfirmed) {
      return true;
    }
    try (PreparedStatement q =
        c.prepareStatement(
            "SELECT (confirmed_flush_lsn - '0/0'::pg_lsn)::bigint FROM pg_replication_slots"
                + " WHERE slot_name = ?")) {
      q.setString(1, captureSlot);
      try (ResultSet rs = q.executeQuery()) {
        if (!rs.next()) {
          return true;
        }
        long confirmed = rs.getLong(1);
        if (confirmed > slotConfirmed) {
          slotConfirmed = confirmed;
        }
        return seq < confirmed;
      }
    }
  }

  /**
   * The frontier garbage collection may use now, or null: the held frontier once the capture's slot
   * has passed the position recorded with it (then the given one is held next), else nothing. A
   * database without the slot has no capture whose folds could be pending: the frontier is usable
   * at once.
   */
  private VersionVector foldedEverywhereHere(Connection c, VersionVector frontier)
      throws SQLException {
    boolean passed;
    try (PreparedStatement q =
        c.prepareStatement(
            "SELECT coalesce(confirmed_flush_lsn >= ?::pg_lsn, false)"
                + " FROM pg_replication_slots WHERE slot_name = ?")) {
      q.setString(1, heldLsn == null ? "0/0" : heldLsn);
      q.setString(2, captureSlot);
      try (ResultSet rs = q.executeQuery()) {
        if (!rs.next()) {
          return frontier;
        }
        passed = rs.getBoolean(1);
      }
    }
    VersionVector usable = null;
    if (heldFrontier != null && passed) {
      usable = heldFrontier;
      heldFrontier = null;
    }
    if (heldFrontier == null && !frontier.equals(usable) && !frontier.equals(lastCollected)) {
      // The moment is a logical decoding message of its own (committed with this collection):
      // the capture passes it, as any transaction without published changes, once everything
      // before it is folded, also when no other transaction follows (an idle database).
      heldLsn = emitMessage(c, HOLD_PREFIX);
      heldFrontier = frontier;
    }
    return usable;
  }

  /** The prefix of the message a restore waits for the capture to pass. */
  static final String RESTORE_PREFIX = "georep.repair";

  @Override
  public List<Restored> restore(
      TableId table, List<RowKey> keys, boolean apply, String captureName, Duration captureWait) {
    checkOpen();
    Objects.requireNonNull(table, "table");
    try (Connection c = pool.getConnection()) {
      TableSchema schema = keyedSchema(c, table);
      // 1. The rows as they are now (each locked and read as an apply would, then let go).
      c.setAutoCommit(false);
      Map<RowKey, Long> versions = new HashMap<>();
      try {
        ApplyTransaction read = newTransaction(c);
        read.begin();
        for (RowKey key : keys) {
          versions.put(key, read.rowVersion(schema, key));
        }
      } finally {
        c.rollback();
      }
      // 2. Every local transaction committed before now is folded: the slot passes a message
      // once everything before it is folded.
      String mark = emitMessage(c, RESTORE_PREFIX);
      c.commit();
      awaitCaptureAt(c, captureName, mark, captureWait);
      // The repair is named, in the conflict log, by the position of its message in this
      // region's stream (seqs are WAL positions) and by the time.
      Dot repair = new Dot(config.region(), Lsn.parse(mark));
      HybridTimestamp repairStamp =
          new HybridTimestamp(System.currentTimeMillis(), 0, config.region());
      // 3. Rows still as read and not showing their state were changed behind georep's back.
      ReplicationOrigins.Session origin = origins.take(c);
      try {
        ApplyTransaction tx = newTransaction(c);
        tx.setOrigin(origin);
        tx.begin();
        List<Restored> out = new ArrayList<>();
        for (RowKey key : keys) {
          out.add(tx.restore(schema, key, versions.get(key), repair, repairStamp));
        }
        tx.finish();
        if (apply) {
          c.commit();
        } else {
          c.rollback();
        }
        return out;
      } catch (SQLException | RuntimeException e) {
        rollback(c, e);
        throw e;
      } finally {
        if (!origin.release()) {
          pool.evictConnection(c);
        }
      }
    } catch (SQLException e) {
      throw unavailable("restore rows of " + table, e);
    }
  }

  @Override
  public Map<RowKey, String> versions(TableId table, List<RowKey> keys) {
    checkOpen();
    try (Connection c = pool.getConnection()) {
      TableSchema schema = keyedSchema(c, table);
      c.setAutoCommit(false);
      try {
        ApplyTransaction read = newTransaction(c);
        read.begin();
        Map<RowKey, String> out = new LinkedHashMap<>();
        for (RowKey key : keys) {
          read.lastWrite(schema, key).ifPresent(v -> out.put(key, v));
        }
        return out;
      } finally {
        c.rollback();
      }
    } catch (SQLException e) {
      throw unavailable("read the row versions of " + table, e);
    }
  }

  /** A published table with a key, as the applier knows it. */
  private TableSchema keyedSchema(Connection c, TableId table) {
    TableSchema schema =
        replicatedSchema(c, table)
            .orElseThrow(
                () ->
                    new IllegalStateException(
                        "table "
                            + table
                            + " is not published in region "
                            + config.region()
                            + ": only rows of published tables have georep state"));
    if (schema.keyless()) {
      throw new IllegalStateException(
          "table "
              + table
              + " has no key: its rows cannot be named one by one; re-seed the region that"
              + " differs (docs/verify.md)");
    }
    return schema;
  }

  private ApplyTransaction newTransaction(Connection c) {
    return new ApplyTransaction(
        c,
        config.region(),
        config.stampWait(),
        this::policy,
        t -> statements(c, t),
        config.uniqueClash());
  }

  /** Waits until the capture's slot has confirmed a WAL position. */
  private void awaitCaptureAt(Connection c, String slot, String lsn, Duration wait)
      throws SQLException {
    long deadline = System.nanoTime() + wait.toNanos();
    try (PreparedStatement q =
        c.prepareStatement(
            "SELECT coalesce(confirmed_flush_lsn >= ?::pg_lsn, false)"
                + " FROM pg_replication_slots WHERE slot_name = ?")) {
      q.setString(1, lsn);
      q.setString(2, slot);
      while (true) {
        boolean passed;
        try (ResultSet rs = q.executeQuery()) {
          if (!rs.next()) {
            c.rollback();
            throw new IllegalStateException(
                "region "
                    + config.region()
                    + " has no replication slot "
                    + slot
                    + ": its capture has never run; start its agent first");
          }
          passed = rs.getBoolean(1);
        }
        c.rollback();
        if (passed) {
          return;
        }
        if (System.nanoTime() > deadline) {
          throw new IllegalStateException(
              "the capture of region "
                  + config.region()
                  + " (slot "
                  + slot
                  + ") did not pass WAL position "
                  + lsn
                  + " within "
                  + wait.toSeconds()
                  + " s: repair needs every region's agent running, so that no local write is"
                  + " mistaken for one made behind georep's back; start it, or check /health");
        }
        try {
          Thread.sleep(50);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new IllegalStateException("interrupted waiting for the capture", e);
        }
      }
    }
  }

  /**
   * Writes a causal tick: {@code pg_logical_emit_message(true, 'georep.tick', '')} in a transaction
   * of its own, which the capture ships as a local transaction without changes ({@link
   * CaptureLoop#TICK_PREFIX}).
   */
  @Override
  public boolean tick() {
    checkOpen();
    try (Connection c = pool.getConnection()) {
      c.setAutoCommit(false);
      try {
        emitMessage(c, CaptureLoop.TICK_PREFIX);
        c.commit();
      } catch (SQLException e) {
        rollback(c, e);
        throw e;
      }
      return true;
    } catch (SQLException e) {
      throw classifyUnavailable(e);
    }
  }

  /** Writes {@code georep.region_progress} ({@link RegionProgressRows}) in a transaction. */
  @Override
  public void recordRegionProgress(List<RegionProgress> regions) {
    checkOpen();
    try (Connection c = pool.getConnection()) {
      c.setAutoCommit(false);
      try {
        RegionProgressRows.write(c, regions);
        c.commit();
      } catch (SQLException e) {
        rollback(c, e);
        throw e;
      }
    } catch (SQLException e) {
      throw unavailable("write georep.region_progress", e);
    }
  }

  @Override
  public String sessionToken() {
    checkOpen();
    try (Connection c = pool.getConnection()) {
      return ConsistencyCalls.sessionToken(c);
    } catch (SQLException e) {
      throw unavailable("call georep.session_token()", e);
    }
  }

  @Override
  public void waitFor(String token, Duration timeout, boolean failFast) {
    checkOpen();
    try (Connection c = pool.getConnection()) {
      ConsistencyCalls.waitFor(c, token, timeout, failFast);
    } catch (SQLException e) {
      throw unavailable("call georep.wait_for", e);
    }
  }

  @Override
  public void waitReplicated(String token, int count, List<String> regions, Duration timeout) {
    checkOpen();
    try (Connection c = pool.getConnection()) {
      ConsistencyCalls.waitReplicated(c, token, count, regions, timeout);
    } catch (SQLException e) {
      throw unavailable("call georep.wait_replicated", e);
    }
  }

  /**
   * Writes a transactional logical decoding message with an empty payload in the connection's
   * transaction; the capture recognises it by its prefix.
   *
   * @return the message's WAL position
   */
  private static String emitMessage(Connection c, String prefix) throws SQLException {
    try (PreparedStatement emit =
        c.prepareStatement("SELECT pg_logical_emit_message(true, ?, '')::text")) {
      emit.setString(1, prefix);
      try (ResultSet rs = emit.executeQuery()) {
        rs.next();
        return rs.getString(1);
      }
    }
  }

  /**
   * Removes conflict log entries detected before a time, oldest first, in batches so that no long
   * transaction holds the table.
   *
   * <p>Batches walk the primary key from the oldest entry (ids grow with insertion, as detection
   * times do), so a pass costs what it removes plus one batch, not a scan of the whole log.
   *
   * @param detectedBefore entries detected before this instant are removed
   * @return how many entries were removed
   * @throws ApplyRetryException if the database is unavailable
   */
  @Override
  public int pruneConflictLog(Instant detectedBefore) {
    checkOpen();
    Objects.requireNonNull(detectedBefore, "detectedBefore");
    try (Connection c = pool.getConnection()) {
      return MetadataCollection.pruneConflictLog(c, detectedBefore);
    } catch (SQLException e) {
      throw classifyUnavailable(e);
    }
  }

  /**
   * Returns how many transactions could not set up a replication origin and were decoded by the
   * capture as echoes ({@link ReplicationOrigins}); for tests and diagnostics.
   *
   * @return the count since start
   */
  long untaggedTransactions() {
    return origins.untagged();
  }

  private void checkOpen() {
    if (closed) {
      throw new IllegalStateException("the applier is closed");
    }
  }

  /** Closes the pool. Idempotent. */
  @Override
  public void close() {
    if (!closed) {
      closed = true;
      pool.close();
    }
  }
}
