package io.georep.connectors.postgres;

import static io.georep.connectors.postgres.ApplyFixture.US;
import static io.georep.connectors.postgres.ApplyFixture.context;
import static io.georep.connectors.postgres.ApplyFixture.execute;
import static io.georep.connectors.postgres.ApplyFixture.insert;
import static io.georep.connectors.postgres.ApplyFixture.rows;
import static io.georep.connectors.postgres.ApplyFixture.table;
import static io.georep.connectors.postgres.ApplyFixture.tx;
import static org.assertj.core.api.Assertions.assertThat;

import io.georep.connector.ScalarType;
import io.georep.connector.SourceTransaction;
import io.georep.connector.TableSchema;
import io.georep.connector.spi.OriginProgress;
import io.georep.connector.spi.PositionedTransaction;
import io.georep.publication.Publication;
import io.georep.testkit.EmbeddedRegionDatabase;
import io.georep.vectorclock.ReplicaId;
import io.georep.vectorclock.VersionVector;
import java.sql.Connection;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * Out-of-order apply with stream positions ({@code applyPositioned}, issue 8): the watermark is the
 * contiguous prefix of the origin's stream, the above-set holds what was applied beyond it, the
 * stream offset of the watermark's record is stored with it, and duplicates are skipped.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class PositionedApplyIT {
  static final ReplicaId EU = ReplicaId.of("eu-west");
  static final Publication PUBLICATION =
      CaptureFixture.publication(
          """
          publication: positioned
          tables:
            - table: public.pos_t
          """);
  static final TableSchema POS = table("pos_t", "a", ScalarType.TEXT);

  private EmbeddedRegionDatabase database;
  private PostgresChangeApplier applier;

  @BeforeAll
  void start() throws Exception {
    database = PgVersion.PG17.start();
    try (Connection c = database.connect()) {
      execute(c, "CREATE TABLE public.pos_t (id int4 PRIMARY KEY, a text)");
    }
    applier = PostgresChangeApplier.start(ApplyFixture.config(database, EU, PUBLICATION));
  }

  @AfterAll
  void stop() throws Exception {
    if (applier != null) {
      applier.close();
    }
    if (database != null) {
      database.close();
    }
  }

  private static PositionedTransaction at(long seq, long previous, long offset, int id) {
    VersionVector ctx = previous == 0 ? VersionVector.empty() : context(US, previous);
    SourceTransaction t = tx(US, seq, 1_000 + seq, ctx, insert(POS, id, "a", "v" + id));
    return new PositionedTransaction(t, previous, offset);
  }

  @Test
  void applyPositioned_outOfOrder_watermarkIsTheContiguousPrefix() throws Exception {
    applier.applyPositioned(List.of(at(300, 200, 7, 3)));
    applier.applyPositioned(List.of(at(200, 100, 6, 2)));

    assertThat(applier.appliedProgress().get(US)).isEqualTo(new OriginProgress(0, 2, -1));
    assertThat(applier.appliedWatermark().get(US)).isZero();
    // A reader here may have seen us-east:300: the highest applied seq is kept beside the
    // watermark, and a session token names it (docs/consistency.md).
    try (Connection c = database.connect()) {
      execute(
          c,
          "INSERT INTO georep.region_progress (region, origin, applied, heard_at, local, number)"
              + " VALUES ('eu-west', 'eu-west', 0, now(), true, 1)");
      assertThat(rows(c, "SELECT watermark, high FROM georep.apply_progress"))
          .containsExactly("watermark=0,high=300");
      assertThat(
              rows(
                  c,
                  "SELECT e.region, e.seq FROM georep.token_entries(georep.session_token()) e"
                      + " WHERE e.region <> 'eu-west'"))
          .containsExactly("region=us-east,seq=300");
    }

    applier.applyPositioned(List.of(at(100, 0, 5, 1)));

    assertThat(applier.appliedProgress().get(US)).isEqualTo(new OriginProgress(300, 0, 7));
    // Redelivery after a restart: everything is skipped, nothing changes.
    applier.applyPositioned(List.of(at(100, 0, 5, 1), at(200, 100, 6, 2), at(300, 200, 7, 3)));
    assertThat(applier.appliedProgress().get(US)).isEqualTo(new OriginProgress(300, 0, 7));
    try (Connection c = database.connect()) {
      assertThat(rows(c, "SELECT id, a FROM public.pos_t ORDER BY id"))
          .containsExactly("id=1,a=v1", "id=2,a=v2", "id=3,a=v3");
    }
  }
}
