package io.georep.benchmarks.replication;

import java.math.BigDecimal;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.SplittableRandom;

/**
 * One row of a benchmark table: 8 columns, about 200 bytes as a heap tuple. Text is drawn from word
 * lists, so it compresses about as well as names, addresses and notes do (not as well as repeated
 * filler, not as badly as random bytes).
 *
 * @param id the primary key
 * @param name two words, about 15 characters
 * @param email about 25 characters
 * @param note a sentence of about 100 characters
 * @param qty 0 to 9,999
 * @param amount 0.00 to 99,999.99
 * @param active true for 9 rows of 10
 * @param updatedAt a time with microseconds in 2026
 */
record BenchRow(
    long id,
    String name,
    String email,
    String note,
    int qty,
    BigDecimal amount,
    boolean active,
    OffsetDateTime updatedAt) {

  /** The column definitions of every benchmark table, key first. */
  static final String COLUMNS =
      "id bigint PRIMARY KEY, name text NOT NULL, email text NOT NULL, note text NOT NULL,"
          + " qty integer NOT NULL, amount numeric(12,2) NOT NULL, active boolean NOT NULL,"
          + " updated_at timestamptz NOT NULL";

  /** The non-key column names, in order; an update changes one of them. */
  static final String[] VALUE_COLUMNS = {
    "name", "email", "note", "qty", "amount", "active", "updated_at"
  };

  /** The insert statement's column list and parameters. */
  static final String INSERT_COLUMNS =
      "(id, name, email, note, qty, amount, active, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)";

  private static final String[] SYLLABLES = {
    "ka", "ro", "mi", "lan", "te", "so", "vi", "dor", "el", "na", "bri", "gu", "sha", "po", "len",
    "tur", "ash", "ve", "qui", "ma", "nor", "fe", "li", "zan"
  };
  private static final String[] DOMAINS = {
    "example.com",
    "mail.example.org",
    "corp.example.net",
    "post.example.de",
    "example.fr",
    "shop.example.io"
  };
  private static final String[] WORDS = {
    "order",
    "shipped",
    "to",
    "the",
    "customer",
    "after",
    "payment",
    "was",
    "confirmed",
    "by",
    "bank",
    "transfer",
    "please",
    "call",
    "before",
    "delivery",
    "address",
    "changed",
    "on",
    "request",
    "of",
    "account",
    "owner",
    "invoice",
    "sent",
    "again",
    "with",
    "corrected",
    "tax",
    "number",
    "gift",
    "wrap",
    "requested",
    "leave",
    "at",
    "door",
    "fragile",
    "items",
    "in",
    "separate",
    "box",
    "priority",
    "handling",
    "returned",
    "unopened",
    "refund",
    "issued"
  };
  private static final long BASE_MICROS = 1_767_225_600_000_000L; // 2026-01-01T00:00:00Z

  /**
   * Binds this row to an insert's 8 parameters.
   *
   * @param s the statement
   * @throws SQLException if binding fails
   */
  void bind(PreparedStatement s) throws SQLException {
    s.setLong(1, id);
    s.setString(2, name);
    s.setString(3, email);
    s.setString(4, note);
    s.setInt(5, qty);
    s.setBigDecimal(6, amount);
    s.setBoolean(7, active);
    s.setObject(8, updatedAt);
  }

  /**
   * Generates a row.
   *
   * @param id its key
   * @param random the seeded source
   * @return the row
   */
  static BenchRow generate(long id, SplittableRandom random) {
    String first = word(random);
    String last = word(random);
    String name = capitalize(first) + " " + capitalize(last);
    String email = first + "." + last + random.nextInt(100) + "@" + pick(DOMAINS, random);
    return new BenchRow(
        id,
        name,
        email,
        note(random),
        random.nextInt(10_000),
        BigDecimal.valueOf(random.nextLong(10_000_000), 2),
        random.nextInt(10) != 0,
        timestamp(random));
  }

  /**
   * Generates a new value of one non-key column for an update.
   *
   * @param column the index into {@link #VALUE_COLUMNS}
   * @param random the seeded source
   * @return the value, of the column's JDBC type
   */
  static Object newValue(int column, SplittableRandom random) {
    return switch (column) {
      case 0 -> capitalize(word(random)) + " " + capitalize(word(random));
      case 1 ->
          word(random) + "." + word(random) + random.nextInt(100) + "@" + pick(DOMAINS, random);
      case 2 -> note(random);
      case 3 -> random.nextInt(10_000);
      case 4 -> BigDecimal.valueOf(random.nextLong(10_000_000), 2);
      case 5 -> random.nextBoolean();
      case 6 -> timestamp(random);
      default -> throw new IllegalArgumentException("no value column " + column);
    };
  }

  private static OffsetDateTime timestamp(SplittableRandom random) {
    long micros = BASE_MICROS + random.nextLong(365L * 24 * 3600 * 1_000_000);
    return OffsetDateTime.ofInstant(
        java.time.Instant.EPOCH.plusNanos(micros * 1_000), ZoneOffset.UTC);
  }

  private static String note(SplittableRandom random) {
    StringBuilder sb = new StringBuilder(110);
    while (sb.length() < 95) {
      if (sb.length() > 0) {
        sb.append(' ');
      }
      sb.append(pick(WORDS, random));
    }
    return sb.toString();
  }

  private static String word(SplittableRandom random) {
    int n = 2 + random.nextInt(2);
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < n; i++) {
      sb.append(pick(SYLLABLES, random));
    }
    return sb.toString();
  }

  private static String capitalize(String s) {
    return Character.toUpperCase(s.charAt(0)) + s.substring(1);
  }

  private static String pick(String[] values, SplittableRandom random) {
    return values[random.nextInt(values.length)];
  }
}
