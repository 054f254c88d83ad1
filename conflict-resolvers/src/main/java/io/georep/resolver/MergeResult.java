package io.georep.resolver;

import java.util.List;
import java.util.Objects;

/**
 * The outcome of merging one write into a row: the new state to store, the row to show, and the
 * conflicts detected. Immutable and thread-safe.
 *
 * @param state the row's new state (the old one when the write was skipped); never null
 * @param row the row as the database should show it; never null
 * @param conflicts the conflicts the write met, in dot order of the stored versions; copied
 * @param applied false when the write was stale or a duplicate (already covered by the row's
 *     history) and changed nothing
 */
public record MergeResult(
    RowState state, VisibleRow row, List<Conflict> conflicts, boolean applied) {
  /** Validates the result. */
  public MergeResult {
    Objects.requireNonNull(state, "state");
    Objects.requireNonNull(row, "row");
    conflicts = List.copyOf(conflicts);
  }
}
