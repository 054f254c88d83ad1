package io.georep.connectors.postgres.internal.apply;

import io.georep.connector.ColumnSchema;
import io.georep.connector.RowKey;
import io.georep.connector.TableId;
import io.georep.connector.TableSchema;
import io.georep.connector.Value;
import io.georep.resolver.Conflict;
import io.georep.resolver.ConflictType;
import io.georep.resolver.RowState;
import io.georep.resolver.spi.Version;
import io.georep.vectorclock.Dot;
import io.georep.vectorclock.VersionVector;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The catalog and metadata look-ups of the <em>parent-deleted</em> rule: a child row written in one
 * region concurrently with the delete of its parent row in another.
 *
 * <h2>Design</h2>
 *
 * <p>Without a rule the child's insert fails with a foreign-key violation in the deleting region
 * (the parent is gone) and the parent's delete fails in the inserting region (a child references
 * it), both retried forever. Of the two convergent outcomes — the parent's delete cascades to the
 * child, or the child resurrects the parent — the cascade is chosen: it is what the deleting
 * application asked for ({@code ON DELETE CASCADE} semantics, as if the deleting region had seen
 * the child), it needs no write that no region made to the parent (a resurrected parent would show
 * values its deleter had removed), and it composes with every row resolver of the parent's table.
 * The child's state records the cascade ({@link io.georep.resolver.RowMerge#orphan}), so a later
 * concurrent write cannot resurrect it.
 *
 * <p>The rule fires only when the parent is <em>known deleted concurrently</em>: its {@code
 * row_meta} holds a tombstone whose history the child's write has not seen. A parent that has not
 * arrived yet (no metadata, or a tombstone the child's write has seen) keeps the retriable {@code
 * MISSING_PARENT}: the scheduler's barrier and the causal gate bring it. It is checked from both
 * sides, so every arrival order ends the same:
 *
 * <ul>
 *   <li>the parent's delete arrives while the child exists: before deleting the parent row, the
 *       applier cascades every child row whose existence the delete has not seen ({@link
 *       #children});
 *   <li>the child's write arrives after the parent's delete: the foreign key rejects it; the
 *       applier applies the group again with parent checks on, and a write whose parent is a
 *       concurrent tombstone ({@link #deletedParent}) is merged and then cascaded at once.
 * </ul>
 *
 * <p>Both log a {@link ConflictType#PARENT_DELETED} conflict between the parent's delete and the
 * child's version (the same {@link Conflict#id()} in both regions), the child's version kept.
 */
final class ParentDeletes {
  /** The resolver name recorded for the rule. */
  static final String RULE = "cascade";

  private ParentDeletes() {}

  /**
   * A parent row deleted concurrently with a child write.
   *
   * @param delete the parent's latest delete
   * @param history the parent row's history
   */
  record DeletedParent(Version delete, VersionVector history) {}

  /**
   * Returns the keys of the rows of the child table that reference a parent row.
   *
   * @param connection the apply connection
   * @param fk the foreign key
   * @param child the child table's schema
   * @param parentRow the parent row's values by column name
   * @return the children's keys; empty if a referenced value is NULL
   * @throws SQLException on a database failure
   */
  static List<RowKey> children(
      Connection connection, ForeignKey fk, TableSchema child, Map<String, Value> parentRow)
      throws SQLException {
    List<String> where = new ArrayList<>();
    List<String> values = new ArrayList<>();
    for (int i = 0; i < fk.childColumns().size(); i++) {
      Value v = parentRow.get(fk.parentColumns().get(i));
      String text = v == null ? null : SqlValues.text(v);
      if (text == null) {
        return List.of();
      }
      ColumnSchema c = column(child, fk.childColumns().get(i));
      where.add(TableId.quote(c.name()) + " = ?::" + TableSql.cast(c));
      values.add(text);
    }
    List<String> keys = new ArrayList<>();
    for (ColumnSchema c : child.keyColumns()) {
      keys.add(TableId.quote(c.name()) + "::text");
    }
    List<RowKey> found = new ArrayList<>();
    try (PreparedStatement q =
        connection.prepareStatement(
            "SELECT "
                + String.join(", ", keys)
                + " FROM "
                + child.id().quoted()
                + " WHERE "
                + String.join(" AND ", where))) {
      for (int i = 0; i < values.size(); i++) {
        q.setString(i + 1, values.get(i));
      }
      try (ResultSet rs = q.executeQuery()) {
        while (rs.next()) {
          List<Value> key = new ArrayList<>();
          for (int k = 0; k < child.keyColumns().size(); k++) {
            key.add(SqlValues.parse(child.keyColumns().get(k).type(), rs.getString(k + 1)));
          }
          found.add(new RowKey(key));
        }
      }
    }
    return found;
  }

  /**
   * Returns the parent a child row references if that parent is known deleted concurrently with the
   * child's write: absent from the table, with a tombstone in {@code row_meta} whose history the
   * write's context does not cover.
   *
   * @param connection the apply connection
   * @param fk the child's foreign key
   * @param parent the parent table's schema
   * @param childRow the child row's values by column name
   * @param context the causal context of the child's write
   * @return the deleted parent, or empty if the parent exists, is unknown, was seen deleted by the
   *     write, or the key references other columns than the parent's replication key
   * @throws SQLException on a database failure
   */
  static Optional<DeletedParent> deletedParent(
      Connection connection,
      ForeignKey fk,
      TableSchema parent,
      Map<String, Value> childRow,
      VersionVector context)
      throws SQLException {
    List<ColumnSchema> keyColumns = parent.keyColumns();
    if (keyColumns.size() != fk.parentColumns().size()) {
      return Optional.empty();
    }
    List<Value> key = new ArrayList<>();
    for (ColumnSchema k : keyColumns) {
      int i = fk.parentColumns().indexOf(k.name());
      Value v = i < 0 ? null : childRow.get(fk.childColumns().get(i));
      String text = v == null ? null : SqlValues.text(v);
      if (text == null) {
        // Not the replication key, or a NULL reference (which references nothing).
        return Optional.empty();
      }
      key.add(SqlValues.parse(k.type(), text));
    }
    List<String> where = new ArrayList<>();
    for (ColumnSchema k : keyColumns) {
      where.add(TableId.quote(k.name()) + " = ?::" + TableSql.cast(k));
    }
    try (PreparedStatement q =
        connection.prepareStatement(
            "SELECT 1 FROM " + parent.id().quoted() + " WHERE " + String.join(" AND ", where))) {
      for (int i = 0; i < key.size(); i++) {
        q.setString(i + 1, SqlValues.text(key.get(i)));
      }
      try (ResultSet rs = q.executeQuery()) {
        if (rs.next()) {
          return Optional.empty();
        }
      }
    }
    try (PreparedStatement q =
        connection.prepareStatement(
            "SELECT state, row_exists FROM georep.row_meta WHERE table_schema = ?"
                + " AND table_name = ? AND row_key = ?")) {
      q.setString(1, parent.id().schema());
      q.setString(2, parent.id().name());
      q.setBytes(3, SqlValues.keyBytes(new RowKey(key)));
      try (ResultSet rs = q.executeQuery()) {
        if (!rs.next() || rs.getBoolean(2)) {
          return Optional.empty();
        }
        RowState state = RowState.fromBytes(rs.getBytes(1));
        Optional<Version> delete = state.latestDelete();
        if (delete.isEmpty() || context.covers(state.history())) {
          // The child was written after its region saw the parent deleted: not this conflict.
          return Optional.empty();
        }
        return Optional.of(new DeletedParent(delete.get(), state.history()));
      }
    }
  }

  /**
   * Tells whether a child row's state has a version that a parent's delete has not seen.
   *
   * @param child the child's state
   * @param deleteContext the causal context of the parent's delete
   * @return true if some version in the child's existence frontier is concurrent with the delete
   */
  static boolean concurrent(RowState child, VersionVector deleteContext) {
    for (Dot d : child.frontier()) {
      if (!deleteContext.covers(d)) {
        return true;
      }
    }
    return false;
  }

  /**
   * Returns the conflict record of a cascade.
   *
   * @param fk the foreign key
   * @param child the child's key
   * @param childVersion the child's version (the loser, kept)
   * @param parentDelete the parent's delete
   * @param remoteIsDelete whether the incoming write is the parent's delete (else the child's)
   * @return the record
   */
  static Conflict conflict(
      ForeignKey fk,
      RowKey child,
      Version childVersion,
      Version parentDelete,
      boolean remoteIsDelete) {
    return new Conflict(
        ConflictType.PARENT_DELETED,
        fk.child(),
        child,
        remoteIsDelete ? childVersion : parentDelete,
        remoteIsDelete ? parentDelete : childVersion,
        remoteIsDelete ? Conflict.Winner.REMOTE : Conflict.Winner.LOCAL,
        RULE,
        fk.childColumns(),
        Optional.of(childVersion));
  }

  private static ColumnSchema column(TableSchema table, String name) {
    int i = table.indexOf(name);
    if (i < 0) {
      throw new IllegalArgumentException(
          "foreign key column " + name + " of " + table.id() + " is not in its replicated schema");
    }
    return table.column(i);
  }
}
