package io.georep.cli.demo;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class LagTrackerTest {
  private static final long SECOND = 1_000_000_000L;

  @Test
  void lagSeconds_appliedEverything_isZero() {
    LagTracker lag = new LagTracker();
    lag.sample("eu-west", 100, 0);
    lag.sample("eu-west", 200, SECOND);

    assertThat(lag.lagSeconds("eu-west", 200, 5 * SECOND)).isZero();
  }

  @Test
  void lagSeconds_behind_isAgeOfOldestUnappliedPosition() {
    LagTracker lag = new LagTracker();
    lag.sample("eu-west", 100, 0);
    lag.sample("eu-west", 200, SECOND);
    lag.sample("eu-west", 300, 2 * SECOND);

    assertThat(lag.lagSeconds("eu-west", 100, 5 * SECOND)).isEqualTo(4.0);
    assertThat(lag.lagSeconds("eu-west", 250, 5 * SECOND)).isEqualTo(3.0);
    assertThat(lag.lagSeconds("eu-west", 0, 5 * SECOND)).isEqualTo(5.0);
  }

  @Test
  void sample_unchangedOrOlderPosition_keepsFirstSighting() {
    LagTracker lag = new LagTracker();
    lag.sample("eu-west", 100, 0);
    lag.sample("eu-west", 100, 3 * SECOND);
    lag.sample("eu-west", 50, 4 * SECOND);

    assertThat(lag.lagSeconds("eu-west", 0, 5 * SECOND)).isEqualTo(5.0);
  }

  @Test
  void prune_forgetsAppliedPositions_keepsNewest() {
    LagTracker lag = new LagTracker();
    lag.sample("eu-west", 100, 0);
    lag.sample("eu-west", 200, SECOND);
    lag.prune("eu-west", 200);
    // A region that reports an older watermark than the pruned samples sees the newest one.
    assertThat(lag.lagSeconds("eu-west", 150, 3 * SECOND)).isEqualTo(2.0);

    lag.sample("eu-west", 300, 4 * SECOND);
    assertThat(lag.lagSeconds("eu-west", 200, 5 * SECOND)).isEqualTo(1.0);
  }

  @Test
  void lagSeconds_unknownOrigin_isZero() {
    assertThat(new LagTracker().lagSeconds("us-east", 0, SECOND)).isZero();
  }
}
