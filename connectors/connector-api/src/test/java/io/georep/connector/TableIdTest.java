package io.georep.connector;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class TableIdTest {
  @Test
  void toString_schemaAndName_dotted() {
    assertThat(TableId.of("public", "orders")).hasToString("public.orders");
  }

  @Test
  void quoted_embeddedQuote_doubled() {
    assertThat(TableId.of("my schema", "we\"ird").quoted())
        .isEqualTo("\"my schema\".\"we\"\"ird\"");
  }

  @Test
  void constructor_emptyName_rejected() {
    assertThatThrownBy(() -> TableId.of("public", ""))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("table name must have 1 to 128 characters, got 0");
  }

  @Test
  void constructor_nulCharacter_rejected() {
    assertThatThrownBy(() -> TableId.of("pub\0lic", "t"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("table schema 'pub?lic' contains U+0000 or an unpaired surrogate");
  }

  @Test
  void constructor_tooLong_rejected() {
    assertThatThrownBy(() -> TableId.of("public", "x".repeat(129)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("table name must have 1 to 128 characters, got 129");
  }

  @Test
  void compareTo_sameSchema_ordersByName() {
    assertThat(TableId.of("a", "b"))
        .isLessThan(TableId.of("a", "c"))
        .isLessThan(TableId.of("b", "a"));
  }
}
