package io.georep.resolver;

/**
 * The kind of a conflict, in the vocabulary users know. The first word is the <em>incoming</em>
 * (remote) write, the second the concurrent version already stored (local). An insert meeting a
 * concurrent delete of an earlier incarnation of the row counts as an update ({@link
 * #UPDATE_DELETE}, or {@link #DELETE_UPDATE} the other way round).
 *
 * <p>PostgreSQL 18 names detected conflicts too; where a type corresponds, its Javadoc gives the
 * name.
 */
public enum ConflictType {
  /**
   * An incoming insert of a row that a concurrent insert (or update) made exist. PostgreSQL 18:
   * {@code insert_exists}.
   */
  INSERT_INSERT,
  /**
   * An incoming update that changed at least one column a concurrent update also changed.
   * PostgreSQL 18: {@code update_origin_differs}.
   */
  UPDATE_UPDATE_SAME_COLUMNS,
  /**
   * An incoming update concurrent with another update, with no column changed by both: both changes
   * are kept. PostgreSQL 18: {@code update_origin_differs} (it does not tell the two apart).
   */
  UPDATE_UPDATE_DIFFERENT_COLUMNS,
  /**
   * An incoming update (or re-insert) of a row a concurrent delete removed. PostgreSQL 18: {@code
   * update_missing} ({@code update_deleted} when the delete is known).
   */
  UPDATE_DELETE,
  /**
   * An incoming delete of a row a concurrent update (or re-insert) changed. PostgreSQL 18: {@code
   * delete_origin_differs}.
   */
  DELETE_UPDATE,
  /**
   * An incoming delete of a row a concurrent delete already removed. PostgreSQL 18: {@code
   * delete_missing}.
   */
  DELETE_DELETE,
  /**
   * An incoming delete of a row of a table without a key, whose transaction had observed no live
   * copy of the row's values: it removes nothing, and the copies stay in every region (see {@link
   * RowMultiset}). PostgreSQL 18: {@code delete_missing}.
   */
  DELETE_MISSING,
  /**
   * Two different rows that clash on a unique key other than the primary key. PostgreSQL 18: {@code
   * multiple_unique_conflicts} / {@code update_exists} / {@code insert_exists} on a non-primary
   * unique index. Decided by {@link UniqueClashPolicy}.
   */
  UNIQUE_KEY_CLASH,
  /**
   * A child row written (inserted, or updated to reference its parent) concurrently with the delete
   * of the parent row its foreign key references: the child is deleted with its parent, as {@code
   * ON DELETE CASCADE} would have done had the deleting region seen it ({@link RowMerge#orphan}).
   * PostgreSQL 18 has no name for it (its subscriber retries forever).
   */
  PARENT_DELETED,
  /**
   * Not a concurrent write: {@code georep repair} made a table row show its replicated state again,
   * discarding a change made to it behind georep's back. The local version is the table row as
   * found (with the row's last georep dot), the remote one what it shows now, named by the repair's
   * own dot (the position of its message in the region's stream).
   */
  REPAIR;

  /**
   * Returns the name used in metrics tags and the conflict log: lower case with dashes, such as
   * {@code update-delete}.
   *
   * @return the tag value
   */
  public String tag() {
    return name().toLowerCase(java.util.Locale.ROOT).replace('_', '-');
  }
}
