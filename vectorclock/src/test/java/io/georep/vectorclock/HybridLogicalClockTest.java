package io.georep.vectorclock;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.georep.vectorclock.testkit.ManualClock;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class HybridLogicalClockTest {
  private static final ReplicaId US = ReplicaId.of("us-east");
  private static final ReplicaId EU = ReplicaId.of("eu-west");

  @Test
  void now_physicalClockStandsStill_logicalCounterIncreases() {
    ManualClock pc = new ManualClock(1000);
    HybridLogicalClock clock = new HybridLogicalClock(US, pc);
    assertThat(clock.now()).isEqualTo(new HybridTimestamp(1000, 0, US));
    assertThat(clock.now()).isEqualTo(new HybridTimestamp(1000, 1, US));
    pc.advance(1);
    assertThat(clock.now()).isEqualTo(new HybridTimestamp(1001, 0, US));
  }

  @Test
  void now_physicalClockStepsBack_staysAheadOfLastTimestamp() {
    ManualClock pc = new ManualClock(5000);
    HybridLogicalClock clock = new HybridLogicalClock(US, pc);
    clock.now();
    pc.set(4000);
    assertThat(clock.now()).isEqualTo(new HybridTimestamp(5000, 1, US));
  }

  @Test
  void receive_remoteAheadWithinSkew_adoptsRemoteWallTime() {
    ManualClock pc = new ManualClock(1000);
    HybridLogicalClock clock = new HybridLogicalClock(US, pc, Duration.ofSeconds(1));
    HybridTimestamp ts = clock.receive(new HybridTimestamp(1900, 7, EU));
    assertThat(ts).isEqualTo(new HybridTimestamp(1900, 8, US));
    assertThat(clock.now()).isEqualTo(new HybridTimestamp(1900, 9, US));
  }

  @Test
  void receive_remoteBeyondMaxSkew_rejectedAndClockUnchanged() {
    ManualClock pc = new ManualClock(1000);
    HybridLogicalClock clock = new HybridLogicalClock(US, pc, Duration.ofSeconds(1));
    HybridTimestamp before = clock.now();
    HybridTimestamp remote = new HybridTimestamp(2001, 0, EU);
    assertThatThrownBy(() -> clock.receive(remote))
        .isInstanceOf(ClockSkewException.class)
        .hasMessageContaining("from replica eu-west is 1001 ms ahead of the local clock")
        .hasMessageContaining("maximum forward skew of 1000 ms")
        .hasMessageContaining("fix the clock synchronisation (NTP) of replica eu-west");
    assertThat(clock.current()).isEqualTo(before);
    assertThat(clock.receive(new HybridTimestamp(2000, 0, EU)).wallTimeMillis()).isEqualTo(2000);
  }

  @Test
  void receiveClamped_remoteTenMinutesAhead_clampsToBoundAndStaysMonotonic() {
    ManualClock pc = new ManualClock(1_000_000);
    HybridLogicalClock clock = new HybridLogicalClock(US, pc, Duration.ofSeconds(60));
    HybridTimestamp before = clock.now();
    HybridTimestamp remote = new HybridTimestamp(1_000_000 + 600_000, 3, EU);

    HybridLogicalClock.Receipt receipt = clock.receiveClamped(remote);

    assertThat(receipt.clamped()).isTrue();
    assertThat(receipt.skewMillis()).isEqualTo(600_000);
    assertThat(receipt.timestamp()).isEqualTo(new HybridTimestamp(1_060_000, 1, US));
    assertThat(receipt.timestamp()).isGreaterThan(before);
    HybridTimestamp next = clock.now();
    assertThat(next).isGreaterThan(receipt.timestamp());
    assertThat(next.wallTimeMillis() - pc.currentTimeMillis()).isLessThanOrEqualTo(60_000);
    // The same far-future timestamp again (a replay) never drags the clock further.
    assertThat(clock.receiveClamped(remote).timestamp().wallTimeMillis()).isEqualTo(1_060_000);
  }

  @Test
  void receiveClamped_remoteWithinBound_isAnOrdinaryReceive() {
    ManualClock pc = new ManualClock(1000);
    HybridLogicalClock clock = new HybridLogicalClock(US, pc, Duration.ofSeconds(1));

    HybridLogicalClock.Receipt receipt = clock.receiveClamped(new HybridTimestamp(1900, 7, EU));

    assertThat(receipt)
        .isEqualTo(new HybridLogicalClock.Receipt(new HybridTimestamp(1900, 8, US), 900, false));
  }

  @Test
  void receive_remoteBehind_keepsLocalTimeAndCounts() {
    ManualClock pc = new ManualClock(1000);
    HybridLogicalClock clock = new HybridLogicalClock(US, pc);
    clock.now();
    assertThat(clock.receive(new HybridTimestamp(10, 99, EU)))
        .isEqualTo(new HybridTimestamp(1000, 1, US));
  }

  @Test
  void receive_sameWallTime_takesMaxCounterPlusOne() {
    ManualClock pc = new ManualClock(1000);
    HybridLogicalClock clock = new HybridLogicalClock(US, pc);
    clock.now();
    assertThat(clock.receive(new HybridTimestamp(1000, 5, EU)))
        .isEqualTo(new HybridTimestamp(1000, 6, US));
  }

  @Test
  void now_logicalCounterAtMaximum_movesToNextMillisecond() {
    ManualClock pc = new ManualClock(1000);
    HybridLogicalClock clock = new HybridLogicalClock(US, pc);
    clock.receive(new HybridTimestamp(1000, Integer.MAX_VALUE - 1, EU));
    assertThat(clock.now()).isEqualTo(new HybridTimestamp(1001, 0, US));
  }

  @Test
  void constructor_zeroSkew_rejected() {
    assertThatThrownBy(() -> new HybridLogicalClock(US, new ManualClock(0), Duration.ZERO))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("maximum forward clock skew must be positive, got PT0S");
  }

  @Test
  void compareTo_equalWallAndCounter_replicaIdBreaksTie() {
    HybridTimestamp us = new HybridTimestamp(1000, 0, US);
    HybridTimestamp eu = new HybridTimestamp(1000, 0, EU);
    assertThat(us).isGreaterThan(eu);
    assertThat(us.isAfter(eu)).isTrue();
  }
}
