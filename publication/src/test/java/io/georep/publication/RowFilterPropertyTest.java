package io.georep.publication;

import static org.assertj.core.api.Assertions.assertThat;

import io.georep.publication.testing.PropertyCases;
import io.georep.publication.testing.RowFilterGenerator;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.api.Named;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Properties of row filters without a database: generated filters parse and type-check, and the
 * canonical SQL pushed to the server parses back into a filter that evaluates identically.
 */
class RowFilterPropertyTest {

  static Stream<Named<Long>> seeds() {
    return PropertyCases.seeds();
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("seeds")
  void toSql_generatedFilter_evaluatesLikeTheOriginal(long seed) {
    SplittableRandom random = new SplittableRandom(seed);
    RowFilterGenerator generator = new RowFilterGenerator(random);
    String sql = generator.filter();
    RowFilter original = RowFilter.parse(sql);
    RowFilter canonical = RowFilter.parse(original.toSql());
    for (int i = 0; i < 20; i++) {
      Map<String, Object> row = generator.row(i);
      assertThat(canonical.evaluate(row))
          .as("filter %s on %s; %s", sql, row, PropertyCases.replay(seed))
          .isEqualTo(original.evaluate(row));
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("seeds")
  void validate_generatedFilter_isWellTyped(long seed) {
    String sql = new RowFilterGenerator(new SplittableRandom(seed)).filter();
    String yaml =
        "publication: p\noperations: [insert]\ntables:\n  - table: public.filter_rows\n"
            + "    filter: '"
            + sql.replace("'", "''")
            + "'\n";
    Publication publication =
        PublicationParser.create()
            .parse("p.yaml", yaml.getBytes(java.nio.charset.StandardCharsets.UTF_8));
    assertThat(
            PublicationValidator.problems(java.util.List.of(publication), RowFilterCatalog.CATALOG))
        .as("filter %s; %s", sql, PropertyCases.replay(seed))
        .isEmpty();
  }
}
