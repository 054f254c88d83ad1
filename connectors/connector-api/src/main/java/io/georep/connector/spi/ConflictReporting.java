package io.georep.connector.spi;

/** A capability of a {@link ChangeApplier}: telling a listener the conflicts it resolved. */
public interface ConflictReporting {
  /**
   * Sets the listener that receives each committed transaction's conflicts.
   *
   * @param listener the listener; never null
   */
  void setConflictListener(ConflictListener listener);
}
