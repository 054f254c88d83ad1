package io.georep.replicator.internal.control;

import static org.assertj.core.api.Assertions.assertThat;

import io.georep.connector.spi.GarbageCollecting;
import io.georep.connector.spi.RegionApplier;
import io.georep.connector.spi.RegionDatabase;
import io.georep.replicator.internal.status.AgentState;
import java.lang.reflect.Proxy;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * When the garbage collector writes causal ticks: only in a region that shipped nothing since the
 * previous run, and only while something applied since the latest tick is not covered by one.
 */
class GarbageCollectorTickTest {
  private final AtomicInteger ticks = new AtomicInteger();
  private final AgentState state = new AgentState(() -> 1_000L);
  private final GarbageCollector gc =
      new GarbageCollector(database(), state, Duration.ZERO, () -> 1_000L);

  @Test
  void tick_onlyWhenIdle_andUntilEveryAppliedTransactionIsCovered() {
    gc.run();
    assertThat(ticks).as("first run: nothing to compare with").hasValue(0);

    state.changingTransactionsApplied.set(1);
    gc.run();
    assertThat(ticks).as("applied one, shipped nothing").hasValue(1);

    // The tick is shipped; meanwhile a second transaction was applied (after the tick's read).
    state.transactionsShipped.set(1);
    state.changingTransactionsApplied.set(2);
    gc.run();
    assertThat(ticks).as("something was shipped since the previous run").hasValue(1);
    gc.run();
    assertThat(ticks).as("the second applied transaction needs a tick of its own").hasValue(2);

    state.transactionsShipped.set(2);
    gc.run();
    gc.run();
    gc.run();
    assertThat(ticks).as("everything applied is covered: no more ticks").hasValue(2);
  }

  @Test
  void noTick_whileTheRegionShipsItsOwnWrites() {
    gc.run();
    for (int i = 1; i <= 5; i++) {
      state.transactionsShipped.set(i);
      state.changingTransactionsApplied.set(i);
      gc.run();
    }
    assertThat(ticks).hasValue(0);
  }

  private RegionDatabase database() {
    RegionApplier applier =
        (RegionApplier)
            Proxy.newProxyInstance(
                getClass().getClassLoader(),
                new Class<?>[] {RegionApplier.class},
                (proxy, method, args) ->
                    switch (method.getName()) {
                      case "tick" -> {
                        ticks.incrementAndGet();
                        yield true;
                      }
                      case "collectGarbage" -> new GarbageCollecting.Collected(0, 0, 0);
                      case "pruneConflictLog" -> 0;
                      case "close" -> null;
                      default -> throw new UnsupportedOperationException(method.getName());
                    });
    return (RegionDatabase)
        Proxy.newProxyInstance(
            getClass().getClassLoader(),
            new Class<?>[] {RegionDatabase.class},
            (proxy, method, args) ->
                switch (method.getName()) {
                  case "openApplier" -> applier;
                  case "captureName" -> "test";
                  default -> throw new UnsupportedOperationException(method.getName());
                });
  }
}
