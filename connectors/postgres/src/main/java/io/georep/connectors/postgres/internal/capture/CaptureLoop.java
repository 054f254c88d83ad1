package io.georep.connectors.postgres.internal.capture;

import io.georep.connector.RowChange;
import io.georep.connector.RowKey;
import io.georep.connector.SourceTransaction;
import io.georep.connector.spi.ClockSkewListener;
import io.georep.connector.spi.FragmentHandler;
import io.georep.connector.spi.TransactionHandler;
import io.georep.connectors.postgres.ApplyMark;
import io.georep.connectors.postgres.CaptureException;
import io.georep.connectors.postgres.CaptureUnavailableException;
import io.georep.connectors.postgres.PostgresSourceConfig;
import io.georep.connectors.postgres.internal.pgoutput.PgOutputDecoder;
import io.georep.connectors.postgres.internal.pgoutput.PgOutputMessage;
import io.georep.connectors.postgres.internal.pgoutput.TupleData;
import io.georep.vectorclock.Dot;
import io.georep.vectorclock.GeorepException;
import io.georep.vectorclock.HybridLogicalClock;
import io.georep.vectorclock.HybridTimestamp;
import io.georep.vectorclock.ReplicaId;
import io.georep.vectorclock.VersionVector;
import io.georep.vectorclock.encoding.MalformedEncodingException;
import java.nio.ByteBuffer;
import java.sql.SQLException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.function.LongSupplier;
import org.postgresql.replication.LogSequenceNumber;
import org.postgresql.replication.PGReplicationStream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The capture loop: reads pgoutput messages from the replication stream, assembles each committed
 * transaction, recognises apply transactions by their {@link ApplyMark}, stamps local transactions,
 * hands them on, and confirms the slot only up to what the handler declared durable.
 *
 * <p>Invariants:
 *
 * <ul>
 *   <li><b>Order.</b> Transactions are handed on in the order pgoutput sends them, which is commit
 *       order; {@code seq} is the commit LSN, so it strictly increases.
 *   <li><b>Nothing confirmed early.</b> The slot's flush position advances over a transaction only
 *       when its {@code seq} was acknowledged, or when it was not to be shipped (apply, empty, at
 *       or below the resume point) and everything before it is confirmable. The confirmed position
 *       is the transaction's end LSN, so a restart resumes right after it.
 *   <li><b>Nothing shipped twice after a server crash.</b> The server saves a logical slot's
 *       confirmed position only at checkpoints, so after a crash the slot may send again
 *       transactions that were acknowledged. A transaction at or below the acknowledged seq
 *       persisted in {@code georep.capture_state} is skipped like one below the resume point.
 *   <li><b>Stamp before hand-off.</b> The {@code xid → (origin, seq, hlc, context)} stamps of a
 *       batch commit before any of the batch is handed on. A transaction that was stamped before (a
 *       re-capture after a crash) reuses its stamp, so it is re-emitted identical.
 *   <li><b>Causal context in WAL order.</b> The applied vector joins each apply transaction's
 *       watermark and each emitted local transaction's {@code seq} at its commit, in WAL order, so
 *       a local transaction's context is exactly what was applied (and emitted) before it
 *       committed. Its horizon is the highest applied seq per origin, which per-table appliers
 *       raise above their watermarks (each mark names the dots it applied). Both vectors are
 *       persisted with the confirmed position ({@code georep.capture_state}) before the server
 *       learns that position, so after a restart the vector is rebuilt exactly from the state plus
 *       the re-read WAL (joins are idempotent).
 *   <li><b>Bounded memory.</b> A transaction's raw messages are held in a {@link TransactionBuffer}
 *       (spilled to disk past a threshold) until its commit decides what it is; then it is
 *       converted and handed on in fragments to a {@link FragmentHandler}.
 * </ul>
 *
 * <p>Concurrency: everything here runs on the one capture thread, except {@link #acknowledged},
 * which {@code acknowledge} raises from any thread, and the wake-up monitor. No transaction state
 * is shared.
 *
 * <p>About 700 lines: the stream, the transaction buffers, the stamps and the acknowledgements are
 * state of the one capture thread, and the order of those steps is the exactly-once argument above;
 * decoding, conversion, buffering and the initial copy already live in classes of their own.
 */
public final class CaptureLoop {
  private static final Logger LOG = LoggerFactory.getLogger(CaptureLoop.class);

  /** Microseconds between 1970-01-01 and PostgreSQL's epoch 2000-01-01. */
  private static final long PG_EPOCH_MICROS = 946_684_800_000_000L;

  private record Pending(
      long seq,
      long endLsn,
      VersionVector vectorAfter,
      VersionVector highAfter,
      CopyFrontier frontierAfter,
      boolean emitted) {}

  private record Ready(
      SourceTransaction transaction, CaptureMetadata.Stamp newStamp, boolean copyChunk) {}

  /**
   * The capture's side of a chunked initial copy.
   *
   * @param frontier the placed chunks as saved with the capture state
   * @param converter converts copied rows with the publications' whole rules (a {@code SELECT}
   *     applies none)
   * @param relations builds a table's {@code Relation} message from the catalog
   * @param placed told of each chunk handed on (table, chunk number), for the readers' lead
   * @param settled run once every table's last chunk is acknowledged and saved
   */
  public record Copy(
      CopyFrontier frontier,
      ChangeConverter converter,
      java.util.function.Function<io.georep.connector.TableId, PgOutputMessage.Relation> relations,
      java.util.function.BiConsumer<io.georep.connector.TableId, Long> placed,
      Runnable settled) {}

  private final PostgresSourceConfig config;
  private final ReplicaId region;
  private final PGReplicationStream stream;
  private final CaptureMetadata metadata;
  private final ChangeConverter converter;
  private final TransactionHandler handler;
  private final LongSupplier acknowledged;
  private final long resumeAfterSeq;
  private final PgOutputDecoder decoder = new PgOutputDecoder();
  private final PgOutputDecoder replayDecoder = new PgOutputDecoder();
  private final TransactionBuffer buffer;
  private final ArrayDeque<Pending> pending = new ArrayDeque<>();
  private final List<Ready> ready = new ArrayList<>();
  private final HybridLogicalClock clock;
  private final ClockSkewListener skewListener;
  private final Set<ReplicaId> clampedOrigins = new HashSet<>();
  private long commitMillis;
  private int readyChanges;

  private VersionVector applied;

  /**
   * The highest applied seq per remote origin, above the watermarks where an applier applied out of
   * order: the horizon of the next local transaction.
   */
  private VersionVector appliedHigh;

  private VersionVector persistedVector;
  private VersionVector persistedHigh;
  private long persistedAck;
  private long maxStampedSeq;

  private Copy copy;
  private CopyFrontier frontier = CopyFrontier.none();
  private CopyFrontier persistedFrontier = CopyFrontier.none();
  private int copyMessages;
  private long copyRows;

  private PgOutputMessage.Begin begin;

  /** Tables whose truncate in the current transaction georep_truncate expanded into deletes. */
  private final Set<Integer> expandedTruncates = new HashSet<>();

  private int changeMessages;
  private final List<ApplyMark> marks = new ArrayList<>();

  /**
   * The prefix of a causal tick ({@code GarbageCollecting.tick}): a transaction that carries one
   * and nothing else is shipped as a local transaction without changes, so that other regions learn
   * the causal context this region has applied even while it writes nothing.
   */
  public static final String TICK_PREFIX = "georep.tick";

  /** Ticks in the current transaction. */
  private int ticks;

  /**
   * Creates the loop.
   *
   * @param config the configuration
   * @param stream the started replication stream
   * @param metadata the metadata store
   * @param converter the change converter
   * @param handler where transactions go
   * @param acknowledged the highest acknowledged seq
   * @param resumeAfterSeq transactions up to this seq are not handed on
   * @param skewListener told of the skew of every applied remote timestamp
   */
  public CaptureLoop(
      PostgresSourceConfig config,
      PGReplicationStream stream,
      CaptureMetadata metadata,
      ChangeConverter converter,
      TransactionHandler handler,
      LongSupplier acknowledged,
      long resumeAfterSeq,
      ClockSkewListener skewListener) {
    this.config = config;
    this.skewListener = skewListener;
    this.region = config.region();
    this.stream = stream;
    this.metadata = metadata;
    this.converter = converter;
    this.handler = handler;
    this.acknowledged = acknowledged;
    this.resumeAfterSeq = resumeAfterSeq;
    this.buffer = new TransactionBuffer(config.spillThresholdBytes(), config.spillDirectory());
    this.clock = new HybridLogicalClock(region, () -> commitMillis);
    Optional<CaptureMetadata.State> state = metadata.state(config.slotName());
    this.applied = state.map(CaptureMetadata.State::appliedVector).orElse(VersionVector.empty());
    this.appliedHigh =
        state.map(CaptureMetadata.State::appliedHigh).orElse(VersionVector.empty()).join(applied);
    this.persistedVector = state.isPresent() ? applied : null;
    this.persistedHigh = state.isPresent() ? appliedHigh : null;
    this.persistedAck = state.map(CaptureMetadata.State::acknowledgedSeq).orElse(0L);
    Optional<CaptureMetadata.Stamp> newest = metadata.newest();
    this.maxStampedSeq = newest.map(CaptureMetadata.Stamp::seq).orElse(0L);
    newest.ifPresent(
        s -> {
          // Seed the clock so that new timestamps follow every stored one.
          commitMillis = s.timestamp().wallTimeMillis();
          clock.receive(s.timestamp());
        });
  }

  /**
   * Takes part in a chunked initial copy: chunks the slot carries are handed on at their commit,
   * and live changes to rows of chunks not handed on yet are not shipped (the chunk carries them).
   *
   * @param copy the copy's state and helpers
   */
  public void copy(Copy copy) {
    this.copy = copy;
    this.frontier = copy.frontier();
    this.persistedFrontier = copy.frontier();
  }

  /**
   * Reads and processes what the stream has, without blocking.
   *
   * @return true if a message was processed, false if none was pending
   * @throws GeorepException on a permanent or transient failure
   */
  public boolean step() {
    ByteBuffer message;
    try {
      message = stream.readPending();
    } catch (SQLException e) {
      throw new CaptureUnavailableException(
          "the replication stream of slot "
              + config.slotName()
              + " failed ("
              + e.getMessage()
              + "); a new source resumes from the slot's confirmed position",
          e);
    }
    if (message == null) {
      flushReady();
      confirm();
      return false;
    }
    process(message);
    if (readyChanges >= config.stampBatchChanges()) {
      flushReady();
      confirm();
    }
    return true;
  }

  private void process(ByteBuffer raw) {
    PgOutputMessage message = decoder.decode(raw.duplicate());
    if (message instanceof PgOutputMessage.Begin b) {
      begin = b;
      changeMessages = 0;
      ticks = 0;
      marks.clear();
      expandedTruncates.clear();
      buffer.clear();
      copyMessages = 0;
      copyRows = 0;
    } else if (message instanceof PgOutputMessage.Commit c) {
      commit(c);
    } else if (message instanceof PgOutputMessage.Message m) {
      if (m.transactional() && m.prefix().equals(TruncateTriggers.MESSAGE_PREFIX)) {
        expandedTruncates.add(TruncateTriggers.relationOf(m.contentBytes()));
      } else if (m.transactional() && m.prefix().equals(CopyChunk.PREFIX)) {
        inTransaction(m);
        CopyChunk.Header header = CopyChunk.header(m.contentBytes(), m.lsn());
        if (copy != null && current(header)) {
          buffer.add(raw);
          copyMessages++;
          copyRows += header.rows();
        }
      } else if (m.transactional() && m.prefix().equals(TICK_PREFIX)) {
        inTransaction(m);
        ticks++;
      } else if (m.transactional() && m.prefix().equals(ApplyMark.PREFIX)) {
        try {
          marks.add(ApplyMark.decode(m.contentBytes()));
        } catch (MalformedEncodingException e) {
          throw new CaptureException(
              "malformed georep.apply mark in transaction "
                  + Integer.toUnsignedString(inTransaction(m).xid())
                  + " at LSN "
                  + Lsn.format(m.lsn())
                  + ": "
                  + e.getMessage()
                  + "; only georep's applier may write messages with prefix georep.apply",
              e);
        }
      }
    } else if (message instanceof PgOutputMessage.Relation
        || message instanceof PgOutputMessage.Type) {
      inTransaction(message);
      buffer.add(raw);
    } else if (message instanceof PgOutputMessage.Insert
        || message instanceof PgOutputMessage.Update
        || message instanceof PgOutputMessage.Delete) {
      inTransaction(message);
      buffer.add(raw);
      changeMessages++;
    } else if (message instanceof PgOutputMessage.Truncate t) {
      // georep_truncate deleted the rows first (captured as deletes): the truncate itself carries
      // nothing more. One it did not expand cannot be replicated: its rows are gone unread.
      List<Integer> unexpanded = new ArrayList<>(t.relationOids());
      unexpanded.removeAll(expandedTruncates);
      if (!unexpanded.isEmpty()) {
        throw new CaptureException(
            "a TRUNCATE of published table(s) with pg_class oid "
                + unexpanded
                + " in transaction "
                + Integer.toUnsignedString(inTransaction(t).xid())
                + " ran without georep's trigger "
                + TruncateTriggers.TRIGGER
                + " (dropped or disabled), so the rows it removed are unknown and cannot be"
                + " deleted in the other regions; the capture cannot go past it. Re-create the"
                + " region: drop slot "
                + config.slotName()
                + " and start the agent again (a new initial copy); restarting the agent"
                + " re-creates the trigger for later truncates");
      }
      inTransaction(t);
    } else if (message instanceof PgOutputMessage.Origin) {
      // Replicated by PostgreSQL's own logical replication: still a local change here.
      return;
    } else {
      throw new CaptureException(
          "unexpected pgoutput message "
              + message.getClass().getSimpleName()
              + " on slot "
              + config.slotName()
              + "; the capture does not request streaming of in-progress transactions");
    }
  }

  private PgOutputMessage.Begin inTransaction(PgOutputMessage message) {
    if (begin == null) {
      throw new CaptureException(
          "pgoutput message "
              + message.getClass().getSimpleName()
              + " outside a transaction on slot "
              + config.slotName()
              + "; this is a protocol error");
    }
    return begin;
  }

  private void commit(PgOutputMessage.Commit commit) {
    PgOutputMessage.Begin b = inTransaction(commit);
    long seq = commit.commitLsn();
    long endLsn = commit.endLsn();
    try {
      if (!marks.isEmpty()) {
        // An apply transaction: never emitted; it advances the applied vector in WAL order, and
        // the hybrid clock receives the applied commit timestamps, so every later local
        // transaction's HLC is greater than that of everything it could have seen.
        commitMillis = Math.floorDiv(commit.commitTimeMicros() + PG_EPOCH_MICROS, 1000L);
        for (ApplyMark mark : marks) {
          receive(mark.latest());
          for (var entry : mark.watermark().entries().entrySet()) {
            if (!entry.getKey().equals(region)) {
              applied = applied.advance(entry.getKey(), entry.getValue());
              appliedHigh = appliedHigh.advance(entry.getKey(), entry.getValue());
            }
          }
          for (Dot dot : mark.applied()) {
            if (!dot.origin().equals(region)) {
              appliedHigh = appliedHigh.add(dot);
            }
          }
        }
        replaySchemaOnly();
        skip(seq, endLsn);
      } else if (changeMessages == 0 && copyMessages == 0 && ticks == 0) {
        replaySchemaOnly();
        skip(seq, endLsn);
      } else if (changeMessages == 0 && copyMessages > 0 && copyRows == 0) {
        // Empty chunks (an empty table, the end of one): placed, nothing to hand on.
        replay(change -> {}, seq);
        skip(seq, endLsn);
      } else if (seq <= resumeAfterSeq || seq <= persistedAck) {
        // Shipped and acknowledged before: the slot sends it again when its confirmed position
        // went back, which a server crash does (a logical slot's position reaches disk only at a
        // checkpoint), while capture_state, a table, kept the acknowledgment. Its stamp may be
        // collected already (below the acknowledged seq), so it could not be re-emitted
        // identical; every region has it or will read it from the stream.
        replaySchemaOnly();
        applied = applied.advance(region, seq);
        skip(seq, endLsn);
      } else {
        emit(b, seq, commit.commitTimeMicros(), endLsn);
      }
    } finally {
      buffer.clear();
      begin = null;
      marks.clear();
      changeMessages = 0;
      ticks = 0;
      copyMessages = 0;
      copyRows = 0;
    }
  }

  /**
   * The clock receives an applied remote timestamp, clamped to the maximum forward skew: a remote
   * clock far ahead must neither halt the capture (a restart would replay the same mark and halt
   * again) nor drag this region's timestamps into the future. Conflict detection decides causality
   * by dots and contexts, so a local transaction ordering before a clamped remote one by HLC still
   * dominates it; only last-writer-wins between concurrent writes sees the skewed region's
   * timestamps, which win for as long as its clock is ahead — hence the meter and the warning.
   */
  private void receive(HybridTimestamp remote) {
    HybridLogicalClock.Receipt receipt = clock.receiveClamped(remote);
    skewListener.observed(remote.origin(), receipt.skewMillis(), receipt.clamped());
    if (receipt.clamped() && clampedOrigins.add(remote.origin())) {
      LOG.warn(
          "the clock of region {} is {} ms ahead of this region's (applied commit timestamp {},"
              + " local commit time {} ms): beyond the maximum forward skew of {} ms, so its"
              + " timestamps are clamped and its writes win last-writer-wins conflicts while its"
              + " clock is ahead; fix the time synchronisation (NTP/chrony) of region {}",
          remote.origin(),
          receipt.skewMillis(),
          remote,
          commitMillis,
          clock.maxForwardSkew().toMillis(),
          remote.origin());
    }
  }

  private void emit(PgOutputMessage.Begin b, long seq, long commitMicros, long endLsn) {
    HybridTimestamp timestamp;
    VersionVector context;
    VersionVector horizon;
    CaptureMetadata.Stamp newStamp = null;
    Optional<CaptureMetadata.Stamp> stored =
        seq <= maxStampedSeq ? metadata.find(seq) : Optional.empty();
    if (stored.isPresent()) {
      timestamp = stored.get().timestamp();
      context = stored.get().causalContext();
      horizon = stored.get().horizon();
    } else {
      commitMillis = Math.floorDiv(commitMicros + PG_EPOCH_MICROS, 1000L);
      timestamp = clock.now();
      context = applied;
      horizon = appliedHigh.join(applied);
      newStamp =
          new CaptureMetadata.Stamp(
              Integer.toUnsignedLong(b.xid()), seq, timestamp, context, horizon);
    }
    applied = applied.advance(region, seq);
    boolean chunk = copyMessages > 0;
    long size = changeMessages + (long) copyMessages * config.fragmentChanges();
    if (size <= config.fragmentChanges() || !(handler instanceof FragmentHandler fragments)) {
      List<RowChange> changes = new ArrayList<>(Math.min(changeMessages, 1 << 16));
      replay(changes::add, seq);
      pending.add(new Pending(seq, endLsn, applied, appliedHigh, frontier, true));
      ready.add(
          new Ready(
              new SourceTransaction(region, seq, timestamp, context, horizon, changes),
              newStamp,
              chunk));
      readyChanges += changes.size();
      return;
    }
    // A large transaction: hand on what is ready, stamp, then stream it in fragments.
    flushReady();
    if (newStamp != null) {
      metadata.insert(List.of(newStamp), chunk ? java.util.Set.of(seq) : java.util.Set.of());
    }
    HybridTimestamp ts = timestamp;
    VersionVector ctx = context;
    VersionVector hz = horizon;
    List<RowChange> slice = new ArrayList<>(config.fragmentChanges());
    int[] index = {0};
    replay(
        change -> {
          if (slice.size() == config.fragmentChanges()) {
            // More changes follow a full slice: it is a fragment, not the last one.
            fragments.onFragment(
                new SourceTransaction(region, seq, ts, ctx, hz, slice), index[0]++, false);
            slice.clear();
          }
          slice.add(change);
        },
        seq);
    pending.add(new Pending(seq, endLsn, applied, appliedHigh, frontier, true));
    fragments.onFragment(new SourceTransaction(region, seq, ts, ctx, hz, slice), index[0], true);
  }

  /** Whether a chunk continues its table's copy (else it is a replay or not this copy's). */
  private boolean current(CopyChunk.Header header) {
    CopyFrontier.Entry entry =
        frontier.tables().get(io.georep.connector.TableId.of(header.schema(), header.table()));
    return entry != null && !entry.done() && header.chunkNo() > entry.chunkNo();
  }

  /**
   * Hands a chunk's rows on as inserts and places it: changes to its rows are shipped from now on.
   */
  private void place(
      PgOutputMessage.Message message, java.util.function.Consumer<RowChange> sink, long seq) {
    CopyChunk chunk = CopyChunk.decode(message.contentBytes(), message.lsn());
    io.georep.connector.TableId table =
        io.georep.connector.TableId.of(chunk.schema(), chunk.table());
    CopyFrontier.Entry before = frontier.tables().get(table);
    if (before == null || before.done() || chunk.chunkNo() <= before.chunkNo()) {
      return;
    }
    int oid = chunk.relationOid();
    ChangeConverter rows = copy.converter();
    if (!rows.knows(oid)) {
      PgOutputMessage.Relation relation = copy.relations().apply(table);
      if (relation.relationOid() != oid) {
        throw new CaptureException(
            "initial copy: table "
                + table
                + " was dropped and created again while it was copied (oid "
                + Integer.toUnsignedString(oid)
                + ", now "
                + Integer.toUnsignedString(relation.relationOid())
                + "); drop slot "
                + config.slotName()
                + " and start the agent again to copy it anew");
      }
      rows.relation(relation);
    }
    for (String[] row : chunk.rows()) {
      RowChange change =
          rows.convert(new PgOutputMessage.Insert(0, oid, CopyChunk.tuple(row)), seq);
      if (change != null) {
        sink.accept(change);
      }
    }
    RowKey key = before.key();
    List<String> texts = before.keyTexts();
    if (!chunk.whole() && !chunk.rows().isEmpty()) {
      String[] last = chunk.rows().get(chunk.rows().size() - 1);
      key = rows.key(oid, CopyChunk.tuple(last));
      io.georep.connector.TableSchema schema = rows.schema(oid);
      List<String> keyTexts = new ArrayList<>();
      for (int k = 0; k < schema.keyColumns().size(); k++) {
        keyTexts.add(last[schema.keyColumnIndex(k)]);
      }
      texts = keyTexts;
    }
    frontier =
        frontier.place(table, new CopyFrontier.Entry(chunk.chunkNo(), key, texts, chunk.last()));
    copy.placed().accept(table, chunk.chunkNo());
  }

  /**
   * Returns the change to ship for a live change while a copy runs: as it is if its rows are in
   * chunks already handed on; nothing if they are in chunks to come (those chunks contain its
   * effect); a delete or an insert if a key-changing update moves a row out of or into the placed
   * range.
   */
  private PgOutputMessage forCopy(PgOutputMessage message, long seq) {
    if (!frontier.active()) {
      return message;
    }
    RowKey[] keys = converter.keys(message, seq);
    int oid =
        message instanceof PgOutputMessage.Insert i
            ? i.relationOid()
            : message instanceof PgOutputMessage.Update u
                ? u.relationOid()
                : ((PgOutputMessage.Delete) message).relationOid();
    io.georep.connector.TableId table = converter.table(oid);
    boolean oldPlaced = keys[0] != null && frontier.placed(table, keys[0]);
    boolean newPlaced = keys[1] != null && frontier.placed(table, keys[1]);
    if (message instanceof PgOutputMessage.Update u && oldPlaced != newPlaced) {
      if (oldPlaced) {
        TupleData old = u.oldTuple() != null ? u.oldTuple() : u.newTuple();
        return new PgOutputMessage.Delete(
            u.xid(), oid, u.oldTuple() != null ? u.oldKind() : 'K', old);
      }
      return new PgOutputMessage.Insert(u.xid(), oid, u.newTuple());
    }
    boolean placed = message instanceof PgOutputMessage.Insert ? newPlaced : oldPlaced;
    return placed ? message : null;
  }

  private void replay(java.util.function.Consumer<RowChange> sink, long seq) {
    buffer.replay(
        bytes -> {
          PgOutputMessage message = replayDecoder.decode(bytes);
          if (message instanceof PgOutputMessage.Relation r) {
            converter.relation(r);
          } else if (message instanceof PgOutputMessage.Insert
              || message instanceof PgOutputMessage.Update
              || message instanceof PgOutputMessage.Delete) {
            PgOutputMessage shipped = forCopy(message, seq);
            RowChange change = shipped == null ? null : converter.convert(shipped, seq);
            if (change != null) {
              sink.accept(change);
            }
          } else if (message instanceof PgOutputMessage.Message m) {
            place(m, sink, seq);
          }
        });
  }

  private void replaySchemaOnly() {
    buffer.replay(
        bytes -> {
          if (bytes.get(bytes.position()) == 'R'
              && replayDecoder.decode(bytes) instanceof PgOutputMessage.Relation r) {
            converter.relation(r);
          }
        });
  }

  private void skip(long seq, long endLsn) {
    Pending last = pending.peekLast();
    if (last != null && !last.emitted()) {
      pending.pollLast();
    }
    pending.add(new Pending(seq, endLsn, applied, appliedHigh, frontier, false));
  }

  private void flushReady() {
    if (ready.isEmpty()) {
      return;
    }
    List<CaptureMetadata.Stamp> stamps = new ArrayList<>(ready.size());
    Set<Long> chunks = new HashSet<>();
    for (Ready r : ready) {
      if (r.newStamp() != null) {
        stamps.add(r.newStamp());
        if (r.copyChunk()) {
          chunks.add(r.newStamp().seq());
        }
      }
    }
    metadata.insert(stamps, chunks);
    for (Ready r : ready) {
      handler.onTransaction(r.transaction());
    }
    ready.clear();
    readyChanges = 0;
  }

  /**
   * Confirms to the server, and persists, the position up to which every transaction was
   * acknowledged or needed no acknowledgment.
   */
  public void confirm() {
    long acked = acknowledged.getAsLong();
    Pending last = null;
    boolean emitted = false;
    while (!pending.isEmpty()) {
      Pending p = pending.peekFirst();
      if (p.emitted() && p.seq() > acked) {
        break;
      }
      emitted |= p.emitted();
      last = pending.pollFirst();
    }
    if (last == null) {
      return;
    }
    long ack = Math.max(persistedAck, Math.min(acked, last.seq()));
    java.util.Map<io.georep.connector.TableId, CopyFrontier.Entry> placed =
        new java.util.HashMap<>();
    if (last.frontierAfter() != persistedFrontier) {
      last.frontierAfter()
          .tables()
          .forEach(
              (table, entry) -> {
                if (!entry.equals(persistedFrontier.tables().get(table))) {
                  placed.put(table, entry);
                }
              });
    }
    if (emitted
        || !placed.isEmpty()
        || !last.vectorAfter().equals(persistedVector)
        || !last.highAfter().equals(persistedHigh)) {
      metadata.save(
          config.slotName(),
          new CaptureMetadata.State(last.endLsn(), last.vectorAfter(), last.highAfter(), ack),
          placed);
      persistedVector = last.vectorAfter();
      persistedHigh = last.highAfter();
      persistedAck = ack;
      persistedFrontier = last.frontierAfter();
    }
    if (copy != null && !persistedFrontier.active()) {
      // Every table's last chunk is acknowledged and saved: no restart copies again.
      metadata.finishCopy(config.slotName(), false);
      Copy finished = copy;
      copy = null;
      finished.settled().run();
    }
    LogSequenceNumber lsn = LogSequenceNumber.valueOf(last.endLsn());
    stream.setFlushedLSN(lsn);
    stream.setAppliedLSN(lsn);
    try {
      stream.forceUpdateStatus();
    } catch (SQLException e) {
      throw new CaptureUnavailableException(
          "cannot confirm position " + lsn + " of slot " + config.slotName(), e);
    }
  }

  /** Deletes any spill file. Idempotent. */
  public void close() {
    buffer.close();
  }
}
