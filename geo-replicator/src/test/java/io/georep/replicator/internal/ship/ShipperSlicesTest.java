package io.georep.replicator.internal.ship;

import static org.assertj.core.api.Assertions.assertThat;

import io.georep.connector.ColumnSchema;
import io.georep.connector.RowChange;
import io.georep.connector.ScalarType;
import io.georep.connector.TableId;
import io.georep.connector.TableSchema;
import io.georep.connector.Value;
import io.georep.replicator.internal.TransactionSize;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** How the shipper cuts a large transaction into fragments of at most a batch's byte cap. */
class ShipperSlicesTest {
  private static final TableSchema T =
      TableSchema.of(
          TableId.of("public", "t"),
          List.of(
              new ColumnSchema("id", ScalarType.INT4, false, 1),
              new ColumnSchema("v", ScalarType.TEXT, true, 0)));

  private static RowChange row(int id, int length) {
    return new RowChange.Insert(
        T, Map.of("id", new Value.Int4(id), "v", new Value.Text("x".repeat(length))));
  }

  @Test
  void slices_randomSizes_eachWithinTheCapUnlessOneChangeAlone_andTogetherTheWhole() {
    long seed = 20261205L;
    SplittableRandom random = new SplittableRandom(seed);
    List<RowChange> changes = new ArrayList<>();
    for (int i = 0; i < 5_000; i++) {
      changes.add(row(i, random.nextInt(random.nextInt(10) == 0 ? 50_000 : 500)));
    }
    long cap = 64 << 10;
    List<Shipper.Slice> slices = Shipper.slices(changes, cap);
    List<RowChange> joined = new ArrayList<>();
    for (Shipper.Slice s : slices) {
      List<RowChange> slice = s.changes();
      assertThat(slice).as("seed %d", seed).isNotEmpty();
      long bytes = slice.stream().mapToLong(TransactionSize::estimate).sum();
      assertThat(s.bytes()).isEqualTo(bytes);
      if (slice.size() > 1) {
        assertThat(bytes).as("seed %d", seed).isLessThanOrEqualTo(cap);
      }
      joined.addAll(slice);
    }
    assertThat(joined).isEqualTo(changes);
    assertThat(slices.size()).isGreaterThan(10);
  }

  @Test
  void slices_changeLargerThanTheCap_goesAlone() {
    List<Shipper.Slice> slices =
        Shipper.slices(List.of(row(1, 10), row(2, 200_000), row(3, 10)), 64 << 10);
    assertThat(slices).extracting(s -> s.changes().size()).containsExactly(1, 1, 1);
  }

  @Test
  void slices_noChanges_oneEmptySlice() {
    assertThat(Shipper.slices(List.of(), 1024)).containsExactly(new Shipper.Slice(List.of(), 0));
  }
}
