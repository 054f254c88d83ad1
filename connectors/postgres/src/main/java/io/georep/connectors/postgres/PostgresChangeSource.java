package io.georep.connectors.postgres;

import io.georep.connector.spi.ChangeSource;
import io.georep.connector.spi.TransactionHandler;
import io.georep.connectors.postgres.internal.capture.CaptureLoop;
import io.georep.connectors.postgres.internal.capture.CaptureMetadata;
import io.georep.connectors.postgres.internal.capture.CatalogLookup;
import io.georep.connectors.postgres.internal.capture.ChangeConverter;
import io.georep.connectors.postgres.internal.capture.Preflight;
import io.georep.connectors.postgres.internal.schema.MetadataSchema;
import io.georep.vectorclock.GeorepException;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.Objects;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.postgresql.PGConnection;
import org.postgresql.PGProperty;
import org.postgresql.replication.PGReplicationStream;

/**
 * Captures the committed transactions of a PostgreSQL database (14 or newer) from a logical
 * replication slot with the built-in {@code pgoutput} plugin, over PgJDBC's replication protocol.
 *
 * <p>{@link #start} runs the preflight checks (server version, {@code wal_level}, privileges, slot,
 * replica identities), migrates the {@code georep} metadata schema, creates or aligns the native
 * publications and creates the slot if missing — all synchronously, so a misconfiguration is thrown
 * from {@code start} — then streams on its own daemon thread. Each committed transaction becomes
 * one {@link io.georep.connector.SourceTransaction}: {@code seq} is its commit LSN, its HLC
 * timestamp is derived from its commit time, its causal context is what the local applier had
 * applied (read from the {@link ApplyMark}s in WAL order) plus the previous local {@code seq}.
 * Apply transactions and transactions without published row changes are never handed on.
 * Transactions larger than the fragment size go in fragments to a {@link
 * io.georep.connector.spi.FragmentHandler}.
 *
 * <p>Durability: the slot's confirmed position advances only over acknowledged transactions (and
 * those that need no acknowledgment); a crash, or {@link #close} without acknowledgment, makes a
 * new source deliver the unacknowledged transactions again, with the same {@code seq}, timestamp,
 * context and changes.
 *
 * <p>Connections: one replication connection ({@code replication=database}, simple query mode,
 * never pooled) and one regular connection for the catalog, stamps and state. Threading as {@link
 * ChangeSource} describes.
 */
public final class PostgresChangeSource implements ChangeSource {

  private final PostgresSourceConfig config;
  private final AtomicLong acknowledged = new AtomicLong();
  private final Object monitor = new Object();
  private volatile boolean started;
  private volatile boolean closed;
  private Thread thread;
  private Connection regular;
  private Connection replication;

  /**
   * Creates a source; nothing connects until {@link #start}.
   *
   * @param config the configuration; never null
   */
  public PostgresChangeSource(PostgresSourceConfig config) {
    this.config = Objects.requireNonNull(config, "config");
  }

  @Override
  public synchronized void start(TransactionHandler handler, long resumeAfterSeq) {
    Objects.requireNonNull(handler, "handler");
    if (started || closed) {
      throw new IllegalStateException("source for slot " + config.slotName() + " already started");
    }
    started = true;
    acknowledged.set(resumeAfterSeq);
    CaptureLoop loop;
    try {
      regular = connect(false);
      MetadataSchema.migrate(regular);
      Preflight.Result preflight = Preflight.run(regular, config);
      replication = connect(true);
      PGConnection pg = replication.unwrap(PGConnection.class);
      if (!preflight.slotExists()) {
        pg.getReplicationAPI()
            .createReplicationSlot()
            .logical()
            .withSlotName(config.slotName())
            .withOutputPlugin("pgoutput")
            .make();
      }
      PGReplicationStream stream =
          pg.getReplicationAPI()
              .replicationStream()
              .logical()
              .withSlotName(config.slotName())
              .withSlotOption("proto_version", "1")
              .withSlotOption(
                  "publication_names", String.join(",", config.nativePublicationNames()))
              .withSlotOption("messages", "true")
              .withStatusInterval(
                  (int) Math.min(Integer.MAX_VALUE, config.statusInterval().toMillis()),
                  TimeUnit.MILLISECONDS)
              .start();
      loop =
          new CaptureLoop(
              config,
              stream,
              new CaptureMetadata(regular, config.region()),
              new ChangeConverter(new CatalogLookup(regular), config.publications()),
              handler,
              acknowledged::get,
              resumeAfterSeq);
    } catch (SQLException e) {
      closeConnections();
      throw new CaptureUnavailableException(
          "cannot start capture from "
              + config.jdbcUrl()
              + " slot "
              + config.slotName()
              + ": "
              + e.getMessage(),
          e);
    } catch (RuntimeException e) {
      closeConnections();
      throw e;
    }
    thread = new Thread(() -> run(loop, handler), "georep-capture-" + config.slotName());
    thread.setDaemon(true);
    thread.start();
  }

  private void run(CaptureLoop loop, TransactionHandler handler) {
    GeorepException failure = null;
    try {
      while (!closed) {
        if (!loop.step()) {
          synchronized (monitor) {
            if (!closed) {
              // Nothing pending: wait for data, an acknowledgment or close; PgJDBC has no
              // blocking read that also wakes on acknowledgments.
              monitor.wait(10);
            }
          }
        }
      }
    } catch (GeorepException e) {
      failure = e;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (RuntimeException e) {
      failure =
          closed
              ? null
              : new CaptureException("capture from slot " + config.slotName() + " failed: " + e, e);
    } finally {
      loop.close();
      closeConnections();
    }
    if (failure != null && !closed) {
      closed = true;
      handler.onFailure(failure);
    }
  }

  @Override
  public void acknowledge(long seq) {
    if (!started) {
      throw new IllegalStateException("source for slot " + config.slotName() + " not started");
    }
    acknowledged.accumulateAndGet(seq, Math::max);
    synchronized (monitor) {
      monitor.notifyAll();
    }
  }

  @Override
  public void close() {
    Thread t;
    synchronized (this) {
      if (closed && thread == null) {
        return;
      }
      closed = true;
      t = thread;
      thread = null;
    }
    synchronized (monitor) {
      monitor.notifyAll();
    }
    if (t != null && t != Thread.currentThread()) {
      try {
        t.join();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    } else if (t == null) {
      closeConnections();
    }
  }

  private synchronized void closeConnections() {
    for (Connection c : new Connection[] {replication, regular}) {
      if (c != null) {
        try {
          c.close();
        } catch (SQLException e) {
          // Closing after a failure: the connection is gone either way; the failure was reported.
        }
      }
    }
    replication = null;
    regular = null;
  }

  private Connection connect(boolean forReplication) throws SQLException {
    Properties properties = new Properties();
    PGProperty.USER.set(properties, config.user());
    PGProperty.PASSWORD.set(properties, config.password());
    PGProperty.APPLICATION_NAME.set(
        properties, "georep-" + (forReplication ? "capture-" : "metadata-") + config.slotName());
    PGProperty.TCP_KEEP_ALIVE.set(properties, true);
    if (forReplication) {
      PGProperty.REPLICATION.set(properties, "database");
      PGProperty.PREFER_QUERY_MODE.set(properties, "simple");
      PGProperty.ASSUME_MIN_SERVER_VERSION.set(properties, "14");
    }
    return DriverManager.getConnection(config.jdbcUrl(), properties);
  }
}
