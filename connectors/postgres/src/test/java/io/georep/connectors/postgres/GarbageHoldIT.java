package io.georep.connectors.postgres;

import static io.georep.connectors.postgres.ApplyFixture.context;
import static io.georep.connectors.postgres.ApplyFixture.delete;
import static io.georep.connectors.postgres.ApplyFixture.execute;
import static io.georep.connectors.postgres.ApplyFixture.insert;
import static io.georep.connectors.postgres.ApplyFixture.rows;
import static io.georep.connectors.postgres.ApplyFixture.table;
import static io.georep.connectors.postgres.ApplyFixture.tx;
import static org.assertj.core.api.Assertions.assertThat;

import io.georep.connector.TableSchema;
import io.georep.publication.Publication;
import io.georep.testkit.EmbeddedRegionDatabase;
import io.georep.vectorclock.ReplicaId;
import java.sql.Connection;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Garbage collection held for the capture ({@code holdGarbageForCapture}): a stable frontier is
 * used only once the capture's slot has confirmed every local transaction committed before the
 * frontier was first seen, since such a transaction may be concurrent with what the frontier lets
 * go and its fold must still find it (a keyless table's removed copy, a tombstone).
 */
class GarbageHoldIT {
  static final ReplicaId EU = ReplicaId.of("eu-west");
  static final ReplicaId US = ReplicaId.of("us-east");
  static final TableSchema T = table("gc_t");

  static final Publication PUBLICATION =
      CaptureFixture.publication(
          """
          publication: gc
          regions: all
          operations: [insert, update, delete]
          tables:
            - table: public.gc_t
          """);

  @Test
  void collection_waitsUntilTheSlotHasPassedTheFrontiersMoment() throws Exception {
    try (EmbeddedRegionDatabase database = PgVersion.PG17.start();
        Connection app = database.connect()) {
      execute(app, "CREATE TABLE gc_t (id int PRIMARY KEY)");
      execute(app, "SELECT pg_create_logical_replication_slot('gc_hold', 'pgoutput')");
      try (PostgresChangeApplier applier =
          PostgresChangeApplier.start(ApplyFixture.config(database, EU, PUBLICATION))) {
        applier.holdGarbageForCapture("gc_hold");
        applier.apply(List.of(tx(US, 1, 1000, context(), insert(T, 1))));
        applier.apply(List.of(tx(US, 2, 2000, context(US, 1), delete(T, 1))));
        String tombstones =
            "SELECT count(*) AS n FROM georep.row_meta WHERE table_name = 'gc_t' AND NOT"
                + " row_exists";
        assertThat(rows(app, tombstones)).containsExactly("n=1");

        // First seen: held, whatever the slot says.
        assertThat(applier.collectGarbage(context(US, 2)).tombstones()).isZero();
        // The slot has not confirmed anything since: still held.
        assertThat(applier.collectGarbage(context(US, 2)).tombstones()).isZero();
        assertThat(rows(app, tombstones)).containsExactly("n=1");

        // The capture confirms past that moment (a consumer that folded everything before it).
        execute(app, "SELECT pg_replication_slot_advance('gc_hold', pg_current_wal_lsn())");
        assertThat(applier.collectGarbage(context(US, 2)).tombstones()).isEqualTo(1);
        assertThat(rows(app, tombstones)).containsExactly("n=0");
        // Nothing new: nothing held, nothing collected.
        assertThat(applier.collectGarbage(context(US, 2)).tombstones()).isZero();
      } finally {
        execute(app, "SELECT pg_drop_replication_slot('gc_hold')");
      }
    }
  }

  @Test
  void withoutTheSlot_theFrontierIsUsedAtOnce() throws Exception {
    try (EmbeddedRegionDatabase database = PgVersion.PG17.start();
        Connection app = database.connect()) {
      execute(app, "CREATE TABLE gc_t (id int PRIMARY KEY)");
      try (PostgresChangeApplier applier =
          PostgresChangeApplier.start(ApplyFixture.config(database, EU, PUBLICATION))) {
        applier.holdGarbageForCapture("no_such_slot");
        applier.apply(List.of(tx(US, 1, 1000, context(), insert(T, 1))));
        applier.apply(List.of(tx(US, 2, 2000, context(US, 1), delete(T, 1))));
        assertThat(applier.collectGarbage(context(US, 2)).tombstones()).isEqualTo(1);
      }
    }
  }
}
