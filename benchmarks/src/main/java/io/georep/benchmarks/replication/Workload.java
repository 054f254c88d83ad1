package io.georep.benchmarks.replication;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * One benchmark workload: what the application writes at the source, and how to tell that the
 * target shows all of it. Every workload is generated from a seed before it is timed, so both
 * systems receive identical rows.
 */
abstract class Workload {
  /** The digest of a table's rows: row count and a sum of row hashes (order independent). */
  static final String DIGEST = "SELECT count(*), coalesce(sum(hashtextextended(t::text, 0)), 0)";

  private final String id;
  private final String title;

  Workload(String id, String title) {
    this.id = id;
    this.title = title;
  }

  /** Returns the workload's letter. */
  final String id() {
    return id;
  }

  /** Returns a one-line description. */
  final String title() {
    return title;
  }

  /** Returns the number of row changes the workload commits. */
  abstract long changes();

  /** Returns the number of source transactions. */
  abstract long transactions();

  /** Returns the tables whose content must be equal at both ends afterwards. */
  abstract List<String> tables();

  /**
   * Writes the workload at the source, as fast as one connection can.
   *
   * @param source a connection to the source database (auto-commit off on return is fine)
   * @throws SQLException on a database failure
   */
  abstract void load(Connection source) throws SQLException;

  /**
   * Tells whether the target shows everything the source committed. Cheap while the target is far
   * behind (an index probe), exact when it says yes.
   *
   * @param source a connection to the source
   * @param target a connection to the target
   * @return true when every table is equal at both ends
   * @throws SQLException on a database failure
   */
  abstract boolean caughtUp(Connection source, Connection target) throws SQLException;

  /**
   * Compares every table's digest at both ends.
   *
   * @return the tables that differ, with both digests; empty if they are equal
   */
  final List<String> differences(Connection source, Connection target) throws SQLException {
    List<String> out = new ArrayList<>();
    for (String table : tables()) {
      String s = digest(source, table);
      String t = digest(target, table);
      if (!s.equals(t)) {
        out.add(table + ": source " + s + ", target " + t);
      }
    }
    return out;
  }

  static String digest(Connection c, String table) throws SQLException {
    try (Statement s = c.createStatement();
        ResultSet rs = s.executeQuery(DIGEST + " FROM " + table + " t")) {
      rs.next();
      return rs.getLong(1) + "/" + rs.getString(2);
    }
  }

  static String queryString(Connection c, String sql) throws SQLException {
    try (Statement s = c.createStatement();
        ResultSet rs = s.executeQuery(sql)) {
      rs.next();
      return rs.getString(1);
    }
  }

  static long queryLong(Connection c, String sql) throws SQLException {
    try (Statement s = c.createStatement();
        ResultSet rs = s.executeQuery(sql)) {
      rs.next();
      return rs.getLong(1);
    }
  }

  /**
   * Inserts of generated rows, {@code rowsPerTransaction} per transaction, transaction {@code k}
   * writing table {@code k mod tables}. Keys are consecutive from {@code firstId}.
   */
  static final class Inserts extends Workload {
    private final List<String> tables;
    private final int rowsPerTransaction;
    private final long firstId;
    private final BenchRow[] rows;
    private final long[] lastId;

    Inserts(
        String id,
        String title,
        List<String> tables,
        int rows,
        int rowsPerTransaction,
        long firstId,
        long seed) {
      super(id, title);
      this.tables = List.copyOf(tables);
      this.rowsPerTransaction = rowsPerTransaction;
      this.firstId = firstId;
      this.rows = new BenchRow[rows];
      SplittableRandom random = new SplittableRandom(seed);
      for (int i = 0; i < rows; i++) {
        this.rows[i] = BenchRow.generate(firstId + i, random);
      }
      this.lastId = new long[tables.size()];
      for (int i = 0; i < rows; i++) {
        int table = (i / rowsPerTransaction) % tables.size();
        lastId[table] = firstId + i;
      }
    }

    @Override
    long changes() {
      return rows.length;
    }

    @Override
    long transactions() {
      return ((long) rows.length + rowsPerTransaction - 1) / rowsPerTransaction;
    }

    @Override
    List<String> tables() {
      return tables;
    }

    @Override
    void load(Connection source) throws SQLException {
      List<PreparedStatement> inserts = new ArrayList<>();
      try {
        for (String table : tables) {
          inserts.add(
              source.prepareStatement("INSERT INTO " + table + " " + BenchRow.INSERT_COLUMNS));
        }
        if (rowsPerTransaction == 1) {
          source.setAutoCommit(true);
          for (int i = 0; i < rows.length; i++) {
            PreparedStatement s = inserts.get(i % tables.size());
            rows[i].bind(s);
            s.executeUpdate();
          }
          return;
        }
        source.setAutoCommit(false);
        for (int from = 0; from < rows.length; from += rowsPerTransaction) {
          PreparedStatement s = inserts.get((from / rowsPerTransaction) % tables.size());
          int to = Math.min(rows.length, from + rowsPerTransaction);
          for (int i = from; i < to; i++) {
            rows[i].bind(s);
            s.addBatch();
          }
          s.executeBatch();
          source.commit();
        }
      } finally {
        for (PreparedStatement s : inserts) {
          s.close();
        }
        source.setAutoCommit(true);
      }
    }

    @Override
    boolean caughtUp(Connection source, Connection target) throws SQLException {
      for (int t = 0; t < tables.size(); t++) {
        if (lastId[t] > 0
            && queryLong(target, "SELECT coalesce(max(id), 0) FROM " + tables.get(t)) < lastId[t]) {
          return false;
        }
      }
      long count = 0;
      for (String table : tables) {
        count += queryLong(target, "SELECT count(*) FROM " + table + " WHERE id >= " + firstId);
      }
      return count == rows.length;
    }
  }

  /**
   * Updates of existing rows, each changing one of the 7 non-key columns (in turn), every row
   * updated once in a seeded random order, {@code rowsPerTransaction} per transaction.
   */
  static final class Updates extends Workload {
    private final String table;
    private final int rowsPerTransaction;
    private final long[] ids;
    private final int[] columns;
    private final Object[] values;
    private long[] lastKeys = new long[0];
    private String lastDigest;

    Updates(String id, String title, String table, int rows, int rowsPerTransaction, long seed) {
      super(id, title);
      this.table = table;
      this.rowsPerTransaction = rowsPerTransaction;
      SplittableRandom random = new SplittableRandom(seed);
      ids = new long[rows];
      for (int i = 0; i < rows; i++) {
        ids[i] = i + 1L;
      }
      for (int i = rows - 1; i > 0; i--) {
        int j = random.nextInt(i + 1);
        long x = ids[i];
        ids[i] = ids[j];
        ids[j] = x;
      }
      columns = new int[rows];
      values = new Object[rows];
      for (int i = 0; i < rows; i++) {
        columns[i] = i % BenchRow.VALUE_COLUMNS.length;
        values[i] = BenchRow.newValue(columns[i], random);
      }
    }

    @Override
    long changes() {
      return ids.length;
    }

    @Override
    long transactions() {
      return ((long) ids.length + rowsPerTransaction - 1) / rowsPerTransaction;
    }

    @Override
    List<String> tables() {
      return List.of(table);
    }

    @Override
    void load(Connection source) throws SQLException {
      PreparedStatement[] updates = new PreparedStatement[BenchRow.VALUE_COLUMNS.length];
      try {
        for (int c = 0; c < updates.length; c++) {
          updates[c] =
              source.prepareStatement(
                  "UPDATE " + table + " SET " + BenchRow.VALUE_COLUMNS[c] + " = ? WHERE id = ?");
        }
        source.setAutoCommit(false);
        for (int from = 0; from < ids.length; from += rowsPerTransaction) {
          int to = Math.min(ids.length, from + rowsPerTransaction);
          boolean[] used = new boolean[updates.length];
          for (int i = from; i < to; i++) {
            PreparedStatement s = updates[columns[i]];
            s.setObject(1, values[i]);
            s.setLong(2, ids[i]);
            s.addBatch();
            used[columns[i]] = true;
          }
          for (int c = 0; c < updates.length; c++) {
            if (used[c]) {
              updates[c].executeBatch();
            }
          }
          source.commit();
        }
        int last = (ids.length - 1) / rowsPerTransaction * rowsPerTransaction;
        lastKeys = java.util.Arrays.copyOfRange(ids, last, ids.length);
        lastDigest = null;
      } finally {
        for (PreparedStatement s : updates) {
          if (s != null) {
            s.close();
          }
        }
        source.setAutoCommit(true);
      }
    }

    @Override
    boolean caughtUp(Connection source, Connection target) throws SQLException {
      if (lastDigest == null) {
        lastDigest = keysDigest(source);
      }
      if (!keysDigest(target).equals(lastDigest)) {
        return false;
      }
      return digest(source, table).equals(digest(target, table));
    }

    private String keysDigest(Connection c) throws SQLException {
      try (PreparedStatement s =
          c.prepareStatement(DIGEST + " FROM " + table + " t WHERE id = ANY(?)")) {
        Long[] keys = new Long[lastKeys.length];
        for (int i = 0; i < keys.length; i++) {
          keys[i] = lastKeys[i];
        }
        s.setArray(1, c.createArrayOf("bigint", keys));
        try (ResultSet rs = s.executeQuery()) {
          rs.next();
          return rs.getLong(1) + "/" + rs.getString(2);
        }
      }
    }
  }
}
