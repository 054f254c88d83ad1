package io.georep.connector.spi;

import io.georep.connector.TableId;
import io.georep.vectorclock.RetriableGeorepException;
import java.util.Optional;

/**
 * A transient apply failure: the applier rolled back and applied nothing, and the same call should
 * be retried later with backoff. Causes: the database is unreachable or terminated the session; a
 * serialization failure or deadlock; a foreign-key parent that has not arrived yet; a local write
 * the capture has not stamped yet; a concurrent local insert of the same key; a table whose local
 * definition differs from the origin's (schema drift, until the same DDL runs here). {@link
 * #reason()} tells which.
 */
public class ApplyRetryException extends RetriableGeorepException {
  private static final long serialVersionUID = 1L;

  /** Why the apply must be retried. */
  public enum Reason {
    /** The database is unavailable, or the session or connection failed. */
    UNAVAILABLE,
    /** A serialization failure or deadlock; retry at once. */
    CONCURRENCY,
    /** A foreign-key parent is missing: the child waits for it. */
    MISSING_PARENT,
    /** A local write of a row is not yet stamped by the capture. */
    STAMP_PENDING,
    /** A local write raced with the apply on the same key. */
    LOCAL_RACE,
    /**
     * The local table's definition differs from the one the changes arrived with (a column is
     * missing here, a type differs, the table does not exist): the changes of that table wait until
     * the same DDL runs here ({@link #table()} names it).
     */
    SCHEMA_DRIFT
  }

  private final Reason reason;
  private final transient TableId table;

  /**
   * Creates the exception.
   *
   * @param reason why; never null
   * @param message what, where and what the caller should do
   * @param cause the underlying failure, or null
   */
  public ApplyRetryException(Reason reason, String message, Throwable cause) {
    this(reason, null, message, cause);
  }

  /**
   * Creates the exception for a failure of one table.
   *
   * @param reason why; never null
   * @param table the table it concerns, or null
   * @param message what, where and what the caller should do
   * @param cause the underlying failure, or null
   */
  public ApplyRetryException(Reason reason, TableId table, String message, Throwable cause) {
    super(message, cause);
    this.reason = java.util.Objects.requireNonNull(reason, "reason");
    this.table = table;
  }

  /**
   * Returns why the apply must be retried.
   *
   * @return the reason; never null
   */
  public Reason reason() {
    return reason;
  }

  /**
   * Returns the table the failure concerns, if it concerns one ({@link Reason#SCHEMA_DRIFT}).
   *
   * @return the table, or empty
   */
  public Optional<TableId> table() {
    return Optional.ofNullable(table);
  }
}
