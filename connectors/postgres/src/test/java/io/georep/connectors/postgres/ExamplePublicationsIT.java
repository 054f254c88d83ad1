package io.georep.connectors.postgres;

import static org.assertj.core.api.Assertions.assertThat;

import io.georep.publication.AgentRule;
import io.georep.publication.ColumnSelection;
import io.georep.publication.PlannedPublication;
import io.georep.publication.Publication;
import io.georep.publication.PublicationParser;
import io.georep.publication.PublicationPlan;
import io.georep.publication.PublicationPlanner;
import io.georep.publication.PublicationValidator;
import io.georep.publication.TableName;
import io.georep.testkit.EmbeddedRegionDatabase;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * Round trip of {@code examples/publications}: the files parse, validate against the schema in
 * {@code schema.sql} on a real PostgreSQL, and their plans run there, first creating and then
 * altering the native publications; afterwards ordinary writes to every table still succeed (the
 * server refuses updates when a publication's column list or filter does not fit the replica
 * identity).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ExamplePublicationsIT {

  private static final Path EXAMPLES =
      Path.of(System.getProperty("georep.examples.dir", "../../examples/publications"));

  private EmbeddedRegionDatabase database;
  private Connection connection;

  @BeforeAll
  void start() throws Exception {
    database = PgVersion.PG17.start();
    connection = database.connect();
    try (Statement statement = connection.createStatement()) {
      statement.execute(Files.readString(EXAMPLES.resolve("schema.sql")));
    }
  }

  @AfterAll
  void stop() throws Exception {
    if (connection != null) {
      connection.close();
    }
    if (database != null) {
      database.close();
    }
  }

  private List<Publication> examples() throws IOException {
    try (Stream<Path> files = Files.list(EXAMPLES)) {
      List<Path> yaml = files.filter(p -> p.toString().endsWith(".yaml")).sorted().toList();
      assertThat(yaml).hasSizeGreaterThanOrEqualTo(3);
      return PublicationParser.create()
          .withKnownRegions(Set.of("us-east", "eu-west", "ap-south", "analytics"))
          .parseFiles(yaml);
    }
  }

  @Test
  void plan_examples_createThenAlterPublicationsThatAcceptWrites() throws Exception {
    List<Publication> publications = examples();
    PostgresSchemaCatalog catalog = PostgresSchemaCatalog.read(connection);
    assertThat(PublicationValidator.problems(publications, catalog)).isEmpty();

    PublicationPlan created = PublicationPlanner.plan(publications, catalog);
    assertThat(created.statements()).allMatch(s -> s.startsWith("CREATE PUBLICATION"));
    execute(created.statements());
    assertThat(publishedTables())
        .containsExactlyInAnyOrder(
            "georep_analytics public.customers WHERE",
            "georep_analytics public.payments WHERE",
            "georep_orders public.orders",
            "georep_orders public.stock",
            "georep_profiles public.profiles");

    AgentRule customers = agentRule(created, "analytics", new TableName("public", "customers"));
    assertThat(customers.filter()).isEmpty();
    assertThat(customers.columns()).isInstanceOf(ColumnSelection.Include.class);
    assertThat(customers.masks()).hasSize(2);

    writeEveryTable();

    PublicationPlan altered =
        PublicationPlanner.plan(publications, PostgresSchemaCatalog.read(connection));
    assertThat(altered.statements()).allMatch(s -> s.startsWith("ALTER PUBLICATION"));
    execute(altered.statements());
    assertThat(publishedTables()).hasSize(5);
    writeEveryTable();
  }

  private static AgentRule agentRule(PublicationPlan plan, String publication, TableName table) {
    PlannedPublication planned =
        plan.publications().stream()
            .filter(p -> p.publication().name().equals(publication))
            .findFirst()
            .orElseThrow();
    return planned.agentRules().stream()
        .filter(r -> r.table().equals(table))
        .findFirst()
        .orElseThrow();
  }

  private void execute(List<String> statements) throws SQLException {
    try (Statement statement = connection.createStatement()) {
      for (String sql : statements) {
        statement.execute(sql);
      }
    }
  }

  private List<String> publishedTables() throws SQLException {
    List<String> rows = new ArrayList<>();
    try (Statement statement = connection.createStatement();
        ResultSet rs =
            statement.executeQuery(
                "SELECT pubname, schemaname, tablename, rowfilter IS NOT NULL"
                    + " FROM pg_publication_tables WHERE pubname LIKE 'georep\\_%'")) {
      while (rs.next()) {
        rows.add(
            rs.getString(1)
                + " "
                + rs.getString(2)
                + "."
                + rs.getString(3)
                + (rs.getBoolean(4) ? " WHERE" : ""));
      }
    }
    return rows;
  }

  private void writeEveryTable() throws SQLException {
    execute(
        List.of(
            "INSERT INTO public.orders (id, customer_id, status, quantity) VALUES (1, 1, 'new', 2)",
            "UPDATE public.orders SET quantity = quantity + 1, status = 'paid' WHERE id = 1",
            "DELETE FROM public.orders WHERE id = 1",
            "INSERT INTO public.stock (sku, on_hand) VALUES ('A-1', 5)",
            "UPDATE public.stock SET reserved = reserved + 1 WHERE sku = 'A-1'",
            "DELETE FROM public.stock WHERE sku = 'A-1'",
            "INSERT INTO public.profiles (user_id, display_name, tags, password_hash)"
                + " VALUES (1, 'Ada', '{math}', 'x')",
            "UPDATE public.profiles SET tags = tags || '{poetry}', bio = 'hi' WHERE user_id = 1",
            "DELETE FROM public.profiles WHERE user_id = 1",
            "INSERT INTO public.customers (id, email, country, phone)"
                + " VALUES (1, 'ada@example.com', 'DE', '+49 30 1234567')",
            "UPDATE public.customers SET country = 'FR', internal_notes = 'vip' WHERE id = 1",
            "DELETE FROM public.customers WHERE id = 1",
            "INSERT INTO public.payments (id, customer_id, amount, card_number)"
                + " VALUES (1, 1, 9.99, '4111111111111111')",
            "UPDATE public.payments SET amount = 19.99 WHERE id = 1",
            "DELETE FROM public.payments WHERE id = 1"));
  }
}
