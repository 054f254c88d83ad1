package io.georep.connector.spi;

import io.georep.vectorclock.ReplicaId;

/**
 * Receives the clock skew a {@link ChangeSource} observes (see {@link ClockSkewReporting}): for
 * every apply transaction it captures, how far the latest applied commit timestamp was ahead of the
 * local commit time of the apply (negative when behind, as usual), and whether it was beyond the
 * hybrid clock's maximum forward skew and so clamped (see {@link
 * io.georep.vectorclock.HybridLogicalClock#receiveClamped}). Skew never stops the capture; this is
 * how it becomes visible.
 *
 * <p>Called on the source's capture thread; an implementation must return quickly and must not call
 * back into the source. A restart re-reads the change log after the last confirmed position, so an
 * observation may be reported again.
 */
@FunctionalInterface
public interface ClockSkewListener {

  /** A listener that ignores skew. */
  ClockSkewListener NONE = (origin, skewMillis, clamped) -> {};

  /**
   * Reports the skew of one applied remote timestamp.
   *
   * @param origin the region that issued the timestamp; never null
   * @param skewMillis how far ahead of the local commit time it was, in milliseconds; negative when
   *     it was behind
   * @param clamped whether it exceeded the maximum forward skew and was taken into account only up
   *     to that bound
   */
  void observed(ReplicaId origin, long skewMillis, boolean clamped);
}
