package io.georep.connectors.postgres.internal.capture;

import io.georep.connector.RowChange;
import io.georep.connector.SourceTransaction;
import io.georep.connector.TableId;
import io.georep.connector.spi.FragmentHandler;
import io.georep.connector.spi.TransactionHandler;
import io.georep.connectors.postgres.CaptureUnavailableException;
import io.georep.connectors.postgres.CopyProgressListener;
import io.georep.connectors.postgres.PostgresSourceConfig;
import io.georep.connectors.postgres.internal.pgoutput.PgOutputMessage;
import io.georep.connectors.postgres.internal.pgoutput.TupleData;
import io.georep.publication.Publication;
import io.georep.publication.TableName;
import io.georep.publication.TableRule;
import io.georep.vectorclock.HybridLogicalClock;
import io.georep.vectorclock.HybridTimestamp;
import io.georep.vectorclock.VersionVector;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;

/**
 * The initial copy of a newly created slot: every published row that exists at the slot's
 * consistent point, read from the slot's exported snapshot and handed on as inserts before any
 * change the slot streams.
 *
 * <p>Design:
 *
 * <ul>
 *   <li><b>Consistency.</b> The slot is created with an exported snapshot; a regular connection
 *       imports it ({@code REPEATABLE READ}, {@code SET TRANSACTION SNAPSHOT}) before the
 *       replication connection runs another command, so the copy sees exactly the transactions
 *       committed before the consistent point and the slot streams exactly the others.
 *   <li><b>Identity.</b> The copy is <em>one</em> source transaction with {@code seq} = consistent
 *       point − 1: every streamed transaction commits at or after the consistent point, so its seq
 *       is greater; every earlier transaction of this origin committed before the slot existed, so
 *       its commit LSN is smaller. Receivers' {@code (origin, seq)} deduplication and watermarks
 *       therefore hold, and the first streamed transaction's causal context names the copy (its own
 *       entry), so no receiver applies a live change before the copy.
 *   <li><b>Fragments.</b> The rows go in table order, each table in primary-key order, as fragments
 *       of {@code source.postgres.fragment.changes} rows to a {@link FragmentHandler} (a handler
 *       without that capability gets the whole copy as one transaction). Being one transaction, the
 *       copy is applied all-or-nothing.
 *   <li><b>Crash.</b> An exported snapshot dies with its connection, so a copy cannot resume where
 *       it stopped: resuming from a later snapshot would replay, on rows copied later, the streamed
 *       changes already contained in them (counter deltas counted twice), and leave rows deleted in
 *       between. Until the stream acknowledges the copy's seq ({@code georep.initial_copy.status}),
 *       a restart therefore drops the slot and copies again from a new slot and snapshot; the
 *       unfinished copy's fragments were never a complete transaction, so receivers applied none of
 *       them. Per-table progress is recorded for operators and progress bars.
 *   <li><b>Rules.</b> The copy applies the publications' whole rules (filters, column lists, masks)
 *       through the same {@link ChangeConverter} path as streamed inserts: a {@code SELECT} applies
 *       no publication.
 * </ul>
 *
 * <p>Confined to the capture thread once {@link #run} starts.
 */
public final class InitialCopy {

  /**
   * What the copy handed on.
   *
   * @param emitted whether a transaction (at least one row) was handed on
   * @param aborted whether the copy stopped because the source was closed
   */
  public record Outcome(boolean emitted, boolean aborted) {}

  private final PostgresSourceConfig config;
  private final Connection snapshot;
  private final CaptureMetadata metadata;
  private final ChangeConverter converter;
  private final long seq;
  private final long consistentLsn;
  private final HybridTimestamp timestamp;
  private final VersionVector context;
  private final Map<TableId, Long> estimates;

  private InitialCopy(
      PostgresSourceConfig config,
      Connection snapshot,
      CaptureMetadata metadata,
      ChangeConverter converter,
      long seq,
      long consistentLsn,
      HybridTimestamp timestamp,
      VersionVector context,
      Map<TableId, Long> estimates) {
    this.config = config;
    this.snapshot = snapshot;
    this.metadata = metadata;
    this.converter = converter;
    this.seq = seq;
    this.consistentLsn = consistentLsn;
    this.timestamp = timestamp;
    this.context = context;
    this.estimates = estimates;
  }

  /**
   * Imports the slot's exported snapshot into {@code snapshot} and records the copy durably. Must
   * run before the replication connection that created the slot runs another command.
   *
   * @param config the source configuration
   * @param snapshot a new regular connection with binary transfer off (values are read in the
   *     types' text output, as pgoutput sends them); owned by the caller
   * @param metadata the metadata store
   * @param snapshotName the exported snapshot's name
   * @param consistentLsn the slot's consistent point
   * @return the prepared copy
   * @throws SQLException if the database fails
   */
  public static InitialCopy prepare(
      PostgresSourceConfig config,
      Connection snapshot,
      CaptureMetadata metadata,
      String snapshotName,
      long consistentLsn)
      throws SQLException {
    snapshot.setAutoCommit(false);
    String pgSnapshot;
    long nowMillis;
    Map<TableId, Long> estimates = new LinkedHashMap<>();
    try (Statement statement = snapshot.createStatement()) {
      statement.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY");
      statement.execute("SET TRANSACTION SNAPSHOT '" + snapshotName.replace("'", "''") + "'");
      try (ResultSet rs =
          statement.executeQuery(
              "SELECT pg_current_snapshot()::text,"
                  + " (extract(epoch FROM statement_timestamp()) * 1000)::bigint")) {
        rs.next();
        pgSnapshot = rs.getString(1);
        nowMillis = rs.getLong(2);
      }
    }
    try (PreparedStatement query =
        snapshot.prepareStatement(
            "SELECT c.reltuples::bigint FROM pg_catalog.pg_class c"
                + " JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace"
                + " WHERE n.nspname = ? AND c.relname = ?")) {
      for (TableName table : tables(config.publications())) {
        query.setString(1, table.schema());
        query.setString(2, table.name());
        try (ResultSet rs = query.executeQuery()) {
          long estimate = rs.next() ? rs.getLong(1) : -1;
          estimates.put(TableId.of(table.schema(), table.name()), estimate < 0 ? -1 : estimate);
        }
      }
    }
    // The copy's HLC follows every stored stamp and reads the database's clock, as commit times
    // of streamed transactions do.
    HybridLogicalClock clock = new HybridLogicalClock(config.region(), () -> nowMillis);
    metadata.newest().ifPresent(s -> clock.receive(s.timestamp()));
    HybridTimestamp timestamp = clock.now();
    VersionVector context =
        metadata
            .state(config.slotName())
            .map(CaptureMetadata.State::appliedVector)
            .orElse(VersionVector.empty());
    long seq = consistentLsn - 1;
    metadata.beginCopy(config.slotName(), seq, consistentLsn, pgSnapshot, timestamp, estimates);
    ChangeConverter converter =
        new ChangeConverter(
            new CatalogLookup(snapshot),
            config.publications(),
            CaptureRules.copy(config.publications(), config.environment()));
    return new InitialCopy(
        config, snapshot, metadata, converter, seq, consistentLsn, timestamp, context, estimates);
  }

  /** Returns the copy transaction's seq. */
  public long seq() {
    return seq;
  }

  /** Returns the slot's consistent point, the end of the copy transaction. */
  public long consistentLsn() {
    return consistentLsn;
  }

  /** Returns the copy transaction's HLC. */
  public HybridTimestamp timestamp() {
    return timestamp;
  }

  /**
   * Copies every table and hands the rows on.
   *
   * @param handler where the copy goes
   * @param listener progress
   * @param stopped tells whether the source was closed; checked between chunks
   * @return what was handed on
   * @throws CaptureUnavailableException if the database fails (a restart copies again)
   */
  public Outcome run(
      TransactionHandler handler, CopyProgressListener listener, BooleanSupplier stopped) {
    int chunk = config.fragmentChanges();
    FragmentHandler fragments = handler instanceof FragmentHandler f ? f : null;
    List<RowChange> slice = new ArrayList<>();
    int index = 0;
    try {
      for (Map.Entry<TableId, Long> entry : estimates.entrySet()) {
        TableId table = entry.getKey();
        long estimate = entry.getValue();
        int oid = relation(table);
        long copied = 0;
        long shipped = 0;
        try (Statement statement = snapshot.createStatement()) {
          statement.setFetchSize(chunk);
          try (ResultSet rs = statement.executeQuery(select(table, oid))) {
            int columns = rs.getMetaData().getColumnCount();
            while (rs.next()) {
              if (fragments != null && slice.size() == chunk) {
                // More rows follow a full slice: it is a fragment, not the last one.
                fragments.onFragment(
                    new SourceTransaction(config.region(), seq, timestamp, context, slice),
                    index++,
                    false);
                slice.clear();
                metadata.copyProgress(config.slotName(), table, copied, shipped, false);
                listener.onProgress(table, copied, estimate, false);
                if (stopped.getAsBoolean()) {
                  return new Outcome(true, true);
                }
              }
              TupleData.Kind[] kinds = new TupleData.Kind[columns];
              byte[][] values = new byte[columns][];
              for (int c = 0; c < columns; c++) {
                String text = rs.getString(c + 1);
                kinds[c] = text == null ? TupleData.Kind.NULL : TupleData.Kind.TEXT;
                values[c] = text == null ? null : text.getBytes(StandardCharsets.UTF_8);
              }
              copied++;
              RowChange change =
                  converter.convert(
                      new PgOutputMessage.Insert(0, oid, TupleData.of(kinds, values)), seq);
              if (change != null) {
                slice.add(change);
                shipped++;
              }
            }
          }
        }
        metadata.copyProgress(config.slotName(), table, copied, shipped, true);
        listener.onProgress(table, copied, estimate, true);
        if (stopped.getAsBoolean()) {
          return new Outcome(index > 0, true);
        }
      }
      snapshot.commit();
    } catch (SQLException e) {
      throw new CaptureUnavailableException(
          "the initial copy of slot "
              + config.slotName()
              + " failed ("
              + e.getMessage()
              + "); a new source drops the slot and copies again",
          e);
    }
    if (index > 0) {
      fragments.onFragment(
          new SourceTransaction(config.region(), seq, timestamp, context, slice), index, true);
      return new Outcome(true, false);
    }
    if (!slice.isEmpty()) {
      handler.onTransaction(new SourceTransaction(config.region(), seq, timestamp, context, slice));
      return new Outcome(true, false);
    }
    return new Outcome(false, false);
  }

  /** Sends the converter a {@code Relation} built from the catalog, as pgoutput would. */
  private int relation(TableId table) throws SQLException {
    int oid = 0;
    char identity = 'd';
    List<PgOutputMessage.RelationColumn> columns = new ArrayList<>();
    try (PreparedStatement query =
        snapshot.prepareStatement(
            "SELECT c.oid, c.relreplident, a.attname, a.atttypid, a.atttypmod,"
                + " coalesce(a.attnum = ANY (i.indkey), false)"
                + " FROM pg_catalog.pg_class c"
                + " JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace"
                + " JOIN pg_catalog.pg_attribute a ON a.attrelid = c.oid"
                + " AND a.attnum > 0 AND NOT a.attisdropped AND a.attgenerated = ''"
                + " LEFT JOIN pg_catalog.pg_index i ON i.indrelid = c.oid"
                + " AND CASE c.relreplident WHEN 'i' THEN i.indisreplident ELSE i.indisprimary END"
                + " WHERE n.nspname = ? AND c.relname = ? ORDER BY a.attnum")) {
      query.setString(1, table.schema());
      query.setString(2, table.name());
      try (ResultSet rs = query.executeQuery()) {
        while (rs.next()) {
          oid = (int) rs.getLong(1);
          identity = rs.getString(2).charAt(0);
          columns.add(
              new PgOutputMessage.RelationColumn(
                  rs.getBoolean(6), rs.getString(3), (int) rs.getLong(4), rs.getInt(5)));
        }
      }
    }
    converter.relation(
        new PgOutputMessage.Relation(0, oid, table.schema(), table.name(), identity, columns));
    return oid;
  }

  private String select(TableId table, int oid) {
    TableName name = new TableName(table.schema(), table.name());
    StringBuilder sql = new StringBuilder("SELECT ");
    List<String> names = new ArrayList<>();
    converter.schema(oid).columns().forEach(c -> names.add(TableId.quote(c.name())));
    sql.append(String.join(", ", names)).append(" FROM ONLY ").append(name.sql());
    // Primary-key order (an index scan); a table without one (REPLICA IDENTITY FULL) in any order.
    List<String> key = new ArrayList<>();
    new CatalogLookup(snapshot).relation(oid).primaryKey().forEach(c -> key.add(TableId.quote(c)));
    if (!key.isEmpty()) {
      sql.append(" ORDER BY ").append(String.join(", ", key));
    }
    return sql.toString();
  }

  private static List<TableName> tables(List<Publication> publications) {
    List<TableName> tables = new ArrayList<>();
    for (Publication publication : publications) {
      for (TableRule rule : publication.tables()) {
        if (!tables.contains(rule.table())) {
          tables.add(rule.table());
        }
      }
    }
    return tables;
  }
}
