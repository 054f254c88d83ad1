package io.georep.vectorclock;

import java.time.Duration;

/**
 * A remote timestamp lies further in the future than the configured maximum forward skew.
 *
 * <p>Accepting it would drag this replica's hybrid clock ahead of real time and make its future
 * writes lose every last-writer-wins decision. The remote replica's clock is wrong: fix its time
 * synchronisation (NTP/chrony), or raise the maximum skew if the clocks are known to drift that
 * far.
 */
public class ClockSkewException extends GeorepException {
  private static final long serialVersionUID = 1L;

  private final transient HybridTimestamp remote;
  private final long skewMillis;

  /**
   * Creates the exception.
   *
   * @param remote the rejected timestamp; never null
   * @param localPhysicalMillis the local physical time when it was received
   * @param maxForwardSkew the configured limit; never null
   */
  public ClockSkewException(
      HybridTimestamp remote, long localPhysicalMillis, Duration maxForwardSkew) {
    super(
        "timestamp "
            + remote
            + " from replica "
            + remote.origin()
            + " is "
            + (remote.wallTimeMillis() - localPhysicalMillis)
            + " ms ahead of the local clock, more than the maximum forward skew of "
            + maxForwardSkew.toMillis()
            + " ms; fix the clock synchronisation (NTP) of replica "
            + remote.origin()
            + ", or raise the maximum clock skew if that drift is expected");
    this.remote = remote;
    this.skewMillis = remote.wallTimeMillis() - localPhysicalMillis;
  }

  /**
   * Returns the rejected timestamp.
   *
   * @return the remote timestamp; never null
   */
  public HybridTimestamp remote() {
    return remote;
  }

  /**
   * Returns how far ahead of the local physical clock the remote timestamp was.
   *
   * @return the skew in milliseconds; positive
   */
  public long skewMillis() {
    return skewMillis;
  }
}
