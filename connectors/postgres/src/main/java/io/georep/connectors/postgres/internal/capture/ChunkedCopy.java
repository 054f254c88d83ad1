package io.georep.connectors.postgres.internal.capture;

import io.georep.connector.TableId;
import io.georep.connector.spi.CopyProgressListener;
import io.georep.connectors.postgres.CaptureUnavailableException;
import io.georep.connectors.postgres.internal.pgoutput.PgOutputMessage;
import io.georep.vectorclock.GeorepException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import java.util.function.ToLongFunction;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads the initial copy: every published table in chunks by key range, several tables at once,
 * each chunk one transaction on the source database that carries its rows into the WAL.
 *
 * <p>Design (docs/architecture.md, "Initial copy"):
 *
 * <ul>
 *   <li><b>A chunk is a point in the stream.</b> Its transaction takes the table in {@code SHARE}
 *       mode, which waits for every writer of the table to finish and admits none until it commits,
 *       reads the next rows in key order, and writes them into a transactional logical message
 *       ({@link CopyChunk}). So every change to the table committed before the chunk's commit is in
 *       the rows it read, and every later one commits after it. The capture, reading the slot in
 *       commit order, hands the chunk on at its commit and ships a live change only if its row is
 *       in a chunk already handed on ({@link CopyFrontier}): counter deltas are counted once, and
 *       the copy and the live stream interleave without a snapshot.
 *   <li><b>Resumable.</b> The rows travel in the WAL, and the chunk's transaction records the
 *       table's progress ({@code georep.initial_copy_table.read_*}, the chunk log {@code
 *       georep.initial_copy_chunk}): after a crash the capture decodes the committed chunks from
 *       the slot, and the reader continues after the last one. Only a chunk being read when the
 *       agent died is read again.
 *   <li><b>Bounded.</b> A reader holds one chunk (at most {@code chunkRows} rows and about {@code
 *       chunkBytes}) and stays at most {@link #MAX_AHEAD} chunks ahead of what the capture has
 *       handed on, so the WAL it adds waits for the stream, not the heap.
 *   <li><b>Tables without an orderable key</b> (keyless tables, or key types whose order the
 *       capture does not reproduce, see {@link CopyTables#keyPlan}) are read in one transaction
 *       under one lock, in as many messages as they need; a crash reads such a table again.
 * </ul>
 */
public final class ChunkedCopy {
  private static final Logger LOG = LoggerFactory.getLogger(ChunkedCopy.class);

  /** Chunks a table's reader may commit beyond those the capture has placed. */
  static final int MAX_AHEAD = 4;

  /** Opens a regular connection (text transfer). */
  @FunctionalInterface
  public interface Connector {
    /**
     * Opens a connection.
     *
     * @return the connection, owned by the caller
     * @throws SQLException if the database cannot be reached
     */
    Connection connect() throws SQLException;
  }

  private final String slot;
  private final Connector connector;
  private final int chunkRows;
  private final long chunkBytes;
  private final int parallel;
  private final CopyProgressListener listener;
  private final ToLongFunction<TableId> placed;
  private final Consumer<GeorepException> onFailure;
  private final AtomicBoolean stopped = new AtomicBoolean();
  private final List<Thread> threads = new ArrayList<>();
  private final ConcurrentLinkedQueue<CaptureMetadata.CopyTable> queue =
      new ConcurrentLinkedQueue<>();

  /**
   * Creates the reader.
   *
   * @param slot the slot the copy belongs to
   * @param connector opens the readers' connections
   * @param chunkRows rows per chunk
   * @param chunkBytes about the most bytes of values per chunk message
   * @param parallel tables read at once
   * @param listener told of each committed chunk
   * @param placed the last chunk of a table the capture has handed on
   * @param onFailure told of a failure that ends the copy (the source restarts, which resumes it)
   */
  public ChunkedCopy(
      String slot,
      Connector connector,
      int chunkRows,
      long chunkBytes,
      int parallel,
      CopyProgressListener listener,
      ToLongFunction<TableId> placed,
      Consumer<GeorepException> onFailure) {
    this.slot = slot;
    this.connector = connector;
    this.chunkRows = chunkRows;
    this.chunkBytes = chunkBytes;
    this.parallel = parallel;
    this.listener = listener;
    this.placed = placed;
    this.onFailure = onFailure;
  }

  /**
   * Starts reading the tables not read yet, on daemon threads.
   *
   * @param tables the copy's tables as stored
   */
  public synchronized void start(List<CaptureMetadata.CopyTable> tables) {
    for (CaptureMetadata.CopyTable t : tables) {
      if (t.readDone()) {
        listener.onProgress(t.table(), t.rowsCopied(), t.estimatedRows(), true);
      } else {
        queue.add(t);
      }
    }
    int n = Math.min(parallel, queue.size());
    for (int i = 0; i < n; i++) {
      Thread thread = new Thread(this::work, "georep-copy-" + slot + "-" + i);
      thread.setDaemon(true);
      threads.add(thread);
      thread.start();
    }
  }

  /** Stops reading and waits for the readers; a chunk being read is rolled back. Idempotent. */
  public void stop() {
    stopped.set(true);
    List<Thread> running;
    synchronized (this) {
      running = new ArrayList<>(threads);
      threads.clear();
    }
    for (Thread t : running) {
      t.interrupt();
      try {
        t.join(10_000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
    }
  }

  private void work() {
    CaptureMetadata.CopyTable table;
    while (!stopped.get() && (table = queue.poll()) != null) {
      try {
        copy(table);
      } catch (SQLException | RuntimeException e) {
        if (stopped.get()) {
          return;
        }
        stopped.set(true);
        onFailure.accept(
            e instanceof GeorepException g
                ? g
                : new CaptureUnavailableException(
                    "the initial copy of "
                        + table.table()
                        + " (slot "
                        + slot
                        + ") failed: "
                        + e.getMessage()
                        + "; the capture restarts and the copy resumes after its last chunk",
                    e));
        return;
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
    }
  }

  private void copy(CaptureMetadata.CopyTable t) throws SQLException, InterruptedException {
    try (Connection c = connector.connect()) {
      c.setAutoCommit(false);
      PgOutputMessage.Relation relation = CopyTables.relation(c, t.table());
      List<String> key = keyColumns(c, relation);
      CopyTables.KeyPlan plan = CopyTables.keyPlan(c, relation.relationOid(), key);
      c.commit();
      if (plan == null && t.chunked()) {
        try (PreparedStatement update =
            c.prepareStatement(
                "UPDATE georep.initial_copy_table SET chunked = false"
                    + " WHERE slot_name = ? AND table_schema = ? AND table_name = ?")) {
          bindTable(update, 1, t.table());
          update.executeUpdate();
        }
        c.commit();
        LOG.info(
            "initial copy: {} has no key the copy can order by (keyless, or a key type or"
                + " collation other than integers, numeric, date/time, uuid, boolean, text under"
                + " C), so it is read in one transaction under one lock",
            t.table());
      }
      if (plan != null && t.readChunk() > 0) {
        listener.onProgress(t.table(), t.rowsCopied(), t.estimatedRows(), false);
        LOG.info(
            "initial copy: resuming {} after chunk {} ({} rows copied)",
            t.table(),
            t.readChunk(),
            String.format(java.util.Locale.ROOT, "%,d", t.rowsCopied()));
      }
      if (plan == null) {
        readWhole(c, t, relation);
      } else {
        readChunks(c, t, relation, plan);
      }
    }
  }

  private static List<String> keyColumns(Connection c, PgOutputMessage.Relation relation) {
    if (relation.replicaIdentity() == 'i') {
      List<String> key = new ArrayList<>();
      relation.columns().stream()
          .filter(PgOutputMessage.RelationColumn::key)
          .forEach(col -> key.add(col.name()));
      return key;
    }
    return new CatalogLookup(c).relation(relation.relationOid()).primaryKey();
  }

  private void readChunks(
      Connection c,
      CaptureMetadata.CopyTable t,
      PgOutputMessage.Relation relation,
      CopyTables.KeyPlan plan)
      throws SQLException, InterruptedException {
    List<String> columns = columnList(relation);
    int[] keyIndex = new int[plan.columns().size()];
    for (int k = 0; k < keyIndex.length; k++) {
      keyIndex[k] = columns.indexOf(plan.columns().get(k));
    }
    String keys = String.join(", ", plan.columns());
    List<String> params = new ArrayList<>();
    for (String cast : plan.casts()) {
      params.add("?::" + cast);
    }
    String from = " FROM ONLY " + t.table().quoted();
    String order = " ORDER BY " + keys + " LIMIT " + chunkRows;
    String select = "SELECT " + String.join(", ", columns) + ", ROW(" + keys + ")::text";
    String first = select + from + order;
    String next =
        select + from + " WHERE (" + keys + ") > (" + String.join(", ", params) + ")" + order;
    long chunkNo = t.readChunk();
    String[] lastKey = t.readKey() == null ? null : t.readKey().toArray(new String[0]);
    long rowsCopied = t.rowsCopied();
    while (!stopped.get()) {
      while (chunkNo - placed.applyAsLong(t.table()) >= MAX_AHEAD && !stopped.get()) {
        Thread.sleep(10);
      }
      lock(c, t.table());
      List<String[]> rows = new ArrayList<>();
      String firstKey = null;
      String lastKeyText = null;
      long bytes = 0;
      boolean full = false;
      try (PreparedStatement query = c.prepareStatement(lastKey == null ? first : next)) {
        if (lastKey != null) {
          for (int k = 0; k < lastKey.length; k++) {
            query.setString(k + 1, lastKey[k]);
          }
        }
        query.setFetchSize(Math.min(chunkRows, 10_000));
        try (ResultSet rs = query.executeQuery()) {
          while (rs.next()) {
            String[] row = new String[columns.size()];
            for (int i = 0; i < row.length; i++) {
              row[i] = rs.getString(i + 1);
              bytes += row[i] == null ? 4 : 4 + row[i].length();
            }
            rows.add(row);
            lastKeyText = rs.getString(row.length + 1);
            if (firstKey == null) {
              firstKey = lastKeyText;
            }
            if (bytes >= chunkBytes) {
              full = true;
              break;
            }
          }
        }
      }
      boolean last = !full && rows.size() < chunkRows;
      chunkNo++;
      if (!rows.isEmpty()) {
        String[] tail = rows.get(rows.size() - 1);
        lastKey = new String[keyIndex.length];
        for (int k = 0; k < keyIndex.length; k++) {
          lastKey[k] = tail[keyIndex[k]];
        }
      }
      rowsCopied += rows.size();
      CopyChunk chunk =
          new CopyChunk(
              relation.relationOid(),
              t.table().schema(),
              t.table().name(),
              chunkNo,
              last,
              false,
              columns.size(),
              rows);
      commitChunk(c, t.table(), chunk, lastKey, rowsCopied, firstKey, lastKeyText);
      listener.onProgress(t.table(), rowsCopied, t.estimatedRows(), last);
      if (last) {
        return;
      }
    }
  }

  private void readWhole(
      Connection c, CaptureMetadata.CopyTable t, PgOutputMessage.Relation relation)
      throws SQLException {
    List<String> columns = columnList(relation);
    lock(c, t.table());
    long chunkNo = 0;
    long rowsCopied = 0;
    try (Statement query = c.createStatement()) {
      query.setFetchSize(Math.min(chunkRows, 10_000));
      try (ResultSet rs =
          query.executeQuery(
              "SELECT " + String.join(", ", columns) + " FROM ONLY " + t.table().quoted())) {
        List<String[]> rows = new ArrayList<>();
        long bytes = 0;
        boolean more = rs.next();
        while (true) {
          if (more) {
            String[] row = new String[columns.size()];
            for (int i = 0; i < row.length; i++) {
              row[i] = rs.getString(i + 1);
              bytes += row[i] == null ? 4 : 4 + row[i].length();
            }
            rows.add(row);
            more = rs.next();
          }
          if (!more || rows.size() >= chunkRows || bytes >= chunkBytes) {
            chunkNo++;
            rowsCopied += rows.size();
            emit(
                c,
                new CopyChunk(
                    relation.relationOid(),
                    t.table().schema(),
                    t.table().name(),
                    chunkNo,
                    !more,
                    true,
                    columns.size(),
                    rows));
            logChunk(c, t.table(), chunkNo, rows.size(), null, null);
            rows = new ArrayList<>();
            bytes = 0;
            if (!more) {
              break;
            }
            if (stopped.get()) {
              c.rollback();
              return;
            }
          }
        }
      }
    }
    progress(c, t.table(), chunkNo, null, rowsCopied, true);
    c.commit();
    listener.onProgress(t.table(), rowsCopied, t.estimatedRows(), true);
  }

  /**
   * Takes the table in {@code SHARE} mode in a new transaction: waits for its writers to finish and
   * blocks new ones until the chunk commits. Gives up after 2 s and tries again, so a chunk never
   * queues behind a long transaction while blocking every writer behind itself.
   */
  private void lock(Connection c, TableId table) throws SQLException {
    long waitingSince = System.nanoTime();
    long lastWarning = waitingSince;
    long pauseMillis = 50;
    while (true) {
      try (Statement statement = c.createStatement()) {
        statement.execute("SET LOCAL lock_timeout = '2s'");
        statement.execute("LOCK TABLE ONLY " + table.quoted() + " IN SHARE MODE");
        return;
      } catch (SQLException e) {
        c.rollback();
        if (!"55P03".equals(e.getSQLState()) || stopped.get()) {
          throw e;
        }
        long now = System.nanoTime();
        if (now - lastWarning > 30_000_000_000L) {
          lastWarning = now;
          LOG.warn(
              "initial copy: {} has been locked by other transactions for {} s; the copy waits"
                  + " for a moment without writers (SHARE lock) to read its next chunk",
              table,
              (now - waitingSince) / 1_000_000_000L);
        }
        try {
          Thread.sleep(pauseMillis);
        } catch (InterruptedException interrupted) {
          Thread.currentThread().interrupt();
          throw e;
        }
        pauseMillis = Math.min(1_000, pauseMillis * 2);
      }
    }
  }

  private void commitChunk(
      Connection c,
      TableId table,
      CopyChunk chunk,
      String[] lastKey,
      long rowsCopied,
      String firstKey,
      String lastKeyText)
      throws SQLException {
    emit(c, chunk);
    progress(c, table, chunk.chunkNo(), lastKey, rowsCopied, chunk.last());
    logChunk(c, table, chunk.chunkNo(), chunk.rows().size(), firstKey, lastKeyText);
    c.commit();
  }

  private static void emit(Connection c, CopyChunk chunk) throws SQLException {
    try (PreparedStatement message =
        c.prepareStatement("SELECT pg_catalog.pg_logical_emit_message(true, ?, ?)")) {
      message.setString(1, CopyChunk.PREFIX);
      message.setBytes(2, chunk.encode());
      message.execute();
    }
  }

  private void progress(
      Connection c, TableId table, long chunkNo, String[] lastKey, long rowsCopied, boolean done)
      throws SQLException {
    try (PreparedStatement update =
        c.prepareStatement(
            "UPDATE georep.initial_copy_table SET read_chunk = ?, read_key = ?::text[],"
                + " rows_copied = ?, rows_shipped = ?, done = ?, updated_at = now()"
                + " WHERE slot_name = ? AND table_schema = ? AND table_name = ?")) {
      update.setLong(1, chunkNo);
      update.setArray(2, lastKey == null ? null : c.createArrayOf("text", lastKey));
      update.setLong(3, rowsCopied);
      update.setLong(4, rowsCopied);
      update.setBoolean(5, done);
      update.setString(6, slot);
      update.setString(7, table.schema());
      update.setString(8, table.name());
      update.executeUpdate();
    }
  }

  private void logChunk(
      Connection c, TableId table, long chunkNo, long rows, String firstKey, String lastKey)
      throws SQLException {
    try (PreparedStatement insert =
        c.prepareStatement(
            "INSERT INTO georep.initial_copy_chunk (slot_name, table_schema, table_name, chunk_no,"
                + " rows, first_key, last_key) VALUES (?, ?, ?, ?, ?, ?, ?)")) {
      insert.setString(1, slot);
      insert.setString(2, table.schema());
      insert.setString(3, table.name());
      insert.setLong(4, chunkNo);
      insert.setLong(5, rows);
      insert.setString(6, firstKey);
      insert.setString(7, lastKey);
      insert.executeUpdate();
    }
  }

  private void bindTable(PreparedStatement statement, int from, TableId table) throws SQLException {
    statement.setString(from, slot);
    statement.setString(from + 1, table.schema());
    statement.setString(from + 2, table.name());
  }

  private static List<String> columnList(PgOutputMessage.Relation relation) {
    List<String> names = new ArrayList<>();
    relation.columns().forEach(col -> names.add(TableId.quote(col.name())));
    return names;
  }
}
