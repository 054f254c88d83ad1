package io.georep.connectors.postgres.internal.apply;

import io.georep.connector.ColumnSchema;
import io.georep.connector.RowChange;
import io.georep.connector.RowKey;
import io.georep.connector.SourceTransaction;
import io.georep.connector.TableId;
import io.georep.connector.TableSchema;
import io.georep.connector.Value;
import io.georep.connector.spi.ApplyRetryException;
import io.georep.resolver.Conflict;
import io.georep.resolver.ConflictType;
import io.georep.resolver.RowMultiset;
import io.georep.resolver.spi.Version;
import java.nio.ByteBuffer;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The rows of keyless tables in one apply (or fold) database transaction: merges their changes into
 * the tables' multisets ({@link RowMultiset}, one per distinct row value) and makes the table show
 * as many copies of each value as the multiset holds live.
 *
 * <h2>Design</h2>
 *
 * <p>A keyless table's rows have no identity but their values, and PostgreSQL's change stream says
 * only "a row with these values was inserted / deleted". Each distinct value is a <em>group</em>,
 * locked like a keyed row (the shared table-level advisory lock, then an advisory lock on a hash of
 * the group's key bytes), with its state in {@code georep.keyless_meta}. Copies are fungible: the
 * table holds {@code n} equal rows, and which physical row is "copy #k" does not matter, so no
 * mapping from copies to {@code ctid}s is kept.
 *
 * <ul>
 *   <li><b>Remote transactions</b> (apply): an insert adds a copy and one row; a delete removes the
 *       copy {@link RowMultiset#delete} chooses and, if that copy was live, one row. If no row with
 *       the value is left to delete, an application in this region deleted it and the agent has not
 *       folded that delete yet: the apply is retried ({@code STAMP_PENDING}), as for a keyed row
 *       written by an unfolded local transaction.
 *   <li><b>Local transactions</b> (fold): the application has already changed the table, so the
 *       fold only merges the changes into the state, with the same choices every other region
 *       makes. A local delete that did not turn a live copy into a removed one puts a row back,
 *       because every other region keeps the copy: (a) the copy it chose was removed by a remote
 *       delete applied here before the fold (the two regions deleted the same row at the same time;
 *       the remote apply already took a row away, the application a second one) — a {@link
 *       ConflictType#DELETE_DELETE} conflict; (b) it observed no live copy at all, possible only
 *       when a remote copy was applied ahead of its origin's watermark — a {@link
 *       ConflictType#DELETE_MISSING} conflict.
 *   <li><b>A remote delete waits for this region's own folds</b> ({@link #awaitOwnFolds}): its
 *       causal context may name local transactions of this region, whose copies are in the state
 *       only once the agent has folded them. Chosen before, the delete would pick another copy or
 *       none where every other region picks the local one, and this region would keep a row the
 *       others removed, for good (the likely cause of a {@code TruncateIT} failure under load, see
 *       docs/architecture.md). So the apply is retried ({@code STAMP_PENDING}) until the capture's
 *       slot has passed the newest local transaction the context names: the slot passes a local
 *       transaction only once it is folded.
 * </ul>
 *
 * <p>No count of the table's rows is compared with the state: copies are fungible, the fold's
 * put-back covers a remote delete applied between a local delete and its fold, and a remote delete
 * that finds no row to take waits for the fold (above). So inserts, the common case, never read the
 * table.
 *
 * <p>A transaction's changes of one group are merged together; a group whose state already records
 * the transaction's dot skips them (a fold repeated after a restart).
 *
 * <p>Not thread-safe: one instance per database transaction, confined to the applying thread.
 */
final class KeylessRows {
  /** The resolver name in conflict records: multiset semantics, not a configurable resolver. */
  static final String RESOLVER = "multiset";

  /** Takes the locks of a group: the table's shared lock, then the group's advisory lock. */
  interface GroupLock {
    /**
     * Locks a group for the rest of the database transaction.
     *
     * @param table the table
     * @param key the group's key bytes
     * @throws SQLException on a database failure
     */
    void lock(TableId table, byte[] key) throws SQLException;
  }

  /** A group's identity: table and key bytes. */
  private record GroupRef(TableId table, ByteBuffer key) {}

  /** A locked group: its state as the transaction goes. */
  private static final class Group {
    final TableSchema table;
    final RowKey value;
    final byte[] key;
    RowMultiset state;
    boolean dirty;

    /** Whether this database transaction wrote the group's metadata (an earlier part of it). */
    boolean own;

    Group(TableSchema table, RowKey value, byte[] key, RowMultiset state) {
      this.table = table;
      this.value = value;
      this.key = key;
      this.state = state;
    }
  }

  /** Per transaction and group: whether it is skipped, and the next insert and delete ordinals. */
  private static final class Touch {
    final Group group;
    boolean skip;
    int inserts;
    int deletes;

    Touch(Group group) {
      this.group = group;
    }
  }

  private final Connection connection;
  private final GroupLock locks;
  private final List<Conflict> conflicts;
  private final Map<GroupRef, Group> groups = new LinkedHashMap<>();
  private final Map<String, String> statements = new HashMap<>();

  /** This region and how its folds are checked; null: not checked (no agent folds). */
  private io.georep.vectorclock.ReplicaId region;

  private OwnFolds ownFolds;

  /** The highest local seq {@link #ownFolds} has confirmed folded for this transaction. */
  private long ownFolded;

  /** The low 32 bits of this database transaction's xid while it merges in parts; else -1. */
  private long partsXid32 = -1;

  /**
   * Creates the keyless rows of one database transaction.
   *
   * @param connection the transaction's connection
   * @param locks takes a group's locks
   * @param conflicts where conflicts are recorded (the transaction's list)
   */
  KeylessRows(Connection connection, GroupLock locks, List<Conflict> conflicts) {
    this.connection = connection;
    this.locks = locks;
    this.conflicts = conflicts;
  }

  /**
   * Tells whether a transaction changes a keyless table.
   *
   * @param tx the transaction
   * @return true if any of its changes is of a keyless table
   */
  static boolean touches(SourceTransaction tx) {
    for (RowChange c : tx.changes()) {
      if (c.table().keyless()) {
        return true;
      }
    }
    return false;
  }

  /**
   * Merges a transaction's changes of keyless tables.
   *
   * @param tx the transaction
   * @param local true to fold a local transaction (the table already shows its changes), false to
   *     apply a remote one
   * @return true if table rows were written by a fold (a row put back)
   * @throws SQLException on a database failure
   * @throws ApplyRetryException if a remote delete finds no row left to delete
   */
  boolean merge(SourceTransaction tx, boolean local) throws SQLException {
    return merge(tx, local, -1);
  }

  /**
   * Merges one part of a transaction merged in parts (see {@link #mergeInParts}), or a whole one.
   *
   * @param tx the transaction, or the part
   * @param local as {@link #merge(SourceTransaction, boolean)}
   * @param base the position of the part's first change in the whole transaction, or -1 for a whole
   *     transaction
   * @return as {@link #merge(SourceTransaction, boolean)}
   * @throws SQLException on a database failure
   */
  boolean merge(SourceTransaction tx, boolean local, long base) throws SQLException {
    Map<Group, Touch> touched = new HashMap<>();
    boolean written = false;
    List<RowChange> changes = tx.changes();
    for (int i = 0; i < changes.size(); i++) {
      RowChange change = changes.get(i);
      if (!change.table().keyless()) {
        continue;
      }
      // In parts, a copy's ordinal is its change's position in the transaction: unique across the
      // parts, and the same in every region whatever the parts' boundaries.
      int ordinal = base < 0 ? -1 : Math.toIntExact(base + i);
      if (change instanceof RowChange.Insert ins) {
        insert(tx, ins.table(), ins.key(), touched, local, ordinal);
      } else if (change instanceof RowChange.Delete d) {
        written |= delete(tx, d.table(), d.key(), touched, local, ordinal);
      } else if (change instanceof RowChange.Update u) {
        RowKey next = newValue(u);
        if (!next.equals(u.key())) {
          written |= delete(tx, u.table(), u.key(), touched, local, ordinal);
          insert(tx, u.table(), next, touched, local, ordinal);
        }
      }
    }
    return written;
  }

  /**
   * Merges the transactions of this database transaction in parts: a group whose metadata an
   * earlier part wrote (this database transaction is its writer) records the transaction's dot, and
   * is merged again instead of skipped.
   *
   * @param xid32 the low 32 bits of this database transaction's xid
   */
  void mergeInParts(long xid32) {
    partsXid32 = xid32;
  }

  /**
   * Makes remote deletes wait until this region's local transactions their causal context names are
   * folded (see the class comment).
   *
   * @param local this region
   * @param folds tells whether local transactions are folded; null: not checked
   */
  void awaitOwnFolds(io.georep.vectorclock.ReplicaId local, OwnFolds folds) {
    this.region = local;
    this.ownFolds = folds;
  }

  /** Forgets the groups merged so far (their metadata written): the next part reads them again. */
  void forget() {
    groups.clear();
  }

  /** The row an update of a keyless table leaves: the old row with the changed datums. */
  private static RowKey newValue(RowChange.Update u) {
    List<Value> values = new ArrayList<>(u.key().values());
    for (int i = 0; i < values.size(); i++) {
      Value v = u.changedAt(i);
      if (v != null && v.isDatum()) {
        values.set(i, v);
      }
    }
    return new RowKey(values);
  }

  /**
   * Locks the group of a value and returns how the transaction touches it, or null if the group
   * already records the transaction (its changes of this value are merged).
   */
  private Touch touch(
      SourceTransaction tx, TableSchema table, RowKey value, Map<Group, Touch> touched)
      throws SQLException {
    Group g = group(table, value);
    Touch t = touched.get(g);
    if (t == null) {
      t = new Touch(g);
      t.skip = g.state.contains(tx.dot()) && !g.own;
      touched.put(g, t);
    }
    return t.skip ? null : t;
  }

  private void insert(
      SourceTransaction tx,
      TableSchema table,
      RowKey value,
      Map<Group, Touch> touched,
      boolean local,
      int ordinal)
      throws SQLException {
    Touch t = touch(tx, table, value, touched);
    if (t == null) {
      return;
    }
    Group g = t.group;
    g.state =
        g.state.insert(
            new RowMultiset.CopyId(tx.dot(), ordinal < 0 ? t.inserts++ : ordinal),
            tx.commitTimestamp());
    g.dirty = true;
    if (!local) {
      insertRow(g);
    }
  }

  private boolean delete(
      SourceTransaction tx,
      TableSchema table,
      RowKey value,
      Map<Group, Touch> touched,
      boolean local,
      int ordinal)
      throws SQLException {
    if (!local && ownFolds != null) {
      requireOwnFolds(tx, table, value);
    }
    Touch t = touch(tx, table, value, touched);
    if (t == null) {
      return false;
    }
    Group g = t.group;
    RowMultiset.Deletion d =
        g.state.delete(
            new RowMultiset.CopyId(tx.dot(), ordinal < 0 ? t.deletes++ : ordinal),
            tx.commitTimestamp(),
            tx.causalContext());
    Version remote = new Version(tx.dot(), tx.commitTimestamp(), RowChange.Kind.DELETE, Map.of());
    if (d.removed().isEmpty()) {
      conflicts.add(missing(g, remote));
      if (local) {
        // The application removed a row the replicated state keeps: show it again.
        insertRow(g);
        return true;
      }
      return false;
    }
    g.state = d.state();
    g.dirty = true;
    if (d.concurrentRemoval().isPresent()) {
      RowMultiset.Removal other = d.concurrentRemoval().get();
      conflicts.add(
          new Conflict(
              ConflictType.DELETE_DELETE,
              table.id(),
              value,
              new Version(other.by().dot(), other.timestamp(), RowChange.Kind.DELETE, Map.of()),
              remote,
              Conflict.Winner.MERGED,
              RESOLVER,
              List.of(),
              Optional.empty()));
      if (local) {
        // A remote delete of the same copy was applied first and removed a row already; the
        // application removed a second one. Both deletes removed one copy: show the other again.
        insertRow(g);
        return true;
      }
      return false;
    }
    if (!local && !deleteRow(g)) {
      throw new ApplyRetryException(
          ApplyRetryException.Reason.STAMP_PENDING,
          "a row "
              + value.values()
              + " of keyless table "
              + table.id()
              + " that transaction "
              + tx.dot()
              + " deletes is not in the table: a local transaction deleted it and the agent has"
              + " not folded it yet; the apply is retried once the capture has handed it on",
          null);
    }
    return false;
  }

  /** Retriable unless this region has folded every local transaction the delete's context names. */
  private void requireOwnFolds(SourceTransaction tx, TableSchema table, RowKey value)
      throws SQLException {
    long own = tx.causalContext().get(region);
    if (own <= ownFolded) {
      return;
    }
    if (!ownFolds.cover(own)) {
      throw new ApplyRetryException(
          ApplyRetryException.Reason.STAMP_PENDING,
          "transaction "
              + tx.dot()
              + " deletes a row "
              + value.values()
              + " of keyless table "
              + table.id()
              + " after seeing local transaction "
              + region
              + ":"
              + own
              + " of this region, which the agent has not folded yet; which copy the delete"
              + " removes depends on it, so the apply is retried once the capture has folded it",
          null);
    }
    ownFolded = own;
  }

  private Conflict missing(Group g, Version remote) {
    Version local = remote;
    for (RowMultiset.Copy c : g.state.copies()) {
      if (c.live()) {
        local = new Version(c.id().dot(), c.inserted(), RowChange.Kind.INSERT, values(g));
        break;
      }
    }
    return new Conflict(
        ConflictType.DELETE_MISSING,
        g.table.id(),
        g.value,
        local,
        remote,
        Conflict.Winner.LOCAL,
        RESOLVER,
        List.of(),
        Optional.empty());
  }

  private static Map<String, Value> values(Group g) {
    Map<String, Value> values = new LinkedHashMap<>();
    for (int i = 0; i < g.table.columnCount(); i++) {
      values.put(g.table.column(i).name(), g.value.get(i));
    }
    return values;
  }

  /** Locks a group and reads its state; reuses a group locked before. */
  private Group group(TableSchema table, RowKey value) throws SQLException {
    byte[] key = SqlValues.keyBytes(value);
    GroupRef ref = new GroupRef(table.id(), ByteBuffer.wrap(key));
    Group g = groups.get(ref);
    if (g != null) {
      return g;
    }
    locks.lock(table.id(), key);
    RowMultiset state = RowMultiset.empty();
    boolean own = false;
    try (PreparedStatement q =
        connection.prepareStatement(
            "SELECT state, xmin::text::bigint FROM georep.keyless_meta"
                + " WHERE table_schema = ? AND table_name = ? AND row_key = ?")) {
      q.setString(1, table.id().schema());
      q.setString(2, table.id().name());
      q.setBytes(3, key);
      try (ResultSet rs = q.executeQuery()) {
        if (rs.next()) {
          state = RowMultiset.fromBytes(rs.getBytes(1));
          own = partsXid32 >= 0 && rs.getLong(2) == partsXid32;
        }
      }
    }
    g = new Group(table, value, key, state);
    g.own = own;
    groups.put(ref, g);
    return g;
  }

  private void insertRow(Group g) throws SQLException {
    String sql =
        statements.computeIfAbsent(
            "i" + g.table.id(),
            k -> {
              List<String> names = new ArrayList<>();
              List<String> params = new ArrayList<>();
              for (ColumnSchema c : g.table.columns()) {
                names.add(TableId.quote(c.name()));
                params.add("?::" + TableSql.cast(c));
              }
              return "INSERT INTO "
                  + g.table.id().quoted()
                  + " ("
                  + String.join(", ", names)
                  + ") VALUES ("
                  + String.join(", ", params)
                  + ")";
            });
    try (PreparedStatement s = connection.prepareStatement(sql)) {
      for (int i = 0; i < g.table.columnCount(); i++) {
        s.setString(i + 1, SqlValues.text(g.value.get(i)));
      }
      s.executeUpdate();
    }
  }

  /** Deletes one row showing the group's value; false if there is none. */
  private boolean deleteRow(Group g) throws SQLException {
    StringBuilder nulls = new StringBuilder("d").append(g.table.id()).append(':');
    for (Value v : g.value.values()) {
      nulls.append(v instanceof Value.Null ? 'n' : 'v');
    }
    String sql =
        statements.computeIfAbsent(
            nulls.toString(),
            k -> {
              List<String> predicate = new ArrayList<>();
              for (int i = 0; i < g.table.columnCount(); i++) {
                predicate.add(equality(g.table.column(i), g.value.get(i) instanceof Value.Null));
              }
              String quoted = g.table.id().quoted();
              return "DELETE FROM "
                  + quoted
                  + " WHERE ctid = (SELECT ctid FROM "
                  + quoted
                  + " WHERE "
                  + String.join(" AND ", predicate)
                  + " LIMIT 1 FOR UPDATE)";
            });
    try (PreparedStatement s = connection.prepareStatement(sql)) {
      int p = 1;
      for (Value v : g.value.values()) {
        if (!(v instanceof Value.Null)) {
          s.setString(p++, SqlValues.text(v));
        }
      }
      return s.executeUpdate() == 1;
    }
  }

  /** Types without an equality operator, compared by another form. */
  private static final Set<String> TEXT_COMPARED =
      Set.of("xml", "point", "line", "lseg", "box", "path", "polygon", "circle");

  /** The predicate that a column holds a value (or NULL): NULL-safe and index-friendly. */
  private static String equality(ColumnSchema c, boolean isNull) {
    String column = TableId.quote(c.name());
    if (isNull) {
      return column + " IS NULL";
    }
    String type = c.type().typeName();
    if (type.equals("json")) {
      return column + "::jsonb = ?::jsonb";
    }
    if (TEXT_COMPARED.contains(type)) {
      return column + "::text = (?::" + TableSql.cast(c) + ")::text";
    }
    return column + " = ?::" + TableSql.cast(c);
  }

  /**
   * Writes the changed groups' states; a group left without any copy is removed.
   *
   * @throws SQLException on a database failure
   */
  void writeMetadata() throws SQLException {
    try (PreparedStatement upsert =
            connection.prepareStatement(
                "INSERT INTO georep.keyless_meta (table_schema, table_name, row_key, state, live,"
                    + " removed, updated_at) VALUES (?, ?, ?, ?, ?, ?, now())"
                    + " ON CONFLICT (table_schema, table_name, row_key) DO UPDATE SET"
                    + " state = excluded.state, live = excluded.live,"
                    + " removed = excluded.removed, updated_at = now()");
        PreparedStatement delete =
            connection.prepareStatement(
                "DELETE FROM georep.keyless_meta"
                    + " WHERE table_schema = ? AND table_name = ? AND row_key = ?")) {
      int upserts = 0;
      int deletes = 0;
      for (Group g : groups.values()) {
        if (!g.dirty) {
          continue;
        }
        if (g.state.isEmpty()) {
          delete.setString(1, g.table.id().schema());
          delete.setString(2, g.table.id().name());
          delete.setBytes(3, g.key);
          delete.addBatch();
          deletes++;
          continue;
        }
        int live = g.state.liveCount();
        upsert.setString(1, g.table.id().schema());
        upsert.setString(2, g.table.id().name());
        upsert.setBytes(3, g.key);
        upsert.setBytes(4, g.state.toBytes());
        upsert.setInt(5, live);
        upsert.setInt(6, g.state.copies().size() - live);
        upsert.addBatch();
        upserts++;
      }
      if (upserts > 0) {
        upsert.executeBatch();
      }
      if (deletes > 0) {
        delete.executeBatch();
      }
    }
  }
}
