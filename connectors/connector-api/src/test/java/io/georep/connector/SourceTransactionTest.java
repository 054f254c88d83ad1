package io.georep.connector;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.georep.vectorclock.Dot;
import io.georep.vectorclock.HybridTimestamp;
import io.georep.vectorclock.ReplicaId;
import io.georep.vectorclock.VersionVector;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class SourceTransactionTest {
  private static final ReplicaId US = ReplicaId.of("us-east");
  private static final ReplicaId EU = ReplicaId.of("eu-west");
  private static final HybridTimestamp AT = new HybridTimestamp(1_700_000_000_000L, 0, US);

  @Test
  void dot_originAndSeq() {
    SourceTransaction tx = new SourceTransaction(US, 42, AT, VersionVector.empty(), List.of());
    assertThat(tx.dot()).isEqualTo(new Dot(US, 42));
    assertThat(tx.changes()).isEmpty();
  }

  @Test
  void sourceTransaction_seqZero_rejected() {
    assertThatThrownBy(() -> new SourceTransaction(US, 0, AT, VersionVector.empty(), List.of()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("transaction of us-east: seq starts at 1, got 0");
  }

  @Test
  void sourceTransaction_commitTimestampFromOtherOrigin_rejected() {
    HybridTimestamp fromEu = new HybridTimestamp(1_700_000_000_000L, 0, EU);
    assertThatThrownBy(() -> new SourceTransaction(US, 5, fromEu, VersionVector.empty(), List.of()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage(
            "transaction us-east:5 has commit timestamp 2023-11-14T22:13:20Z+0@eu-west issued by"
                + " eu-west; a transaction's commit timestamp comes from its origin's clock");
  }

  @Test
  void sourceTransaction_contextCoversOwnDot_rejected() {
    VersionVector context = VersionVector.of(Map.of(US, 5L, EU, 9L));
    assertThatThrownBy(() -> new SourceTransaction(US, 5, AT, context, List.of()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage(
            "transaction us-east:5 has causal context [eu-west:9, us-east:5] whose entry for its"
                + " own origin (5) is not below its seq; the context is the causal past and"
                + " excludes the transaction itself");
  }

  @Test
  void sourceTransaction_contextWithEarlierOwnEntry_accepted() {
    VersionVector context = VersionVector.of(Map.of(US, 4L, EU, 9L));
    assertThat(new SourceTransaction(US, 5, AT, context, List.of()).causalContext().get(EU))
        .isEqualTo(9);
  }
}
