package io.georep.connectors.postgres.internal.apply;

import io.georep.connector.TableId;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The advisory locks of one apply database transaction: a table-level lock per table it touches and
 * a lock per row, each on an FNV-1a hash of the table (and key).
 *
 * <h2>Design</h2>
 *
 * <p>An advisory transaction lock on a hash of (table, key) serialises appliers and folds on a row,
 * including the case where neither the row nor its metadata exists yet. Row lockers first take a
 * shared advisory lock on the table; a transaction with more than {@link #ESCALATION_ROWS} rows of
 * a table takes that lock exclusively instead of one lock per row (lock escalation): advisory locks
 * live in PostgreSQL's shared lock table, sized {@code max_locks_per_transaction × max_connections}
 * (about 7,000 by default) for all sessions, so a transaction that took one per row could not apply
 * more rows than that at all ({@code out of shared memory}, retried forever). Locks taken together
 * are taken in one global order (table hash, then row hash), so that two appliers, or an applier
 * and a fold, cannot deadlock on them. They are waited for without a time limit: only georep's own
 * transactions take them.
 *
 * <p>Concurrency: one instance per database transaction, confined to its thread.
 */
final class AdvisoryLocks {
  /** Row locks per statement when many are taken at once. */
  static final int CHUNK = 2_000;

  /** Rows of one table locked one by one; beyond it the table is locked exclusively instead. */
  static final int ESCALATION_ROWS = 500;

  private final Connection connection;
  private boolean wholeTables;
  private Duration rowLockTimeout = Duration.ZERO;

  /** The tables this transaction holds a table-level lock on: true if exclusive (escalated). */
  private final Map<TableId, Boolean> tableLocks = new HashMap<>();

  AdvisoryLocks(Connection connection) {
    this.connection = connection;
  }

  /** Locks every table whole from now on (a transaction merged in parts). */
  void wholeTables() {
    wholeTables = true;
  }

  /** Tells whether the table's lock is held exclusively (its rows need no locks of their own). */
  boolean exclusive(TableId table) {
    return Boolean.TRUE.equals(tableLocks.get(table));
  }

  /**
   * Takes the table-level locks for rows about to be locked, in one order for every applier:
   * exclusive for a table with more rows than {@link #ESCALATION_ROWS}, shared otherwise.
   *
   * @param counts the number of rows to lock per table
   * @throws SQLException on a database failure
   */
  void lockTables(Map<TableId, Integer> counts) throws SQLException {
    List<TableId> order = new ArrayList<>(counts.keySet());
    order.sort(Comparator.comparingLong(AdvisoryLocks::tableHash));
    for (TableId t : order) {
      if (!tableLocks.containsKey(t)) {
        lockTable(t, wholeTables || counts.get(t) > ESCALATION_ROWS);
      }
    }
  }

  /**
   * Takes many rows' locks in ascending order of their hashes, a few statements in all.
   *
   * @param hashes the rows' lock hashes ({@link #rowHash}); sorted in place
   * @throws SQLException on a database failure
   */
  void lockRows(List<Long> hashes) throws SQLException {
    Collections.sort(hashes);
    for (int from = 0; from < hashes.size(); from += CHUNK) {
      Object[] chunk = hashes.subList(from, Math.min(hashes.size(), from + CHUNK)).toArray();
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
  }

  /**
   * Takes a row's lock (after the table's shared lock), unless the table's lock is held
   * exclusively; also the lock of a keyless table's group ({@link KeylessRows.GroupLock}).
   *
   * @param table the table
   * @param key the row's key bytes
   * @throws SQLException on a database failure
   */
  void lockRow(TableId table, byte[] key) throws SQLException {
    if (!tableLocks.containsKey(table)) {
      lockTable(table, wholeTables);
    }
    if (!tableLocks.get(table)) {
      long hash = rowHash(table, key);
      withoutLockTimeout(
          () -> {
            try (PreparedStatement lock =
                connection.prepareStatement("SELECT pg_advisory_xact_lock(?)")) {
              lock.setLong(1, hash);
              lock.execute();
            }
          });
    }
  }

  /**
   * Sets a limit on waiting for the table rows' locks ({@code SELECT … FOR UPDATE}), which the
   * applications' transactions hold; the advisory locks are always waited for.
   *
   * @param timeout the limit; zero for none
   * @throws SQLException on a database failure
   */
  void setRowLockTimeout(Duration timeout) throws SQLException {
    rowLockTimeout = timeout;
    setLockTimeout(timeout);
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

  /**
   * FNV-1a over table and key: the advisory lock of a row.
   *
   * @param table the table
   * @param key the row's key bytes
   * @return the lock's key
   */
  static long rowHash(TableId table, byte[] key) {
    long h = 0xcbf29ce484222325L;
    for (byte b : (table.schema() + "\0" + table.name() + "\0").getBytes(StandardCharsets.UTF_8)) {
      h = (h ^ (b & 0xff)) * 0x100000001b3L;
    }
    for (byte b : key) {
      h = (h ^ (b & 0xff)) * 0x100000001b3L;
    }
    return h;
  }
}
