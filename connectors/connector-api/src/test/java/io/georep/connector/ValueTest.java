package io.georep.connector;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.math.BigDecimal;
import java.time.Instant;
import java.time.LocalDateTime;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

class ValueTest {
  @Test
  void numeric_differentScale_notEqual() {
    assertThat(new Value.Numeric(new BigDecimal("1.0")))
        .isNotEqualTo(new Value.Numeric(new BigDecimal("1.00")));
  }

  @Test
  void float8_nan_equalsNan() {
    assertThat(new Value.Float8(Double.NaN)).isEqualTo(new Value.Float8(Double.NaN));
    assertThat(new Value.Float8(0.0)).isNotEqualTo(new Value.Float8(-0.0));
  }

  @Test
  void bytes_sameContent_equalAndCopied() {
    byte[] content = {1, 2, 3};
    Value.Bytes a = Value.Bytes.of(content);
    content[0] = 9;
    assertThat(a).isEqualTo(Value.Bytes.copyOf(new byte[] {0, 1, 2, 3}, 1, 3));
    assertThat(a.hashCode()).isEqualTo(Arrays.hashCode(new byte[] {1, 2, 3}));
    assertThat(a.toByteArray()).containsExactly(1, 2, 3);
    assertThat(a).hasToString("Bytes[\\x010203]");
  }

  @Test
  void text_unpairedSurrogate_rejected() {
    assertThatThrownBy(() -> new Value.Text("a\uD800b"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("text value contains an unpaired surrogate and cannot be encoded as UTF-8");
    assertThat(new Value.Text("\uD83D\uDE00").value()).hasSize(2);
  }

  @Test
  void timestampTz_nanoseconds_rejected() {
    assertThatThrownBy(() -> new Value.TimestampTz(Instant.ofEpochSecond(0, 1)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("timestamptz values have microsecond precision; got 1 nanoseconds of a second");
  }

  @Test
  void timestampTz_epochMicros_roundTripsExtremes() {
    for (long micros : new long[] {Long.MIN_VALUE, -1, 0, 1, Long.MAX_VALUE}) {
      assertThat(Value.TimestampTz.ofEpochMicros(micros).epochMicros()).isEqualTo(micros);
      assertThat(Value.Timestamp.ofEpochMicros(micros).epochMicros()).isEqualTo(micros);
    }
  }

  @Test
  void timestamp_outOfRange_rejected() {
    assertThatThrownBy(() -> new Value.Timestamp(LocalDateTime.of(999_999, 1, 1, 0, 0)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage(
            "timestamp value out of range: more than Long.MAX_VALUE microseconds from 1970");
  }

  @Test
  void array_elementOfOtherType_rejected() {
    assertThatThrownBy(
            () -> new Value.Array(ScalarType.INT4, List.of(new Value.Int4(1), new Value.Text("x"))))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("element 2 of an _int4 array is text, not int4 or NULL");
  }

  @Test
  void setDelta_operationElement_rejected() {
    assertThatThrownBy(() -> new Value.SetDelta(List.of(Value.UNCHANGED), List.of()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("added element of a set delta must be a datum, got unchanged");
  }

  @Test
  void isDatum_operations_false() {
    assertThat(Value.NULL.isDatum()).isTrue();
    assertThat(Value.UNCHANGED.isDatum()).isFalse();
    assertThat(Value.CounterDelta.of(1).isDatum()).isFalse();
    assertThat(new Value.SetDelta(List.of(), List.of()).isDatum()).isFalse();
  }
}
