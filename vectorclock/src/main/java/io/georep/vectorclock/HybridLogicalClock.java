package io.georep.vectorclock;

import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A hybrid logical clock (HLC): timestamps close to physical time that still respect causality.
 *
 * <p>Design, after Kulkarni, Demirbas et al., "Logical Physical Clocks and Consistent Snapshots in
 * Globally Distributed Databases" (2014). The state is the last issued pair {@code (l, c)}:
 *
 * <ul>
 *   <li>Send or local event ({@link #now()}): {@code l' = max(l, pt)}; {@code c' = c + 1} if {@code
 *       l' == l}, else 0.
 *   <li>Receive of {@code (lm, cm)} ({@link #receive}): {@code l' = max(l, lm, pt)}; {@code c'} is
 *       {@code max(c, cm) + 1} if {@code l' == l == lm}, {@code c + 1} if only {@code l' == l},
 *       {@code cm + 1} if only {@code l' == lm}, else 0.
 * </ul>
 *
 * <p>Invariants: timestamps issued by one clock strictly increase; a timestamp issued after
 * receiving {@code m} is greater than {@code m}; {@code l} never trails physical time and exceeds
 * it only by what was received. A received timestamp more than {@code maxForwardSkew} ahead of
 * local physical time is rejected with {@link ClockSkewException} and leaves the clock unchanged,
 * so one replica with a broken wall clock cannot drag every other replica into the future. Should
 * the logical counter ever reach {@link Integer#MAX_VALUE} within one millisecond, the clock moves
 * to the next millisecond instead of overflowing.
 *
 * <p>Where a receiver must never stop (a replication stream that would replay the same timestamp
 * after every restart), {@link #receiveClamped} takes such a timestamp into account only up to the
 * bound: {@code lm} is clamped to {@code pt + maxForwardSkew}, and the receipt says so. The clock
 * then stays monotonic and at most the bound ahead of physical time, at the price of the receive
 * invariant for that one timestamp (the issued timestamp may be smaller than the far-future one).
 * Callers must then not rely on HLC order for causality; georep's conflict detection uses dots and
 * causal contexts for that, and HLCs only to order concurrent writes.
 *
 * <p>Thread-safe: the state is one immutable pair swapped atomically.
 */
public final class HybridLogicalClock {
  /** The default maximum forward skew accepted from a remote timestamp. */
  public static final Duration DEFAULT_MAX_FORWARD_SKEW = Duration.ofSeconds(60);

  private record State(long wall, int logical) {}

  private final ReplicaId replica;
  private final PhysicalClock physical;
  private final long maxForwardSkewMillis;
  private final Duration maxForwardSkew;
  private final AtomicReference<State> state = new AtomicReference<>(new State(0, 0));

  /**
   * Creates a clock for the replica.
   *
   * @param replica the replica whose timestamps this clock issues; never null
   * @param physical the physical time source; never null
   * @param maxForwardSkew how far ahead of local physical time a received timestamp may be;
   *     positive
   * @throws IllegalArgumentException if the skew is zero or negative
   */
  public HybridLogicalClock(ReplicaId replica, PhysicalClock physical, Duration maxForwardSkew) {
    this.replica = Objects.requireNonNull(replica, "replica");
    this.physical = Objects.requireNonNull(physical, "physical");
    this.maxForwardSkew = Objects.requireNonNull(maxForwardSkew, "maxForwardSkew");
    if (maxForwardSkew.isNegative() || maxForwardSkew.isZero()) {
      throw new IllegalArgumentException(
          "maximum forward clock skew must be positive, got " + maxForwardSkew);
    }
    this.maxForwardSkewMillis = maxForwardSkew.toMillis();
  }

  /**
   * Creates a clock with the {@linkplain #DEFAULT_MAX_FORWARD_SKEW default maximum skew}.
   *
   * @param replica the replica whose timestamps this clock issues; never null
   * @param physical the physical time source; never null
   */
  public HybridLogicalClock(ReplicaId replica, PhysicalClock physical) {
    this(replica, physical, DEFAULT_MAX_FORWARD_SKEW);
  }

  /**
   * Returns the replica whose timestamps this clock issues.
   *
   * @return the replica; never null
   */
  public ReplicaId replica() {
    return replica;
  }

  /**
   * Returns the maximum forward skew accepted from received timestamps.
   *
   * @return the limit; positive
   */
  public Duration maxForwardSkew() {
    return maxForwardSkew;
  }

  /**
   * Issues a timestamp for a local or send event.
   *
   * @return a timestamp greater than every timestamp this clock issued or received before
   */
  public HybridTimestamp now() {
    long pt = physical.currentTimeMillis();
    while (true) {
      State s = state.get();
      State next = s.wall >= pt ? bump(s.wall, s.logical) : new State(pt, 0);
      if (state.compareAndSet(s, next)) {
        return new HybridTimestamp(next.wall, next.logical, replica);
      }
    }
  }

  /**
   * Takes a received timestamp into account and issues the timestamp of the receive event.
   *
   * @param remote the received timestamp; never null
   * @return a timestamp greater than {@code remote} and than every timestamp issued before
   * @throws ClockSkewException if {@code remote} is more than the maximum forward skew ahead of
   *     local physical time; the clock is then unchanged
   */
  public HybridTimestamp receive(HybridTimestamp remote) {
    long pt = physical.currentTimeMillis();
    if (remote.wallTimeMillis() - pt > maxForwardSkewMillis) {
      throw new ClockSkewException(remote, pt, maxForwardSkew);
    }
    return merge(pt, remote.wallTimeMillis(), remote.logical());
  }

  /**
   * The outcome of {@link #receiveClamped}.
   *
   * @param timestamp the timestamp of the receive event; greater than every timestamp issued
   *     before, and greater than the received one unless it was clamped
   * @param skewMillis how far the received wall time was ahead of local physical time (negative if
   *     behind)
   * @param clamped whether the skew exceeded the maximum and the received timestamp was taken into
   *     account only up to {@code physical time + maxForwardSkew}
   */
  public record Receipt(HybridTimestamp timestamp, long skewMillis, boolean clamped) {
    /** Validates the receipt. */
    public Receipt {
      Objects.requireNonNull(timestamp, "timestamp");
    }
  }

  /**
   * Takes a received timestamp into account like {@link #receive}, but never rejects it: a
   * timestamp more than the maximum forward skew ahead of local physical time is clamped to {@code
   * physical time + maxForwardSkew} (logical counter 0) before it is merged, and the receipt
   * reports the skew. The clock never moves more than the bound ahead of physical time because of a
   * received timestamp, and stays monotonic.
   *
   * @param remote the received timestamp; never null
   * @return the receive event's timestamp, the observed skew, and whether it was clamped
   */
  public Receipt receiveClamped(HybridTimestamp remote) {
    long pt = physical.currentTimeMillis();
    long skew = remote.wallTimeMillis() - pt;
    if (skew <= maxForwardSkewMillis) {
      return new Receipt(merge(pt, remote.wallTimeMillis(), remote.logical()), skew, false);
    }
    return new Receipt(merge(pt, pt + maxForwardSkewMillis, 0), skew, true);
  }

  /**
   * Returns the last timestamp issued, without issuing a new one.
   *
   * @return the current timestamp; wall time 0 before the first event
   */
  public HybridTimestamp current() {
    State s = state.get();
    return new HybridTimestamp(s.wall, s.logical, replica);
  }

  /** The HLC receive rule for a received pair {@code (lm, cm)} at physical time {@code pt}. */
  private HybridTimestamp merge(long pt, long lm, int cm) {
    while (true) {
      State s = state.get();
      long l = Math.max(Math.max(s.wall, lm), pt);
      State next;
      if (l == s.wall && l == lm) {
        next = bump(l, Math.max(s.logical, cm));
      } else if (l == s.wall) {
        next = bump(l, s.logical);
      } else if (l == lm) {
        next = bump(l, cm);
      } else {
        next = new State(l, 0);
      }
      if (state.compareAndSet(s, next)) {
        return new HybridTimestamp(next.wall, next.logical, replica);
      }
    }
  }

  private static State bump(long wall, int logical) {
    return logical == Integer.MAX_VALUE ? new State(wall + 1, 0) : new State(wall, logical + 1);
  }
}
