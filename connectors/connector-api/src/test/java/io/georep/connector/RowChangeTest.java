package io.georep.connector;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class RowChangeTest {
  private static final TableSchema ACCOUNTS =
      TableSchema.of(
          TableId.of("public", "accounts"),
          List.of(
              ColumnSchema.key("id", ScalarType.INT8, 1),
              ColumnSchema.of("name", ScalarType.TEXT, false),
              ColumnSchema.of("balance", ScalarType.NUMERIC, true),
              ColumnSchema.of("tags", ScalarType.TEXT.arrayType(), true),
              ColumnSchema.of("note", ScalarType.TEXT, true)));

  @Test
  void insert_valuesGivenInAnyOrder_iterateInColumnOrder() {
    Map<String, Value> values = new LinkedHashMap<>();
    values.put("note", Value.NULL);
    values.put("name", new Value.Text("ann"));
    values.put("id", new Value.Int8(7));
    RowChange.Insert insert = new RowChange.Insert(ACCOUNTS, values);
    assertThat(insert.values().keySet()).containsExactly("id", "name", "note");
    assertThat(insert.values()).isEqualTo(new HashMap<>(values));
    assertThat(insert.key()).isEqualTo(RowKey.of(new Value.Int8(7)));
    assertThat(insert.valueAt(2)).isNull();
    assertThat(insert.valueAt(4)).isEqualTo(Value.NULL);
    assertThat(insert)
        .isEqualTo(
            RowChange.Insert.of(
                ACCOUNTS,
                new Value[] {new Value.Int8(7), new Value.Text("ann"), null, null, Value.NULL}));
  }

  @Test
  void update_newKey_onlyWhenAKeyColumnGetsAnotherValue() {
    RowKey seven = RowKey.of(new Value.Int8(7));
    assertThat(new RowChange.Update(ACCOUNTS, seven, Map.of("name", new Value.Text("x"))).newKey())
        .isEmpty();
    assertThat(new RowChange.Update(ACCOUNTS, seven, Map.of("id", new Value.Int8(7))).newKey())
        .as("set to the value it had")
        .isEmpty();
    assertThat(new RowChange.Update(ACCOUNTS, seven, Map.of("id", new Value.Int8(8))).newKey())
        .contains(RowKey.of(new Value.Int8(8)));
  }

  @Test
  void insert_valuesMap_unmodifiable() {
    RowChange.Insert insert = new RowChange.Insert(ACCOUNTS, Map.of("id", new Value.Int8(1)));
    assertThatThrownBy(() -> insert.values().put("note", Value.NULL))
        .isInstanceOf(UnsupportedOperationException.class);
  }

  @Test
  void insert_absentKeyColumn_rejected() {
    assertThatThrownBy(() -> new RowChange.Insert(ACCOUNTS, Map.of("name", new Value.Text("ann"))))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage(
            "insert into public.accounts: key column 'id' is absent; an insert carries every key"
                + " column");
  }

  @Test
  void insert_unknownColumn_rejectedListingColumns() {
    assertThatThrownBy(
            () ->
                new RowChange.Insert(
                    ACCOUNTS, Map.of("id", new Value.Int8(1), "nmae", new Value.Text("x"))))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage(
            "insert into public.accounts: no column named 'nmae'; the table has id, name,"
                + " balance, tags, note");
  }

  @Test
  void insert_nullInNotNullColumn_rejected() {
    assertThatThrownBy(
            () ->
                new RowChange.Insert(ACCOUNTS, Map.of("id", new Value.Int8(1), "name", Value.NULL)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage(
            "insert into public.accounts: column 'name' of type text not null cannot take a NULL");
  }

  @Test
  void insert_columnOperation_rejected() {
    assertThatThrownBy(
            () ->
                new RowChange.Insert(
                    ACCOUNTS, Map.of("id", new Value.Int8(1), "balance", Value.CounterDelta.of(5))))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage(
            "insert into public.accounts: column 'balance' of type numeric cannot take a counter"
                + " delta (only updates carry operations)");
  }

  @Test
  void update_operationsAndUnchanged_accepted() {
    RowChange.Update update =
        new RowChange.Update(
            ACCOUNTS,
            RowKey.of(new Value.Int8(1)),
            Map.of(
                "balance",
                Value.CounterDelta.of(-5),
                "note",
                Value.UNCHANGED,
                "tags",
                new Value.SetDelta(List.of(new Value.Text("vip")), List.of())));
    assertThat(update.changed().keySet()).containsExactly("balance", "tags", "note");
    assertThat(update.changedAt(4)).isEqualTo(Value.UNCHANGED);
    assertThat(update.changedAt(1)).isNull();
    assertThat(update.kind()).isEqualTo(RowChange.Kind.UPDATE);
  }

  @Test
  void update_wrongTypeForColumn_rejected() {
    assertThatThrownBy(
            () ->
                new RowChange.Update(
                    ACCOUNTS, RowKey.of(new Value.Int8(1)), Map.of("name", new Value.Int4(3))))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage(
            "update of public.accounts: column 'name' of type text not null cannot take a int4");
  }

  @Test
  void update_counterDeltaOnText_rejected() {
    assertThatThrownBy(
            () ->
                new RowChange.Update(
                    ACCOUNTS,
                    RowKey.of(new Value.Int8(1)),
                    Map.of("note", Value.CounterDelta.of(1))))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage(
            "update of public.accounts: column 'note' of type text cannot take a counter delta");
  }

  @Test
  void delete_keyOfWrongType_rejected() {
    assertThatThrownBy(() -> new RowChange.Delete(ACCOUNTS, RowKey.of(new Value.Int4(1))))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage(
            "delete of public.accounts: key column 'id' of type int8 not null cannot hold a int4"
                + " value");
  }

  @Test
  void delete_keyOfWrongSize_rejected() {
    assertThatThrownBy(
            () -> new RowChange.Delete(ACCOUNTS, RowKey.of(new Value.Int8(1), new Value.Int8(2))))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage(
            "delete of public.accounts: the key has 2 values but the table's key has 1 columns");
  }

  @Test
  void rowKey_operation_rejected() {
    assertThatThrownBy(() -> RowKey.of(Value.UNCHANGED))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("row key value 1 must be a datum, got unchanged");
  }
}
