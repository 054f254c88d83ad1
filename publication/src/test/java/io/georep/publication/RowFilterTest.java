package io.georep.publication;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.math.BigDecimal;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class RowFilterTest {

  private static Map<String, Object> row(Object... pairs) {
    Map<String, Object> row = new HashMap<>();
    for (int i = 0; i < pairs.length; i += 2) {
      row.put((String) pairs[i], pairs[i + 1]);
    }
    return row;
  }

  @Test
  void evaluate_comparisonWithNull_isUnknownAndDoesNotMatch() {
    RowFilter filter = RowFilter.parse("amount > 10");
    assertThat(filter.evaluate(row("amount", null))).isEqualTo(TruthValue.UNKNOWN);
    assertThat(filter.matches(row("amount", null))).isFalse();
  }

  @Test
  void evaluate_orWithTrueAndNull_isTrue() {
    assertThat(RowFilter.parse("a = 1 OR b = 2").evaluate(row("a", 1, "b", null)))
        .isEqualTo(TruthValue.TRUE);
  }

  @Test
  void evaluate_notInWithNullItem_isUnknown() {
    assertThat(RowFilter.parse("a NOT IN (1, NULL)").evaluate(row("a", 2)))
        .isEqualTo(TruthValue.UNKNOWN);
  }

  @Test
  void evaluate_integerDivision_truncatesTowardZero() {
    assertThat(RowFilter.parse("a / 2 = -3").matches(row("a", -7))).isTrue();
  }

  @Test
  void evaluate_likeWithEscapedWildcard_matchesLiterally() {
    RowFilter filter = RowFilter.parse("s LIKE '50\\%%'");
    assertThat(filter.matches(row("s", "50% off"))).isTrue();
    assertThat(filter.matches(row("s", "500 off"))).isFalse();
  }

  @Test
  void evaluate_decimalAgainstInteger_comparesNumerically() {
    assertThat(RowFilter.parse("n >= 2").matches(row("n", new BigDecimal("2.00")))).isTrue();
  }

  @Test
  void evaluate_quotedAndFoldedIdentifiers_resolveExactNames() {
    RowFilter filter = RowFilter.parse("\"Status\" = 'x' AND Total > 1");
    assertThat(filter.columns()).containsExactlyInAnyOrder("Status", "total");
    assertThat(filter.matches(row("Status", "x", "total", 2L))).isTrue();
  }

  @Test
  void evaluate_missingColumn_throwsNamingIt() {
    assertThatThrownBy(() -> RowFilter.parse("a = 1").evaluate(row()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("'a'");
  }

  @Test
  void parse_chainedComparison_reportsPosition() {
    assertThatThrownBy(() -> RowFilter.parse("a < b < c"))
        .isInstanceOf(PublicationException.class)
        .hasMessage(
            "<row filter>:1:7: comparisons cannot be chained — combine them with AND, e.g. a < b AND b < c");
  }

  @Test
  void toSql_stringWithQuote_escapesIt() {
    assertThat(RowFilter.parse("s = 'it''s'").toSql()).isEqualTo("(\"s\" = 'it''s')");
  }
}
