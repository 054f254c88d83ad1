package io.georep.connectors.postgres;

import io.georep.connector.DatabaseUrl;
import io.georep.connector.RowKey;
import io.georep.connector.TableId;
import io.georep.connector.TableSchema;
import io.georep.connector.spi.ChangeSource;
import io.georep.connector.spi.ClockSkewListener;
import io.georep.connector.spi.ClockSkewReporting;
import io.georep.connector.spi.CopyProgressListener;
import io.georep.connector.spi.CopyProgressReporting;
import io.georep.connector.spi.DatabaseRefusedException;
import io.georep.connector.spi.TransactionHandler;
import io.georep.connectors.postgres.internal.apply.ReplicationOrigins;
import io.georep.connectors.postgres.internal.capture.CaptureLoop;
import io.georep.connectors.postgres.internal.capture.CaptureMetadata;
import io.georep.connectors.postgres.internal.capture.CaptureRules;
import io.georep.connectors.postgres.internal.capture.CatalogLookup;
import io.georep.connectors.postgres.internal.capture.ChangeConverter;
import io.georep.connectors.postgres.internal.capture.ChunkedCopy;
import io.georep.connectors.postgres.internal.capture.CopyChunk;
import io.georep.connectors.postgres.internal.capture.CopyFrontier;
import io.georep.connectors.postgres.internal.capture.CopyTables;
import io.georep.connectors.postgres.internal.capture.Preflight;
import io.georep.connectors.postgres.internal.pgoutput.PgOutputMessage;
import io.georep.connectors.postgres.internal.schema.MetadataSchema;
import io.georep.publication.TableName;
import io.georep.vectorclock.GeorepException;
import io.georep.vectorclock.HybridTimestamp;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.postgresql.PGConnection;
import org.postgresql.PGProperty;
import org.postgresql.replication.LogSequenceNumber;
import org.postgresql.replication.PGReplicationStream;
import org.postgresql.replication.fluent.logical.ChainedLogicalStreamBuilder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

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
public final class PostgresChangeSource
    implements ChangeSource, CopyProgressReporting, ClockSkewReporting {
  /**
   * The prefix of a causal tick, {@code pg_logical_emit_message(true, 'georep.tick', '')}: the
   * capture ships the transaction that writes it as a local transaction without changes.
   */
  public static final String TICK_PREFIX = CaptureLoop.TICK_PREFIX;

  private static final Logger LOG = LoggerFactory.getLogger(PostgresChangeSource.class);

  /** How often a capture that filters by origin looks for replication origins of other tools. */
  private static final long ORIGIN_CHECK_NANOS = 5_000_000_000L;

  /** Whether the slot was started with {@code origin = none}; the capture thread's. */
  private boolean filteringOrigins;

  private long originsCheckedAt;

  private final PostgresSourceConfig config;
  private final AtomicLong acknowledged = new AtomicLong();
  private final Object monitor = new Object();
  private volatile boolean started;
  private volatile boolean closed;
  private Thread thread;
  private Connection regular;
  private Connection replication;
  private ChunkedCopy reader;
  private List<CaptureMetadata.CopyTable> copyTables = List.of();
  private volatile GeorepException copyFailure;
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
  @Override
  public void setCopyProgressListener(CopyProgressListener listener) {
    this.copyListener = Objects.requireNonNull(listener, "listener");
  }

  /**
   * Sets the listener of observed clock skew; call before {@link #start}.
   *
   * @param listener the listener; never null
   */
  @Override
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
      boolean copying = !slotExists && config.initialCopy();
      boolean fresh = copying;
      Optional<CaptureMetadata.Copy> previous = metadata.copy(config.slotName());
      if (previous.isPresent() && !previous.get().done()) {
        if (!config.initialCopy()) {
          metadata.finishCopy(config.slotName(), true);
        } else {
          // An unfinished copy resumes after its last chunk while its slot lives (the slot holds
          // the WAL of every chunk not acknowledged); a lost slot starts a new copy.
          copying = true;
          fresh = !slotExists;
        }
      }
      replication = connect(true);
      long consistentLsn = 0;
      if (!slotExists) {
        consistentLsn = createSlot(replication, version);
      }
      if (fresh) {
        beginCopy(metadata, consistentLsn);
      }
      ChangeConverter converter =
          new ChangeConverter(new CatalogLookup(regular), config.publications(), rules);
      filteringOrigins = filterOrigins(regular, version);
      originsCheckedAt = System.nanoTime();
      CaptureLoop loop = loop(handler, metadata, converter, resumeAfterSeq, filteringOrigins);
      if (copying) {
        reader = copy(loop, metadata);
      }
      body = () -> run(loop, handler);
    } catch (SQLException e) {
      closeConnections();
      // A refused login or a certificate that does not verify: the agent's start refuses it
      // (Agent.start connects first). Met later (a password changed on the server), it is
      // retried with the setting to fix in the status: fixing the server resumes the capture.
      Optional<DatabaseRefusedException> refused =
          PostgresConnections.refused(e, config.jdbcUrl(), config.user(), config.tls());
      if (refused.isPresent()) {
        throw new CaptureUnavailableException(refused.get().getMessage(), e);
      }
      throw new CaptureUnavailableException(
          "cannot start capture from "
              + DatabaseUrl.masked(config.jdbcUrl())
              + " slot "
              + config.slotName()
              + ": "
              + e.getMessage(),
          e);
    } catch (RuntimeException e) {
      closeConnections();
      throw e;
    }
    if (reader == null) {
      copyListener.onCopySettled();
    }
    thread = new Thread(body, "georep-capture-" + config.slotName());
    thread.setDaemon(true);
    thread.start();
    if (reader != null) {
      reader.start(copyTables);
    }
  }

  /** Records a new copy of every published table, with the server's row estimates. */
  private void beginCopy(CaptureMetadata metadata, long consistentLsn) throws SQLException {
    Map<TableId, Long> estimates = new LinkedHashMap<>();
    String snapshot;
    try (Statement statement = regular.createStatement();
        ResultSet rs = statement.executeQuery("SELECT pg_current_snapshot()::text")) {
      rs.next();
      snapshot = rs.getString(1);
    }
    try (PreparedStatement query =
        regular.prepareStatement(
            "SELECT c.reltuples::bigint FROM pg_catalog.pg_class c"
                + " JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace"
                + " WHERE n.nspname = ? AND c.relname = ?")) {
      for (TableName table : CopyTables.tables(config.publications())) {
        query.setString(1, table.schema());
        query.setString(2, table.name());
        try (ResultSet rs = query.executeQuery()) {
          long estimate = rs.next() ? rs.getLong(1) : -1;
          estimates.put(TableId.of(table.schema(), table.name()), estimate < 0 ? -1 : estimate);
        }
      }
    }
    HybridTimestamp now = new HybridTimestamp(System.currentTimeMillis(), 0, config.region());
    metadata.beginCopy(
        config.slotName(), Math.max(1, consistentLsn - 1), consistentLsn, snapshot, now, estimates);
  }

  /**
   * Prepares the capture's side of the copy (the placed chunks as saved, converted keys) and the
   * readers; the readers start once the capture streams.
   */
  private ChunkedCopy copy(CaptureLoop loop, CaptureMetadata metadata) throws SQLException {
    copyTables = metadata.copyTables(config.slotName());
    ChangeConverter rows =
        new ChangeConverter(
            new CatalogLookup(regular),
            config.publications(),
            CaptureRules.copy(config.publications(), config.environment()));
    Map<TableId, CopyFrontier.Entry> entries = new HashMap<>();
    Map<TableId, Long> placed = new ConcurrentHashMap<>();
    for (CaptureMetadata.CopyTable t : copyTables) {
      RowKey key = null;
      if (t.placedKey() != null && !t.placedDone()) {
        PgOutputMessage.Relation relation = CopyTables.relation(regular, t.table());
        rows.relation(relation);
        TableSchema schema = rows.schema(relation.relationOid());
        String[] texts = new String[schema.columnCount()];
        for (int k = 0; k < schema.keyColumns().size(); k++) {
          texts[schema.keyColumnIndex(k)] = t.placedKey().get(k);
        }
        key = rows.key(relation.relationOid(), CopyChunk.tuple(texts));
      }
      entries.put(
          t.table(), new CopyFrontier.Entry(t.placedChunk(), key, t.placedKey(), t.placedDone()));
      placed.put(t.table(), t.placedChunk());
    }
    Connection catalog = regular;
    loop.copy(
        new CaptureLoop.Copy(
            CopyFrontier.of(entries),
            rows,
            table -> {
              try {
                return CopyTables.relation(catalog, table);
              } catch (SQLException e) {
                throw new CaptureUnavailableException(
                    "cannot read the catalog entry of " + table + ": " + e.getMessage(), e);
              }
            },
            placed::put,
            copyListener::onCopySettled));
    return new ChunkedCopy(
        config.slotName(),
        () -> connect(false),
        config.copyChunkRows(),
        config.spillThresholdBytes(),
        config.copyParallel(),
        copyListener,
        table -> placed.getOrDefault(table, 0L),
        failure -> {
          synchronized (monitor) {
            copyFailure = failure;
            monitor.notifyAll();
          }
        });
  }

  /**
   * Tells whether the slot may filter changes by replication origin (pgoutput's {@code origin =
   * none}, PostgreSQL 16+): then the rows georep's applier writes under its origins ({@link
   * ReplicationOrigins}) are not decoded at all. Only while no other replication origin can write
   * into this database: rows that PostgreSQL's own subscriptions (or other tools with origins)
   * apply here are local changes to georep and must be captured, and the filter cannot tell them
   * apart from georep's.
   */
  private boolean filterOrigins(Connection connection, int version) throws SQLException {
    if (version < ReplicationOrigins.FIRST_VERSION) {
      return false;
    }
    List<String> others = Preflight.foreignOrigins(connection);
    if (!others.isEmpty()) {
      LOG.info(
          "replication origin(s) {} may write into this database (PostgreSQL subscriptions or"
              + " other replication tools): their rows are local changes to georep, so slot {}"
              + " decodes every origin, and this region's applied rows are decoded and dropped as"
              + " echoes",
          others,
          config.slotName());
      return false;
    }
    return true;
  }

  private CaptureLoop loop(
      TransactionHandler handler,
      CaptureMetadata metadata,
      ChangeConverter converter,
      long resumeAfterSeq,
      boolean filterOrigins)
      throws SQLException {
    ChainedLogicalStreamBuilder builder =
        replication
            .unwrap(PGConnection.class)
            .getReplicationAPI()
            .replicationStream()
            .logical()
            .withSlotName(config.slotName())
            .withSlotOption("proto_version", "1")
            .withSlotOption("publication_names", String.join(",", config.nativePublicationNames()))
            .withSlotOption("messages", "true");
    if (filterOrigins) {
      // What georep's applier writes under its replication origins is dropped while decoding;
      // its apply marks carry no origin and still arrive (ReplicationOrigins).
      builder = builder.withSlotOption("origin", "none");
    }
    PGReplicationStream stream =
        builder
            // When everything received is confirmed, a keepalive's server position is confirmed
            // too:
            // writes to tables no publication names (PostgreSQL 15+ sends no empty transactions for
            // them) do not hold the server's WAL behind the slot (IdleSlotIT).
            .withAutomaticFlush(true)
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

  /**
   * Creates the slot over the replication connection.
   *
   * @return the consistent point
   */
  private long createSlot(Connection connection, int version) throws SQLException {
    String option = version >= 15 ? "(SNAPSHOT 'nothing')" : "NOEXPORT_SNAPSHOT";
    try (Statement statement = connection.createStatement()) {
      statement.execute(
          "CREATE_REPLICATION_SLOT " + config.slotName() + " LOGICAL pgoutput " + option);
      try (ResultSet rs = statement.getResultSet()) {
        if (rs == null || !rs.next()) {
          throw new SQLException("CREATE_REPLICATION_SLOT returned no row");
        }
        return LogSequenceNumber.valueOf(rs.getString("consistent_point")).asLong();
      }
    }
  }

  private void run(CaptureLoop loop, TransactionHandler handler) {
    GeorepException failure = null;
    try {
      while (!closed) {
        GeorepException copyFailed = copyFailure;
        if (copyFailed != null) {
          throw copyFailed;
        }
        if (filteringOrigins && System.nanoTime() - originsCheckedAt >= ORIGIN_CHECK_NANOS) {
          checkOrigins();
        }
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
      if (reader != null) {
        reader.stop();
      }
      loop.close();
      closeConnections();
    }
    if (failure != null && !closed) {
      closed = true;
      handler.onFailure(failure);
    }
  }

  /**
   * Stops a capture that filters by origin once another replication origin can write into the
   * database (a PostgreSQL subscription created since it started): its rows are local changes to
   * georep, which {@code origin = none} hides. The capture restarts without the filter; what that
   * origin wrote before this check and before the last acknowledged local transaction was not
   * captured, which the error says.
   */
  private void checkOrigins() {
    originsCheckedAt = System.nanoTime();
    List<String> others;
    try {
      others = Preflight.foreignOrigins(regular);
    } catch (SQLException e) {
      throw new CaptureUnavailableException(
          "cannot read pg_replication_origin of "
              + DatabaseUrl.masked(config.jdbcUrl())
              + ": "
              + e.getMessage(),
          e);
    }
    if (!others.isEmpty()) {
      throw new CaptureUnavailableException(
          "replication origin(s) "
              + others
              + " appeared on the database (a PostgreSQL subscription or another replication tool"
              + " writing into it) while slot "
              + config.slotName()
              + " filtered applied rows by origin: the capture restarts and captures every origin"
              + " from now on. Rows those origins committed in the last "
              + ORIGIN_CHECK_NANOS / 1_000_000_000L
              + " s before this were not captured if a later local transaction of this region is"
              + " already acknowledged: compare the tables they write with the other regions."
              + " Stop the agent before creating such a subscription and start it after, to"
              + " avoid this",
          null);
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
    Properties properties =
        PostgresConnections.properties(
            config.jdbcUrl(), config.user(), config.password(), config.tls());
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
