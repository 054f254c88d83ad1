package io.georep.connector;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.math.BigDecimal;
import java.util.List;
import org.junit.jupiter.api.Test;

class ColumnTypeTest {
  @Test
  void of_everyScalarName_mapsToScalarAndBack() {
    for (ScalarType t : ScalarType.values()) {
      assertThat(ColumnType.of(t.typeName())).isSameAs(t);
      assertThat(ColumnType.of("_" + t.typeName())).isEqualTo(t.arrayType());
      assertThat(ColumnType.of(t.typeName() + "[]")).isEqualTo(t.arrayType());
      assertThat(ColumnType.of(t.arrayType().typeName())).isEqualTo(t.arrayType());
    }
  }

  @Test
  void of_unknownName_opaque() {
    assertThat(ColumnType.of("varchar")).isEqualTo(new OpaqueType("varchar"));
    assertThat(ColumnType.of("_varchar")).isEqualTo(new OpaqueType("_varchar"));
    assertThat(ColumnType.of("interval").accepts(new Value.Text("1 day"))).isTrue();
    assertThat(ColumnType.of("interval").accepts(new Value.Int4(1))).isFalse();
  }

  @Test
  void opaqueType_interpretedName_rejected() {
    assertThatThrownBy(() -> new OpaqueType("int4"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage(
            "type 'int4' is interpreted by georep and cannot be opaque; use"
                + " ColumnType.of(\"int4\")");
  }

  @Test
  void accepts_matchingVariantOrNull_true() {
    assertThat(ScalarType.INT4.accepts(new Value.Int4(1))).isTrue();
    assertThat(ScalarType.INT4.accepts(Value.NULL)).isTrue();
    assertThat(ScalarType.INT4.accepts(new Value.Int8(1))).isFalse();
    assertThat(ScalarType.INT4.accepts(Value.UNCHANGED)).isFalse();
    assertThat(ScalarType.TEXT.arrayType().accepts(new Value.Array(ScalarType.TEXT, List.of())))
        .isTrue();
    assertThat(ScalarType.TEXT.arrayType().accepts(new Value.Array(ScalarType.INT4, List.of())))
        .isFalse();
  }

  @Test
  void acceptsOperation_counterDelta_onlyIntegerAndNumeric() {
    Value.CounterDelta whole = Value.CounterDelta.of(-3);
    Value.CounterDelta fraction = new Value.CounterDelta(new BigDecimal("0.5"));
    assertThat(ColumnSchema.of("c", ScalarType.INT8, false).acceptsOperation(whole)).isTrue();
    assertThat(ColumnSchema.of("c", ScalarType.INT8, false).acceptsOperation(fraction)).isFalse();
    assertThat(ColumnSchema.of("c", ScalarType.NUMERIC, false).acceptsOperation(fraction)).isTrue();
    assertThat(ColumnSchema.of("c", ScalarType.FLOAT8, false).acceptsOperation(whole)).isFalse();
    assertThat(ColumnSchema.of("c", ScalarType.TEXT, false).acceptsOperation(whole)).isFalse();
  }

  @Test
  void acceptsOperation_setDelta_onlyArraysOfItsElements() {
    Value.SetDelta delta =
        new Value.SetDelta(List.of(new Value.Text("a"), Value.NULL), List.of(new Value.Text("b")));
    assertThat(ColumnSchema.of("c", ScalarType.TEXT.arrayType(), true).acceptsOperation(delta))
        .isTrue();
    assertThat(ColumnSchema.of("c", ScalarType.INT4.arrayType(), true).acceptsOperation(delta))
        .isFalse();
    assertThat(ColumnSchema.of("c", ScalarType.TEXT, true).acceptsOperation(delta)).isFalse();
  }
}
