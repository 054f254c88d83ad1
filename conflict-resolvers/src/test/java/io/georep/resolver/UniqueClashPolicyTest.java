package io.georep.resolver;

import static org.assertj.core.api.Assertions.assertThat;

import io.georep.connector.RowChange;
import io.georep.connector.RowKey;
import io.georep.connector.Value;
import io.georep.resolver.spi.Version;
import io.georep.vectorclock.Dot;
import io.georep.vectorclock.HybridTimestamp;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class UniqueClashPolicyTest {
  private static UniqueClashPolicy.ClashingRow row(int id, String origin, long wall, int logical) {
    return new UniqueClashPolicy.ClashingRow(
        RowKey.of(new Value.Int4(id)),
        new Version(
            Dot.of(origin, id),
            new HybridTimestamp(wall, logical, io.georep.vectorclock.ReplicaId.of(origin)),
            RowChange.Kind.INSERT,
            Map.of("v", new Value.Text("same@example.com"))));
  }

  @Test
  void decide_laterIncomingRow_incomingWinsStoredKept() {
    UniqueClashPolicy.ClashingRow stored = row(1, "eu-west", 10, 0);
    UniqueClashPolicy.ClashingRow incoming = row(2, "us-east", 20, 0);
    UniqueClashPolicy.Outcome o =
        UniqueClashPolicy.lastWriterWins().decide(TestRows.ITEMS, List.of("v"), stored, incoming);
    assertThat(o.winner()).isEqualTo(Conflict.Winner.REMOTE);
    assertThat(o.conflict().type()).isEqualTo(ConflictType.UNIQUE_KEY_CLASH);
    assertThat(o.conflict().keptLoser()).isEqualTo(Optional.of(stored.version()));
    assertThat(o.conflict().columns()).containsExactly("v");
  }

  @Test
  void decide_sameWallTime_logicalThenOriginDecides_sameInBothRegions() {
    UniqueClashPolicy.ClashingRow eu = row(1, "eu-west", 10, 1);
    UniqueClashPolicy.ClashingRow us = row(2, "us-east", 10, 1);
    UniqueClashPolicy p = UniqueClashPolicy.lastWriterWins();
    // Region eu-west stores eu and receives us; region us-east the other way round.
    assertThat(p.decide(TestRows.ITEMS, List.of("v"), eu, us).winner())
        .isEqualTo(Conflict.Winner.REMOTE);
    assertThat(p.decide(TestRows.ITEMS, List.of("v"), us, eu).winner())
        .isEqualTo(Conflict.Winner.LOCAL);
  }
}
