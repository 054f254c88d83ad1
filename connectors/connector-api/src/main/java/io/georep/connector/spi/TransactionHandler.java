package io.georep.connector.spi;

import io.georep.connector.SourceTransaction;
import io.georep.vectorclock.GeorepException;

/**
 * Receives what a {@link ChangeSource} captures: committed transactions in commit order, and at
 * most one terminal failure.
 *
 * <p>Threading: a source calls its handler from one thread at a time (usually its own capture
 * thread), never concurrently; the calls happen-before one another. A handler may block to apply
 * back-pressure: the source captures nothing while it waits.
 */
public interface TransactionHandler {
  /**
   * Receives the next committed transaction. Transactions arrive in strictly increasing {@code
   * seq}; after a restart the source may deliver again transactions it delivered before but that
   * were not {@linkplain ChangeSource#acknowledge acknowledged}, so receivers deduplicate by {@link
   * SourceTransaction#dot()}.
   *
   * <p>If this method throws, the source stops and reports the exception to {@link #onFailure}.
   *
   * @param transaction the transaction; never null
   */
  void onTransaction(SourceTransaction transaction);

  /**
   * Receives the failure that stopped the source. Called at most once, after which the source calls
   * nothing else; a retriable failure ({@link io.georep.vectorclock.RetriableGeorepException})
   * means a new source may be started from the last acknowledged position.
   *
   * @param failure what stopped the source; never null
   */
  void onFailure(GeorepException failure);
}
