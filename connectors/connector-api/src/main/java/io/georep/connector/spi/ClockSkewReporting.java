package io.georep.connector.spi;

/**
 * A capability of a {@link ChangeSource}: reporting the clock skew it sees between the regions'
 * commit timestamps and the local commit time.
 */
public interface ClockSkewReporting {
  /**
   * Sets the listener of observed skew; call before {@link ChangeSource#start}.
   *
   * @param listener the listener; never null
   */
  void setClockSkewListener(ClockSkewListener listener);
}
