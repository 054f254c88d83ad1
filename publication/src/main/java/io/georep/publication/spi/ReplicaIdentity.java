package io.georep.publication.spi;

/**
 * What a table writes to the log as the old row of an update or delete (PostgreSQL's {@code REPLICA
 * IDENTITY}).
 */
public enum ReplicaIdentity {
  /** The primary key columns (nothing if there is no primary key). */
  DEFAULT,
  /** Every column: needed to compute deltas of counter and set columns. */
  FULL,
  /** The columns of a chosen unique index. */
  INDEX,
  /** Nothing: updates and deletes cannot be replicated. */
  NOTHING
}
