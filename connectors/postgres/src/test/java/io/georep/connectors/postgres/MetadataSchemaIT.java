package io.georep.connectors.postgres;

import static org.assertj.core.api.Assertions.assertThat;

import io.georep.connectors.postgres.internal.schema.MetadataSchema;
import io.georep.testkit.EmbeddedRegionDatabase;
import java.sql.Connection;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

/** The metadata schema migrates once, concurrently safely, and is a no-op when current. */
class MetadataSchemaIT {

  @Test
  void migrate_twoAgentsAtOnceThenAgain_appliesEachMigrationOnce() throws Exception {
    try (EmbeddedRegionDatabase database = PgVersion.PG17.start()) {
      ExecutorService pool = Executors.newFixedThreadPool(2);
      List<Integer> applied = new ArrayList<>();
      try {
        List<Future<List<Integer>>> runs = new ArrayList<>();
        for (int i = 0; i < 2; i++) {
          runs.add(
              pool.submit(
                  () -> {
                    try (Connection c = database.connect()) {
                      return MetadataSchema.migrate(c);
                    }
                  }));
        }
        for (Future<List<Integer>> run : runs) {
          applied.addAll(run.get());
        }
      } finally {
        pool.shutdown();
      }
      assertThat(applied).containsExactly(1, 2, 3, 4, 5, 6, 7, 8, 9, 10);
      try (Connection c = database.connect()) {
        assertThat(MetadataSchema.migrate(c)).isEmpty();
        assertThat(CaptureFixture.queryLong(c, "SELECT count(*) FROM georep.schema_version"))
            .isEqualTo(10);
        assertThat(CaptureFixture.queryLong(c, "SELECT count(*) FROM georep.xid_stamp")).isZero();
      }
    }
  }
}
