package io.georep.connectors.postgres.internal.apply;

import io.georep.apply.ForeignKey;
import io.georep.apply.LocalStamp;
import io.georep.apply.ParentRule;
import io.georep.apply.RowStore;
import io.georep.connector.ColumnSchema;
import io.georep.connector.RowKey;
import io.georep.connector.TableId;
import io.georep.connector.TableSchema;
import io.georep.connector.Value;
import io.georep.resolver.TablePolicy;
import io.georep.vectorclock.Dot;
import io.georep.vectorclock.ReplicaId;
import io.georep.vectorclock.VersionVector;
import java.nio.ByteBuffer;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Savepoint;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.function.BiConsumer;
import java.util.function.Function;
import java.util.function.Supplier;
import org.postgresql.util.PSQLException;

/**
 * The rows of one apply database transaction on PostgreSQL: the {@link RowStore} the apply engine
 * runs on. It locks rows ({@link AdvisoryLocks}), reads them with their {@code georep.row_meta}
 * metadata, tells local writes from the applier's own by {@code xmin} ({@link LocalWrites}), writes
 * rows back and writes their metadata.
 *
 * <h2>Design</h2>
 *
 * <ul>
 *   <li><b>Reads.</b> After the advisory lock, {@code SELECT … FOR UPDATE} locks the table row
 *       against local writers. A local insert of an absent key can still race the apply's insert:
 *       the primary-key violation aborts the whole transaction as retriable, and the retry folds
 *       the local row. {@link #prefetch} locks and reads many rows a few statements per table.
 *   <li><b>Writes</b> without a unique constraint to catch are batched and sent before anything
 *       that could observe them ({@link #flush}); outside a savepoint a written row's {@code xmin}
 *       is the transaction's own xid. A write that could clash runs in a savepoint, and a unique
 *       violation on a non-key constraint rolls the savepoint back and is reported.
 *   <li><b>Metadata</b> of the rows whose state changed is written at the end, a plain insert for a
 *       row that had none (no other writer of metadata can add it while the row's lock is held),
 *       which costs the server less than an upsert's speculative insertion.
 * </ul>
 *
 * <p>Concurrency: one instance per database transaction, confined to the applying thread.
 */
final class PostgresRowStore implements RowStore<PostgresRow> {
  static final long MASK32 = 0xFFFFFFFFL;

  /** Keys per statement when {@link #prefetch} reads rows. */
  static final int PREFETCH_CHUNK = AdvisoryLocks.CHUNK;

  private final Connection connection;
  private final Function<TableSchema, TablePolicy> policies;
  private final Function<TableSchema, TableSql> statements;
  private final LocalWrites localWrites;
  private final AdvisoryLocks locks;
  private boolean inParts;
  private final Map<RowRef, PostgresRow> rows = new LinkedHashMap<>();
  private final IdentityHashMap<RowKey, byte[]> keyBytes = new IdentityHashMap<>();
  private final List<PendingWrite> pendingWrites = new ArrayList<>();

  private long xid;
  private long lsn;
  private long writtenXmin;
  private boolean rowsWritten;

  /** A row's identity: table and key bytes. */
  private record RowRef(TableId table, ByteBuffer key) {}

  /** A table write not sent yet: sent in order, consecutive equal statements as one JDBC batch. */
  private record PendingWrite(String statement, List<String> parameters) {}

  /**
   * Creates the store of one database transaction.
   *
   * @param connection the connection; auto-commit off
   * @param region the local region
   * @param stampWait how long to wait for the capture to stamp a local write
   * @param policies the policy of each table
   * @param statements the statements of each table
   * @param position where the apply is, for error messages
   * @param currentDot the transaction being folded or applied
   */
  PostgresRowStore(
      Connection connection,
      ReplicaId region,
      Duration stampWait,
      Function<TableSchema, TablePolicy> policies,
      Function<TableSchema, TableSql> statements,
      Supplier<String> position,
      Supplier<Dot> currentDot) {
    this.connection = connection;
    this.policies = policies;
    this.statements = statements;
    this.localWrites = new LocalWrites(connection, region, stampWait, position, currentDot);
    this.locks = new AdvisoryLocks(connection);
  }

  /** Locks every table whole: for a transaction merged in parts. Call before {@link #begin}. */
  void inParts() {
    inParts = true;
    locks.wholeTables();
  }

  /**
   * Starts the transaction: reads its xid and the WAL position, and defers deferrable constraints.
   *
   * @param origin the replication origin to set up for the session first ({@link
   *     ReplicationOrigins}), or null for none
   * @throws SQLException on a database failure
   */
  void begin(String origin) throws SQLException {
    // With an origin, the same statement sets it up for the session first (the subquery in FROM
    // is evaluated before the outer target list, and its volatile function keeps it from being
    // flattened): no extra round trip.
    try (PreparedStatement q =
        connection.prepareStatement(
            "SELECT txid_current(), (pg_current_wal_lsn() - '0/0'::pg_lsn)::bigint"
                + (origin == null
                    ? ""
                    : " FROM (SELECT pg_catalog.pg_replication_origin_session_setup(?)) AS o"))) {
      if (origin != null) {
        q.setString(1, origin);
      }
      try (ResultSet rs = q.executeQuery()) {
        rs.next();
        xid = rs.getLong(1);
        lsn = rs.getLong(2);
      }
    }
    try (Statement s = connection.createStatement()) {
      // Deferrable foreign keys are checked at commit, so a parent and its child may arrive in
      // either order within one apply transaction; non-deferrable ones are unaffected.
      s.execute("SET CONSTRAINTS ALL DEFERRED");
    }
  }

  /** Returns the transaction's xid (64-bit). */
  long xid() {
    return xid;
  }

  /** Tells whether a table row was written (or a write is pending). */
  boolean rowsWritten() {
    return rowsWritten;
  }

  /** Records that rows were written outside the store (keyless tables). */
  void markRowsWritten() {
    rowsWritten = true;
  }

  /** Forgets the rows of a part written and done with. */
  void forget() {
    rows.clear();
    keyBytes.clear();
  }

  // ---- locks and reads ----

  @Override
  public PostgresRow row(TableSchema table, RowKey key) throws SQLException {
    byte[] bytes = keyBytesOf(key);
    RowRef ref = new RowRef(table.id(), ByteBuffer.wrap(bytes));
    PostgresRow h = rows.get(ref);
    if (h != null) {
      if (!sameSchema(h.table(), table)) {
        throw new IllegalArgumentException(
            "two schemas of table " + table.id() + " in one apply transaction; apply them apart");
      }
      return h;
    }
    lockRow(table.id(), bytes);
    readAll(table, List.of(Map.entry(ref.key(), key)));
    return rows.get(ref);
  }

  /** Returns a key's bytes, computed once per key instance. */
  byte[] keyBytesOf(RowKey key) {
    return keyBytes.computeIfAbsent(key, SqlValues::keyBytes);
  }

  /** Tells whether two schemas are equal; the same instance, the common case, without a walk. */
  @SuppressWarnings("ReferenceEquality")
  private static boolean sameSchema(TableSchema a, TableSchema b) {
    return a == b || a.equals(b);
  }

  /**
   * Locks and reads, a few statements per table instead of three per row, the given rows (as {@link
   * #row} would, one at a time): the rows' advisory locks in ascending order of their hashes, their
   * metadata, and their table rows {@code FOR UPDATE}. Rows locked before are left alone.
   *
   * @param byTable the keys of each table, by key bytes
   * @param firstWriter the first transaction that writes each table, for error messages
   * @param at sets the position for error messages (transaction and table; nulls to clear)
   * @throws SQLException on a database failure
   */
  void prefetch(
      Map<TableSchema, ? extends Map<ByteBuffer, RowKey>> byTable,
      Map<TableSchema, Dot> firstWriter,
      BiConsumer<Dot, TableId> at)
      throws SQLException {
    // Table-level locks first, then row locks of every table at once in one global order
    // (AdvisoryLocks).
    Map<TableId, Integer> counts = new TreeMap<>();
    for (Map.Entry<TableSchema, ? extends Map<ByteBuffer, RowKey>> e : byTable.entrySet()) {
      counts.merge(e.getKey().id(), e.getValue().size(), Integer::sum);
    }
    locks.lockTables(counts);
    Map<TableSchema, List<Map.Entry<ByteBuffer, RowKey>>> toRead = new LinkedHashMap<>();
    List<Long> hashes = new ArrayList<>();
    for (Map.Entry<TableSchema, ? extends Map<ByteBuffer, RowKey>> e : byTable.entrySet()) {
      TableSchema table = e.getKey();
      List<Map.Entry<ByteBuffer, RowKey>> keys = new ArrayList<>();
      for (Map.Entry<ByteBuffer, RowKey> k : e.getValue().entrySet()) {
        if (!rows.containsKey(new RowRef(table.id(), k.getKey()))) {
          keys.add(k);
          if (!locks.exclusive(table.id())) {
            hashes.add(AdvisoryLocks.rowHash(table.id(), k.getKey().array()));
          }
        }
      }
      toRead.put(table, keys);
    }
    locks.lockRows(hashes);
    for (Map.Entry<TableSchema, List<Map.Entry<ByteBuffer, RowKey>>> e : toRead.entrySet()) {
      TableSchema table = e.getKey();
      // Errors name the first transaction that writes the table.
      at.accept(firstWriter.get(table), table.id());
      List<Map.Entry<ByteBuffer, RowKey>> keys = e.getValue();
      for (int from = 0; from < keys.size(); from += PREFETCH_CHUNK) {
        readAll(table, keys.subList(from, Math.min(keys.size(), from + PREFETCH_CHUNK)));
      }
    }
    at.accept(null, null);
  }

  /** Tells whether a row is locked and read already. */
  boolean holds(TableId table, ByteBuffer key) {
    return rows.containsKey(new RowRef(table, key));
  }

  /**
   * Sets a limit on waiting for the table rows' locks ({@link AdvisoryLocks#setRowLockTimeout}).
   *
   * @param timeout the limit; zero for none (PostgreSQL's deadlock detection then decides)
   * @throws SQLException on a database failure
   */
  void setRowLockTimeout(Duration timeout) throws SQLException {
    locks.setRowLockTimeout(timeout);
  }

  /** Reads the metadata and the table rows of keys whose advisory locks are held. */
  private void readAll(TableSchema table, List<Map.Entry<ByteBuffer, RowKey>> keys)
      throws SQLException {
    byte[][] bytes = new byte[keys.size()][];
    PostgresRow[] handles = new PostgresRow[keys.size()];
    Map<ByteBuffer, PostgresRow> byKey = new HashMap<>();
    for (int i = 0; i < keys.size(); i++) {
      bytes[i] = keys.get(i).getKey().array();
      handles[i] = new PostgresRow(table, keys.get(i).getValue(), bytes[i]);
      byKey.put(keys.get(i).getKey(), handles[i]);
    }
    try (PreparedStatement meta = connection.prepareStatement(ApplyTransaction.ROW_META_OF_KEYS)) {
      meta.setArray(1, connection.createArrayOf("bytea", bytes));
      meta.setString(2, table.id().schema());
      meta.setString(3, table.id().name());
      try (ResultSet rs = meta.executeQuery()) {
        while (rs.next()) {
          PostgresRow h = byKey.get(ByteBuffer.wrap(rs.getBytes(1)));
          if (h != null) {
            h.loadMeta(rs, 2, inParts && rs.getLong(10) == xid);
          }
        }
      }
    }
    List<ColumnSchema> keyColumns = table.keyColumns();
    try (PreparedStatement select =
        connection.prepareStatement(statements.apply(table).selectRows())) {
      for (int k = 0; k < keyColumns.size(); k++) {
        String[] texts = new String[keys.size()];
        for (int i = 0; i < keys.size(); i++) {
          texts[i] = SqlValues.text(keys.get(i).getValue().get(k));
        }
        select.setArray(k + 1, connection.createArrayOf("text", texts));
      }
      try (ResultSet rs = select.executeQuery()) {
        while (rs.next()) {
          PostgresRow h = handles[rs.getInt(1) - 1];
          h.loadRow(rs.getLong(2) & MASK32, values(table, rs, 3));
        }
      }
    }
    for (PostgresRow h : handles) {
      rows.put(new RowRef(table.id(), ByteBuffer.wrap(h.keyBytes)), h);
    }
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

  private static void bindKey(PreparedStatement s, int from, RowKey key) throws SQLException {
    for (int k = 0; k < key.size(); k++) {
      s.setString(from + k, SqlValues.text(key.get(k)));
    }
  }

  /**
   * Takes a row's advisory lock ({@link AdvisoryLocks#lockRow}); also the lock of a keyless table's
   * group ({@link KeylessRows.GroupLock}).
   *
   * @param table the table
   * @param key the row's key bytes
   * @throws SQLException on a database failure
   */
  void lockRow(TableId table, byte[] key) throws SQLException {
    locks.lockRow(table, key);
  }

  // ---- local writes ----

  @Override
  public boolean synchronised(PostgresRow row) {
    return row.synchronised();
  }

  @Override
  public void markSynchronised(PostgresRow row) {
    row.writerXid32 = row.values().isPresent() ? row.xmin : null;
  }

  @Override
  public LocalStamp localWrite(PostgresRow h) throws SQLException {
    return localWrites.stampOf(h, xid);
  }

  /**
   * Tells whether a present table row shows a folded local transaction's write ({@link
   * LocalWrites#shows}).
   *
   * @param h the row
   * @param xid32 as {@link ApplyTransaction#foldLocal}
   * @param seq the folded transaction's seq
   * @return true if it shows it
   * @throws SQLException on a database failure
   */
  boolean shows(PostgresRow h, long xid32, long seq) throws SQLException {
    return localWrites.shows(h, xid32, seq);
  }

  // ---- writes ----

  @Override
  public Map<String, List<String>> uniques(TableSchema table) {
    return statements.apply(table).uniques();
  }

  @Override
  public String insert(PostgresRow h, List<String> columns, List<Value> values)
      throws SQLException {
    TableSql sql = statements.apply(h.table());
    boolean clashes = !sql.uniques().isEmpty();
    return written(
        h,
        execute(
            clashes ? sql.insert(columns) : sql.insertBatched(columns),
            values,
            null,
            clashes ? sql : null));
  }

  @Override
  public String update(PostgresRow h, List<String> columns, List<Value> values)
      throws SQLException {
    TableSql sql = statements.apply(h.table());
    boolean clashes = !sql.uniques().isEmpty();
    return written(
        h,
        execute(
            clashes ? sql.update(columns) : sql.updateBatched(columns),
            values,
            h.key(),
            clashes ? sql : null));
  }

  /** After a write: the row now shows this transaction's write, unless it clashed. */
  private String written(PostgresRow h, String clash) {
    if (clash == null) {
      h.xmin = writtenXmin;
      h.writerXid32 = h.xmin;
    }
    return clash;
  }

  @Override
  public void delete(PostgresRow h) throws SQLException {
    execute(statements.apply(h.table()).delete(), List.of(), h.key(), null);
    h.writerXid32 = null;
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
      // observe it (flush). Outside a savepoint the new row version's xmin is our own xid.
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
    flush();
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
  @Override
  public void flush() throws SQLException {
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

  @Override
  public Optional<RowKey> clashingRow(PostgresRow h, String constraint, Map<String, Value> values)
      throws SQLException {
    TableSql sql = statements.apply(h.table());
    try (PreparedStatement find = connection.prepareStatement(sql.selectClash(constraint))) {
      int i = 1;
      for (ColumnSchema c : h.table().columns()) {
        Value v = c.isKey() ? h.key().get(c.keyPosition() - 1) : values.get(c.name());
        find.setString(i++, SqlValues.text(v == null ? Value.NULL : v));
      }
      bindKey(find, i, h.key());
      try (ResultSet rs = find.executeQuery()) {
        if (!rs.next()) {
          return Optional.empty();
        }
        List<Value> key = new ArrayList<>();
        List<ColumnSchema> keyColumns = h.table().keyColumns();
        for (int k = 0; k < keyColumns.size(); k++) {
          key.add(SqlValues.parse(keyColumns.get(k).type(), rs.getString(k + 1)));
        }
        return Optional.of(new RowKey(key));
      }
    }
  }

  // ---- foreign keys ----

  @Override
  public List<ForeignKey> foreignKeys(TableSchema table, boolean referencing) {
    TableSql sql = statements.apply(table);
    return referencing ? sql.referencedBy() : sql.references();
  }

  @Override
  public Optional<ParentRule.DeletedParent> deletedParent(
      ForeignKey fk, TableSchema parent, Map<String, Value> childRow, VersionVector context)
      throws SQLException {
    return ParentDeletes.deletedParent(connection, fk, parent, childRow, context);
  }

  @Override
  public List<RowKey> children(ForeignKey fk, TableSchema child, Map<String, Value> parentRow)
      throws SQLException {
    return ParentDeletes.children(connection, fk, child, parentRow);
  }

  // ---- metadata ----

  /**
   * Writes the metadata of every row whose state changed ({@link RowMetadata}).
   *
   * @throws SQLException on a database failure
   */
  void writeMetadata() throws SQLException {
    RowMetadata.write(connection, rows.values(), policies, xid, lsn);
  }
}
