package io.georep.connectors.postgres.internal.apply;

import java.sql.SQLException;

/** Tells whether this region's own transactions up to a seq are folded into the metadata. */
@FunctionalInterface
public interface OwnFolds {
  /**
   * Tells whether every local transaction up to a seq is folded.
   *
   * @param seq a seq of this region's stream (a commit LSN)
   * @return true if folded
   * @throws SQLException on a database failure
   */
  boolean cover(long seq) throws SQLException;
}
