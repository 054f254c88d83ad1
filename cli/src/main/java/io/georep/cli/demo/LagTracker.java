package io.georep.cli.demo;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashMap;
import java.util.Map;

/**
 * Replication lag per pair of regions, measured end to end from the agents' own positions: for an
 * origin, samples of its capture position (the seq of its last captured transaction, with the time
 * it was first seen); the lag of a region behind that origin is the age of the oldest sampled
 * position its applied watermark has not reached — zero once it has applied everything the origin
 * captured.
 *
 * <p>Unlike an apply-side measure (the age of the oldest <em>received</em> transaction), this also
 * counts transactions that are stuck before they reach the receiver: captured but not yet shipped
 * by an origin that is cut off from Kafka, or shipped but not yet fetched by a receiver that is.
 * The resolution is the sampling interval.
 *
 * <p>Thread-safe.
 */
final class LagTracker {
  /** A capture position and when it was first seen. */
  private record Sample(long seq, long nanos) {}

  private final Map<String, Deque<Sample>> samples = new HashMap<>();

  /**
   * Records an origin's capture position.
   *
   * @param origin the origin region
   * @param capturedSeq the seq of its last captured transaction
   * @param nowNanos the time of the sample
   */
  synchronized void sample(String origin, long capturedSeq, long nowNanos) {
    Deque<Sample> s = samples.computeIfAbsent(origin, o -> new ArrayDeque<>());
    // A restarted capture may report an older position for a moment; positions only grow here.
    if (capturedSeq > 0 && (s.isEmpty() || capturedSeq > s.peekLast().seq())) {
      s.addLast(new Sample(capturedSeq, nowNanos));
    }
  }

  /**
   * Returns how far a region is behind an origin.
   *
   * @param origin the origin region
   * @param appliedSeq the region's applied watermark for the origin
   * @param nowNanos the current time
   * @return the lag in seconds, 0 if the region applied everything sampled
   */
  synchronized double lagSeconds(String origin, long appliedSeq, long nowNanos) {
    Deque<Sample> s = samples.get(origin);
    if (s == null) {
      return 0;
    }
    for (Sample sample : s) {
      if (sample.seq() > appliedSeq) {
        return Math.max(0, nowNanos - sample.nanos()) / 1e9;
      }
    }
    return 0;
  }

  /**
   * Forgets the samples of an origin that every region has applied.
   *
   * @param origin the origin region
   * @param minAppliedSeq the lowest applied watermark for the origin over all other regions
   */
  synchronized void prune(String origin, long minAppliedSeq) {
    Deque<Sample> s = samples.get(origin);
    // Keep the newest sample, so that the position is known when the next one is compared.
    while (s != null && s.size() > 1 && s.peekFirst().seq() <= minAppliedSeq) {
      s.removeFirst();
    }
  }
}
