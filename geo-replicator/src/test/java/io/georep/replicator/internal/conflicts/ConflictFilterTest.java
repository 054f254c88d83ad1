package io.georep.replicator.internal.conflicts;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.georep.connector.spi.ConflictQuery;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The filter words of {@code georep conflicts} and {@code /api/conflicts}. */
class ConflictFilterTest {
  private static final Instant NOW = Instant.parse("2026-12-07T12:00:00Z");

  private static ConflictQuery of(
      String table, String types, String since, String until, String key) {
    return ConflictFilter.of(table, types, since, until, key, 0, null, false, NOW);
  }

  @Test
  void of_nothing_matchesEveryRowInPagesOfTheDefault() {
    ConflictQuery q = of(null, null, null, null, null);

    assertThat(q.table()).isEmpty();
    assertThat(q.types()).isEmpty();
    assertThat(q.since()).isEmpty();
    assertThat(q.until()).isEmpty();
    assertThat(q.key()).isEmpty();
    assertThat(q.limit()).isEqualTo(ConflictFilter.DEFAULT_LIMIT);
    assertThat(q.latest()).isFalse();
  }

  @Test
  void of_everyWord_parsed() {
    ConflictQuery q =
        of(
            " public.items ",
            "update-delete, delete-update",
            "2h",
            "2026-12-07T11:30:00+01:00",
            "42");

    assertThat(q.table()).contains("public.items");
    assertThat(q.types()).containsExactly("update-delete", "delete-update");
    assertThat(q.since()).contains(NOW.minus(Duration.ofHours(2)));
    assertThat(q.until()).contains(Instant.parse("2026-12-07T10:30:00Z"));
    assertThat(q.key()).contains("[42]");
  }

  @Test
  void of_keyForms_becomeTheLogsJsonArray() {
    assertThat(of(null, null, null, null, "[\"eu\", 7]").key()).contains("[\"eu\",7]");
    assertThat(of(null, null, null, null, "\"42\"").key()).contains("[\"42\"]");
    assertThat(of(null, null, null, null, "abc").key()).contains("[\"abc\"]");
    assertThat(of(null, null, null, null, "  ").key()).isEqualTo(Optional.empty());
  }

  @Test
  void of_badWords_nameTheWordAndTheAcceptedForms() {
    assertThatThrownBy(() -> of("items; drop table x", null, null, null, null))
        .hasMessage("table 'items; drop table x' is not a table name: write schema.table or table");
    assertThatThrownBy(() -> of(null, "update-upsert", null, null, null))
        .hasMessageStartingWith("type 'update-upsert' is not a conflict type; the types are")
        .hasMessageContaining("update-delete");
    assertThatThrownBy(() -> of(null, null, "yesterday", null, null))
        .hasMessageStartingWith("since 'yesterday' is neither an instant with an offset");
    assertThatThrownBy(() -> of(null, null, null, "2026-12-07T10:00", null))
        .hasMessageStartingWith("until '2026-12-07T10:00' is neither an instant with an offset");
    assertThatThrownBy(() -> of(null, null, null, null, "{\"id\": 1}"))
        .hasMessageStartingWith("key '{\"id\": 1}' is a JSON object");
    assertThatThrownBy(() -> ConflictFilter.of(null, null, null, null, null, -1, null, false, NOW))
        .hasMessage("after must be 0 or more, got -1");
    assertThatThrownBy(() -> ConflictFilter.of(null, null, null, null, null, 0, 0, false, NOW))
        .hasMessage("limit must be between 1 and 100000, got 0");
  }

  @Test
  void query_pagesAndLatest() {
    ConflictQuery q = ConflictFilter.of("items", null, null, null, null, 0, 5, true, NOW);

    assertThat(q.after(17).afterId()).isEqualTo(17);
    assertThat(q.after(17).latest()).isTrue();
    assertThat(q.first().latest()).isFalse();
    assertThat(q.limit(9).limit()).isEqualTo(9);
    assertThat(q.first().table()).contains("items");
    assertThat(List.of(q.types())).containsExactly(List.of());
  }
}
