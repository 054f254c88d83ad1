package io.georep.examples.resolver;

import static org.assertj.core.api.Assertions.assertThat;

import io.georep.connector.ColumnSchema;
import io.georep.connector.RowChange;
import io.georep.connector.ScalarType;
import io.georep.connector.TableId;
import io.georep.connector.TableSchema;
import io.georep.connector.Value;
import io.georep.resolver.ResolverRegistry;
import io.georep.resolver.spi.ConflictSet;
import io.georep.resolver.spi.Resolution;
import io.georep.resolver.spi.Version;
import io.georep.vectorclock.Dot;
import io.georep.vectorclock.HybridTimestamp;
import io.georep.vectorclock.ReplicaId;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class LongestTextWinsTest {
  private static final TableSchema T =
      TableSchema.of(
          TableId.of("public", "products"),
          List.of(
              ColumnSchema.key("id", ScalarType.INT8, 1),
              ColumnSchema.of("description", ScalarType.TEXT, true)));

  private static Version version(String origin, long wall, String text) {
    return new Version(
        Dot.of(origin, 1),
        new HybridTimestamp(wall, 0, ReplicaId.of(origin)),
        RowChange.Kind.UPDATE,
        Map.of("description", new Value.Text(text)));
  }

  @Test
  void resolve_concurrentTexts_longestWinsInAnyOrder() {
    Version shortLate = version("us-east", 20, "mug");
    Version longEarly = version("eu-west", 10, "blue ceramic mug");
    LongestTextWins resolver = new LongestTextWins();
    Resolution one =
        resolver.resolve(
            new ConflictSet(T, Optional.of("description"), List.of(shortLate, longEarly)));
    Resolution two =
        resolver.resolve(
            new ConflictSet(T, Optional.of("description"), List.of(longEarly, shortLate)));
    assertThat(one).isEqualTo(Resolution.choose(longEarly)).isEqualTo(two);
  }

  @Test
  void load_classPath_registersPluginByName() {
    assertThat(ResolverRegistry.load(getClass().getClassLoader()).customNames())
        .contains(LongestTextWins.NAME);
  }
}
