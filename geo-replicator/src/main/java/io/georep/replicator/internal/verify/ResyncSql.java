package io.georep.replicator.internal.verify;

import java.io.IOException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.postgresql.PGConnection;
import org.postgresql.copy.CopyManager;
import org.postgresql.copy.PGCopyInputStream;

/**
 * The PostgreSQL statements of a resync ({@link Resyncer}): the tables' columns and foreign-key
 * order, the slots, the apply progress, and the local transactions a stopped region has not
 * shipped, read from its slot without consuming it.
 */
final class ResyncSql {
  private ResyncSql() {}

  /** A published table: its quoted name and its copied columns (quoted, in column order). */
  record Table(String schema, String name, String quoted, long oid, List<String> columns) {
    String display() {
      return schema + "." + name;
    }
  }

  /**
   * Local transactions in a slot that the capture has not shipped.
   *
   * @param transactions how many
   * @param changes their row changes
   * @param first the commit position of the first, or empty
   * @param last the commit position of the last, or empty
   */
  record Unshipped(long transactions, long changes, String first, String last) {}

  /** One origin's row of {@code georep.apply_progress}, copied as it is (never compared). */
  @SuppressWarnings("ArrayRecordComponent")
  record Progress(long watermark, byte[] above, Long offset, Long high) {}

  static String quote(String identifier) {
    return "\"" + identifier.replace("\"", "\"\"") + "\"";
  }

  /**
   * Reads a table's oid and copied columns (not dropped, not generated).
   *
   * @return the table, or empty if the database has no such table
   */
  static Optional<Table> table(Connection c, String schema, String name) throws SQLException {
    String quoted = quote(schema) + "." + quote(name);
    long oid;
    try (PreparedStatement q = c.prepareStatement("SELECT to_regclass(?)::oid::bigint")) {
      q.setString(1, quoted);
      try (ResultSet rs = q.executeQuery()) {
        rs.next();
        oid = rs.getLong(1);
        if (rs.wasNull()) {
          return Optional.empty();
        }
      }
    }
    List<String> columns = new ArrayList<>();
    try (PreparedStatement q =
        c.prepareStatement(
            "SELECT attname FROM pg_catalog.pg_attribute WHERE attrelid = ?::oid AND attnum > 0"
                + " AND NOT attisdropped AND attgenerated = '' ORDER BY attnum")) {
      q.setLong(1, oid);
      try (ResultSet rs = q.executeQuery()) {
        while (rs.next()) {
          columns.add(quote(rs.getString(1)));
        }
      }
    }
    return Optional.of(new Table(schema, name, quoted, oid, columns));
  }

  /**
   * Orders tables so that every table comes after the tables its foreign keys reference (among the
   * given ones); a table's references to itself do not count (checked at the end of its copy).
   *
   * @throws IllegalStateException naming the tables whose foreign keys form a cycle
   */
  static List<Table> parentsFirst(Connection c, List<Table> tables) throws SQLException {
    Map<Long, Table> byOid = new LinkedHashMap<>();
    for (Table t : tables) {
      byOid.put(t.oid(), t);
    }
    Map<Long, List<Long>> children = new HashMap<>();
    Map<Long, Integer> parents = new HashMap<>();
    byOid.keySet().forEach(o -> parents.put(o, 0));
    try (PreparedStatement q =
        c.prepareStatement(
            "SELECT DISTINCT conrelid::bigint, confrelid::bigint FROM pg_catalog.pg_constraint"
                + " WHERE contype = 'f' AND conrelid <> confrelid")) {
      try (ResultSet rs = q.executeQuery()) {
        while (rs.next()) {
          long child = rs.getLong(1);
          long parent = rs.getLong(2);
          if (byOid.containsKey(child) && byOid.containsKey(parent)) {
            children.computeIfAbsent(parent, k -> new ArrayList<>()).add(child);
            parents.merge(child, 1, Integer::sum);
          }
        }
      }
    }
    Deque<Long> ready = new ArrayDeque<>();
    byOid.keySet().stream().filter(o -> parents.get(o) == 0).forEach(ready::add);
    List<Table> out = new ArrayList<>();
    while (!ready.isEmpty()) {
      long o = ready.poll();
      out.add(byOid.get(o));
      for (long child : children.getOrDefault(o, List.of())) {
        if (parents.merge(child, -1, Integer::sum) == 0) {
          ready.add(child);
        }
      }
    }
    if (out.size() < tables.size()) {
      List<String> cycle =
          byOid.values().stream().filter(t -> !out.contains(t)).map(Table::display).toList();
      throw new IllegalStateException(
          "the foreign keys of "
              + cycle
              + " form a cycle, so no order of copying them satisfies every key; resync copies"
              + " tables parents first");
    }
    return out;
  }

  /**
   * Returns whether a slot exists and the pid of its active reader (0: none).
   *
   * @return empty if there is no such slot
   */
  static Optional<Integer> slotReader(Connection c, String slot) throws SQLException {
    try (PreparedStatement q =
        c.prepareStatement(
            "SELECT coalesce(active_pid, 0) FROM pg_catalog.pg_replication_slots"
                + " WHERE slot_name = ?")) {
      q.setString(1, slot);
      try (ResultSet rs = q.executeQuery()) {
        return rs.next() ? Optional.of(rs.getInt(1)) : Optional.empty();
      }
    }
  }

  /** The last seq of a region's own stream that Kafka acknowledged (0: none). */
  static long acknowledged(Connection c, String slot) throws SQLException {
    try (PreparedStatement q =
        c.prepareStatement(
            "SELECT coalesce(max(acknowledged_seq), 0) FROM georep.capture_state"
                + " WHERE slot_name = ?")) {
      q.setString(1, slot);
      try (ResultSet rs = q.executeQuery()) {
        rs.next();
        return rs.getLong(1);
      }
    }
  }

  /** Every origin's apply progress. */
  static Map<String, Progress> progress(Connection c) throws SQLException {
    Map<String, Progress> out = new LinkedHashMap<>();
    try (PreparedStatement q =
            c.prepareStatement(
                "SELECT origin, watermark, above, watermark_offset, high"
                    + " FROM georep.apply_progress ORDER BY origin");
        ResultSet rs = q.executeQuery()) {
      while (rs.next()) {
        out.put(
            rs.getString(1),
            new Progress(
                rs.getLong(2),
                rs.getBytes(3),
                rs.getObject(4) == null ? null : rs.getLong(4),
                rs.getObject(5) == null ? null : rs.getLong(5)));
      }
    }
    return out;
  }

  /**
   * Reads, without consuming, the local transactions in a slot that its capture would ship: those
   * with published row changes, without an apply mark, committed after the acknowledged seq.
   */
  static Unshipped unshipped(Connection c, String slot, List<String> publications, long acked)
      throws SQLException {
    // pgoutput v1: 'I', 'U', 'D', 'T' are row changes; 'M' a logical message (flags, lsn, then the
    // prefix at byte 11); 'C' a commit (flags, then the commit LSN, which is the seq).
    String sql =
        "SELECT count(*), coalesce(sum(changes), 0), min(commit_lsn)::text, max(commit_lsn)::text"
            + " FROM (SELECT sum(CASE WHEN get_byte(data, 0) IN (73, 85, 68, 84) THEN 1 ELSE 0"
            + " END) AS changes, bool_or(get_byte(data, 0) = 77 AND length(data) >= 23"
            + " AND substring(data FROM 11 FOR 13) = convert_to('georep.apply', 'UTF8') || '\\x00'"
            + "::bytea) AS marked, max(CASE WHEN get_byte(data, 0) = 67 THEN ('0/0'::pg_lsn"
            + " + ('x' || encode(substring(data FROM 3 FOR 8), 'hex'))::bit(64)::bigint) END)"
            + " AS commit_lsn FROM pg_catalog.pg_logical_slot_peek_binary_changes(?, NULL, NULL,"
            + " 'proto_version', '1', 'publication_names', ?, 'messages', 'true') GROUP BY xid) t"
            + " WHERE changes > 0 AND NOT coalesce(marked, false)"
            + " AND commit_lsn > '0/0'::pg_lsn + ?::numeric";
    try (PreparedStatement q = c.prepareStatement(sql)) {
      q.setString(1, slot);
      q.setString(2, String.join(",", publications));
      q.setLong(3, acked);
      try (ResultSet rs = q.executeQuery()) {
        rs.next();
        return new Unshipped(
            rs.getLong(1),
            rs.getLong(2),
            Optional.ofNullable(rs.getString(3)).orElse(""),
            Optional.ofNullable(rs.getString(4)).orElse(""));
      }
    }
  }

  /** The server's WAL position now, as a number. */
  static long walPosition(Connection c) throws SQLException {
    try (PreparedStatement q =
            c.prepareStatement("SELECT (pg_catalog.pg_current_wal_lsn() - '0/0'::pg_lsn)::bigint");
        ResultSet rs = q.executeQuery()) {
      rs.next();
      return rs.getLong(1);
    }
  }

  /** Writes a transactional logical message; returns the WAL position of its end. */
  static long emit(Connection c, String prefix) throws SQLException {
    try (PreparedStatement q =
        c.prepareStatement(
            "SELECT (pg_catalog.pg_logical_emit_message(true, ?, '') - '0/0'::pg_lsn)::bigint")) {
      q.setString(1, prefix);
      try (ResultSet rs = q.executeQuery()) {
        rs.next();
        return rs.getLong(1);
      }
    }
  }

  /**
   * Sets the transaction's lock timeout with {@code SET LOCAL}: a utility statement, so a
   * repeatable-read transaction takes no snapshot for it (a snapshot taken now would miss what
   * commits before the locks are granted).
   */
  static void lockTimeout(Connection c, Duration timeout) throws SQLException {
    try (Statement s = c.createStatement()) {
      s.execute("SET LOCAL lock_timeout = '" + timeout.toMillis() + "ms'");
    }
  }

  /** Formats a WAL position as PostgreSQL does ({@code 0/16B3748}). */
  static String lsn(long position) {
    return Long.toHexString(position >>> 32).toUpperCase(java.util.Locale.ROOT)
        + "/"
        + Long.toHexString(position & 0xffffffffL).toUpperCase(java.util.Locale.ROOT);
  }

  /** Copies a table's row metadata, synchronised to the target's transaction. */
  static long copyMetadata(
      Connection rw, CopyManager in, PGConnection out, Table t, long xid, long xid32, long lsn)
      throws SQLException, IOException {
    String where =
        " WHERE table_schema = '"
            + t.schema().replace("'", "''")
            + "' AND table_name = '"
            + t.name().replace("'", "''")
            + "'";
    try (Statement s = rw.createStatement()) {
      s.execute("DELETE FROM georep.row_meta" + where);
      s.execute("DELETE FROM georep.keyless_meta" + where);
    }
    String rowMeta =
        "table_schema, table_name, row_key, state, row_exists, suppressed, writer_xid32,"
            + " writer_xid, sync_lsn, last_origin, last_seq, last_wall, last_logical, accumulates";
    long rows;
    try (PGCopyInputStream src =
        new PGCopyInputStream(
            out,
            "COPY (SELECT table_schema, table_name, row_key, state, row_exists, suppressed,"
                + " CASE WHEN writer_xid32 IS NULL THEN NULL ELSE "
                + xid32
                + " END, "
                + xid
                + ", "
                + lsn
                + ", last_origin, last_seq, last_wall, last_logical, accumulates"
                + " FROM georep.row_meta"
                + where
                + ") TO STDOUT")) {
      rows = in.copyIn("COPY georep.row_meta (" + rowMeta + ") FROM STDIN", src);
    }
    String keyless = "table_schema, table_name, row_key, state, live, removed";
    try (PGCopyInputStream src =
        new PGCopyInputStream(
            out, "COPY (SELECT " + keyless + " FROM georep.keyless_meta" + where + ") TO STDOUT")) {
      rows += in.copyIn("COPY georep.keyless_meta (" + keyless + ") FROM STDIN", src);
    }
    return rows;
  }
}
