package io.georep.connectors.postgres.internal.apply;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.PriorityBlockingQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The replication origins of one applier's pool, which keep its own writes out of this region's
 * logical decoding (PostgreSQL 16 and newer).
 *
 * <p>An apply or fold transaction sets up one of these origins for its session ({@code
 * pg_replication_origin_session_setup}) before its first write, so every row and metadata change it
 * writes carries the origin in the WAL. The capture's slot is started with pgoutput's {@code origin
 * = none} (see {@code PostgresChangeSource}), and PostgreSQL then drops those changes while it
 * decodes, before they enter the reorder buffer: the applied rows are neither decoded nor sent to
 * the capture, which would only drop them as echoes. Before the transaction emits its {@code
 * ApplyMark}, it resets the origin ({@code pg_replication_origin_session_reset}), so that the mark
 * and the commit record carry none and the capture still sees the mark: it learns what was applied
 * in WAL order exactly as without origins.
 *
 * <p>Origins are an optimisation only. A transaction that cannot set one up (PostgreSQL older than
 * 16, no privilege to use replication origins, no free replication state left, an origin still held
 * by a closing session) writes without one, and its rows are decoded and dropped as echoes, as
 * before; the first such failure is logged with its cause and fix.
 *
 * <p>Names: {@code georep_<database>_<region>_<i>}, one per pooled connection, because an origin is
 * set up in one session at a time and the origins of a server are shared by its databases. Each
 * origin set up once holds one of the server's replication states ({@code max_replication_slots} up
 * to PostgreSQL 17, {@code max_active_replication_origins} from 18) until it is dropped.
 *
 * <p>Thread-safe: sessions are taken and given back by the pool's threads.
 */
public final class ReplicationOrigins {
  private static final Logger LOG = LoggerFactory.getLogger(ReplicationOrigins.class);

  /** The prefix of every origin name georep creates; the capture ignores origins with it. */
  public static final String PREFIX = "georep_";

  /** The first major version whose pgoutput can filter changes by origin. */
  public static final int FIRST_VERSION = 16;

  /**
   * The most origins of one region's database: the most of its transactions that use one at once.
   * An origin set up once holds a replication state for good, so the lowest free one is always
   * taken: a region uses as many as it ever ran apply and fold transactions at once.
   */
  public static final int COUNT = 32;

  /** One set per region database and JVM: every applier of an agent shares it. */
  private static final Map<String, ReplicationOrigins> SHARED = new ConcurrentHashMap<>();

  private final String database;
  private final String region;
  private final PriorityBlockingQueue<Integer> free = new PriorityBlockingQueue<>();
  private final AtomicBoolean warned = new AtomicBoolean();
  private final AtomicLong untagged = new AtomicLong();

  private ReplicationOrigins(String database, String region, int count) {
    this.database = database;
    this.region = region;
    for (int i = 0; i < count; i++) {
      free.add(i);
    }
  }

  /** The origins of an applier that uses none (older server, or no privilege). */
  public static ReplicationOrigins none() {
    return new ReplicationOrigins("", "", 0);
  }

  /**
   * Returns the origins of a region's database, shared by every applier of this JVM that writes
   * into it, creating them at the first call; or {@link #none()} with a logged reason if the server
   * cannot use them.
   *
   * @param connection a connection in auto-commit mode
   * @param url the database's JDBC URL, which tells the database apart in this JVM
   * @param region the applier's region, part of the names
   * @return the origins
   * @throws SQLException if the database is unreachable
   */
  public static ReplicationOrigins of(Connection connection, String url, String region)
      throws SQLException {
    // The server's start time is part of the key: a server started anew at the same address (a
    // restored or re-created one) gets its origins created again.
    String started;
    try (Statement s = connection.createStatement();
        ResultSet rs = s.executeQuery("SELECT pg_catalog.pg_postmaster_start_time()::text")) {
      rs.next();
      started = rs.getString(1);
    }
    String key = region + "|" + url + "|" + started;
    ReplicationOrigins known = SHARED.get(key);
    if (known != null) {
      return known;
    }
    ReplicationOrigins created = start(connection, region);
    known = SHARED.putIfAbsent(key, created);
    return known == null ? created : known;
  }

  private static ReplicationOrigins start(Connection connection, String region)
      throws SQLException {
    String database;
    int version;
    try (Statement s = connection.createStatement();
        ResultSet rs =
            s.executeQuery(
                "SELECT current_database(), current_setting('server_version_num')::int / 10000")) {
      rs.next();
      database = rs.getString(1);
      version = rs.getInt(2);
    }
    if (version < FIRST_VERSION) {
      LOG.info(
          "PostgreSQL {} decodes this region's applied rows for the capture to drop them:"
              + " filtering them by replication origin needs PostgreSQL {} or newer",
          version,
          FIRST_VERSION);
      return none();
    }
    List<String> names = new ArrayList<>(COUNT);
    for (int i = 0; i < COUNT; i++) {
      names.add(name(database, region, i));
    }
    try (PreparedStatement create =
        connection.prepareStatement(
            "SELECT pg_catalog.pg_replication_origin_create(n) FROM unnest(?::text[]) AS n"
                + " WHERE NOT EXISTS (SELECT 1 FROM pg_catalog.pg_replication_origin"
                + " WHERE roname = n)")) {
      create.setArray(1, connection.createArrayOf("text", names.toArray()));
      create.executeQuery().close();
    } catch (SQLException e) {
      if (!"42501".equals(e.getSQLState())) {
        throw e;
      }
      LOG.warn(
          "the apply user may not use replication origins ({}), so this region's capture decodes"
              + " every applied row only to drop it; to spare that work (PostgreSQL {}+), run as a"
              + " superuser: GRANT EXECUTE ON FUNCTION pg_replication_origin_create(text),"
              + " pg_replication_origin_session_setup(text),"
              + " pg_replication_origin_session_reset() TO <apply user>",
          e.getMessage(),
          FIRST_VERSION);
      return none();
    }
    return new ReplicationOrigins(database, region, COUNT);
  }

  /**
   * Returns an origin's name.
   *
   * @param database the database
   * @param region the region
   * @param index the origin's number
   * @return the name
   */
  static String name(String database, String region, int index) {
    return PREFIX + database + "_" + region + "_" + index;
  }

  /**
   * Takes a free origin for a transaction on the given connection; the transaction sets it up in
   * its first statement ({@link Session#setUp}).
   *
   * @param connection the transaction's connection (auto-commit off), with no origin set up
   * @return the origin, to {@link Session#release} after the transaction; or null if none is free
   */
  public Session take(Connection connection) {
    Integer index = free.poll();
    if (index == null) {
      return null;
    }
    return new Session(connection, name(database, region, index), index);
  }

  /**
   * Returns how many transactions could not set up an origin (for tests and diagnostics).
   *
   * @return the count
   */
  public long untagged() {
    return untagged.get();
  }

  /** An origin taken for one transaction's session. Confined to the transaction's thread. */
  public final class Session {
    private final Connection connection;
    private final String name;
    private final int index;
    private boolean set;
    private boolean closed;

    private Session(Connection connection, String name, int index) {
      this.connection = connection;
      this.name = name;
      this.index = index;
    }

    /**
     * Returns the origin's name, for {@code pg_replication_origin_session_setup}.
     *
     * @return the name
     */
    public String name() {
      return name;
    }

    /** Records that the transaction's first statement set the origin up. */
    public void setUp() {
      set = true;
    }

    /**
     * Records that the set-up failed (the transaction then runs without an origin); the first
     * failure is logged with its cause and fix.
     *
     * @param cause why
     */
    public void failed(SQLException cause) {
      set = false;
      untagged.incrementAndGet();
      if (warned.compareAndSet(false, true)) {
        LOG.warn(
            "cannot set up replication origin {} ({}); transactions that cannot set one up are"
                + " decoded by this region's capture and dropped as echoes, which is correct but"
                + " costs decoding work. If the message names free replication states, raise"
                + " max_replication_slots (PostgreSQL 16-17) or max_active_replication_origins"
                + " (18+)",
            name,
            cause.getMessage());
      }
    }

    /**
     * Tells whether the origin is set up on the session.
     *
     * @return whether it is
     */
    public boolean isSet() {
      return set;
    }

    /** Records that a statement of the transaction reset the origin. */
    public void wasReset() {
      set = false;
    }

    /**
     * Resets the session's origin: what the transaction writes from here on, its commit included,
     * carries none and is decoded. Does nothing if it is not set.
     *
     * @throws SQLException on a database failure
     */
    public void reset() throws SQLException {
      if (set) {
        try (Statement s = connection.createStatement()) {
          s.executeQuery("SELECT pg_catalog.pg_replication_origin_session_reset()").close();
        }
        set = false;
      }
    }

    /**
     * Ends the transaction's use of the origin after it committed or rolled back: resets it if
     * still set (a failed transaction), and gives the origin back. A connection whose reset fails
     * must not go back to the pool with the origin set: the caller then evicts it.
     *
     * @return false if the origin may still be set on the connection
     */
    public boolean release() {
      if (closed) {
        return true;
      }
      closed = true;
      try {
        reset();
        return true;
      } catch (SQLException e) {
        LOG.debug("resetting replication origin {} failed: {}", name, e.getMessage());
        return false;
      } finally {
        free.add(index);
      }
    }
  }
}
