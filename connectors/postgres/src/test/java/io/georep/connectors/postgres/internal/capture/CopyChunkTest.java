package io.georep.connectors.postgres.internal.capture;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.georep.connector.RowKey;
import io.georep.connector.TableId;
import io.georep.connector.Value;
import io.georep.connectors.postgres.CaptureException;
import java.math.BigDecimal;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/** The chunk message codec and the frontier's key order. */
class CopyChunkTest {

  @Test
  void chunk_roundTrips_withNullsEmptyTextsAndNonAscii() {
    CopyChunk chunk =
        new CopyChunk(
            16384,
            "public",
            "items",
            7,
            true,
            false,
            3,
            List.of(new String[] {"1", null, ""}, new String[] {"2", "žluťoučký 🐎", "x"}));
    CopyChunk back = CopyChunk.decode(chunk.encode(), 0);
    assertThat(back.relationOid()).isEqualTo(16384);
    assertThat(back.chunkNo()).isEqualTo(7);
    assertThat(back.last()).isTrue();
    assertThat(back.whole()).isFalse();
    assertThat(back.rows()).hasSize(2);
    assertThat(Arrays.asList(back.rows().get(0))).containsExactly("1", null, "");
    assertThat(Arrays.asList(back.rows().get(1))).containsExactly("2", "žluťoučký 🐎", "x");
    assertThat(CopyChunk.header(chunk.encode(), 0))
        .isEqualTo(new CopyChunk.Header("public", "items", 7, 2));
  }

  @Test
  void chunk_truncated_isAnErrorNamingThePrefix() {
    byte[] bytes =
        new CopyChunk(1, "s", "t", 1, false, false, 1, List.<String[]>of(new String[] {"abc"}))
            .encode();
    assertThatThrownBy(() -> CopyChunk.decode(Arrays.copyOf(bytes, bytes.length - 2), 99))
        .isInstanceOf(CaptureException.class)
        .hasMessageContaining("georep.copy");
  }

  @Test
  void compare_ordersAsPostgresql_uuidUnsignedTextByCodePoint() {
    // PostgreSQL orders uuids by their bytes, unsigned: 8… sorts after 7….
    UUID low = UUID.fromString("7fffffff-ffff-ffff-ffff-ffffffffffff");
    UUID high = UUID.fromString("80000000-0000-0000-0000-000000000000");
    assertThat(low.compareTo(high)).isPositive(); // Java's signed order disagrees
    assertThat(CopyFrontier.compare(key(new Value.Uuid(low)), key(new Value.Uuid(high))))
        .isNegative();
    // Under the C collation, U+FF5E sorts before U+1F40E (UTF-8 bytes EF… < F0…), unlike UTF-16.
    assertThat(CopyFrontier.compare(key(new Value.Text("～")), key(new Value.Text("🐎"))))
        .isNegative();
    assertThat(
            CopyFrontier.compare(
                key(new Value.Int8(5), new Value.Numeric(new BigDecimal("1.50"))),
                key(new Value.Int8(5), new Value.Numeric(new BigDecimal("1.5")))))
        .isZero();
    assertThat(CopyFrontier.compare(key(new Value.Int4(-3)), key(new Value.Int4(2)))).isNegative();
  }

  @Test
  void frontier_placesKeysUpToTheLastChunk_andEverythingOnceDone() {
    TableId t = TableId.of("public", "items");
    TableId other = TableId.of("public", "other");
    CopyFrontier none = CopyFrontier.of(Map.of(t, new CopyFrontier.Entry(0, null, null, false)));
    assertThat(none.active()).isTrue();
    assertThat(none.placed(t, key(new Value.Int4(1)))).isFalse();
    assertThat(none.placed(other, key(new Value.Int4(1)))).isTrue();
    CopyFrontier some =
        none.place(t, new CopyFrontier.Entry(1, key(new Value.Int4(100)), List.of("100"), false));
    assertThat(some.placed(t, key(new Value.Int4(100)))).isTrue();
    assertThat(some.placed(t, key(new Value.Int4(101)))).isFalse();
    CopyFrontier done = some.place(t, new CopyFrontier.Entry(2, null, null, true));
    assertThat(done.active()).isFalse();
    assertThat(done.placed(t, key(new Value.Int4(1_000_000)))).isTrue();
  }

  private static RowKey key(Value... values) {
    return RowKey.of(values);
  }
}
