package io.georep.connectors.postgres;

import io.georep.connector.spi.ChangeSource;
import io.georep.connector.spi.TransactionHandler;
import io.georep.connectors.postgres.internal.capture.CaptureLoop;
import io.georep.connectors.postgres.internal.capture.CaptureMetadata;
import io.georep.connectors.postgres.internal.capture.CaptureRules;
import io.georep.connectors.postgres.internal.capture.CatalogLookup;
import io.georep.connectors.postgres.internal.capture.ChangeConverter;
import io.georep.connectors.postgres.internal.capture.InitialCopy;
import io.georep.connectors.postgres.internal.capture.Preflight;
import io.georep.connectors.postgres.internal.schema.MetadataSchema;
import io.georep.vectorclock.GeorepException;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Objects;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.postgresql.PGConnection;
import org.postgresql.PGProperty;
import org.postgresql.replication.LogSequenceNumber;
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
 * <p>Publication rules the native publications cannot apply (row filters and column lists not
 * pushed down, and every mask) are applied before a transaction is handed on. A slot this source
 * creates starts, unless {@link PostgresSourceConfig#initialCopy()} is off, with an initial copy of
 * the existing rows from the slot's exported snapshot: one transaction ({@code seq} = consistent
 * point − 1, in fragments) handed on from the capture thread before any streamed transaction; its
 * progress goes to the {@link #setCopyProgressListener listener}. A copy interrupted before it was
 * acknowledged is done again from a new slot at the next start.
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
  private Connection snapshotConnection;
  private volatile CopyProgressListener copyListener = CopyProgressListener.NONE;
  private volatile ClockSkewListener skewListener = ClockSkewListener.NONE;

  /**
   * Creates a source; nothing connects until {@link #start}.
   *
   * @param config the configuration; never null
   */
  public PostgresChangeSource(PostgresSourceConfig config) {
    this.config = Objects.requireNonNull(config, "config");
  }

  /**
   * Sets the listener of the initial copy's progress; call before {@link #start}.
   *
   * @param listener the listener; never null
   */
  public void setCopyProgressListener(CopyProgressListener listener) {
    this.copyListener = Objects.requireNonNull(listener, "listener");
  }

  /**
   * Sets the listener of observed clock skew; call before {@link #start}.
   *
   * @param listener the listener; never null
   */
  public void setClockSkewListener(ClockSkewListener listener) {
    this.skewListener = Objects.requireNonNull(listener, "listener");
  }

  @Override
  public synchronized void start(TransactionHandler handler, long resumeAfterSeq) {
    Objects.requireNonNull(handler, "handler");
    if (started || closed) {
      throw new IllegalStateException("source for slot " + config.slotName() + " already started");
    }
    started = true;
    acknowledged.set(resumeAfterSeq);
    InitialCopy copy = null;
    Runnable body;
    try {
      regular = connect(false);
      int version = Preflight.checkServer(regular);
      MetadataSchema.migrate(regular);
      Preflight.lockSlot(regular, config.slotName());
      Preflight.Result preflight = Preflight.run(regular, config, version);
      CaptureRules rules = CaptureRules.live(preflight.plan(), config.environment());
      CaptureMetadata metadata = new CaptureMetadata(regular, config.region());
      boolean slotExists = preflight.slotExists();
      boolean copyNow = !slotExists && config.initialCopy();
      Optional<CaptureMetadata.Copy> previous = metadata.copy(config.slotName());
      if (previous.isPresent() && !previous.get().done()) {
        long shipped =
            Math.max(
                resumeAfterSeq,
                metadata
                    .state(config.slotName())
                    .map(CaptureMetadata.State::acknowledgedSeq)
                    .orElse(0L));
        if (previous.get().seq() <= shipped) {
          metadata.finishCopy(config.slotName(), false);
        } else if (!config.initialCopy()) {
          metadata.finishCopy(config.slotName(), true);
        } else {
          // An unfinished copy: its snapshot died with its connection, so start over from a new
          // slot (see InitialCopy).
          if (slotExists) {
            dropSlot(regular, config.slotName());
          }
          copyNow = true;
        }
      }
      replication = connect(true);
      if (!slotExists || copyNow) {
        String[] slot = createSlot(replication, version, copyNow);
        if (copyNow) {
          snapshotConnection = connect(false);
          copy =
              InitialCopy.prepare(
                  config,
                  snapshotConnection,
                  metadata,
                  slot[1],
                  LogSequenceNumber.valueOf(slot[0]).asLong());
        }
      }
      ChangeConverter converter =
          new ChangeConverter(new CatalogLookup(regular), config.publications(), rules);
      if (copy == null) {
        CaptureLoop loop = loop(handler, metadata, converter, resumeAfterSeq);
        body = () -> run(loop, handler);
      } else {
        InitialCopy initial = copy;
        body = () -> copyThenRun(initial, handler, metadata, converter, resumeAfterSeq);
      }
    } catch (SQLException e) {
      closeConnections();
      throw new CaptureUnavailableException(
          "cannot start capture from "
              + PostgresUrl.masked(config.jdbcUrl())
              + " slot "
              + config.slotName()
              + ": "
              + e.getMessage(),
          e);
    } catch (RuntimeException e) {
      closeConnections();
      throw e;
    }
    if (copy == null) {
      copyListener.onCopySettled();
    }
    thread = new Thread(body, "georep-capture-" + config.slotName());
    thread.setDaemon(true);
    thread.start();
  }

  private CaptureLoop loop(
      TransactionHandler handler,
      CaptureMetadata metadata,
      ChangeConverter converter,
      long resumeAfterSeq)
      throws SQLException {
    PGReplicationStream stream =
        replication
            .unwrap(PGConnection.class)
            .getReplicationAPI()
            .replicationStream()
            .logical()
            .withSlotName(config.slotName())
            .withSlotOption("proto_version", "1")
            .withSlotOption("publication_names", String.join(",", config.nativePublicationNames()))
            .withSlotOption("messages", "true")
            .withStatusInterval(
                (int) Math.min(Integer.MAX_VALUE, config.statusInterval().toMillis()),
                TimeUnit.MILLISECONDS)
            .start();
    return new CaptureLoop(
        config,
        stream,
        metadata,
        converter,
        handler,
        acknowledged::get,
        resumeAfterSeq,
        skewListener);
  }

  /** Runs the initial copy, then streams; on the capture thread. */
  private void copyThenRun(
      InitialCopy copy,
      TransactionHandler handler,
      CaptureMetadata metadata,
      ChangeConverter converter,
      long resumeAfterSeq) {
    CaptureLoop loop;
    try {
      InitialCopy.Outcome outcome = copy.run(handler, copyListener, () -> closed);
      Connection c = snapshotConnection;
      snapshotConnection = null;
      c.close();
      if (outcome.aborted()) {
        closeConnections();
        return;
      }
      loop = loop(handler, metadata, converter, resumeAfterSeq);
      if (outcome.emitted()) {
        loop.afterCopy(
            copy.seq(), copy.consistentLsn(), copy.timestamp(), copyListener::onCopySettled);
      } else {
        metadata.finishCopy(config.slotName(), false);
        copyListener.onCopySettled();
      }
    } catch (SQLException | RuntimeException e) {
      closeConnections();
      GeorepException failure =
          e instanceof GeorepException g
              ? g
              : e instanceof SQLException sql
                  ? new CaptureUnavailableException(
                      "cannot stream slot "
                          + config.slotName()
                          + " after its initial copy: "
                          + sql.getMessage()
                          + "; a new source copies again",
                      sql)
                  : new CaptureException(
                      "initial copy of slot " + config.slotName() + " failed: " + e, e);
      if (!closed) {
        closed = true;
        handler.onFailure(failure);
      }
      return;
    }
    run(loop, handler);
  }

  /**
   * Creates the slot over the replication connection; with {@code export}, the slot's snapshot is
   * exported and stays valid until this connection runs its next command.
   *
   * @return the consistent point and the snapshot name (null without export)
   */
  private String[] createSlot(Connection connection, int version, boolean export)
      throws SQLException {
    String option;
    if (version >= 15) {
      option = export ? "(SNAPSHOT 'export')" : "(SNAPSHOT 'nothing')";
    } else {
      option = export ? "EXPORT_SNAPSHOT" : "NOEXPORT_SNAPSHOT";
    }
    try (Statement statement = connection.createStatement()) {
      statement.execute(
          "CREATE_REPLICATION_SLOT " + config.slotName() + " LOGICAL pgoutput " + option);
      try (ResultSet rs = statement.getResultSet()) {
        if (rs == null || !rs.next()) {
          throw new SQLException("CREATE_REPLICATION_SLOT returned no row");
        }
        return new String[] {rs.getString("consistent_point"), rs.getString("snapshot_name")};
      }
    }
  }

  private static void dropSlot(Connection connection, String slot) throws SQLException {
    try (PreparedStatement drop =
        connection.prepareStatement("SELECT pg_catalog.pg_drop_replication_slot(?)")) {
      drop.setString(1, slot);
      drop.execute();
    }
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
    for (Connection c : new Connection[] {snapshotConnection, replication, regular}) {
      if (c != null) {
        try {
          c.close();
        } catch (SQLException e) {
          // Closing after a failure: the connection is gone either way; the failure was reported.
        }
      }
    }
    snapshotConnection = null;
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
    // Text transfer only: values are read in the types' output format, as pgoutput sends them.
    PGProperty.BINARY_TRANSFER.set(properties, false);
    if (forReplication) {
      PGProperty.REPLICATION.set(properties, "database");
      PGProperty.PREFER_QUERY_MODE.set(properties, "simple");
      PGProperty.ASSUME_MIN_SERVER_VERSION.set(properties, "14");
    }
    return DriverManager.getConnection(config.jdbcUrl(), properties);
  }
}
