package io.georep.connectors.postgres.internal.apply;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class AboveSetTest {

  @Test
  void encode_entries_roundTripsSortedBySeq() {
    List<AboveSet.Entry> entries =
        List.of(new AboveSet.Entry(300, 250, 7), new AboveSet.Entry(120, 100, -1));

    List<AboveSet.Entry> decoded = AboveSet.decode(AboveSet.encode(entries));

    assertThat(decoded)
        .containsExactly(new AboveSet.Entry(120, 100, -1), new AboveSet.Entry(300, 250, 7));
    assertThat(AboveSet.decode(new byte[0])).isEmpty();
  }

  @Test
  void absorb_entriesContinuingThePrefix_moveTheWatermarkAndOffset() {
    // Stream: 100 -> 120 -> 250 -> 300; the watermark is at 100; 250 and 300 applied first.
    List<AboveSet.Entry> entries =
        new ArrayList<>(List.of(new AboveSet.Entry(300, 250, 9), new AboveSet.Entry(250, 120, 8)));

    long[] stuck = AboveSet.absorb(100, 5, entries);
    assertThat(stuck).containsExactly(100, 5);
    assertThat(entries).hasSize(2);

    entries.add(new AboveSet.Entry(120, 100, 6));
    long[] moved = AboveSet.absorb(100, 5, entries);

    assertThat(moved).containsExactly(300, 9);
    assertThat(entries).isEmpty();
  }

  @Test
  void absorb_entryWithUnknownOffset_keepsThePreviousOffset() {
    List<AboveSet.Entry> entries = new ArrayList<>(List.of(new AboveSet.Entry(20, 10, -1)));

    assertThat(AboveSet.absorb(10, 3, entries)).containsExactly(20, 3);
  }
}
