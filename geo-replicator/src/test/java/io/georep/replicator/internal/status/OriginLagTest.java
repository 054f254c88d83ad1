package io.georep.replicator.internal.status;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** The lag of an origin from its heartbeats, the receiver's view and silence. */
class OriginLagTest {
  private static final long TIMEOUT = 15_000;

  @Test
  void lag_everythingReportedApplied_isZero() {
    OriginLag lag = new OriginLag(0);
    lag.heard(1_000);
    lag.reported(100, 900);

    assertThat(lag.lagMillis(100, 0, 2_000, TIMEOUT)).isZero();
  }

  @Test
  void lag_reportedButNeverReceived_isAgeOfOldestUnappliedReport() {
    OriginLag lag = new OriginLag(0);
    lag.reported(100, 1_000);
    lag.reported(200, 2_000);
    lag.reported(300, 3_000);
    lag.heard(3_000);

    // Nothing was received (no pending transaction): the stream cannot be read.
    assertThat(lag.lagMillis(50, 0, 10_000, TIMEOUT)).isEqualTo(9_000);
    assertThat(lag.lagMillis(200, 0, 10_000, TIMEOUT)).isEqualTo(7_000);
    assertThat(lag.lagMillis(300, 0, 10_000, TIMEOUT)).isZero();
  }

  @Test
  void lag_receivedNotApplied_isAtLeastAgeOfOldestPending() {
    OriginLag lag = new OriginLag(0);
    lag.heard(5_000);

    assertThat(lag.lagMillis(0, 4_000, 6_000, TIMEOUT)).isEqualTo(2_000);
  }

  @Test
  void lag_originSilentBeyondTimeout_growsWithSilence() {
    OriginLag lag = new OriginLag(0);
    lag.reported(100, 1_000);
    lag.heard(1_000);

    assertThat(lag.lagMillis(100, 0, 1_000 + TIMEOUT, TIMEOUT)).isZero();
    assertThat(lag.lagMillis(100, 0, 1_000 + TIMEOUT + 1, TIMEOUT)).isEqualTo(TIMEOUT + 1);
    assertThat(lag.lagMillis(100, 0, 61_000, TIMEOUT)).isEqualTo(60_000);
    assertThat(lag.up(61_000, TIMEOUT)).isFalse();

    lag.heard(62_000);

    assertThat(lag.lagMillis(100, 0, 62_500, TIMEOUT)).isZero();
    assertThat(lag.up(62_500, TIMEOUT)).isTrue();
  }

  @Test
  void lag_neverHeard_countsSilenceFromStart() {
    OriginLag lag = new OriginLag(10_000);

    assertThat(lag.up(10_001, TIMEOUT)).isFalse();
    assertThat(lag.lagMillis(0, 0, 10_000 + TIMEOUT, TIMEOUT)).isZero();
    assertThat(lag.lagMillis(0, 0, 40_000, TIMEOUT)).isEqualTo(30_000);
  }

  @Test
  void reported_sameSeqAgain_keepsTheFirstCommitTime() {
    OriginLag lag = new OriginLag(0);
    lag.heard(9_000);
    lag.reported(100, 1_000);
    lag.reported(100, 1_000);
    lag.reported(90, 500);

    assertThat(lag.lagMillis(0, 0, 9_000, TIMEOUT)).isEqualTo(8_000);
  }

  @Test
  void reported_beyondCapacity_dropsOldestAndStaysALowerBound() {
    OriginLag lag = new OriginLag(0);
    for (int i = 1; i <= OriginLag.MAX_REPORTS + 10; i++) {
      lag.reported(i, i * 1_000L);
    }
    long now = (OriginLag.MAX_REPORTS + 20) * 1_000L;
    lag.heard(now);

    assertThat(lag.lagMillis(0, 0, now, TIMEOUT)).isEqualTo(now - 11_000);
  }
}
