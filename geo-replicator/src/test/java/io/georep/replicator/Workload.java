package io.georep.replicator;

import io.georep.testkit.EmbeddedRegionDatabase;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A seeded random write workload for one region: inserts and updates of items, counter increments
 * (items and the counters table), OR-set adds and removes, accounts with a small set of e-mails
 * (unique-key clashes across regions), parents and their children (foreign keys; children are
 * updated and deleted by every region, so deletes meet concurrent updates). Each transaction holds
 * one to three operations. The operation sequence of a region is a function of its seed; the
 * interleaving with other regions is not.
 *
 * <p>Counts what the assertions need: the sum of the increments per counter row, and the
 * transactions that changed at least one row (each is exactly one captured transaction).
 *
 * <p>{@link #withLedger()} makes it fit for faults of its own database: every transaction also
 * inserts a row {@code (region, n)} into table {@code ledger}, so that each committed transaction
 * is one captured transaction and can be found after the fact; a lost connection is reconnected
 * (the database may be down for a while); a transaction whose commit was sent but not answered is
 * in doubt until {@link #resolveInDoubt()} looks for its ledger row. It also deletes parents and
 * records the rows it deleted, for the no-resurrection check.
 */
final class Workload {
  static final int ITEMS = 40;
  static final int COUNTERS = 5;

  /**
   * Added to a counter row's id to key the sum of its g-counter column's increases in {@link
   * #increments}.
   */
  static final int G_COUNTER_KEYS = 100;

  static final int EMAILS = 12;

  private final String region;
  private final int regionIndex;
  private final SplittableRandom random;
  private final EmbeddedRegionDatabase db;

  /** The sum of the committed increments per counter row (1…), and per item's qty (−id). */
  final Map<Integer, AtomicLong> increments;

  final AtomicLong changingTransactions = new AtomicLong();
  private int nextId;
  private boolean ledger;
  private long transactionNumber;

  /** The ledger numbers of the transactions whose commit succeeded. */
  final java.util.Set<Long> committed = ConcurrentHashMap.newKeySet();

  /** The children and parents deleted by committed transactions: "children:id", "parents:id". */
  final java.util.Set<String> deleted = ConcurrentHashMap.newKeySet();

  /** What a transaction whose commit went unanswered would have done, by ledger number. */
  private final Map<Long, Effects> inDoubt = new ConcurrentHashMap<>();

  private long onceElements;

  /** The increments and deletes of one transaction. */
  private record Effects(Map<Integer, Long> increments, List<String> deletes) {}

  Workload(
      String region,
      int regionIndex,
      long seed,
      EmbeddedRegionDatabase db,
      Map<Integer, AtomicLong> increments) {
    this(region, regionIndex, seed, db, increments, 0);
  }

  /** A workload whose region-unique ids start above {@code firstId} (for several rounds). */
  Workload(
      String region,
      int regionIndex,
      long seed,
      EmbeddedRegionDatabase db,
      Map<Integer, AtomicLong> increments,
      int firstId) {
    this.region = region;
    this.regionIndex = regionIndex;
    this.random = new SplittableRandom(seed);
    this.db = db;
    this.increments = increments;
    this.nextId = firstId + 1;
  }

  static Map<Integer, AtomicLong> newIncrements() {
    Map<Integer, AtomicLong> m = new ConcurrentHashMap<>();
    for (int i = 1; i <= COUNTERS; i++) {
      m.put(i, new AtomicLong());
    }
    return m;
  }

  /** Counts a committed increment: counter row {@code id}, or item {@code -id}'s qty. */
  private void count(int id, long k) {
    increments.computeIfAbsent(id, x -> new AtomicLong()).addAndGet(k);
  }

  /** Adds the ledger, reconnection and parent deletes (see the class comment). */
  Workload withLedger() {
    this.ledger = true;
    return this;
  }

  /** The transactions in doubt (commit sent, no answer) not yet resolved. */
  int inDoubt() {
    return inDoubt.size();
  }

  /**
   * Settles every transaction in doubt: one whose ledger row is in this region's database committed
   * (its increments and deletes count), the others did not.
   *
   * @return how many of them had committed
   */
  int resolveInDoubt() throws SQLException {
    int found = 0;
    for (Map.Entry<Long, Effects> e : Map.copyOf(inDoubt).entrySet()) {
      if (!db.rows("SELECT n FROM ledger WHERE region = '" + region + "' AND n = " + e.getKey())
          .isEmpty()) {
        e.getValue().increments().forEach(this::count);
        deleted.addAll(e.getValue().deletes());
        committed.add(e.getKey());
        changingTransactions.incrementAndGet();
        found++;
      }
      inDoubt.remove(e.getKey());
    }
    return found;
  }

  /** Whether a failure means the connection is gone (the server crashed or stopped). */
  private static boolean connectionLost(SQLException e, Connection c) {
    String state = e.getSQLState();
    try {
      return (state != null && (state.startsWith("08") || state.startsWith("57P"))) || c.isClosed();
    } catch (SQLException closed) {
      return true;
    }
  }

  /** A region-unique id: region index in the low digits. */
  private int uniqueId() {
    return nextId++ * 10 + regionIndex;
  }

  /** Runs {@code transactions} transactions. */
  void run(int transactions) throws SQLException {
    int[] left = {transactions};
    run(() -> left[0]-- <= 0, 0);
  }

  /**
   * Runs transactions until {@code stop} says so, pausing {@code pauseNanos} after each (a steady
   * write rate while a fault is injected).
   */
  void run(java.util.function.BooleanSupplier stop, long pauseNanos) throws SQLException {
    Connection c = null;
    try {
      while (!stop.getAsBoolean()) {
        if (pauseNanos > 0) {
          java.util.concurrent.locks.LockSupport.parkNanos(pauseNanos);
        }
        if (c == null) {
          c = connect();
          if (c == null) {
            continue;
          }
        }
        int ops = 1 + random.nextInt(3);
        Map<Integer, Long> pending = new java.util.HashMap<>();
        List<String> deletes = new ArrayList<>();
        int changed = 0;
        long n = ledger ? ++transactionNumber : 0;
        boolean committing = false;
        try {
          if (ledger) {
            update(c, "INSERT INTO ledger (region, n) VALUES (?, ?)", region, n);
          }
          for (int op = 0; op < ops; op++) {
            changed += operation(c, pending, deletes);
          }
          committing = true;
          c.commit();
          pending.forEach(this::count);
          deleted.addAll(deletes);
          if (ledger) {
            committed.add(n);
          }
          if (changed > 0 || ledger) {
            changingTransactions.incrementAndGet();
          }
        } catch (SQLException e) {
          if (ledger && connectionLost(e, c)) {
            if (committing) {
              inDoubt.put(n, new Effects(pending, deletes));
            }
            closeQuietly(c);
            c = null;
            continue;
          }
          // A unique clash with a local row, or a deadlock with the agent's apply: the
          // transaction is gone, as an application would see it. With parent deletes, a parent
          // that still has children (or a child whose parent an apply just deleted) is refused
          // by its foreign key. Anything else is a bug of the workload itself.
          c.rollback();
          if (!List.of("23505", "40001", "40P01").contains(e.getSQLState())
              && !(ledger && "23503".equals(e.getSQLState()))) {
            throw e;
          }
        }
      }
    } finally {
      closeQuietly(c);
    }
  }

  /**
   * Runs the workload on a pool until {@code stop} is set, pausing {@code pauseNanos} after each
   * transaction.
   */
  java.util.concurrent.Future<?> submit(
      java.util.concurrent.ExecutorService pool,
      java.util.concurrent.atomic.AtomicBoolean stop,
      long pauseNanos) {
    return pool.submit(
        () -> {
          run(stop::get, pauseNanos);
          return null;
        });
  }

  /** A connection in a transaction; null when the server is down (the faults of withLedger). */
  private Connection connect() throws SQLException {
    try {
      Connection c = db.connect();
      c.setAutoCommit(false);
      return c;
    } catch (SQLException e) {
      if (!ledger) {
        throw e;
      }
      java.util.concurrent.locks.LockSupport.parkNanos(200_000_000L);
      return null;
    }
  }

  private static void closeQuietly(Connection c) {
    if (c != null) {
      try {
        c.close();
      } catch (SQLException e) {
        // The connection is already gone.
      }
    }
  }

  private int operation(Connection c, Map<Integer, Long> pending, List<String> deletes)
      throws SQLException {
    int item = 1 + random.nextInt(ITEMS);
    String tag = "t" + random.nextInt(6);
    switch (random.nextInt(12)) {
      case 0, 1 -> {
        return update(
            c,
            "INSERT INTO items (id, name) VALUES (?, ?) ON CONFLICT (id) DO NOTHING",
            item,
            region + "-" + random.nextInt(1000));
      }
      case 2 -> {
        String name = region + "-" + random.nextInt(1000);
        return update(
            c,
            "UPDATE items SET name = ? WHERE id = ? AND name IS DISTINCT FROM ?",
            name,
            item,
            name);
      }
      case 3 -> {
        // Items are never deleted: their counter and OR-set columns keep totals across a delete
        // (docs/apply.md), which a local re-insert does not show. Accounts are not deleted either:
        // a unique-clash loser is retried on its own next write, not when the winner is deleted
        // (see the report of issue 8). Deletes go to children (default branch).
        List<Integer> children = ids(c, "SELECT id FROM children ORDER BY id");
        if (children.isEmpty()) {
          return 0;
        }
        int child = children.get(random.nextInt(children.size()));
        return deleted(c, "children", child, deletes);
      }
      case 4 -> {
        long k = 1L + random.nextInt(9);
        int n = update(c, "UPDATE items SET qty = qty + ? WHERE id = ?", k, item);
        if (n > 0) {
          pending.merge(-item, k, Long::sum);
        }
        return n;
      }
      case 5, 6 -> {
        int counter = 1 + random.nextInt(COUNTERS);
        long k = random.nextInt(2) == 0 ? -1 - random.nextInt(5) : 1 + random.nextInt(20);
        // The g-counter column only grows: it takes the increases, never the decreases (a local
        // decrease would stand in this region until the next merge of the row undid it).
        long grow = Math.max(k, 0);
        int n =
            update(c, "UPDATE counters SET n = n + ?, g = g + ? WHERE id = ?", k, grow, counter);
        if (n > 0) {
          pending.merge(counter, k, Long::sum);
          pending.merge(G_COUNTER_KEYS + counter, grow, Long::sum);
        }
        return n;
      }
      case 7 -> {
        if (random.nextBoolean()) {
          // 2P-set: an element is added once and, once removed, never again (a re-added element
          // would stand in this region until the next merge of the row removed it).
          return update(
              c,
              "UPDATE items SET once = array_append(once, ?::text) WHERE id = ?",
              region + "-" + ++onceElements,
              item);
        }
        return update(
            c,
            "UPDATE items SET tags = array_append(tags, ?::text) WHERE id = ? AND NOT (tags @> ARRAY[?::text])",
            tag,
            item,
            tag);
      }
      case 8 -> {
        if (random.nextBoolean()) {
          return update(
              c, "UPDATE items SET once = once[2:] WHERE id = ? AND cardinality(once) > 0", item);
        }
        return update(
            c,
            "UPDATE items SET tags = array_remove(tags, ?::text) WHERE id = ? AND tags @> ARRAY[?::text]",
            tag,
            item,
            tag);
      }
      case 9 -> {
        if (random.nextBoolean()) {
          return update(
              c,
              "INSERT INTO accounts (id, email) VALUES (?, ?)",
              uniqueId(),
              "u" + random.nextInt(EMAILS) + "@example.org");
        }
        String note = region + random.nextInt(100);
        return update(
            c,
            "UPDATE accounts SET note = ? WHERE email = ? AND note IS DISTINCT FROM ?",
            note,
            "u" + random.nextInt(EMAILS) + "@example.org",
            note);
      }
      case 10 -> {
        if (ledger && random.nextInt(4) == 0) {
          List<Integer> parents = ids(c, "SELECT id FROM parents ORDER BY id");
          if (parents.isEmpty()) {
            return 0;
          }
          return deleted(c, "parents", parents.get(random.nextInt(parents.size())), deletes);
        }
        if (random.nextBoolean()) {
          return update(
              c, "INSERT INTO parents (id, name) VALUES (?, ?)", uniqueId(), "p-" + region);
        }
        List<Integer> parents = ids(c, "SELECT id FROM parents ORDER BY id");
        if (parents.isEmpty()) {
          return 0;
        }
        int child = uniqueId();
        return update(
            c,
            "INSERT INTO children (id, parent_id, v) VALUES (?, ?, ?)",
            child,
            parents.get(random.nextInt(parents.size())),
            "c-" + region);
      }
      default -> {
        List<Integer> children = ids(c, "SELECT id FROM children ORDER BY id");
        if (children.isEmpty()) {
          return 0;
        }
        int target = children.get(random.nextInt(children.size()));
        if (random.nextInt(3) == 0) {
          return deleted(c, "children", target, deletes);
        }
        String v = region + random.nextInt(100);
        return update(
            c, "UPDATE children SET v = ? WHERE id = ? AND v IS DISTINCT FROM ?", v, target, v);
      }
    }
  }

  /** Deletes a row of children or parents by id, noting it when a row went. */
  private static int deleted(Connection c, String table, int id, List<String> deletes)
      throws SQLException {
    int n = update(c, "DELETE FROM " + table + " WHERE id = ?", id);
    if (n > 0) {
      deletes.add(table + ":" + id);
    }
    return n;
  }

  private static int update(Connection c, String sql, Object... params) throws SQLException {
    try (PreparedStatement s = c.prepareStatement(sql)) {
      for (int i = 0; i < params.length; i++) {
        s.setObject(i + 1, params[i]);
      }
      return s.executeUpdate();
    }
  }

  private static List<Integer> ids(Connection c, String sql) throws SQLException {
    List<Integer> ids = new ArrayList<>();
    try (PreparedStatement s = c.prepareStatement(sql);
        ResultSet rs = s.executeQuery()) {
      while (rs.next()) {
        ids.add(rs.getInt(1));
      }
    }
    return ids;
  }
}
