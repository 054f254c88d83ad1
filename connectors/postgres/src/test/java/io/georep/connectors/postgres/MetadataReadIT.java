package io.georep.connectors.postgres;

import static io.georep.connectors.postgres.ApplyFixture.context;
import static io.georep.connectors.postgres.ApplyFixture.execute;
import static io.georep.connectors.postgres.ApplyFixture.insert;
import static io.georep.connectors.postgres.ApplyFixture.rows;
import static io.georep.connectors.postgres.ApplyFixture.tx;
import static org.assertj.core.api.Assertions.assertThat;

import io.georep.connector.ColumnSchema;
import io.georep.connector.ColumnType;
import io.georep.connector.ScalarType;
import io.georep.connector.SourceTransaction;
import io.georep.connector.TableId;
import io.georep.connector.TableSchema;
import io.georep.connectors.postgres.internal.apply.ApplyTransaction;
import io.georep.publication.Publication;
import io.georep.testkit.EmbeddedRegionDatabase;
import io.georep.vectorclock.ReplicaId;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * How the applier reads rows and their metadata back: the plan of the metadata look-up on a {@code
 * row_meta} that was never analysed (a new region filling it by an initial copy), and {@code
 * char(n)} values read as the capture sees them.
 */
class MetadataReadIT {
  private static final ReplicaId EU = ReplicaId.of("eu-west");

  private static final Publication PUBLICATION =
      CaptureFixture.publication(
          """
          publication: codes
          regions: all
          operations: [insert, update, delete]
          tables:
            - table: public.codes
          """);

  private static final TableSchema CODES =
      TableSchema.of(
          TableId.of("public", "codes"),
          List.of(
              ColumnSchema.key("id", ScalarType.INT4, 1),
              ColumnSchema.of("c", ColumnType.of("bpchar"), true)));

  @Test
  void metadataOfManyKeys_neverAnalysed_isReadByOneIndexProbePerKey() throws Exception {
    try (EmbeddedRegionDatabase db = PgVersion.PG17.start()) {
      try (Connection c = db.connect()) {
        execute(c, "CREATE TABLE codes (id int PRIMARY KEY, c char(8))");
      }
      try (PostgresChangeApplier applier =
              PostgresChangeApplier.start(ApplyFixture.config(db, EU, PUBLICATION));
          Connection c = db.connect()) {
        // Started for its metadata schema; the plan is what this test reads.
        assertThat(applier).isNotNull();
        execute(
            c,
            "ALTER TABLE georep.row_meta SET (autovacuum_enabled = false)",
            "INSERT INTO georep.row_meta (table_schema, table_name, row_key, state, row_exists,"
                + " suppressed, writer_xid, sync_lsn, last_origin, last_seq, last_wall,"
                + " last_logical, accumulates)"
                + " SELECT 'public', 'codes', int4send(g), ''::bytea, true, false, 1, 0,"
                + " 'eu-west', g, 0, 0, false FROM generate_series(1, 50000) g");
        try (Statement s = c.createStatement();
            ResultSet rs =
                s.executeQuery(
                    "SELECT reltuples FROM pg_class WHERE oid = 'georep.row_meta'::regclass")) {
          rs.next();
          assertThat(rs.getDouble(1)).as("row_meta never analysed").isLessThan(0);
        }
        String query =
            ApplyTransaction.ROW_META_OF_KEYS
                .replaceFirst(
                    "\\?::bytea\\[\\]",
                    "(SELECT array_agg(int4send(g)) FROM" + " generate_series(1, 2000) g)")
                .replaceFirst("\\?", "'public'")
                .replaceFirst("\\?", "'codes'");
        String plan = String.join("\n", rows(c, "EXPLAIN " + query));
        // The whole key is the index condition: with "row_key = ANY(?)" the planner took the
        // table's name for selective and filtered its 50,000 metadata rows by the array.
        assertThat(plan).containsPattern("Index Cond: .*row_key = ");
        assertThat(plan).doesNotContain("Filter");
      }
    }
  }

  @Test
  void charColumn_foldOfAnUnchangedRow_writesNothingBack() throws Exception {
    try (EmbeddedRegionDatabase db = PgVersion.PG17.start()) {
      try (Connection c = db.connect()) {
        execute(c, "CREATE TABLE codes (id int PRIMARY KEY, c char(8))");
      }
      try (PostgresChangeApplier eu =
              PostgresChangeApplier.start(ApplyFixture.config(db, EU, PUBLICATION));
          Connection c = db.connect()) {
        execute(c, "INSERT INTO codes VALUES (1, 'ab')");
        long xmin = xmin(c);
        execute(
            c,
            "INSERT INTO georep.xid_stamp (origin, seq, xid, xid32, hlc_wall, hlc_logical,"
                + " causal_context) VALUES ('eu-west', 50, "
                + xmin
                + ", "
                + xmin
                + ", 2000, 0, ''::bytea)");
        // As the capture receives it: char(8) padded by its output function.
        SourceTransaction local = tx(EU, 50, 2_000, context(), insert(CODES, 1, "c", "ab      "));
        eu.foldLocal(List.of(local));

        assertThat(xmin(c)).as("the row was not written again").isEqualTo(xmin);
        assertThat(rows(c, "SELECT writer_xid32 FROM georep.row_meta"))
            .containsExactly("writer_xid32=" + xmin);
      }
    }
  }

  private static long xmin(Connection c) throws Exception {
    try (Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("SELECT xmin::text::bigint FROM codes WHERE id = 1")) {
      rs.next();
      return rs.getLong(1);
    }
  }
}
