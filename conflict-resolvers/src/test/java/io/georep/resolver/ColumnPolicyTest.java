package io.georep.resolver;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The policy family and its kinds stay one to one, so switches over kinds cover every policy. */
class ColumnPolicyTest {

  @Test
  void everyPolicyRecord_hasAKindOfItsOwn_andEveryKindAPolicy() {
    List<ColumnPolicy> policies =
        List.of(
            new ColumnPolicy.Register(Resolvers.lww()),
            new ColumnPolicy.Counter(),
            new ColumnPolicy.Max(),
            new ColumnPolicy.Min(),
            new ColumnPolicy.OrSet(),
            new ColumnPolicy.GSet(),
            new ColumnPolicy.GCounter(),
            new ColumnPolicy.TwoPhaseSet());
    List<Class<?>> classes = new ArrayList<>();
    Set<ColumnPolicy.Kind> kinds = EnumSet.noneOf(ColumnPolicy.Kind.class);
    for (ColumnPolicy p : policies) {
      classes.add(p.getClass());
      assertThat(kinds.add(p.kind())).as("kind of %s is taken by another policy", p).isTrue();
    }

    assertThat(ColumnPolicy.class.getPermittedSubclasses())
        .as("every permitted policy is in the list above")
        .containsExactlyInAnyOrderElementsOf(classes);
    assertThat(kinds).containsExactlyInAnyOrder(ColumnPolicy.Kind.values());
  }
}
