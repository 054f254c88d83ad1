package io.georep.publication;

import static org.assertj.core.api.Assertions.assertThat;

import io.georep.publication.testing.RowFilterGenerator;
import io.georep.vectorclock.testkit.Seeds;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.stream.LongStream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Properties of row filters without a database: generated filters parse and type-check, and the
 * canonical SQL pushed to the server parses back into a filter that evaluates identically.
 */
class RowFilterPropertyTest {

  static LongStream canonicalSql() {
    return Seeds.of("row-filter-canonical-sql");
  }

  static LongStream wellTyped() {
    return Seeds.of("row-filter-well-typed");
  }

  @ParameterizedTest(name = "seed={0}")
  @MethodSource("canonicalSql")
  void toSql_generatedFilter_evaluatesLikeTheOriginal(long seed) {
    Seeds.check(seed, this::canonicalSqlEvaluatesLikeTheOriginal);
  }

  private void canonicalSqlEvaluatesLikeTheOriginal(SplittableRandom random) {
    RowFilterGenerator generator = new RowFilterGenerator(random);
    String sql = generator.filter();
    RowFilter original = RowFilter.parse(sql);
    RowFilter canonical = RowFilter.parse(original.toSql());
    for (int i = 0; i < 20; i++) {
      Map<String, Object> row = generator.row(i);
      assertThat(canonical.evaluate(row))
          .as("filter %s on %s", sql, row)
          .isEqualTo(original.evaluate(row));
    }
  }

  @ParameterizedTest(name = "seed={0}")
  @MethodSource("wellTyped")
  void validate_generatedFilter_isWellTyped(long seed) {
    Seeds.check(seed, this::generatedFilterIsWellTyped);
  }

  private void generatedFilterIsWellTyped(SplittableRandom random) {
    String sql = new RowFilterGenerator(random).filter();
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
        .as("filter %s", sql)
        .isEmpty();
  }
}
