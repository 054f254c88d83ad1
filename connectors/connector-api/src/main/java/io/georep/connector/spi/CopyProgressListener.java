package io.georep.connector.spi;

import io.georep.connector.TableId;

/**
 * Receives the progress of a {@link ChangeSource}'s initial copy (see {@link
 * CopyProgressReporting}), for example to draw a progress bar.
 *
 * <p>Called on the source's capture thread, after each chunk of a table has been handed on and once
 * more when the table is complete; an implementation must return quickly and must not call back
 * into the source. Exceptions it throws stop the source like a handler's.
 */
@FunctionalInterface
public interface CopyProgressListener {

  /** A listener that ignores progress. */
  CopyProgressListener NONE = (table, rowsCopied, estimatedRows, done) -> {};

  /**
   * Reports the progress of one table.
   *
   * @param table the table being copied; never null
   * @param rowsCopied rows of the table read so far (row filters may drop some of them)
   * @param estimatedRows the server's estimate of the table's rows (for PostgreSQL, {@code
   *     pg_class.reltuples}) when the copy started, or -1 if the server has none (a table never
   *     analysed); may be exceeded
   * @param done whether the table is complete
   */
  void onProgress(TableId table, long rowsCopied, long estimatedRows, boolean done);

  /**
   * Reports that the source has no initial copy left to do: it started without one (the slot
   * existed, the copy was acknowledged before, or copies are off), the copy had no row, or the
   * copy's acknowledgement is recorded in the database, so no restart copies again. Called at most
   * once per {@code start}, on the starting or the capture thread.
   */
  default void onCopySettled() {}
}
