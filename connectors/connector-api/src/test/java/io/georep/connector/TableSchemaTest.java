package io.georep.connector;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

class TableSchemaTest {
  private static final TableId ORDERS = TableId.of("public", "orders");

  @Test
  void keyColumns_compositeKey_inKeyOrder() {
    TableSchema schema =
        TableSchema.of(
            ORDERS,
            List.of(
                ColumnSchema.key("b", ScalarType.INT4, 2),
                ColumnSchema.of("x", ScalarType.TEXT, true),
                ColumnSchema.key("a", ScalarType.INT8, 1)));
    assertThat(schema.keyColumns()).extracting(ColumnSchema::name).containsExactly("a", "b");
    assertThat(schema.keyColumnIndex(0)).isEqualTo(2);
    assertThat(schema.indexOf("x")).isEqualTo(1);
    assertThat(schema.indexOf("nope")).isEqualTo(-1);
    assertThat(schema).hasToString("public.orders(b int4 key 2, x text null, a int8 key 1)");
  }

  @Test
  void of_noKeyColumn_isKeylessWithTheWholeRowAsIdentity() {
    TableSchema schema =
        TableSchema.of(
            ORDERS,
            List.of(
                ColumnSchema.of("x", ScalarType.TEXT, true),
                ColumnSchema.of("y", ScalarType.INT4, false)));
    assertThat(schema.keyless()).isTrue();
    assertThat(schema.keyColumns()).extracting(ColumnSchema::name).containsExactly("x", "y");
    assertThat(schema.keyColumnIndex(1)).isEqualTo(1);
    assertThat(schema).hasToString("public.orders keyless(x text null, y int4)");
    // A NULL is a valid identity value of a nullable column of a keyless table.
    new RowChange.Delete(schema, RowKey.of(Value.NULL, new Value.Int4(1)));
  }

  @Test
  void of_keyPositionGap_rejected() {
    assertThatThrownBy(
            () ->
                TableSchema.of(
                    ORDERS,
                    List.of(
                        ColumnSchema.key("a", ScalarType.INT4, 1),
                        ColumnSchema.key("b", ScalarType.INT4, 3))))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage(
            "table public.orders: key positions must run from 1 to 2 without gaps or repeats;"
                + " column 'b' has key position 3");
  }

  @Test
  void of_duplicateColumn_rejected() {
    assertThatThrownBy(
            () ->
                TableSchema.of(
                    ORDERS,
                    List.of(
                        ColumnSchema.key("a", ScalarType.INT4, 1),
                        ColumnSchema.of("a", ScalarType.TEXT, true))))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("table public.orders has two columns named 'a'");
  }

  @Test
  void equals_sameColumns_equal() {
    List<ColumnSchema> columns = List.of(ColumnSchema.key("a", ScalarType.INT4, 1));
    assertThat(TableSchema.of(ORDERS, columns))
        .isEqualTo(TableSchema.of(ORDERS, columns))
        .hasSameHashCodeAs(TableSchema.of(ORDERS, columns))
        .isNotEqualTo(TableSchema.of(TableId.of("public", "other"), columns));
  }
}
