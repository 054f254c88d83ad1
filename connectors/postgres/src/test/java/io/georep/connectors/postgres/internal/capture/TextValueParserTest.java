package io.georep.connectors.postgres.internal.capture;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.georep.connector.ColumnType;
import io.georep.connector.ScalarType;
import io.georep.connector.Value;
import io.georep.vectorclock.testkit.Seeds;
import java.math.BigDecimal;
import java.time.Instant;
import java.time.LocalDate;
import java.util.List;
import java.util.stream.LongStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

class TextValueParserTest {

  static LongStream seeds() {
    return Seeds.of("text-value-round-trip");
  }

  @ParameterizedTest(name = "seed={0}")
  @MethodSource("seeds")
  void parse_formattedValue_roundTrips(long seed) {
    Seeds.check(
        seed,
        random -> {
          for (ScalarType type : ScalarType.values()) {
            for (ColumnType t : List.<ColumnType>of(type, type.arrayType())) {
              Value value = PgText.random(t, random);
              String text = PgText.format(value);
              assertThat(TextValueParser.parse(t, text))
                  .as("%s from '%s'", t, text)
                  .isEqualTo(value);
            }
          }
        });
  }

  @Test
  void parse_serverForms_decodes() {
    assertThat(TextValueParser.parse(ScalarType.TIMESTAMPTZ, "2024-03-01 10:00:00.5+05:30"))
        .isEqualTo(new Value.TimestampTz(Instant.parse("2024-03-01T04:30:00.500Z")));
    assertThat(TextValueParser.parse(ScalarType.TIMESTAMPTZ, "1850-01-01 00:00:00+00:53:28"))
        .isEqualTo(new Value.TimestampTz(Instant.parse("1849-12-31T23:06:32Z")));
    assertThat(TextValueParser.parse(ScalarType.DATE, "0001-01-01 BC"))
        .isEqualTo(new Value.Date(LocalDate.of(0, 1, 1)));
    assertThat(TextValueParser.parse(ScalarType.BYTEA, "a\\\\b\\001"))
        .isEqualTo(Value.Bytes.of(new byte[] {'a', '\\', 'b', 1}));
    assertThat(TextValueParser.parse(ScalarType.TEXT.arrayType(), "{a,NULL,\"NULL\",\"x,\\\"y\"}"))
        .isEqualTo(
            new Value.Array(
                ScalarType.TEXT,
                List.of(
                    new Value.Text("a"),
                    Value.NULL,
                    new Value.Text("NULL"),
                    new Value.Text("x,\"y"))));
    assertThat(TextValueParser.parse(ScalarType.NUMERIC, "1.50"))
        .isEqualTo(new Value.Numeric(new BigDecimal("1.50")));
    assertThat(TextValueParser.parse(ColumnType.of("interval"), "1 day"))
        .isEqualTo(new Value.Text("1 day"));
  }

  @Test
  void parse_unrepresentable_namesTheFix() {
    assertThatThrownBy(() -> TextValueParser.parse(ScalarType.NUMERIC, "NaN"))
        .isInstanceOf(TextValueParser.UnsupportedValueException.class)
        .hasMessageContaining("NaN");
    assertThatThrownBy(() -> TextValueParser.parse(ScalarType.TIMESTAMP, "infinity"))
        .isInstanceOf(TextValueParser.UnsupportedValueException.class)
        .hasMessageContaining("isfinite");
    assertThatThrownBy(() -> TextValueParser.parse(ScalarType.INT4.arrayType(), "{{1,2},{3,4}}"))
        .isInstanceOf(TextValueParser.UnsupportedValueException.class)
        .hasMessageContaining("multi-dimensional");
    assertThatThrownBy(() -> TextValueParser.parse(ScalarType.INT4.arrayType(), "[0:1]={1,2}"))
        .isInstanceOf(TextValueParser.UnsupportedValueException.class)
        .hasMessageContaining("lower bound");
  }
}
