package io.georep.replicator.internal.apply;

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

/** The apply window's bounds in transactions and in KiB of estimated heap. */
class WindowTest {
  private static final ReplicaId A = ReplicaId.of("a");
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
        A, 10, new HybridTimestamp(10, 0, A), VersionVector.empty(), List.of(insert));
  }

  @Test
  void tryAcquire_beyondTheTransactionCount_fails() throws Exception {
    Window w = new Window(2, 1L << 20);

    assertThat(w.tryAcquire(1, 0)).isTrue();
    assertThat(w.tryAcquire(1, 0)).isTrue();
    assertThat(w.tryAcquire(1, 0)).isFalse();
    assertThat(w.availableTransactions()).isZero();
  }

  @Test
  void tryAcquire_beyondTheBytes_failsAndKeepsTheTransactionPermit() throws Exception {
    Window w = new Window(100, 1L << 20);

    assertThat(w.tryAcquire(1000, 0)).isTrue();
    assertThat(w.tryAcquire(25, 0)).isFalse();

    assertThat(w.availableTransactions()).isEqualTo(99);
    assertThat(w.tryAcquire(24, 0)).isTrue();
  }

  @Test
  void release_returnsBothCountAndBytes() throws Exception {
    Window w = new Window(1, 1L << 20);
    assertThat(w.tryAcquire(1024, 0)).isTrue();

    w.release(1, 1024);

    assertThat(w.availableTransactions()).isEqualTo(1);
    assertThat(w.tryAcquire(1024, 0)).isTrue();
  }

  @Test
  void weight_followsTheTransactionsEstimatedSizeInKib() {
    Window w = new Window(100, 1L << 20);

    assertThat(w.weight(tx(10))).isEqualTo(1);
    assertThat(w.weight(tx(200 << 10))).isBetween(200, 201);
  }

  @Test
  void weight_ofATransactionLargerThanTheWindow_isTheWholeWindowSoItIsAdmittedAlone()
      throws Exception {
    Window w = new Window(100, 1L << 20);
    int weight = w.weight(tx(5 << 20));

    assertThat(weight).isEqualTo(1024);
    assertThat(w.tryAcquire(weight, 0)).isTrue();
    assertThat(w.tryAcquire(1, 0)).isFalse();
  }
}
