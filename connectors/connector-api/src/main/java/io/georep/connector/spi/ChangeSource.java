package io.georep.connector.spi;

/**
 * Captures the committed transactions of the local database, in commit order, for shipping to the
 * other regions.
 *
 * <p>Lifecycle: created, then {@link #start} once, then any number of {@link #acknowledge} calls,
 * then {@link #close}. A source keeps every transaction it delivered and that was not yet
 * acknowledged recoverable (for PostgreSQL, the replication slot's confirmed position stays behind
 * it), so a crash loses nothing: a new source resumes after the last acknowledged transaction.
 *
 * <p>Threading: {@link #start}, {@link #acknowledge} and {@link #close} may be called from any
 * thread; the handler is called as {@link TransactionHandler} describes.
 */
public interface ChangeSource extends AutoCloseable {
  /**
   * Starts capturing and returns at once; transactions go to the handler from then on. The source
   * delivers transactions whose {@code seq} is above {@code resumeAfterSeq}, and never anything
   * before its own durable position.
   *
   * @param handler receives transactions and the terminal failure; never null
   * @param resumeAfterSeq the {@code seq} of the last transaction known to be shipped, 0 for none:
   *     the source skips transactions up to it
   * @throws IllegalStateException if the source was already started or is closed
   * @throws io.georep.vectorclock.GeorepException if capture cannot start (for example, the slot
   *     does not exist); retriable failures extend {@link
   *     io.georep.vectorclock.RetriableGeorepException}
   */
  void start(TransactionHandler handler, long resumeAfterSeq);

  /**
   * Confirms that every delivered transaction with {@code seq} up to the given one is durable
   * downstream (acknowledged by Kafka), so the source may release it. Acknowledging a lower {@code
   * seq} than before has no effect.
   *
   * @param seq the highest durable {@code seq}
   * @throws IllegalStateException if the source was not started
   */
  void acknowledge(long seq);

  /**
   * Stops capturing and releases the source's resources. Idempotent: later calls do nothing. Does
   * not call {@link TransactionHandler#onFailure}.
   */
  @Override
  void close();
}
