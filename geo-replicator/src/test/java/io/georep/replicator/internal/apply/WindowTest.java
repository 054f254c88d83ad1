package io.georep.replicator.internal.apply;

import static io.georep.replicator.internal.SizedTransactions.tx;
import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** The apply window's bounds in transactions and in KiB of estimated heap. */
class WindowTest {
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
