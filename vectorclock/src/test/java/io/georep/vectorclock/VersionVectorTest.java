package io.georep.vectorclock;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.georep.vectorclock.encoding.MalformedEncodingException;
import java.util.Map;
import org.junit.jupiter.api.Test;

class VersionVectorTest {
  private static final ReplicaId A = ReplicaId.of("a");
  private static final ReplicaId B = ReplicaId.of("b");

  private static VersionVector vv(long a, long b) {
    return VersionVector.of(Map.of(A, a, B, b));
  }

  @Test
  void compare_spelledOutCases_matchDefinition() {
    assertThat(vv(1, 2).compare(vv(1, 2))).isEqualTo(CausalOrder.EQUAL);
    assertThat(vv(1, 2).compare(vv(1, 3))).isEqualTo(CausalOrder.BEFORE);
    assertThat(vv(2, 2).compare(vv(1, 2))).isEqualTo(CausalOrder.AFTER);
    assertThat(vv(2, 1).compare(vv(1, 2))).isEqualTo(CausalOrder.CONCURRENT);
    assertThat(VersionVector.empty().compare(vv(0, 1))).isEqualTo(CausalOrder.BEFORE);
  }

  @Test
  void of_zeroEntries_dropped() {
    assertThat(vv(0, 0)).isEqualTo(VersionVector.empty());
    assertThat(vv(0, 3).size()).isEqualTo(1);
    assertThat(vv(0, 3).toString()).isEqualTo("[b:3]");
  }

  @Test
  void join_concurrentVectors_takesMaximumPerReplica() {
    assertThat(vv(2, 1).join(vv(1, 5))).isEqualTo(vv(2, 5));
  }

  @Test
  void meet_vectors_takesMinimumPerReplica() {
    assertThat(vv(2, 1).meet(vv(1, 5))).isEqualTo(vv(1, 1));
  }

  @Test
  void covers_dotAtOrBelowCounter_true() {
    assertThat(vv(3, 0).covers(new Dot(A, 3))).isTrue();
    assertThat(vv(3, 0).covers(new Dot(A, 4))).isFalse();
    assertThat(vv(3, 0).covers(new Dot(B, 1))).isFalse();
  }

  @Test
  void of_negativeCounter_rejectedNamingReplica() {
    assertThatThrownBy(() -> VersionVector.of(Map.of(A, -1L)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("version vector counter for a must not be negative: -1");
  }

  @Test
  void toBytes_knownVector_hasCompactLayout() {
    // tag 'V', 2 entries, "a" -> 3, "b" -> 300 (varint 0xAC 0x02)
    assertThat(vv(3, 300).toBytes()).containsExactly('V', 2, 1, 'a', 3, 1, 'b', 0xAC - 256, 0x02);
  }

  @Test
  void fromBytes_entriesOutOfOrder_rejected() {
    byte[] input = {'V', 2, 1, 'b', 1, 1, 'a', 1};
    assertThatThrownBy(() -> VersionVector.fromBytes(input))
        .isInstanceOf(MalformedEncodingException.class)
        .hasMessage(
            "version vector entries out of order or duplicated at replica a (at byte offset 5)");
  }

  @Test
  void fromBytes_zeroCounter_rejectedAsNonCanonical() {
    byte[] input = {'V', 1, 1, 'a', 0};
    assertThatThrownBy(() -> VersionVector.fromBytes(input))
        .isInstanceOf(MalformedEncodingException.class)
        .hasMessage(
            "version vector counter must be between 1 and 9223372036854775807, got 0"
                + " (at byte offset 4)");
  }

  @Test
  void fromBytes_wrongTag_rejected() {
    assertThatThrownBy(() -> VersionVector.fromBytes(new Dot(A, 1).toBytes()))
        .isInstanceOf(MalformedEncodingException.class)
        .hasMessage("not a version vector: wrong type tag (at byte offset 0)");
  }

  @Test
  void fromBytes_trailingBytes_rejected() {
    byte[] valid = vv(1, 1).toBytes();
    byte[] input = java.util.Arrays.copyOf(valid, valid.length + 1);
    assertThatThrownBy(() -> VersionVector.fromBytes(input))
        .isInstanceOf(MalformedEncodingException.class)
        .hasMessage("1 unexpected trailing bytes after version vector (at byte offset 8)");
  }
}
