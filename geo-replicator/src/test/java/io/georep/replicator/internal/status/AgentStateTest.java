package io.georep.replicator.internal.status;

import static org.assertj.core.api.Assertions.assertThat;

import io.georep.vectorclock.ReplicaId;
import io.georep.vectorclock.VersionVector;
import org.junit.jupiter.api.Test;

/** Heartbeats read from the control stream into the agent state. */
class AgentStateTest {
  private static final ReplicaId US = ReplicaId.of("us-east");

  private static Heartbeat beat(long shippedSeq, long sentAt) {
    return new Heartbeat(US, VersionVector.empty(), shippedSeq, shippedSeq, sentAt, sentAt - 10);
  }

  @Test
  void heard_replayedHistory_tellsThePositionButNotThatTheRegionIsUp() {
    AgentState state = new AgentState(() -> 0L);
    AgentState.OriginState origin = state.origin(US);

    state.heard(beat(100, 1_000), 50_000, false);

    assertThat(origin.lag.up(50_000, 15_000)).isFalse();
    assertThat(state.heartbeats.get(US).receivedAtMillis()).isZero();
    assertThat(origin.lagSeconds(50_000, 15_000)).isEqualTo(50.0);
  }

  @Test
  void heard_live_marksTheRegionUp_andKeepsTheNewestHeartbeat() {
    AgentState state = new AgentState(() -> 0L);
    AgentState.OriginState origin = state.origin(US);

    state.heard(beat(200, 2_000), 50_000, true);
    state.heard(beat(100, 1_000), 50_100, false);

    assertThat(origin.lag.up(50_100, 15_000)).isTrue();
    assertThat(state.heartbeats.get(US).heartbeat().shippedSeq()).isEqualTo(200);
    assertThat(state.heartbeats.get(US).receivedAtMillis()).isEqualTo(50_000);
    assertThat(origin.lagSeconds(50_100, 15_000)).isEqualTo((50_100 - 1_990) / 1000.0);
  }
}
