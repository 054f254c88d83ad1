package io.georep.cli.demo;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import java.util.function.LongSupplier;

/**
 * The write load of one region: single-statement transactions at a steady rate, chosen so that
 * regions writing at the same time conflict in every way georep resolves. All regions touch the
 * same small sets of rows:
 *
 * <ul>
 *   <li>profile fields ({@code display_name}, {@code city}, {@code status}) — concurrent edits of
 *       the same field (column-level last writer wins) or of different fields (both kept);
 *   <li>profile tags — concurrent adds and removes of an OR-set column (an add wins over a
 *       concurrent remove);
 *   <li>account balances — concurrent increments of a counter column (they add up);
 *   <li>orders placed, changed and cancelled under the same ids — concurrent inserts, an update or
 *       a re-insert against a concurrent delete, deletes against deletes;
 *   <li>new accounts whose e-mails are drawn from a few per time slot — two regions opening an
 *       account with the same e-mail clash on a unique key.
 * </ul>
 *
 * <p>Local conflicts are handled as an application would: {@code ON CONFLICT DO NOTHING}, and a
 * transaction that deadlocks with the agent's apply is rolled back and counted as rejected. The
 * sequence of choices is a function of the seed; the interleaving with other regions is not.
 *
 * <p>Runs on one thread ({@link #run()}); the counters are read by others.
 */
final class RegionLoad implements Runnable {
  private static final List<String> CITIES =
      List.of("Lisbon", "Osaka", "Austin", "Lagos", "Lima", "Pune", "Oslo", "Perth");
  private static final List<String> STATUSES = List.of("online", "away", "busy", "offline");
  private static final List<String> TAGS = List.of("vip", "beta", "new", "mobile", "eu", "trial");
  private static final List<String> ORDER_STATES = List.of("paid", "packed", "shipped");

  /** PostgreSQL states of a transaction an application retries: serialization, deadlock. */
  private static final Set<String> RETRIABLE = Set.of("40001", "40P01");

  /** A new account's e-mail is one of this many per time slot, the same in every region. */
  private static final int EMAILS_PER_SLOT = 2;

  private static final long SLOT_NANOS = 3_000_000_000L;

  private final String region;
  private final int regionIndex;
  private final ConnectionSource connections;
  private final SplittableRandom random;
  private final int rate;
  private final LongSupplier nanoClock;
  private final long slotOriginNanos;
  private final BooleanSupplier stop;
  private final AtomicLongArray increments;

  private final AtomicLong writes = new AtomicLong();
  private final AtomicLong rejected = new AtomicLong();
  private final AtomicReference<Exception> failure = new AtomicReference<>();
  private int nextAccount;

  /** Opens a connection to the region's database. */
  @FunctionalInterface
  interface ConnectionSource {
    Connection open() throws SQLException;
  }

  /**
   * Creates the load of one region.
   *
   * @param region the region
   * @param regionIndex its index (0 to 9), the last digit of the ids it creates
   * @param connections opens the region's database connection
   * @param seed the seed of this region's choices
   * @param rate transactions per second
   * @param nanoClock a monotonic clock in nanoseconds
   * @param slotOriginNanos the clock reading at which e-mail slots start (the same for all regions)
   * @param stop tells the load to stop
   * @param increments per seeded account id (index), the sum of the committed balance increments of
   *     every region; shared and added to
   */
  RegionLoad(
      String region,
      int regionIndex,
      ConnectionSource connections,
      long seed,
      int rate,
      LongSupplier nanoClock,
      long slotOriginNanos,
      BooleanSupplier stop,
      AtomicLongArray increments) {
    this.region = region;
    this.regionIndex = regionIndex;
    this.connections = connections;
    this.random = new SplittableRandom(seed);
    this.rate = rate;
    this.nanoClock = nanoClock;
    this.slotOriginNanos = slotOriginNanos;
    this.stop = stop;
    this.increments = increments;
  }

  /** Committed transactions. */
  long writes() {
    return writes.get();
  }

  /** Transactions rolled back after a deadlock or serialization failure. */
  long rejected() {
    return rejected.get();
  }

  /** The failure that stopped the load early, if any. */
  Exception failure() {
    return failure.get();
  }

  @Override
  public void run() {
    long interval = 1_000_000_000L / rate;
    try (Connection c = connections.open()) {
      c.setAutoCommit(false);
      long next = nanoClock.getAsLong();
      while (!stop.getAsBoolean()) {
        long now = nanoClock.getAsLong();
        if (now < next) {
          LockSupport.parkNanos(Math.min(next - now, 100_000_000L));
          continue;
        }
        // A region that fell more than a second behind its schedule does not burst to catch up.
        next = Math.max(next + interval, now - 1_000_000_000L);
        write(c);
      }
    } catch (SQLException | RuntimeException e) {
      if (!stop.getAsBoolean()) {
        failure.set(e);
      }
    }
  }

  private void write(Connection c) throws SQLException {
    int account = 0;
    long delta = 0;
    try {
      int pick = random.nextInt(100);
      if (pick < 25) {
        editProfile(c);
      } else if (pick < 40) {
        tag(c);
      } else if (pick < 65) {
        account = 1 + random.nextInt(DemoSchema.SEEDED_ACCOUNTS);
        delta = random.nextInt(4) == 0 ? -1 - random.nextInt(5) : 1 + random.nextInt(20);
        if (update(c, "UPDATE accounts SET balance = balance + ? WHERE id = ?", delta, account)
            == 0) {
          account = 0;
        }
      } else if (pick < 77) {
        update(
            c,
            "INSERT INTO orders (id, account_id, amount, status) VALUES (?, ?, ?, 'placed')"
                + " ON CONFLICT (id) DO NOTHING",
            orderId(),
            1 + random.nextInt(DemoSchema.SEEDED_ACCOUNTS),
            new java.math.BigDecimal(random.nextInt(100_000)).movePointLeft(2));
      } else if (pick < 89) {
        String state = ORDER_STATES.get(random.nextInt(ORDER_STATES.size()));
        update(
            c,
            "UPDATE orders SET status = ? WHERE id = ? AND status IS DISTINCT FROM ?",
            state,
            orderId(),
            state);
      } else if (pick < 97) {
        update(c, "DELETE FROM orders WHERE id = ?", orderId());
      } else {
        openAccount(c);
      }
      c.commit();
      writes.incrementAndGet();
      if (account != 0) {
        increments.addAndGet(account, delta);
      }
    } catch (SQLException e) {
      c.rollback();
      if (!RETRIABLE.contains(e.getSQLState())) {
        throw e;
      }
      rejected.incrementAndGet();
    }
  }

  private void editProfile(Connection c) throws SQLException {
    int profile = 1 + random.nextInt(DemoSchema.PROFILES);
    String column;
    String value;
    switch (random.nextInt(3)) {
      case 0 -> {
        column = "display_name";
        value = "user " + profile + " (" + region + " " + random.nextInt(1000) + ")";
      }
      case 1 -> {
        column = "city";
        value = CITIES.get(random.nextInt(CITIES.size()));
      }
      default -> {
        column = "status";
        value = STATUSES.get(random.nextInt(STATUSES.size()));
      }
    }
    update(
        c,
        "UPDATE profiles SET " + column + " = ? WHERE id = ? AND " + column + " IS DISTINCT FROM ?",
        value,
        profile,
        value);
  }

  private void tag(Connection c) throws SQLException {
    int profile = 1 + random.nextInt(DemoSchema.PROFILES);
    String tag = TAGS.get(random.nextInt(TAGS.size()));
    if (random.nextBoolean()) {
      update(
          c,
          "UPDATE profiles SET tags = array_append(tags, ?::text)"
              + " WHERE id = ? AND NOT (tags @> ARRAY[?::text])",
          tag,
          profile,
          tag);
    } else {
      update(
          c,
          "UPDATE profiles SET tags = array_remove(tags, ?::text)"
              + " WHERE id = ? AND tags @> ARRAY[?::text]",
          tag,
          profile,
          tag);
    }
  }

  private void openAccount(Connection c) throws SQLException {
    long slot = Math.max(0, nanoClock.getAsLong() - slotOriginNanos) / SLOT_NANOS;
    String email = "member" + slot + "." + random.nextInt(EMAILS_PER_SLOT) + "@example.org";
    int id = 1_000 + nextAccount++ * 10 + regionIndex;
    update(
        c,
        "INSERT INTO accounts (id, email, owner) VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
        id,
        email,
        "opened in " + region);
  }

  private int orderId() {
    return 1 + random.nextInt(DemoSchema.ORDER_IDS);
  }

  private static int update(Connection c, String sql, Object... params) throws SQLException {
    try (PreparedStatement s = c.prepareStatement(sql)) {
      for (int i = 0; i < params.length; i++) {
        s.setObject(i + 1, params[i]);
      }
      return s.executeUpdate();
    }
  }
}
