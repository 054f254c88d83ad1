package io.georep.connectors.postgres;

import io.georep.connector.SourceTransaction;
import io.georep.connector.spi.TransactionHandler;
import io.georep.publication.Publication;
import io.georep.testkit.EmbeddedRegionDatabase;
import io.georep.vectorclock.GeorepException;
import java.sql.Connection;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Capture-only throughput: how fast a {@link PostgresChangeSource} turns WAL that is already
 * written into {@link SourceTransaction}s, with nothing downstream (the handler counts and
 * acknowledges).
 *
 * <p>Workload on an embedded PostgreSQL 17 ({@code wal_level=logical}, {@code fsync=off}): 200,000
 * inserts of rows of about 200 bytes ({@code int} key, 190-character text, {@code int}), 1,000 rows
 * per transaction; then 200,000 updates of the {@code int} column, 1,000 per transaction. The WAL
 * is written while no source runs; the clock runs from {@code start} until the last change of the
 * phase arrives, so it includes decoding, conversion, stamping and confirmation.
 *
 * <p>Run: {@code mvn -B -q -f connectors/postgres/pom.xml test-compile
 * org.codehaus.mojo:exec-maven-plugin:java -Dexec.classpathScope=test
 * -Dexec.mainClass=io.georep.connectors.postgres.CaptureThroughput}. Results go to {@code
 * docs/benchmarks.md}, never into assertions.
 */
public final class CaptureThroughput {

  private static final int ROWS = 200_000;
  private static final int PER_TRANSACTION = 1_000;

  private CaptureThroughput() {}

  /**
   * Runs the benchmark and prints changes per second.
   *
   * @param args ignored
   * @throws Exception on any failure
   */
  public static void main(String[] args) throws Exception {
    Publication publication =
        CaptureFixture.publication(
            """
            publication: bench
            operations: [insert, update, delete]
            tables:
              - table: public.bench
            """);
    try (EmbeddedRegionDatabase database = PgVersion.PG17.start();
        Connection connection = database.connect()) {
      CaptureFixture.execute(
          connection, "CREATE TABLE bench (id int PRIMARY KEY, payload text, n int)");
      PostgresSourceConfig config = CaptureFixture.config(database, "bench", publication);
      try (PostgresChangeSource source = new PostgresChangeSource(config)) {
        source.start(new Counting(0), 0); // creates the slot
      }
      CaptureFixture.awaitInactive(connection, "bench");
      long resume = 0;
      for (String phase : new String[] {"insert", "update"}) {
        for (int first = 1; first <= ROWS; first += PER_TRANSACTION) {
          int last = first + PER_TRANSACTION - 1;
          CaptureFixture.execute(
              connection,
              phase.equals("insert")
                  ? "INSERT INTO bench SELECT g, repeat('x', 190), 0 FROM generate_series("
                      + first
                      + ", "
                      + last
                      + ") g"
                  : "UPDATE bench SET n = n + 1 WHERE id BETWEEN " + first + " AND " + last);
        }
        Counting handler = new Counting(ROWS);
        long start = System.nanoTime();
        try (PostgresChangeSource source = new PostgresChangeSource(config)) {
          source.start(handler, resume);
          if (!handler.done.await(10, TimeUnit.MINUTES)) {
            throw new IllegalStateException("timed out after " + handler.changes + " changes");
          }
          double seconds = (System.nanoTime() - start) / 1e9;
          System.out.printf(
              "%s: %d changes in %d transactions, %.2f s, %.0f changes/s%n",
              phase, handler.changes.get(), handler.transactions.get(), seconds, ROWS / seconds);
          source.acknowledge(handler.lastSeq.get());
          resume = handler.lastSeq.get();
        }
        CaptureFixture.awaitInactive(connection, "bench");
      }
    }
  }

  /** Counts changes; releases the latch when the expected number arrived. */
  private static final class Counting implements TransactionHandler {
    final AtomicLong changes = new AtomicLong();
    final AtomicLong transactions = new AtomicLong();
    final AtomicLong lastSeq = new AtomicLong();
    final CountDownLatch done = new CountDownLatch(1);
    final long expected;

    Counting(long expected) {
      this.expected = expected;
    }

    @Override
    public void onTransaction(SourceTransaction transaction) {
      transactions.incrementAndGet();
      lastSeq.set(transaction.seq());
      if (changes.addAndGet(transaction.changes().size()) >= expected) {
        done.countDown();
      }
    }

    @Override
    public void onFailure(GeorepException failure) {
      failure.printStackTrace();
      done.countDown();
    }
  }
}
