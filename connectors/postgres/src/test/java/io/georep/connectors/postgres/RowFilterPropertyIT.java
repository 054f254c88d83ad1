package io.georep.connectors.postgres;

import static org.assertj.core.api.Assertions.assertThat;

import io.georep.connectors.postgres.internal.pgoutput.PgOutputDecoder;
import io.georep.connectors.postgres.internal.pgoutput.PgOutputMessage;
import io.georep.connectors.postgres.internal.pgoutput.TupleData;
import io.georep.publication.RowFilter;
import io.georep.publication.TableName;
import io.georep.publication.spi.TableDescription;
import io.georep.publication.testing.RowFilterGenerator;
import io.georep.testkit.EmbeddedRegionDatabase;
import io.georep.vectorclock.testkit.Seeds;
import java.nio.ByteBuffer;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Types;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.TreeSet;
import java.util.stream.LongStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Row filters give the same verdict in PostgreSQL as in the agent: for each seed, a generated
 * filter is pushed into a native publication, generated rows are inserted, and the rows the
 * publication actually sends (decoded from a pgoutput slot) must be exactly the rows {@link
 * RowFilter#matches} accepts; a plain {@code SELECT ... WHERE} must agree too.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class RowFilterPropertyIT {

  private static final TableName TABLE = new TableName("public", "filter_rows");
  private static final String PUBLICATION = "georep_filter_property";
  private static final String SLOT = "georep_filter_property";
  private static final int ROWS = 16;

  private EmbeddedRegionDatabase database;
  private Connection connection;
  private TableDescription table;
  private long nextId = 1;

  @BeforeAll
  void start() throws Exception {
    database = PgVersion.PG17.start();
    connection = database.connect();
    try (Statement statement = connection.createStatement()) {
      statement.execute(RowFilterGenerator.createTable(TABLE.sql()));
      statement.execute(
          "CREATE PUBLICATION "
              + PUBLICATION
              + " FOR TABLE "
              + TABLE.sql()
              + " WITH (publish = 'insert')");
      statement.execute("SELECT pg_create_logical_replication_slot('" + SLOT + "', 'pgoutput')");
    }
    table = PostgresSchemaCatalog.read(connection).describe(TABLE).orElseThrow();
  }

  @AfterAll
  void stop() throws Exception {
    if (connection != null) {
      try (Statement statement = connection.createStatement()) {
        statement.execute("SELECT pg_drop_replication_slot('" + SLOT + "')");
      }
      connection.close();
    }
    if (database != null) {
      database.close();
    }
  }

  static LongStream seeds() {
    return Seeds.of("row-filter-database-agrees");
  }

  @ParameterizedTest(name = "seed={0}")
  @MethodSource("seeds")
  void rowFilter_generatedRows_databaseAndAgentAgree(long seed) throws SQLException {
    RowFilterGenerator generator = new RowFilterGenerator(new SplittableRandom(seed));
    RowFilter filter = RowFilter.parse(generator.filter());
    String pushed = filter.toSql(table);
    List<Map<String, Object>> rows = new ArrayList<>();
    for (int i = 0; i < ROWS; i++) {
      rows.add(generator.row(nextId++));
    }
    long first = (Long) rows.get(0).get("id");
    long last = (Long) rows.get(ROWS - 1).get("id");

    TreeSet<Long> agent = new TreeSet<>();
    for (Map<String, Object> row : rows) {
      if (filter.matches(row)) {
        agent.add((Long) row.get("id"));
      }
    }
    try (Statement statement = connection.createStatement()) {
      statement.execute(
          "ALTER PUBLICATION "
              + PUBLICATION
              + " SET TABLE "
              + TABLE.sql()
              + " WHERE ("
              + pushed
              + ")");
    }
    insert(rows);
    Set<Long> sent = decodeSentIds();
    TreeSet<Long> selected = new TreeSet<>();
    try (Statement statement = connection.createStatement();
        ResultSet rs =
            statement.executeQuery(
                "SELECT id FROM "
                    + TABLE.sql()
                    + " WHERE id BETWEEN "
                    + first
                    + " AND "
                    + last
                    + " AND ("
                    + pushed
                    + ")")) {
      while (rs.next()) {
        selected.add(rs.getLong(1));
      }
    }
    String context =
        "seed "
            + seed
            + " (replay: -Dgeorep.seed="
            + seed
            + "), filter "
            + filter
            + ", pushed down as "
            + pushed;
    assertThat(sent).as("rows the publication sent; %s", context).isEqualTo(agent);
    assertThat(selected).as("rows SELECT ... WHERE returned; %s", context).isEqualTo(agent);
  }

  private void insert(List<Map<String, Object>> rows) throws SQLException {
    String sql =
        "INSERT INTO " + TABLE.sql() + " (id, a, b, n, s, t, flag) VALUES (?, ?, ?, ?, ?, ?, ?)";
    try (PreparedStatement statement = connection.prepareStatement(sql)) {
      for (Map<String, Object> row : rows) {
        bind(statement, 1, row.get("id"), Types.BIGINT);
        bind(
            statement,
            2,
            row.get("a") == null ? null : ((Long) row.get("a")).intValue(),
            Types.INTEGER);
        bind(
            statement,
            3,
            row.get("b") == null ? null : ((Long) row.get("b")).intValue(),
            Types.INTEGER);
        bind(statement, 4, row.get("n"), Types.NUMERIC);
        bind(statement, 5, row.get("s"), Types.VARCHAR);
        bind(statement, 6, row.get("t"), Types.VARCHAR);
        bind(statement, 7, row.get("flag"), Types.BOOLEAN);
        statement.addBatch();
      }
      statement.executeBatch();
    }
  }

  private static void bind(PreparedStatement statement, int index, Object value, int type)
      throws SQLException {
    if (value == null) {
      statement.setNull(index, type);
    } else {
      statement.setObject(index, value, type);
    }
  }

  /** Consumes the slot and returns the ids of the inserted rows pgoutput sent. */
  private Set<Long> decodeSentIds() throws SQLException {
    TreeSet<Long> ids = new TreeSet<>();
    try (Statement statement = connection.createStatement();
        ResultSet rs =
            statement.executeQuery(
                "SELECT data FROM pg_logical_slot_get_binary_changes('"
                    + SLOT
                    + "', NULL, NULL, 'proto_version', '1', 'publication_names', '"
                    + PUBLICATION
                    + "')")) {
      PgOutputDecoder decoder = new PgOutputDecoder();
      while (rs.next()) {
        if (decoder.decode(ByteBuffer.wrap(rs.getBytes(1)))
            instanceof PgOutputMessage.Insert insert) {
          TupleData row = insert.newTuple();
          if (row.kind(0) != TupleData.Kind.TEXT) {
            throw new IllegalStateException("id column sent as " + row.kind(0));
          }
          ids.add(Long.parseLong(row.text(0)));
        }
      }
    }
    return ids;
  }
}
