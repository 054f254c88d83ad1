package io.georep.vectorclock;

import static org.assertj.core.api.Assertions.assertThat;

import io.georep.vectorclock.testkit.Generators;
import io.georep.vectorclock.testkit.ManualClock;
import io.georep.vectorclock.testkit.Seeds;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.stream.LongStream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Simulates replicas with drifting, stepping wall clocks exchanging messages in random order, and
 * checks the hybrid logical clock's invariants after every step.
 */
class HybridLogicalClockPropertiesTest {
  private static final long START = 1_700_000_000_000L;
  private static final Duration MAX_SKEW = Duration.ofSeconds(5);

  private record Message(int to, HybridTimestamp sent) {}

  static LongStream simulation() {
    return Seeds.of("hlc-simulation");
  }

  @ParameterizedTest(name = "seed={0}")
  @MethodSource("simulation")
  void clocks_randomMessagesAndSkew_monotonicCausalAndBounded(long seed) {
    Seeds.check(
        seed,
        random -> {
          int n = 3;
          List<ManualClock> physical = new ArrayList<>();
          List<HybridLogicalClock> clocks = new ArrayList<>();
          List<HybridTimestamp> last = new ArrayList<>();
          // The largest wall time any replica's physical clock has shown: no HLC may exceed it.
          long maxPhysicalSeen = 0;
          for (int i = 0; i < n; i++) {
            ManualClock pc = new ManualClock(START + random.nextInt(2000));
            physical.add(pc);
            clocks.add(new HybridLogicalClock(Generators.replicas(n).get(i), pc, MAX_SKEW));
            last.add(null);
            maxPhysicalSeen = Math.max(maxPhysicalSeen, pc.currentTimeMillis());
          }
          Deque<Message> inFlight = new ArrayDeque<>();
          for (int step = 0; step < 60; step++) {
            int i = random.nextInt(n);
            ManualClock pc = physical.get(i);
            // Wall clocks mostly advance, sometimes stand still or step back (NTP corrections).
            pc.advance(random.nextInt(10) == 0 ? -random.nextInt(50) : random.nextInt(3));
            maxPhysicalSeen = Math.max(maxPhysicalSeen, pc.currentTimeMillis());
            HybridLogicalClock clock = clocks.get(i);
            HybridTimestamp ts;
            int action = random.nextInt(3);
            if (action == 2 && !inFlight.isEmpty()) {
              Message m = random.nextBoolean() ? inFlight.pollFirst() : inFlight.pollLast();
              ts = clocks.get(m.to()).receive(m.sent());
              // Causality: the receive event orders after the send event.
              assertThat(ts).isGreaterThan(m.sent());
              i = m.to();
            } else {
              ts = clock.now();
              if (action == 1) {
                inFlight.add(new Message(random.nextInt(n), ts));
              }
            }
            // Monotonic per replica.
            if (last.get(i) != null) {
              assertThat(ts).isGreaterThan(last.get(i));
            }
            last.set(i, ts);
            assertThat(ts.origin()).isEqualTo(clocks.get(i).replica());
            // Never behind the local physical clock; never ahead of the largest physical time seen.
            assertThat(ts.wallTimeMillis())
                .isGreaterThanOrEqualTo(physical.get(i).currentTimeMillis());
            assertThat(ts.wallTimeMillis()).isLessThanOrEqualTo(maxPhysicalSeen);
          }
        });
  }
}
