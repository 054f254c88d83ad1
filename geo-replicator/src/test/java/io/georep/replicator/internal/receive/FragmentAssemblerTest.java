package io.georep.replicator.internal.receive;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.georep.connector.ColumnSchema;
import io.georep.connector.RowChange;
import io.georep.connector.ScalarType;
import io.georep.connector.SourceTransaction;
import io.georep.connector.TableId;
import io.georep.connector.TableSchema;
import io.georep.connector.Value;
import io.georep.replicator.codec.BatchCodec;
import io.georep.replicator.codec.WireBatch;
import io.georep.vectorclock.HybridTimestamp;
import io.georep.vectorclock.ReplicaId;
import io.georep.vectorclock.VersionVector;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class FragmentAssemblerTest {
  private static final ReplicaId EU = ReplicaId.of("eu-west");
  private static final TableSchema ITEMS =
      TableSchema.of(
          TableId.of("public", "items"),
          List.of(
              new ColumnSchema("id", ScalarType.INT4, false, 1),
              new ColumnSchema("v", ScalarType.TEXT, true, 0)));

  private static final BatchCodec CODEC = BatchCodec.create();

  private final List<FragmentAssembler.Step> completed = new ArrayList<>();
  private final FragmentAssembler assembler =
      new FragmentAssembler(frame -> CODEC.decode(frame).transactions().get(0));

  @AfterEach
  void deleteSpills() {
    assembler.close();
    for (FragmentAssembler.Step s : completed) {
      s.parts().close();
    }
  }

  /** The changes of a completed run, read back from its spill; the head carries none. */
  private static SourceTransaction whole(FragmentAssembler.Step done) {
    assertThat(done.complete().changes()).isEmpty();
    List<RowChange> all = new ArrayList<>();
    for (SourceTransaction part : done.parts()) {
      assertThat(part.dot()).isEqualTo(done.complete().dot());
      all.addAll(part.changes());
    }
    return done.complete().withChanges(all);
  }

  private static RowChange insert(int id) {
    return new RowChange.Insert(ITEMS, Map.of("id", new Value.Int4(id), "v", new Value.Text("x")));
  }

  private static SourceTransaction slice(long seq, int from, int to) {
    List<RowChange> changes = new ArrayList<>();
    for (int i = from; i < to; i++) {
      changes.add(insert(i));
    }
    return new SourceTransaction(
        EU,
        seq,
        new HybridTimestamp(1_000 + seq, 0, EU),
        VersionVector.empty().advance(EU, seq - 1),
        changes);
  }

  private FragmentAssembler.Step take(long seq, int from, int to, int index, boolean last) {
    WireBatch batch = WireBatch.fragment(slice(seq, from, to), index, last);
    FragmentAssembler.Step step = assembler.fragment(batch, CODEC.encode(batch));
    if (step.complete() != null) {
      completed.add(step);
    }
    return step;
  }

  @Test
  void fragment_consecutiveRun_completesWithEveryChangeInOrder() {
    assertThat(take(10, 0, 3, 0, false)).isEqualTo(FragmentAssembler.Step.NONE);
    assertThat(take(10, 3, 5, 1, false).complete()).isNull();
    FragmentAssembler.Step done = take(10, 5, 6, 2, true);
    assertThat(done.dropped()).isNull();
    assertThat(whole(done)).isEqualTo(slice(10, 0, 6));
    assertThat(done.parts().fragments()).isEqualTo(3);
    assertThat(done.parts().changes()).isEqualTo(6);
    assertThat(assembler.assembling()).isFalse();
  }

  @Test
  void fragment_singleLastFragment_completesAtOnce() {
    assertThat(whole(take(10, 0, 2, 0, true))).isEqualTo(slice(10, 0, 2));
  }

  @Test
  void fragment_runStartedAgainFromZero_dropsTheIncompleteRun() {
    take(10, 0, 3, 0, false);
    take(10, 3, 5, 1, false);
    // The origin restarted and ships the transaction again.
    FragmentAssembler.Step again = take(10, 0, 3, 0, false);
    assertThat(again.complete()).isNull();
    assertThat(again.dropped()).contains("fragments 0..1 of transaction eu-west:10", "5 changes");
    assertThat(again.droppedFragments()).isEqualTo(2);
    take(10, 3, 5, 1, false);
    FragmentAssembler.Step done = take(10, 5, 6, 2, true);
    assertThat(whole(done)).isEqualTo(slice(10, 0, 6));
    // Read again, as a retried apply does.
    assertThat(whole(done)).isEqualTo(slice(10, 0, 6));
  }

  @Test
  void fragment_withoutItsStart_isDropped() {
    FragmentAssembler.Step orphan = take(10, 5, 6, 2, true);
    assertThat(orphan.complete()).isNull();
    assertThat(orphan.dropped())
        .isEqualTo("fragment 2 of transaction eu-west:10 without its start");
    assertThat(orphan.droppedFragments()).isEqualTo(1);
    assertThat(assembler.assembling()).isFalse();
  }

  @Test
  void fragment_skippedIndex_dropsTheRunAndTheFragment() {
    take(10, 0, 3, 0, false);
    FragmentAssembler.Step gap = take(10, 5, 6, 2, true);
    assertThat(gap.complete()).isNull();
    assertThat(gap.dropped())
        .contains("fragments 0..0 of transaction eu-west:10")
        .contains("fragment 2 of transaction eu-west:10 without its start");
    assertThat(gap.droppedFragments()).isEqualTo(2);
    assertThat(assembler.assembling()).isFalse();
  }

  @Test
  void fragment_ofAnotherTransaction_dropsTheRun() {
    take(10, 0, 3, 0, false);
    FragmentAssembler.Step other = take(20, 0, 1, 1, true);
    assertThat(other.complete()).isNull();
    assertThat(other.dropped()).contains("eu-west:10", "eu-west:20");
  }

  @Test
  void interrupt_byWholeTransactions_dropsTheRun() {
    assertThat(assembler.interrupt()).isEqualTo(FragmentAssembler.Step.NONE);
    take(10, 0, 3, 0, false);
    take(10, 3, 4, 1, false);
    FragmentAssembler.Step interrupted = assembler.interrupt();
    assertThat(interrupted.dropped()).contains("fragments 0..1 of transaction eu-west:10");
    assertThat(interrupted.droppedFragments()).isEqualTo(2);
    assertThat(assembler.assembling()).isFalse();
  }

  @Test
  void fragment_notAFragment_rejected() {
    WireBatch whole = WireBatch.of(slice(10, 0, 1));
    assertThatThrownBy(() -> assembler.fragment(whole, CODEC.encode(whole)))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
