package io.georep.connectors.postgres.internal.apply;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.georep.connector.ScalarType;
import io.georep.connector.Value;
import org.junit.jupiter.api.Test;

class SqlValuesTest {

  /**
   * The applier reads rows as {@code column::text}, and the boolean cast writes {@code true}/{@code
   * false}, not the output function's {@code t}/{@code f}; both must parse, or an apply to a row of
   * a table with a boolean column would halt its origin.
   */
  @Test
  void parse_boolCastText_isTheBool() {
    assertThat(SqlValues.parse(ScalarType.BOOL, "true")).isEqualTo(new Value.Bool(true));
    assertThat(SqlValues.parse(ScalarType.BOOL, "false")).isEqualTo(new Value.Bool(false));
    assertThat(SqlValues.parse(ScalarType.BOOL, "t")).isEqualTo(new Value.Bool(true));
    assertThat(SqlValues.parse(ScalarType.BOOL, "f")).isEqualTo(new Value.Bool(false));
    assertThat(SqlValues.parse(ScalarType.BOOL, null)).isEqualTo(Value.NULL);
  }

  @Test
  void parse_boolOtherText_isRejected() {
    assertThatThrownBy(() -> SqlValues.parse(ScalarType.BOOL, "yes"))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void parse_boolTextOfBothForms_roundTripsThroughText() {
    assertThat(SqlValues.text(SqlValues.parse(ScalarType.BOOL, "true"))).isEqualTo("true");
    assertThat(SqlValues.text(SqlValues.parse(ScalarType.BOOL, "f"))).isEqualTo("false");
  }
}
