package io.georep.replicator.internal.status;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.georep.vectorclock.ReplicaId;
import io.georep.vectorclock.VersionVector;
import org.junit.jupiter.api.Test;

class HeartbeatTest {
  @Test
  void encode_thenDecode_roundTrips() {
    Heartbeat h =
        new Heartbeat(
            ReplicaId.of("eu-west"),
            VersionVector.empty().advance(ReplicaId.of("us-east"), 42),
            100,
            90,
            1_700_000_000_000L,
            1_699_999_999_000L);

    assertThat(Heartbeat.decode(h.encode())).isEqualTo(h);
  }

  @Test
  void decode_trailingBytes_isRejected() {
    byte[] bytes = new Heartbeat(ReplicaId.of("a"), VersionVector.empty(), 1, 1, 1, 1).encode();
    byte[] longer = java.util.Arrays.copyOf(bytes, bytes.length + 1);

    assertThatThrownBy(() -> Heartbeat.decode(longer)).isInstanceOf(RuntimeException.class);
  }
}
