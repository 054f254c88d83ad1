package io.georep.replicator.internal.ship;

import static org.assertj.core.api.Assertions.assertThat;

import io.georep.connector.ColumnSchema;
import io.georep.connector.RowChange;
import io.georep.connector.ScalarType;
import io.georep.connector.SourceTransaction;
import io.georep.connector.TableId;
import io.georep.connector.TableSchema;
import io.georep.connector.Value;
import io.georep.vectorclock.HybridTimestamp;
import io.georep.vectorclock.ReplicaId;
import io.georep.vectorclock.VersionVector;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The shipping permits: bounds in transactions and KiB, returned when every holder is done. */
class InFlightTest {
  private static final ReplicaId HERE = ReplicaId.of("here");
  private static final TableSchema T =
      TableSchema.of(
          TableId.of("public", "t"),
          List.of(
              ColumnSchema.key("id", ScalarType.INT4, 1),
              ColumnSchema.of("v", ScalarType.TEXT, true)));

  private static SourceTransaction tx(int textBytes) {
    RowChange insert =
        new RowChange.Insert(
            T, Map.of("id", new Value.Int4(1), "v", new Value.Text("x".repeat(textBytes))));
    return new SourceTransaction(
        HERE, 10, new HybridTimestamp(10, 0, HERE), VersionVector.empty(), List.of(insert));
  }

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
