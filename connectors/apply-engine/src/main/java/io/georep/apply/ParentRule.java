package io.georep.apply;

import io.georep.connector.RowKey;
import io.georep.resolver.Conflict;
import io.georep.resolver.ConflictType;
import io.georep.resolver.RowState;
import io.georep.resolver.spi.Version;
import io.georep.vectorclock.Dot;
import io.georep.vectorclock.VersionVector;
import java.util.Objects;
import java.util.Optional;

/**
 * The <em>parent-deleted</em> rule's decisions: a child row written in one region concurrently with
 * the delete of its parent row in another (docs/conflicts.md).
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
 * <p>The rule fires only when the parent is <em>known deleted concurrently</em>: its metadata holds
 * a tombstone whose history the child's write has not seen ({@link RowStore#deletedParent}). A
 * parent that has not arrived yet keeps the retriable {@code MISSING_PARENT}: the scheduler's
 * barrier and the causal gate bring it. {@link ApplyEngine} checks it from both sides, so every
 * arrival order ends the same: a parent's delete cascades to the children it has not seen ({@link
 * RowStore#children}), and a child written after its parent's concurrent delete is merged and then
 * cascaded at once. Both log a {@link ConflictType#PARENT_DELETED} conflict between the parent's
 * delete and the child's version (the same {@link Conflict#id()} in both regions), the child's
 * version kept.
 */
public final class ParentRule {
  /** The resolver name recorded for the rule. */
  public static final String RULE = "cascade";

  private ParentRule() {}

  /**
   * A parent row deleted concurrently with a child write.
   *
   * @param delete the parent's latest delete; never null
   * @param history the parent row's history; never null
   */
  public record DeletedParent(Version delete, VersionVector history) {
    /** Validates the record. */
    public DeletedParent {
      Objects.requireNonNull(delete, "delete");
      Objects.requireNonNull(history, "history");
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
}
