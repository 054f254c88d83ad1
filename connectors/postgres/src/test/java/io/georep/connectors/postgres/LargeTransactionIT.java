package io.georep.connectors.postgres;

import static io.georep.connectors.postgres.CaptureFixture.config;
import static io.georep.connectors.postgres.CaptureFixture.execute;
import static org.assertj.core.api.Assertions.assertThat;

import io.georep.connector.SourceTransaction;
import io.georep.connector.spi.FragmentHandler;
import io.georep.publication.Publication;
import io.georep.testkit.EmbeddedRegionDatabase;
import io.georep.vectorclock.GeorepException;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A one-million-row transaction is captured with bounded heap: it spills to disk and is handed on
 * in fragments. Heap use is sampled after a GC at every fragment; holding the whole transaction (1M
 * decoded changes) would take far more than the asserted bound. Also prints the capture throughput
 * in changes/s (information, not an assertion).
 */
class LargeTransactionIT {

  private static final int ROWS = 1_000_000;
  private static final long HEAP_BOUND_BYTES = 96L << 20;

  @Test
  void capture_millionRowTransaction_boundedHeapInFragments(@TempDir Path spill) throws Exception {
    Publication publication =
        CaptureFixture.publication(
            """
            publication: big
            regions: all
            operations: [insert]
            tables:
              - table: public.big
            """);
    MemoryMXBean memory = ManagementFactory.getMemoryMXBean();
    try (EmbeddedRegionDatabase database = PgVersion.PG17.start();
        Connection connection = database.connect()) {
      execute(connection, "CREATE TABLE big (id int PRIMARY KEY, v int NOT NULL)");
      AtomicLong changes = new AtomicLong();
      AtomicLong fragments = new AtomicLong();
      AtomicLong maxHeap = new AtomicLong();
      AtomicLong sawLast = new AtomicLong();
      AtomicLong spillFiles = new AtomicLong();
      RecordingHandler done = new RecordingHandler();
      FragmentHandler handler =
          new FragmentHandler() {
            @Override
            public void onFragment(SourceTransaction fragment, int index, boolean last) {
              changes.addAndGet(fragment.changes().size());
              if (fragments.getAndIncrement() % 20 == 0) {
                try (Stream<Path> files = Files.list(spill)) {
                  spillFiles.accumulateAndGet(files.count(), Math::max);
                } catch (java.io.IOException e) {
                  throw new java.io.UncheckedIOException(e);
                }
                System.gc();
                maxHeap.accumulateAndGet(memory.getHeapMemoryUsage().getUsed(), Math::max);
              }
              if (last) {
                sawLast.set(1);
                done.onTransaction(fragment);
              }
            }

            @Override
            public void onTransaction(SourceTransaction transaction) {
              done.onTransaction(transaction);
            }

            @Override
            public void onFailure(GeorepException failure) {
              done.onFailure(failure);
            }
          };
      PostgresSourceConfig config =
          config(database, "big", publication).withLargeTransactions(10_000, 4L << 20, spill);
      try (PostgresChangeSource source = new PostgresChangeSource(config)) {
        source.start(handler, 0);
        System.gc();
        long baseline = memory.getHeapMemoryUsage().getUsed();
        execute(connection, "INSERT INTO big SELECT g, g FROM generate_series(1, " + ROWS + ") g");
        long start = System.nanoTime();
        done.awaitCount(1);
        double seconds = (System.nanoTime() - start) / 1e9;
        System.out.printf(
            "capture throughput: %d changes in %.1f s = %.0f changes/s (fragments: %d)%n",
            changes.get(), seconds, changes.get() / seconds, fragments.get());
        assertThat(changes.get()).isEqualTo(ROWS);
        assertThat(sawLast.get()).isEqualTo(1);
        assertThat(fragments.get()).isEqualTo(ROWS / 10_000);
        assertThat(spillFiles.get()).as("the transaction spilled to disk").isEqualTo(1);
        assertThat(maxHeap.get() - baseline)
            .as("heap growth while capturing, bytes")
            .isLessThan(HEAP_BOUND_BYTES);
      }
      try (Stream<Path> files = Files.list(spill)) {
        assertThat(files).as("spill files are deleted").isEmpty();
      }
    }
  }
}
