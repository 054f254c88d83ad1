package io.georep.publication;

import static org.assertj.core.api.Assertions.assertThat;

import io.georep.publication.spi.ReplicaIdentity;
import io.georep.publication.spi.TableDescription;
import io.georep.publication.spi.TypeCategory;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.snakeyaml.engine.v2.api.Load;
import org.snakeyaml.engine.v2.api.LoadSettings;

class PublicationParserTest {

  private static final Path EXAMPLES = Path.of("../examples/publications");

  private static Publication parse(String yaml) {
    return PublicationParser.create().parse("t.yaml", yaml.getBytes(StandardCharsets.UTF_8));
  }

  @Test
  void parse_fullTableEntry_buildsModelWithPositions() {
    Publication publication =
        parse(
            """
            publication: analytics
            regions: [analytics]
            operations: [insert, update]
            tables:
              - table: public.customers
                columns: {include: [id, email]}
                filter: "country = 'DE'"
                resolver: {name: region-priority, regions: [eu-west, us-east]}
                column-resolvers: {visits: counter}
                masks:
                  email: {kind: hash, salt: "${env:MASK_SALT}"}
            """);
    assertThat(publication.nativeName()).isEqualTo("georep_analytics");
    assertThat(publication.regions()).isEqualTo(new RegionTarget.Only(List.of("analytics")));
    assertThat(publication.operations()).containsExactly(Operation.INSERT, Operation.UPDATE);
    TableRule rule = publication.tables().get(0);
    assertThat(rule.table()).isEqualTo(new TableName("public", "customers"));
    assertThat(rule.position()).isEqualTo(new SourcePosition("t.yaml", 5, 12));
    assertThat(rule.columns().selects("email")).isTrue();
    assertThat(rule.columns().selects("phone")).isFalse();
    assertThat(rule.filter().orElseThrow().position())
        .isEqualTo(new SourcePosition("t.yaml", 7, 14));
    assertThat(rule.resolver().regionOrder()).containsExactly("eu-west", "us-east");
    assertThat(rule.columnResolvers().get(0).resolver().builtIn())
        .contains(BuiltInResolver.COUNTER);
    assertThat(rule.maskOf("email"))
        .contains(new Mask.Hash(new Secret.EnvironmentVariable("MASK_SALT")));
  }

  @Test
  void parse_defaults_allRegionsAllOperationsLww() {
    Publication publication = parse("publication: p\ntables:\n  - table: s.t\n");
    assertThat(publication.regions()).isEqualTo(new RegionTarget.All());
    assertThat(publication.operations()).containsExactlyInAnyOrder(Operation.values());
    assertThat(publication.tables().get(0).resolver().name()).isEqualTo("lww");
    assertThat(publication.tables().get(0).columns()).isEqualTo(new ColumnSelection.All());
  }

  @Test
  void parse_quotedTableName_keepsDotsAndCase() {
    Publication publication = parse("publication: p\ntables:\n  - table: '\"My.Schema\".Orders'\n");
    assertThat(publication.tables().get(0).table()).isEqualTo(new TableName("My.Schema", "Orders"));
  }

  @Test
  void parseAll_sameNameInTwoFiles_reportsSecond() {
    byte[] file = "publication: p\ntables:\n  - table: s.t\n".getBytes(StandardCharsets.UTF_8);
    PublicationException e =
        org.assertj.core.api.Assertions.catchThrowableOfType(
            PublicationException.class,
            () ->
                PublicationParser.create()
                    .parseAll(
                        new java.util.LinkedHashMap<>(Map.of("a.yaml", file, "b.yaml", file))));
    assertThat(e.problems()).hasSize(1);
    assertThat(e.problems().get(0).message()).contains("is already defined at");
  }

  @Test
  void parseFiles_examples_validateAgainstTheirSchema() throws IOException {
    List<Path> files;
    try (Stream<Path> list = Files.list(EXAMPLES)) {
      files = list.filter(p -> p.toString().endsWith(".yaml")).sorted().toList();
    }
    List<Publication> publications =
        PublicationParser.create()
            .withKnownRegions(Set.of("us-east", "eu-west", "analytics"))
            .parseFiles(files);
    assertThat(publications)
        .extracting(Publication::name)
        .containsExactly("analytics", "orders", "profiles");
  }

  @Test
  void schema_topLevelAndTableKeys_matchTheParser() throws IOException {
    Map<?, ?> schema;
    try (InputStream in = PublicationParser.class.getResourceAsStream("publication.schema.json")) {
      schema =
          (Map<?, ?>)
              new Load(LoadSettings.builder().build())
                  .loadFromString(new String(in.readAllBytes(), StandardCharsets.UTF_8));
    }
    assertThat(((Map<?, ?>) schema.get("properties")).keySet())
        .isEqualTo(PublicationReader.TOP_KEYS);
    Map<?, ?> table = (Map<?, ?>) ((Map<?, ?>) schema.get("$defs")).get("table");
    assertThat(((Map<?, ?>) table.get("properties")).keySet())
        .isEqualTo(PublicationReader.TABLE_KEYS);
  }

  @Test
  void plan_postgres14_leavesFilterAndColumnsToTheAgent() {
    Publication publication =
        parse(
            """
            publication: shop
            operations: [insert]
            tables:
              - table: public.customers
                columns: {exclude: [phone]}
                filter: "name > 'M'"
                masks: {email: redact}
            """);
    PublicationPlan plan =
        PublicationPlanner.plan(List.of(publication), InMemorySchemaCatalog.shop(14));
    assertThat(plan.statements())
        .containsExactly(
            "CREATE PUBLICATION \"georep_shop\" FOR TABLE \"public\".\"customers\""
                + " WITH (publish = 'insert')");
    AgentRule rule = plan.publications().get(0).agentRules().get(0);
    assertThat(rule.filter()).isPresent();
    assertThat(rule.columns()).isInstanceOf(ColumnSelection.Exclude.class);
    assertThat(rule.masks()).hasSize(1);
  }

  @Test
  void plan_postgres17_pushesFilterAndColumnsDown() {
    Publication publication =
        parse(
            """
            publication: shop
            operations: [insert]
            tables:
              - table: public.customers
                columns: {exclude: [phone]}
                filter: "name > 'M' AND visits BETWEEN 1 AND 10"
            """);
    PublicationPlan plan =
        PublicationPlanner.plan(List.of(publication), InMemorySchemaCatalog.shop(17));
    assertThat(plan.statements())
        .containsExactly(
            "CREATE PUBLICATION \"georep_shop\" FOR TABLE \"public\".\"customers\""
                + " (\"id\", \"email\", \"name\", \"visits\")"
                + " WHERE (((\"name\" COLLATE \"C\" > 'M') AND (\"visits\" BETWEEN 1 AND 10)))"
                + " WITH (publish = 'insert')");
    assertThat(plan.publications().get(0).agentRules()).isEmpty();
  }

  @Test
  void plan_existingPublication_altersInPlace() {
    Publication publication = parse("publication: shop\ntables:\n  - table: public.orders\n");
    InMemorySchemaCatalog catalog =
        new InMemorySchemaCatalog(
            16,
            Set.of("georep_shop"),
            new TableDescription(
                new TableName("public", "orders"),
                List.of(InMemorySchemaCatalog.column("id", "bigint", TypeCategory.INTEGER, false)),
                List.of("id"),
                ReplicaIdentity.DEFAULT,
                List.of()));
    assertThat(PublicationPlanner.plan(List.of(publication), catalog).statements())
        .containsExactly(
            "ALTER PUBLICATION \"georep_shop\" SET TABLE \"public\".\"orders\"",
            "ALTER PUBLICATION \"georep_shop\" SET (publish = 'insert, update, delete, truncate')");
  }
}
