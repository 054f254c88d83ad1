package io.georep.connectors.postgres;

import static io.georep.connectors.postgres.CaptureFixture.execute;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.georep.connector.RowChange;
import io.georep.connector.SourceTransaction;
import io.georep.connector.Value;
import io.georep.publication.Mask;
import io.georep.publication.Publication;
import io.georep.publication.Secret;
import io.georep.testkit.EmbeddedRegionDatabase;
import java.sql.Connection;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The capture applies the publication rules that the native publication did not: row filters with
 * PostgreSQL's update transformations, column lists and masks. On PostgreSQL 14 everything is the
 * agent's; on 17 the single-publication filter is pushed down (the column list is not, the table
 * being {@code REPLICA IDENTITY FULL}) and the two-publication table is filtered by the agent. Both
 * versions must ship exactly the same changes.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class CaptureRulesIT {

  private static final String SALT = "s3cr3t-salt";

  private final Map<PgVersion, EmbeddedRegionDatabase> databases = new EnumMap<>(PgVersion.class);

  private final Publication customers =
      CaptureFixture.publication(
          """
          publication: crm
          operations: [insert, update, delete]
          tables:
            - table: public.customers
              columns:
                exclude: [password]
              filter: "country = 'DE'"
              masks:
                email: {kind: hash, salt: "${env:TEST_MASK_SALT}"}
                phone: {kind: keep-last, count: 4}
          """);

  private final Publication euOrders =
      CaptureFixture.publication(
          """
          publication: eu_orders
          operations: [insert, update, delete]
          tables:
            - table: public.orders
              filter: "zone = 'eu'"
          """);

  private final Publication usOrders =
      CaptureFixture.publication(
          """
          publication: us_orders
          operations: [insert, update, delete]
          tables:
            - table: public.orders
              filter: "zone = 'us'"
          """);

  @AfterAll
  void stop() throws Exception {
    for (EmbeddedRegionDatabase database : databases.values()) {
      database.close();
    }
  }

  private PostgresSourceConfig config(EmbeddedRegionDatabase database, Map<String, String> env) {
    return PostgresSourceConfig.of(
            database.jdbcUrl(),
            "postgres",
            "",
            CaptureFixture.REGION,
            List.of(customers, euOrders, usOrders))
        .withSlotName("rules")
        .withInitialCopy(false)
        .withEnvironment(env::get);
  }

  @ParameterizedTest(name = "{0}")
  @EnumSource(PgVersion.class)
  void capture_agentRules_filterTransformProjectAndMask(PgVersion version) throws Exception {
    EmbeddedRegionDatabase database = version.start();
    databases.put(version, database);
    try (Connection connection = database.connect()) {
      execute(
          connection,
          "CREATE TABLE customers (id int PRIMARY KEY, email text, phone text, country text,"
              + " password text)",
          "ALTER TABLE customers REPLICA IDENTITY FULL",
          "CREATE TABLE orders (id int PRIMARY KEY, zone text NOT NULL, note text)",
          "ALTER TABLE orders REPLICA IDENTITY FULL");

      assertThatThrownBy(
              () -> new PostgresChangeSource(config(database, Map.of())).start(handlerFor(), 0))
          .isInstanceOf(CaptureException.class)
          .hasMessage(
              "publication crm (test.yaml:9:7) masks column email of public.customers with a"
                  + " hash salted by ${env:TEST_MASK_SALT}, but environment variable"
                  + " TEST_MASK_SALT is not set in the agent's environment; set it (to the same"
                  + " value in every region, so hashed values still join) and restart the agent");

      RecordingHandler handler = new RecordingHandler();
      try (PostgresChangeSource source =
          new PostgresChangeSource(config(database, Map.of("TEST_MASK_SALT", SALT)))) {
        source.start(handler, 0);
        execute(
            connection,
            "INSERT INTO customers VALUES (1, 'alice@example.com', '+49 170 1234', 'DE',"
                + " 'pw-alice')",
            "INSERT INTO customers VALUES (2, 'bob@example.com', '+33 1 5678', 'FR', 'pw-bob')",
            // DE -> FR: leaves the filtered set, ships as a delete.
            "UPDATE customers SET country = 'FR' WHERE id = 1",
            // FR -> DE: enters it, ships as an insert of the whole (masked, projected) row.
            "UPDATE customers SET country = 'DE', email = 'bob2@example.com' WHERE id = 2",
            // DE -> DE: an ordinary update, the phone masked.
            "UPDATE customers SET phone = '+33 1 9999' WHERE id = 2",
            // FR -> FR, and a delete of a FR row: nothing.
            "UPDATE customers SET phone = '+49 170 0000' WHERE id = 1",
            "DELETE FROM customers WHERE id = 1",
            "INSERT INTO orders VALUES (1, 'eu', 'n1'), (2, 'us', 'n2'), (3, 'ap', 'n3')",
            "UPDATE orders SET zone = 'ap' WHERE id = 1",
            "INSERT INTO customers VALUES (99, 'end@example.com', '0000', 'DE', 'pw-end')");
        handler.await(
            () ->
                handler.snapshot().stream()
                    .flatMap(t -> t.changes().stream())
                    .anyMatch(c -> c.key().values().equals(List.of(new Value.Int4(99)))),
            "the last insert");
        List<SourceTransaction> txs = handler.snapshot();
        List<String> shipped = new ArrayList<>();
        for (SourceTransaction tx : txs) {
          for (RowChange change : tx.changes()) {
            shipped.add(
                change.kind() + " " + change.tableId().name() + " " + change.key().values());
            assertThat(change.table().columns()).noneMatch(c -> c.name().equals("password"));
          }
          String text = tx.toString() + tx.changes();
          for (String raw :
              List.of(
                  "alice@example.com",
                  "bob2@example.com",
                  "end@example.com",
                  "+33 1 9999",
                  "+49 170 1234",
                  "pw-",
                  SALT)) {
            assertThat(text).doesNotContain(raw);
          }
        }
        assertThat(shipped)
            .containsExactly(
                "INSERT customers [Int4[value=1]]",
                "DELETE customers [Int4[value=1]]",
                "INSERT customers [Int4[value=2]]",
                "UPDATE customers [Int4[value=2]]",
                "INSERT orders [Int4[value=1]]",
                "INSERT orders [Int4[value=2]]",
                "DELETE orders [Int4[value=1]]",
                "INSERT customers [Int4[value=99]]");
        List<RowChange> changes = txs.stream().flatMap(t -> t.changes().stream()).toList();
        RowChange.Insert alice = (RowChange.Insert) changes.get(0);
        assertThat(alice.values())
            .containsEntry("email", new Value.Text(hash("alice@example.com")))
            .containsEntry("phone", new Value.Text("********1234"))
            .containsEntry("country", new Value.Text("DE"))
            .doesNotContainKey("password");
        RowChange.Insert bob = (RowChange.Insert) changes.get(2);
        assertThat(bob.values())
            .containsEntry("email", new Value.Text(hash("bob2@example.com")))
            .containsEntry("phone", new Value.Text("******5678"))
            .doesNotContainKey("password");
        RowChange.Update phone = (RowChange.Update) changes.get(3);
        assertThat(phone.changed())
            .containsExactly(Map.entry("phone", new Value.Text("******9999")));
      }
      CaptureFixture.dropSlot(connection, "rules");
    } finally {
      databases.remove(version).close();
    }
  }

  private static String hash(String value) {
    return (String) new Mask.Hash(new Secret.Inline(SALT)).apply(value, name -> null);
  }

  private static RecordingHandler handlerFor() {
    return new RecordingHandler();
  }
}
