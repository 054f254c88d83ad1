package io.georep.publication;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;
import org.junit.jupiter.api.Test;

class MaskTest {

  private static final Map<String, String> ENV = Map.of("MASK_SALT", "pepper");

  @Test
  void hash_sameValueAndSalt_isDeterministicHex() {
    Mask mask = new Mask.Hash(new Secret.EnvironmentVariable("MASK_SALT"));
    Object first = mask.apply("ada@example.com", ENV::get);
    assertThat(first).isEqualTo(mask.apply("ada@example.com", ENV::get));
    assertThat((String) first).hasSize(64).matches("[0-9a-f]+");
    assertThat(first)
        .isNotEqualTo(new Mask.Hash(new Secret.Inline("salt")).apply("ada@example.com", ENV::get));
  }

  @Test
  void hash_missingVariable_throwsWithoutValue() {
    Mask mask = new Mask.Hash(new Secret.EnvironmentVariable("NOPE"));
    assertThatThrownBy(() -> mask.apply("x", name -> null))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("NOPE");
  }

  @Test
  void keepLast_longerValue_starsTheRest() {
    assertThat(new Mask.KeepLast(4).apply("4111111111111111", ENV::get))
        .isEqualTo("************1111");
    assertThat(new Mask.KeepFirst(2).apply("abc", ENV::get)).isEqualTo("ab*");
    assertThat(new Mask.KeepFirst(5).apply("abc", ENV::get)).isEqualTo("abc");
  }

  @Test
  void masks_nullValue_stayNull() {
    assertThat(new Mask.Redact("****").apply(null, ENV::get)).isNull();
    assertThat(new Mask.KeepLast(1).apply(null, ENV::get)).isNull();
    assertThat(new Mask.Nullify().apply("x", ENV::get)).isNull();
  }

  @Test
  void inlineSecret_toString_hidesValue() {
    assertThat(new Secret.Inline("hunter2").toString()).doesNotContain("hunter2");
  }
}
