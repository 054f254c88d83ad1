package io.georep.connectors.postgres.internal.apply;

import io.georep.apply.ForeignKey;
import io.georep.apply.ParentRule;
import io.georep.connector.ColumnSchema;
import io.georep.connector.RowKey;
import io.georep.connector.TableId;
import io.georep.connector.TableSchema;
import io.georep.connector.Value;
import io.georep.resolver.RowState;
import io.georep.resolver.spi.Version;
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
 * The catalog and metadata look-ups of the parent-deleted rule ({@link ParentRule}, whose decisions
 * the apply engine makes): the child rows that reference a parent row, and whether a child's parent
 * is a tombstone in {@code georep.row_meta} that the child's write has not seen.
 */
final class ParentDeletes {
  private ParentDeletes() {}

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
  static Optional<ParentRule.DeletedParent> deletedParent(
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
        return Optional.of(new ParentRule.DeletedParent(delete.get(), state.history()));
      }
    }
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
