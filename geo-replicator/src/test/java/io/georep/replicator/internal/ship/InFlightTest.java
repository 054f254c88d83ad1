package io.georep.replicator.internal.ship;

import static io.georep.replicator.internal.SizedTransactions.tx;
import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** The shipping permits: bounds in transactions and KiB, returned when every holder is done. */
class InFlightTest {
  @Test
  void acquire_beyondTheTransactionCount_waitsUntilStopped() throws Exception {
    InFlight permits = new InFlight(2, 1L << 20);
    assertThat(permits.acquire(1, () -> true)).isTrue();
    assertThat(permits.acquire(1, () -> true)).isTrue();

    assertThat(permits.acquire(1, () -> true)).isFalse();
    assertThat(permits.availableTransactions()).isZero();
  }

  @Test
  void acquire_beyondTheBytes_waitsUntilStoppedAndReturnsTheTransactionPermit() throws Exception {
    InFlight permits = new InFlight(10, 1L << 20);
    assertThat(permits.acquire(1000, () -> true)).isTrue();

    assertThat(permits.acquire(100, () -> true)).isFalse();

    assertThat(permits.availableTransactions()).isEqualTo(9);
    assertThat(permits.availableKib()).isEqualTo(24);
  }

  @Test
  void hold_isReleasedOnlyWhenKafkaAndTheFolderAreBothDone() throws Exception {
    InFlight permits = new InFlight(3, 1L << 20);
    assertThat(permits.acquire(400, () -> true)).isTrue();
    assertThat(permits.acquire(400, () -> true)).isTrue();
    InFlight.Hold hold = permits.hold(2, 800, 2);

    hold.done();

    assertThat(permits.availableTransactions()).isEqualTo(1);
    assertThat(permits.availableKib()).isEqualTo(224);

    hold.done();

    assertThat(permits.availableTransactions()).isEqualTo(3);
    assertThat(permits.availableKib()).isEqualTo(1024);
  }

  @Test
  void hold_action_runsOnceWhenTheLastPartyIsDone_beforeThePermitsReturn() throws Exception {
    InFlight permits = new InFlight(1, 1L << 20);
    assertThat(permits.acquire(10, () -> true)).isTrue();
    java.util.List<Integer> seenFree = new java.util.ArrayList<>();
    InFlight.Hold hold =
        permits.hold(1, 10, 2, () -> seenFree.add(permits.availableTransactions()));

    hold.done();
    assertThat(seenFree).isEmpty();
    hold.done();
    hold.done();

    // The slot is confirmed (the action) while the batch still holds its permits, and only once.
    assertThat(seenFree).containsExactly(0);
    assertThat(permits.availableTransactions()).isEqualTo(1);
  }

  @Test
  void hold_doneMoreOftenThanItsParties_returnsThePermitsOnce() throws Exception {
    InFlight permits = new InFlight(1, 1L << 20);
    assertThat(permits.acquire(10, () -> true)).isTrue();
    InFlight.Hold hold = permits.hold(1, 10, 1);

    hold.done();
    hold.done();

    assertThat(permits.availableTransactions()).isEqualTo(1);
    assertThat(permits.availableKib()).isEqualTo(1024);
  }

  @Test
  void weight_ofATransactionLargerThanTheBound_isTheWholeBoundSoItShipsAlone() throws Exception {
    InFlight permits = new InFlight(10, 1L << 20);
    int weight = permits.weight(tx(3 << 20));

    assertThat(weight).isEqualTo(permits.maxKib());
    assertThat(permits.acquire(weight, () -> true)).isTrue();
    assertThat(permits.acquire(1, () -> true)).isFalse();
  }

  @Test
  void weight_ofASmallTransaction_isAtLeastOneKib() {
    assertThat(new InFlight(10, 1L << 20).weight(tx(10))).isEqualTo(1);
  }
}
