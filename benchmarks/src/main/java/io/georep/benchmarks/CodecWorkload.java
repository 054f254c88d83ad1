package io.georep.benchmarks;

import io.georep.connector.ColumnSchema;
import io.georep.connector.RowChange;
import io.georep.connector.RowKey;
import io.georep.connector.ScalarType;
import io.georep.connector.SourceTransaction;
import io.georep.connector.TableId;
import io.georep.connector.TableSchema;
import io.georep.connector.Value;
import io.georep.replicator.codec.WireBatch;
import io.georep.vectorclock.HybridTimestamp;
import io.georep.vectorclock.ReplicaId;
import io.georep.vectorclock.VersionVector;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * The change stream the wire codec benchmarks encode, generated from one seed and presented both as
 * georep's change model and as row images for the row-image-based rivals.
 *
 * <p><b>Table</b> {@code public.accounts}, 8 columns, all {@code NOT NULL}: {@code id int8}
 * (primary key), {@code name text}, {@code email text}, {@code visits int8} (a counter), {@code
 * balance numeric(12,2)}, {@code updated_at timestamptz}, {@code active bool}, {@code country text}
 * (a 2-letter code).
 *
 * <p><b>Values:</b> names are a first and a last name, each of 2–3 syllables from a list of 24 (for
 * example {@code "Belomar Kastiren"}); emails are {@code first.last} plus 0–3 digits at one of 6
 * domains; visits 0–5 000; balance 0.00–100 000.00; {@code updated_at} a microsecond timestamp
 * within the 30 days before the batch, or at the commit time for changed rows; active 90% true;
 * country one of 30 ISO codes.
 *
 * <p><b>Workloads:</b>
 *
 * <ul>
 *   <li>{@code insert}: new accounts with consecutive ids from 100 001, every column set.
 *   <li>{@code update}: existing accounts (ids 1–100 000 drawn uniformly; each generated from the
 *       seed and its id, then kept current across the batch), each update changing exactly one of
 *       the 7 non-key columns, drawn uniformly: a new name, a new email (a new word plus 0–3 digits
 *       at one of the domains), the counter incremented by 1–3, the balance moved by up to ±500.00,
 *       {@code updated_at} set to the commit time, {@code active} flipped, or a new country. In
 *       georep's model the update carries only that column, the counter as a {@link
 *       Value.CounterDelta}; the row images carry the full row before and after, the counter as its
 *       new value.
 * </ul>
 *
 * <p><b>Transactions:</b> 10 changes each, origin {@code us-east}; {@code seq} is a commit LSN
 * advancing by 200–2 199 per transaction; commit wall times 0–2 ms apart (HLC logical 0); the
 * causal context has entries for {@code eu-west} and {@code ap-south}, both advancing in every
 * transaction (regions that keep applying each other's writes); PostgreSQL transaction ids are
 * consecutive.
 */
final class CodecWorkload {
  /** The seed every benchmark uses. */
  static final long SEED = 42;

  /** Changes per transaction. */
  static final int CHANGES_PER_TRANSACTION = 10;

  /** The number of existing accounts updates pick from. */
  static final int EXISTING_ACCOUNTS = 100_000;

  static final ReplicaId ORIGIN = ReplicaId.of("us-east");
  static final ReplicaId EU_WEST = ReplicaId.of("eu-west");
  static final ReplicaId AP_SOUTH = ReplicaId.of("ap-south");

  /** Column indexes of {@code public.accounts}. */
  static final int ID = 0;

  static final int NAME = 1;
  static final int EMAIL = 2;
  static final int VISITS = 3;
  static final int BALANCE = 4;
  static final int UPDATED_AT = 5;
  static final int ACTIVE = 6;
  static final int COUNTRY = 7;

  static final TableSchema ACCOUNTS =
      TableSchema.of(
          TableId.of("public", "accounts"),
          List.of(
              ColumnSchema.key("id", ScalarType.INT8, 1),
              ColumnSchema.of("name", ScalarType.TEXT, false),
              ColumnSchema.of("email", ScalarType.TEXT, false),
              ColumnSchema.of("visits", ScalarType.INT8, false),
              ColumnSchema.of("balance", ScalarType.NUMERIC, false),
              ColumnSchema.of("updated_at", ScalarType.TIMESTAMPTZ, false),
              ColumnSchema.of("active", ScalarType.BOOL, false),
              ColumnSchema.of("country", ScalarType.TEXT, false)));

  private static final String[] SYLLABLES = {
    "ba", "be", "lo", "mar", "ka", "sti", "ren", "ta", "mi", "no", "ra", "vel",
    "do", "lin", "sa", "ku", "ri", "an", "te", "os", "el", "na", "gor", "phi"
  };
  private static final String[] DOMAINS = {
    "example.com", "mail.example.org", "inbox.test", "post.example.net", "corp.example", "web.test"
  };
  private static final String[] COUNTRIES = {
    "US", "DE", "FR", "GB", "IT", "ES", "NL", "BE", "SE", "NO", "DK", "FI", "PL", "AT", "CH",
    "IE", "PT", "CZ", "CA", "MX", "BR", "AR", "JP", "KR", "IN", "SG", "AU", "NZ", "ZA", "TR"
  };

  /** Commit time of the first transaction: 2026-11-21T12:00:00Z. */
  private static final long START_MILLIS = 1_795_262_400_000L;

  private static final long DAY_MICROS = 86_400_000_000L;

  private CodecWorkload() {}

  /** The two generated workloads. */
  enum Kind {
    INSERT,
    UPDATE;

    static Kind of(String name) {
      return valueOf(name.toUpperCase(Locale.ROOT));
    }
  }

  /**
   * A full row of {@code public.accounts}.
   *
   * @param id the key
   * @param name the name
   * @param email the email address
   * @param visits the counter
   * @param balance the balance, scale 2
   * @param updatedAtMicros microseconds since the epoch
   * @param active the flag
   * @param country a 2-letter code
   */
  record Row(
      long id,
      String name,
      String email,
      long visits,
      BigDecimal balance,
      long updatedAtMicros,
      boolean active,
      String country) {}

  /**
   * The source metadata of one transaction, as a row-image tool reports it.
   *
   * @param txId the PostgreSQL transaction id
   * @param lsn the commit LSN (also georep's seq)
   * @param commitMillis the commit time
   */
  record Transaction(long txId, long lsn, long commitMillis) {}

  /**
   * One change as row images: {@code before} is null for an insert.
   *
   * @param before the row before the change, or null
   * @param after the row after the change
   * @param transaction the transaction it belongs to
   */
  record RowImages(Row before, Row after, Transaction transaction) {
    boolean isInsert() {
      return before == null;
    }
  }

  /**
   * One batch in both forms.
   *
   * @param georep the batch in georep's change model
   * @param images the same changes as row images, in the same order
   */
  record Batch(WireBatch georep, List<RowImages> images) {
    int changeCount() {
      return images.size();
    }
  }

  /**
   * Generates a batch.
   *
   * @param kind inserts or updates
   * @param changes the number of changes; a multiple of {@link #CHANGES_PER_TRANSACTION}
   * @param seed the seed
   * @return the batch
   */
  static Batch batch(Kind kind, int changes, long seed) {
    if (changes <= 0 || changes % CHANGES_PER_TRANSACTION != 0) {
      throw new IllegalArgumentException(
          "batch size must be a positive multiple of " + CHANGES_PER_TRANSACTION + ": " + changes);
    }
    SplittableRandom random = new SplittableRandom(seed);
    Map<Long, Row> current = new HashMap<>();
    List<SourceTransaction> transactions = new ArrayList<>();
    List<RowImages> images = new ArrayList<>(changes);
    long lsn = 0x1_6B37_4800L;
    long txId = 784_211;
    long wall = START_MILLIS;
    long euWest = 5_000_000_000L;
    long apSouth = 7_000_000_000L;
    long nextId = EXISTING_ACCOUNTS + 1;
    for (int t = 0; t < changes / CHANGES_PER_TRANSACTION; t++) {
      lsn += 200 + random.nextInt(2000);
      txId++;
      wall += random.nextInt(3);
      euWest += 200 + random.nextInt(5000);
      apSouth += 200 + random.nextInt(5000);
      Transaction tx = new Transaction(txId, lsn, wall);
      long commitMicros = wall * 1000 + random.nextInt(1000);
      List<RowChange> rowChanges = new ArrayList<>(CHANGES_PER_TRANSACTION);
      for (int c = 0; c < CHANGES_PER_TRANSACTION; c++) {
        if (kind == Kind.INSERT) {
          Row row = row(nextId++, random, commitMicros);
          rowChanges.add(RowChange.Insert.of(ACCOUNTS, values(row)));
          images.add(new RowImages(null, row, tx));
        } else {
          long id = 1L + random.nextInt(EXISTING_ACCOUNTS);
          Row before =
              current.computeIfAbsent(
                  id, k -> row(k, new SplittableRandom(seed ^ (k * 0x9E37_79B9_7F4A_7C15L)), 0));
          Value[] changed = new Value[ACCOUNTS.columnCount()];
          Row after = update(before, random, commitMicros, changed);
          current.put(id, after);
          rowChanges.add(RowChange.Update.of(ACCOUNTS, RowKey.of(new Value.Int8(id)), changed));
          images.add(new RowImages(before, after, tx));
        }
      }
      transactions.add(
          new SourceTransaction(
              ORIGIN,
              lsn,
              new HybridTimestamp(wall, 0, ORIGIN),
              VersionVector.of(Map.of(EU_WEST, euWest, AP_SOUTH, apSouth)),
              rowChanges));
    }
    return new Batch(new WireBatch(transactions), images);
  }

  /** A generated row; {@code updatedAtMicros} 0 means "some time in the last 30 days". */
  private static Row row(long id, SplittableRandom random, long updatedAtMicros) {
    String first = word(random);
    String last = word(random);
    String email =
        first.toLowerCase(Locale.ROOT)
            + "."
            + last.toLowerCase(Locale.ROOT)
            + digits(random)
            + "@"
            + DOMAINS[random.nextInt(DOMAINS.length)];
    long updated =
        updatedAtMicros != 0
            ? updatedAtMicros
            : START_MILLIS * 1000 - 1 - random.nextLong(30 * DAY_MICROS);
    return new Row(
        id,
        first + " " + last,
        email,
        random.nextInt(5001),
        BigDecimal.valueOf(random.nextLong(10_000_001), 2),
        updated,
        random.nextInt(10) != 0,
        COUNTRIES[random.nextInt(COUNTRIES.length)]);
  }

  /** Applies a random one-column change; records it in georep's form in {@code changed}. */
  private static Row update(Row r, SplittableRandom random, long commitMicros, Value[] changed) {
    int column = 1 + random.nextInt(ACCOUNTS.columnCount() - 1);
    Row after;
    switch (column) {
      case NAME -> {
        after =
            new Row(
                r.id(),
                word(random) + " " + word(random),
                r.email(),
                r.visits(),
                r.balance(),
                r.updatedAtMicros(),
                r.active(),
                r.country());
        changed[NAME] = new Value.Text(after.name());
      }
      case EMAIL -> {
        String email =
            word(random).toLowerCase(Locale.ROOT)
                + digits(random)
                + "@"
                + DOMAINS[random.nextInt(DOMAINS.length)];
        after =
            new Row(
                r.id(),
                r.name(),
                email,
                r.visits(),
                r.balance(),
                r.updatedAtMicros(),
                r.active(),
                r.country());
        changed[EMAIL] = new Value.Text(email);
      }
      case VISITS -> {
        long delta = 1L + random.nextInt(3);
        after =
            new Row(
                r.id(),
                r.name(),
                r.email(),
                r.visits() + delta,
                r.balance(),
                r.updatedAtMicros(),
                r.active(),
                r.country());
        changed[VISITS] = Value.CounterDelta.of(delta);
      }
      case BALANCE -> {
        BigDecimal balance =
            r.balance().add(BigDecimal.valueOf(random.nextInt(100_001) - 50_000, 2));
        after =
            new Row(
                r.id(),
                r.name(),
                r.email(),
                r.visits(),
                balance,
                r.updatedAtMicros(),
                r.active(),
                r.country());
        changed[BALANCE] = new Value.Numeric(balance);
      }
      case UPDATED_AT -> {
        after =
            new Row(
                r.id(),
                r.name(),
                r.email(),
                r.visits(),
                r.balance(),
                commitMicros,
                r.active(),
                r.country());
        changed[UPDATED_AT] = Value.TimestampTz.ofEpochMicros(commitMicros);
      }
      case ACTIVE -> {
        after =
            new Row(
                r.id(),
                r.name(),
                r.email(),
                r.visits(),
                r.balance(),
                r.updatedAtMicros(),
                !r.active(),
                r.country());
        changed[ACTIVE] = new Value.Bool(after.active());
      }
      default -> {
        after =
            new Row(
                r.id(),
                r.name(),
                r.email(),
                r.visits(),
                r.balance(),
                r.updatedAtMicros(),
                r.active(),
                COUNTRIES[random.nextInt(COUNTRIES.length)]);
        changed[COUNTRY] = new Value.Text(after.country());
      }
    }
    return after;
  }

  /** A row's values in georep's model, by column index. */
  private static Value[] values(Row r) {
    return new Value[] {
      new Value.Int8(r.id()),
      new Value.Text(r.name()),
      new Value.Text(r.email()),
      new Value.Int8(r.visits()),
      new Value.Numeric(r.balance()),
      Value.TimestampTz.ofEpochMicros(r.updatedAtMicros()),
      new Value.Bool(r.active()),
      new Value.Text(r.country())
    };
  }

  /** A capitalized word of 2–3 syllables. */
  private static String word(SplittableRandom random) {
    StringBuilder b = new StringBuilder();
    int n = 2 + random.nextInt(2);
    for (int i = 0; i < n; i++) {
      b.append(SYLLABLES[random.nextInt(SYLLABLES.length)]);
    }
    b.setCharAt(0, Character.toUpperCase(b.charAt(0)));
    return b.toString();
  }

  /** Zero to three digits, as people append to taken email names. */
  private static String digits(SplittableRandom random) {
    int n = random.nextInt(4);
    StringBuilder b = new StringBuilder(n);
    for (int i = 0; i < n; i++) {
      b.append((char) ('0' + random.nextInt(10)));
    }
    return b.toString();
  }
}
