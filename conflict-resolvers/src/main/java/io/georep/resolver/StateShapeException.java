package io.georep.resolver;

/**
 * A stored row state does not fit the policy a write was merged under: it has a state for a column
 * the write's table definition does not have (a column added in one region and not yet in the
 * write's origin), or a state kind the column's resolver does not use. An applier that knows a
 * wider local definition of the table merges the write under that one instead.
 */
public final class StateShapeException extends ConflictResolutionException {
  private static final long serialVersionUID = 1L;

  /**
   * Creates the exception.
   *
   * @param message what does not fit and what to do; never null
   */
  public StateShapeException(String message) {
    super(message);
  }
}
