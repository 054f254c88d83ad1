package io.georep.publication;

/** The result of a SQL condition: true, false, or unknown (NULL). */
public enum TruthValue {
  /** The condition holds. */
  TRUE,
  /** The condition does not hold. */
  FALSE,
  /** The condition involves NULL; a row filter then does not replicate the row. */
  UNKNOWN;

  static TruthValue of(Boolean value) {
    return value == null ? UNKNOWN : value ? TRUE : FALSE;
  }
}
