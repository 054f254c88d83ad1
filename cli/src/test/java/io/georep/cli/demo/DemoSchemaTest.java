package io.georep.cli.demo;

import static org.assertj.core.api.Assertions.assertThat;

import io.georep.publication.Publication;
import io.georep.publication.TableRule;
import org.junit.jupiter.api.Test;

class DemoSchemaTest {

  @Test
  void publication_parses_withEveryTableOfTheSchema() {
    Publication p = DemoSchema.publication();

    assertThat(p.name()).isEqualTo("demo");
    assertThat(p.tables().stream().map(t -> t.table().toString()))
        .containsExactly(
            "public.accounts", "public.profiles", "public.orders", "public.checkpoints");
    for (TableRule t : p.tables()) {
      assertThat(DemoSchema.ddl()).contains("CREATE TABLE " + t.table().name() + " (");
      assertThat(DemoSchema.SNAPSHOTS).containsKey(t.table().name());
    }
  }
}
