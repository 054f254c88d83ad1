package io.georep.replicator.internal.verify;

import io.georep.replicator.Connectors;
import io.georep.vectorclock.Dot;
import io.georep.vectorclock.HybridTimestamp;
import io.georep.vectorclock.ReplicaId;
import io.georep.vectorclock.VersionVector;
import java.io.IOException;
import java.io.PrintWriter;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import org.postgresql.PGConnection;
import org.postgresql.copy.CopyManager;
import org.postgresql.copy.PGCopyInputStream;

/**
 * Re-seeds a region from a healthy one ({@code georep resync}): the region's published tables,
 * their georep metadata and its apply progress become a copy of the healthy region's at one
 * consistent point, and its streams resume from that point when its agent starts again.
 *
 * <h2>Design</h2>
 *
 * <ol>
 *   <li><b>The target's agent is stopped</b> (its slot has no reader), so nothing applies or
 *       captures there meanwhile. The healthy region's agent runs: its capture marks the point.
 *   <li><b>Nothing of the target's own is lost.</b> The healthy region must first have applied the
 *       target's stream up to its last acknowledged transaction (the copy carries those writes
 *       back), and every other origin at least as far as the target had (a copy never goes back in
 *       an origin's stream). Local transactions still in the target's slot, not shipped, are read
 *       from the slot without consuming it and reported; the resync refuses unless told to discard
 *       them, and then advances the slot past them, so they are never shipped either.
 *   <li><b>A point in the healthy region's own stream.</b> Under {@code SHARE} locks on its
 *       published tables (writers wait; readers do not), a causal tick is written and the position
 *       the capture saved ({@code capture_state.confirmed_lsn}, which passes a shipped transaction
 *       only once Kafka acknowledged it and it was folded) awaited past it, so every local write
 *       committed before the locks is folded into the row metadata. Then a repeatable-read snapshot
 *       is exported and imported by the reading connection, and a causal tick is written in the
 *       locking transaction itself: every local transaction of the healthy region before the tick
 *       is in the snapshot and none after it. The first transaction the stream carries after the
 *       tick's message (the tick, or another transaction without rows, since writers wait for the
 *       locks) becomes the target's watermark of the healthy region; the stream offset is the end
 *       of the healthy region's topic before the tick, so the target's receiver starts past
 *       anything it halted on and drops what precedes the tick by seq. The locks are held only
 *       until the tick commits.
 *   <li><b>One transaction in the target</b>, under {@code EXCLUSIVE} locks: the tables' rows are
 *       deleted (children first) and copied from the snapshot ({@code COPY}, parents first); the
 *       row metadata is copied with the target's own synchronisation (its xid and WAL position, so
 *       the rows show their states there); the apply progress becomes the healthy region's; and an
 *       apply mark makes the capture treat the transaction as an apply (never shipped) and join the
 *       new progress into the causal context of the target's later writes.
 * </ol>
 *
 * <p>Not thread-safe; one run.
 */
public final class Resyncer {
  /** Opens a connection to a region's database. */
  @FunctionalInterface
  public interface Connect {
    Connection open() throws SQLException;
  }

  /**
   * One side of the resync.
   *
   * @param region the region
   * @param connect opens a connection to its database
   * @param slot its capture's replication slot
   * @param publications its native publication names
   */
  public record Side(ReplicaId region, Connect connect, String slot, List<String> publications) {}

  /**
   * How a resync runs.
   *
   * @param discardUnshipped whether the target's local transactions not yet shipped are discarded
   *     (else they stop the resync)
   * @param settleTimeout how long the healthy region may take to apply what the target had
   * @param captureTimeout how long the healthy region's capture may take to pass a mark
   * @param lockTimeout how long to wait for each region's table locks
   */
  public record Options(
      boolean discardUnshipped,
      Duration settleTimeout,
      Duration captureTimeout,
      Duration lockTimeout) {}

  /**
   * One table copied.
   *
   * @param table schema.table
   * @param rows rows copied
   * @param metadataRows row metadata copied (row_meta or keyless_meta)
   */
  public record Copied(String table, long rows, long metadataRows) {}

  /**
   * What a resync did.
   *
   * @param tables the tables copied
   * @param watermarks the target's new apply watermark per origin
   * @param streamOffset where the target's receiver of the healthy region starts
   * @param discarded local transactions of the target discarded (zero unless asked)
   * @param discardedChanges their row changes
   */
  public record Result(
      List<Copied> tables,
      Map<String, Long> watermarks,
      long streamOffset,
      long discarded,
      long discardedChanges) {}

  /** The healthy region's changes stream, as the resync reads it. */
  public interface Stream {
    /** The end offset of the stream now. */
    long end();

    /**
     * Reads the stream from an offset for the first transaction at or above a seq.
     *
     * @param offset where to start
     * @param seq the lowest seq the transaction may have
     * @param timeout how long to wait for it
     * @return its seq and commit timestamp, or empty if it did not come in time
     */
    Optional<Point> firstFrom(long offset, long seq, Duration timeout);

    /** The highest seq in the stream's last records (0: none): what its origin shipped last. */
    long lastSeq();
  }

  /**
   * A transaction of the healthy region's stream.
   *
   * @param seq its seq
   * @param timestamp its commit timestamp
   */
  public record Point(long seq, HybridTimestamp timestamp) {}

  /** A resync that cannot go on; the message says why and what to do. Nothing was changed. */
  public static final class ResyncException extends Exception {
    private static final long serialVersionUID = 1L;

    ResyncException(String message) {
      super(message);
    }
  }

  private final Side target;
  private final Side healthy;
  private final List<String[]> tableNames;
  private final Options options;
  private final Stream stream;
  private final Stream targetStream;
  private final PrintWriter progress;

  /**
   * @param target the region re-seeded
   * @param healthy the region copied
   * @param tables the published tables, as {schema, name}
   * @param options how it runs
   * @param stream the healthy region's changes stream
   * @param targetStream the target region's changes stream
   * @param progress where progress lines go
   */
  public Resyncer(
      Side target,
      Side healthy,
      List<String[]> tables,
      Options options,
      Stream stream,
      Stream targetStream,
      PrintWriter progress) {
    this.target = Objects.requireNonNull(target, "target");
    this.healthy = Objects.requireNonNull(healthy, "healthy");
    this.tableNames = List.copyOf(tables);
    this.options = Objects.requireNonNull(options, "options");
    this.stream = Objects.requireNonNull(stream, "stream");
    this.targetStream = Objects.requireNonNull(targetStream, "targetStream");
    this.progress = Objects.requireNonNull(progress, "progress");
  }

  /**
   * Runs the resync.
   *
   * @return what it did
   * @throws ResyncException if it cannot go on (nothing was changed)
   * @throws SQLException if a database failed (the target's transaction rolled back)
   */
  public Result run() throws ResyncException, SQLException, InterruptedException, IOException {
    String r = target.region().name();
    String h = healthy.region().name();
    try (Connection rc = target.connect().open();
        Connection rw = target.connect().open();
        Connection hc = healthy.connect().open();
        Connection hl = healthy.connect().open();
        Connection hs = healthy.connect().open()) {
      // 1. The target's agent is stopped; the healthy one's capture runs.
      Optional<Integer> reader = ResyncSql.slotReader(rc, target.slot());
      if (reader.isPresent() && reader.get() != 0) {
        throw new ResyncException(
            "region "
                + r
                + "'s agent is running (process "
                + reader.get()
                + " reads its slot "
                + target.slot()
                + "): stop it first, then run resync again");
      }
      Optional<Integer> healthyReader = ResyncSql.slotReader(hc, healthy.slot());
      if (healthyReader.isEmpty() || healthyReader.get() == 0) {
        throw new ResyncException(
            "region "
                + h
                + "'s capture does not run (slot "
                + healthy.slot()
                + (healthyReader.isEmpty() ? " does not exist" : " has no reader")
                + "): start its agent; resync copies from a region whose agent runs");
      }
      if (reader.isEmpty()) {
        // A lost slot: created now, before the copy, so the agent resumes from it instead of
        // starting a new one with an initial copy (which would ship the copy back as inserts).
        try (PreparedStatement q =
            rc.prepareStatement(
                "SELECT pg_catalog.pg_create_logical_replication_slot(?, 'pgoutput')")) {
          q.setString(1, target.slot());
          q.execute();
        }
        progress.println(
            "region "
                + r
                + " had no slot "
                + target.slot()
                + ": created it; its local writes since the slot was lost were never shipped and"
                + " cannot be read, and are replaced by "
                + h
                + "'s rows");
      }
      List<ResyncSql.Table> tables = tables(rc, hc);
      // What the target shipped last: its stream's end (its capture state may lag behind what
      // Kafka acknowledged, as it is saved with the slot's position).
      long acked = Math.max(ResyncSql.acknowledged(rc, target.slot()), targetStream.lastSeq());
      Map<String, ResyncSql.Progress> before = ResyncSql.progress(rc);
      // 2. The healthy region has what the target had.
      awaitCaughtUp(hc, r, h, acked, before);
      // 3. The target's tables are locked; its unshipped local transactions are known.
      rw.setAutoCommit(false);
      ResyncSql.lockTimeout(rw, options.lockTimeout());
      lock(rw, tables, "EXCLUSIVE", r);
      ResyncSql.Unshipped unshipped =
          ResyncSql.unshipped(rc, target.slot(), target.publications(), acked);
      long discardTo = ResyncSql.walPosition(rc);
      if (unshipped.transactions() > 0) {
        String what =
            unshipped.transactions()
                + " local transactions ("
                + unshipped.changes()
                + " row changes, committed at "
                + unshipped.first()
                + (unshipped.transactions() > 1 ? " to " + unshipped.last() : "")
                + ")";
        if (!options.discardUnshipped()) {
          rw.rollback();
          throw new ResyncException(
              "region "
                  + r
                  + " has "
                  + what
                  + " that its capture has not shipped; a resync would lose them. Start "
                  + r
                  + "'s agent until they ship (georep status: the capture's pending count is 0),"
                  + " stop it and run resync again; or pass --discard-unshipped to drop them");
        }
        progress.println("discarding " + what + " of " + r + " not shipped, as asked");
      }
      // 4. The point in the healthy region: locks, folds, snapshot, tick.
      progress.println("locking " + tables.size() + " tables in " + h + " (SHARE, writers wait)");
      progress.flush();
      hl.setTransactionIsolation(Connection.TRANSACTION_REPEATABLE_READ);
      hl.setAutoCommit(false);
      ResyncSql.lockTimeout(hl, options.lockTimeout());
      lock(hl, tables, "SHARE", h);
      long mark = ResyncSql.emit(hc, Connectors.POSTGRES_TICK_PREFIX);
      awaitCapture(hc, mark);
      String snapshot;
      long tickXid;
      try (Statement s = hl.createStatement();
          ResultSet rs =
              s.executeQuery(
                  "SELECT pg_catalog.pg_export_snapshot(), txid_current() % 4294967296")) {
        rs.next();
        snapshot = rs.getString(1);
        tickXid = rs.getLong(2);
      }
      hs.setTransactionIsolation(Connection.TRANSACTION_REPEATABLE_READ);
      hs.setAutoCommit(false);
      try (Statement s = hs.createStatement()) {
        s.execute("SET TRANSACTION SNAPSHOT '" + snapshot.replace("'", "''") + "'");
      }
      Map<String, ResyncSql.Progress> copied = ResyncSql.progress(hs);
      long offset = stream.end();
      // The message's end: the commit record follows it, so the tick's seq (its commit position)
      // is at least this, and every transaction with rows committed before it is below.
      long tickAt = ResyncSql.emit(hl, Connectors.POSTGRES_TICK_PREFIX);
      hl.commit();
      progress.println(h + "'s tables are free again; waiting for its capture to ship the point");
      progress.flush();
      Point tick =
          stream
              .firstFrom(offset, tickAt, options.captureTimeout())
              .orElseThrow(
                  () ->
                      new ResyncException(
                          "region "
                              + h
                              + "'s capture has not shipped the resync's point (transaction "
                              + tickXid
                              + ", after "
                              + ResyncSql.lsn(tickAt)
                              + ") within "
                              + options.captureTimeout().toSeconds()
                              + "s: check its agent (georep status), or raise --capture-timeout;"
                              + " nothing was changed"));
      // 5. The target becomes the copy.
      Map<String, Long> watermarks = new LinkedHashMap<>();
      List<Copied> done = copyInto(rw, hs, tables, copied, tick, offset, watermarks);
      rw.commit();
      hs.commit();
      if (unshipped.transactions() > 0) {
        try (PreparedStatement q =
            rc.prepareStatement(
                "SELECT pg_catalog.pg_replication_slot_advance(?, '0/0'::pg_lsn + ?::numeric)")) {
          q.setString(1, target.slot());
          q.setLong(2, discardTo);
          q.execute();
        } catch (SQLException e) {
          throw new ResyncException(
              "region "
                  + r
                  + " is re-seeded, but its slot could not be advanced past the discarded"
                  + " transactions ("
                  + e.getMessage()
                  + "): before starting its agent, run SELECT pg_replication_slot_advance('"
                  + target.slot()
                  + "', '"
                  + ResyncSql.lsn(discardTo)
                  + "') in its database, or they are shipped");
        }
      }
      return new Result(done, watermarks, offset, unshipped.transactions(), unshipped.changes());
    }
  }

  private List<ResyncSql.Table> tables(Connection rc, Connection hc)
      throws ResyncException, SQLException {
    List<ResyncSql.Table> out = new ArrayList<>();
    for (String[] name : tableNames) {
      Optional<ResyncSql.Table> here = ResyncSql.table(rc, name[0], name[1]);
      Optional<ResyncSql.Table> there = ResyncSql.table(hc, name[0], name[1]);
      if (here.isEmpty() || there.isEmpty()) {
        throw new ResyncException(
            "table "
                + name[0]
                + "."
                + name[1]
                + " is missing in region "
                + (here.isEmpty() ? target.region() : healthy.region())
                + "; create it there first");
      }
      if (!here.get().columns().equals(there.get().columns())) {
        throw new ResyncException(
            "table "
                + here.get().display()
                + " has columns "
                + here.get().columns()
                + " in "
                + target.region()
                + " but "
                + there.get().columns()
                + " in "
                + healthy.region()
                + "; make the definitions equal first");
      }
      out.add(here.get());
    }
    try {
      return ResyncSql.parentsFirst(rc, out);
    } catch (IllegalStateException e) {
      throw new ResyncException(e.getMessage());
    }
  }

  private void lock(Connection c, List<ResyncSql.Table> tables, String mode, String region)
      throws ResyncException, SQLException {
    String names = String.join(", ", tables.stream().map(ResyncSql.Table::quoted).toList());
    try (Statement s = c.createStatement()) {
      s.execute("LOCK TABLE " + names + " IN " + mode + " MODE");
    } catch (SQLException e) {
      c.rollback();
      if ("55P03".equals(e.getSQLState()) || "40P01".equals(e.getSQLState())) {
        throw new ResyncException(
            "cannot lock the published tables in "
                + region
                + " in "
                + mode
                + " mode within "
                + options.lockTimeout().toSeconds()
                + "s ("
                + e.getMessage()
                + "): a long transaction holds one; end it or raise --lock-timeout, and run"
                + " resync again (nothing was changed)");
      }
      throw e;
    }
  }

  private void awaitCaughtUp(
      Connection hc, String r, String h, long acked, Map<String, ResyncSql.Progress> before)
      throws ResyncException, SQLException, InterruptedException {
    long deadline = System.nanoTime() + options.settleTimeout().toNanos();
    while (true) {
      Map<String, ResyncSql.Progress> now = ResyncSql.progress(hc);
      List<String> behind = new ArrayList<>();
      long appliedOfTarget = now.containsKey(r) ? now.get(r).watermark() : 0;
      if (appliedOfTarget < acked) {
        behind.add(r + " applied to " + appliedOfTarget + " of " + acked + " shipped");
      }
      for (Map.Entry<String, ResyncSql.Progress> e : before.entrySet()) {
        String origin = e.getKey();
        if (origin.equals(h) || origin.equals(r)) {
          continue;
        }
        long there = now.containsKey(origin) ? now.get(origin).watermark() : 0;
        if (there < e.getValue().watermark()) {
          behind.add(
              origin + " applied to " + there + ", " + r + " had " + e.getValue().watermark());
        }
      }
      if (behind.isEmpty()) {
        return;
      }
      if (System.nanoTime() > deadline) {
        throw new ResyncException(
            "region "
                + h
                + " has not applied what "
                + r
                + " had within "
                + options.settleTimeout().toSeconds()
                + "s: "
                + String.join("; ", behind)
                + ". Copying it now would lose those transactions in "
                + r
                + "; wait until "
                + h
                + " catches up (georep status), raise --settle-timeout, or resync from a region"
                + " that is further on");
      }
      Thread.sleep(200);
    }
  }

  private void awaitCapture(Connection hc, long mark)
      throws ResyncException, SQLException, InterruptedException {
    long deadline = System.nanoTime() + options.captureTimeout().toNanos();
    try (PreparedStatement q =
        hc.prepareStatement(
            "SELECT coalesce(max(confirmed_lsn) > ?, false) FROM georep.capture_state"
                + " WHERE slot_name = ?")) {
      q.setLong(1, mark);
      q.setString(2, healthy.slot());
      while (true) {
        try (ResultSet rs = q.executeQuery()) {
          if (rs.next() && rs.getBoolean(1)) {
            return;
          }
        }
        if (System.nanoTime() > deadline) {
          throw new ResyncException(
              "region "
                  + healthy.region()
                  + "'s capture has not passed position "
                  + ResyncSql.lsn(mark)
                  + " within "
                  + options.captureTimeout().toSeconds()
                  + "s (slot "
                  + healthy.slot()
                  + "): check its agent (georep status), or raise --capture-timeout");
        }
        Thread.sleep(50);
      }
    }
  }

  private List<Copied> copyInto(
      Connection rw,
      Connection hs,
      List<ResyncSql.Table> tables,
      Map<String, ResyncSql.Progress> copied,
      Point tick,
      long offset,
      Map<String, Long> watermarks)
      throws SQLException, IOException {
    long xid;
    long xid32;
    long lsn;
    try (Statement s = rw.createStatement();
        ResultSet rs =
            s.executeQuery(
                "SELECT txid_current(), txid_current() % 4294967296,"
                    + " (pg_catalog.pg_current_wal_lsn() - '0/0'::pg_lsn)::bigint")) {
      rs.next();
      xid = rs.getLong(1);
      xid32 = rs.getLong(2);
      lsn = rs.getLong(3);
    }
    try (Statement s = rw.createStatement()) {
      for (int i = tables.size() - 1; i >= 0; i--) {
        s.execute("DELETE FROM " + tables.get(i).quoted());
      }
    }
    CopyManager in = rw.unwrap(PGConnection.class).getCopyAPI();
    PGConnection out = hs.unwrap(PGConnection.class);
    List<Copied> done = new ArrayList<>();
    for (ResyncSql.Table t : tables) {
      long started = System.nanoTime();
      String columns = String.join(", ", t.columns());
      long rows;
      try (PGCopyInputStream src =
          new PGCopyInputStream(
              out, "COPY (SELECT " + columns + " FROM " + t.quoted() + ") TO STDOUT")) {
        rows = in.copyIn("COPY " + t.quoted() + " (" + columns + ") FROM STDIN", src);
      }
      long meta = ResyncSql.copyMetadata(rw, in, out, t, xid, xid32, lsn);
      double seconds = Math.max(1e-3, (System.nanoTime() - started) / 1e9);
      progress.printf(
          "copied %s: %,d rows, %,d metadata rows (%,.0f rows/s)%n",
          t.display(), rows, meta, rows / seconds);
      progress.flush();
      done.add(new Copied(t.display(), rows, meta));
    }
    // The apply progress: the healthy region's, and the point in its own stream.
    String r = target.region().name();
    String h = healthy.region().name();
    List<Dot> applied = new ArrayList<>();
    VersionVector vector = VersionVector.empty();
    try (Statement s = rw.createStatement()) {
      s.execute("DELETE FROM georep.apply_progress");
    }
    try (PreparedStatement q =
        rw.prepareStatement(
            "INSERT INTO georep.apply_progress (origin, watermark, above, watermark_offset, high)"
                + " VALUES (?, ?, ?, ?, ?)")) {
      for (Map.Entry<String, ResyncSql.Progress> e : copied.entrySet()) {
        String origin = e.getKey();
        if (origin.equals(r) || origin.equals(h)) {
          continue;
        }
        ResyncSql.Progress p = e.getValue();
        q.setString(1, origin);
        q.setLong(2, p.watermark());
        q.setBytes(3, p.above());
        q.setObject(4, p.offset());
        q.setObject(5, p.high());
        q.addBatch();
        watermarks.put(origin, p.watermark());
        ReplicaId id = ReplicaId.of(origin);
        vector = vector.advance(id, p.watermark());
        if (p.high() != null && p.high() > p.watermark()) {
          applied.add(new Dot(id, p.high()));
        }
      }
      q.setString(1, h);
      q.setLong(2, tick.seq());
      q.setBytes(3, new byte[0]);
      q.setLong(4, offset);
      q.setLong(5, tick.seq());
      q.addBatch();
      q.executeBatch();
    }
    watermarks.put(h, tick.seq());
    vector = vector.advance(healthy.region(), tick.seq());
    applied.add(new Dot(healthy.region(), tick.seq()));
    try (PreparedStatement q = rw.prepareStatement(Connectors.POSTGRES_APPLY_MARK_SQL)) {
      q.setBytes(1, Connectors.postgresApplyMark(applied, vector, tick.timestamp()));
      q.execute();
    }
    return done;
  }
}
