package io.georep.replicator.codec;

import io.georep.connector.ArrayType;
import io.georep.connector.ColumnSchema;
import io.georep.connector.ColumnType;
import io.georep.connector.OpaqueType;
import io.georep.connector.RowChange;
import io.georep.connector.RowKey;
import io.georep.connector.ScalarType;
import io.georep.connector.SourceTransaction;
import io.georep.connector.TableId;
import io.georep.connector.TableSchema;
import io.georep.connector.Value;
import io.georep.vectorclock.HybridTimestamp;
import io.georep.vectorclock.ReplicaId;
import io.georep.vectorclock.VersionVector;
import io.georep.vectorclock.testkit.Generators;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.UUID;

/**
 * Seeded generators of batches for the codec's property tests: every column type, NULLs, unicode
 * including astral-plane characters, extreme values, column operations, and every change kind.
 */
final class BatchGenerators {
  private static final ScalarType[] SCALARS = ScalarType.values();
  private static final String[] OPAQUE = {"varchar", "interval", "inet", "mood", "_varchar"};
  private static final String[] WORDS = {
    "",
    "a",
    "héllo",
    "日本語",
    "emoji \uD83D\uDE00\uD83C\uDF89",
    "\uD800\uDC00 astral",
    "tab\tnew\nline",
    "quote\"'\\",
    "zero\u0000nul",
    "مرحبا",
    "ﬀ ligature",
    "𝄞 clef"
  };

  /** The probability that a generated text or bytea value is about 1 MB. */
  private final double bigValueChance;

  BatchGenerators(double bigValueChance) {
    this.bigValueChance = bigValueChance;
  }

  WireBatch batch(SplittableRandom random) {
    ReplicaId origin = Generators.replica(random, 5);
    int tableCount = 1 + random.nextInt(3);
    List<TableSchema> tables = new ArrayList<>();
    for (int t = 0; t < tableCount; t++) {
      tables.add(table(random, t));
    }
    if (random.nextInt(8) == 0) {
      // The same table under a second schema, as after an ALTER TABLE within the batch.
      tables.add(table(random, 0));
    }
    int txCount = 1 + random.nextInt(6);
    List<SourceTransaction> transactions = new ArrayList<>(txCount);
    long seq =
        random.nextInt(4) == 0 ? 1 + random.nextLong(Long.MAX_VALUE / 2) : 1 + random.nextInt(1000);
    long wall = Generators.timestamp(random, 5).wallTimeMillis();
    VersionVector context = null;
    for (int i = 0; i < txCount; i++) {
      if (i > 0) {
        seq += 1 + (random.nextBoolean() ? random.nextInt(3) : random.nextLong(1L << 40));
      }
      wall = Math.max(0, wall + random.nextInt(2001) - 1000);
      if (context == null || random.nextInt(3) == 0) {
        context = contextFor(random, origin, seq);
      }
      int changeCount = random.nextInt(6);
      List<RowChange> changes = new ArrayList<>();
      for (int c = 0; c < changeCount; c++) {
        changes.add(change(random, tables.get(random.nextInt(tables.size()))));
      }
      VersionVector horizon = context;
      if (random.nextInt(4) == 0) {
        // Applied above the watermark at the origin (out-of-order apply): a higher horizon.
        for (ReplicaId r : context.entries().keySet()) {
          if (!r.equals(origin) && random.nextBoolean()) {
            horizon = horizon.advance(r, context.get(r) + 1 + random.nextInt(1000));
          }
        }
        if (!origin.equals(ReplicaId.of("above"))) {
          horizon = horizon.advance(ReplicaId.of("above"), 1 + random.nextInt(1 << 20));
        }
      }
      transactions.add(
          new SourceTransaction(
              origin,
              seq,
              new HybridTimestamp(wall, random.nextInt(4), origin),
              context,
              horizon,
              changes));
    }
    return new WireBatch(transactions);
  }

  private static VersionVector contextFor(SplittableRandom random, ReplicaId origin, long seq) {
    Map<ReplicaId, Long> entries =
        new HashMap<>(Generators.versionVector(random, 5, 1L << 50).entries());
    entries.put(origin, random.nextBoolean() ? 0L : random.nextLong(seq));
    return VersionVector.of(entries);
  }

  TableSchema table(SplittableRandom random, int index) {
    int columnCount = 1 + random.nextInt(12);
    // One table in five is keyless: no key positions, the whole row (NULLs included) its key.
    int keyCount = random.nextInt(5) == 0 ? 0 : 1 + random.nextInt(Math.min(2, columnCount));
    List<ColumnSchema> columns = new ArrayList<>();
    for (int c = 0; c < columnCount; c++) {
      ColumnType type = type(random);
      boolean key = c < keyCount;
      String name = random.nextInt(10) == 0 ? "col ü \"" + c + "\"" : "c" + c;
      columns.add(new ColumnSchema(name, type, !key || random.nextInt(4) == 0, key ? c + 1 : 0));
    }
    // Shuffle so that key columns are not always first.
    for (int i = columns.size() - 1; i > 0; i--) {
      int j = random.nextInt(i + 1);
      ColumnSchema tmp = columns.get(i);
      columns.set(i, columns.get(j));
      columns.set(j, tmp);
    }
    String name = random.nextInt(10) == 0 ? "Tábla " + index : "t" + index;
    return TableSchema.of(TableId.of(random.nextBoolean() ? "public" : "app", name), columns);
  }

  private static ColumnType type(SplittableRandom random) {
    int pick = random.nextInt(SCALARS.length + 4);
    if (pick < SCALARS.length) {
      return SCALARS[pick];
    }
    if (pick < SCALARS.length + 3) {
      return SCALARS[random.nextInt(SCALARS.length)].arrayType();
    }
    return new OpaqueType(OPAQUE[random.nextInt(OPAQUE.length)]);
  }

  RowChange change(SplittableRandom random, TableSchema table) {
    int kind = random.nextInt(3);
    int n = table.columnCount();
    if (kind == 0) {
      Value[] values = new Value[n];
      for (int c = 0; c < n; c++) {
        ColumnSchema column = table.column(c);
        if (column.isKey() || table.keyless() || random.nextInt(6) != 0) {
          values[c] = datum(random, column);
        }
      }
      return RowChange.Insert.of(table, values);
    }
    RowKey key = key(random, table);
    if (kind == 2) {
      return new RowChange.Delete(table, key);
    }
    Value[] changed = new Value[n];
    for (int c = 0; c < n; c++) {
      ColumnSchema column = table.column(c);
      int what = random.nextInt(8);
      if (what < 3) {
        continue;
      }
      if (what == 3) {
        changed[c] = Value.UNCHANGED;
      } else if (what == 4 && column.type() instanceof ScalarType s && s.isCounterCapable()) {
        changed[c] =
            s == ScalarType.NUMERIC
                ? new Value.CounterDelta(decimal(random))
                : new Value.CounterDelta(
                    new BigDecimal(
                        new BigInteger(70, random_(random))
                            .subtract(BigInteger.ONE.shiftLeft(69))));
      } else if (what == 5 && column.type() instanceof ArrayType a) {
        changed[c] =
            new Value.SetDelta(
                elements(random, a.elementType()), elements(random, a.elementType()));
      } else {
        changed[c] = datum(random, column);
      }
    }
    return RowChange.Update.of(table, key, changed);
  }

  private static java.util.Random random_(SplittableRandom random) {
    return new java.util.Random(random.nextLong());
  }

  private RowKey key(SplittableRandom random, TableSchema table) {
    List<Value> values = new ArrayList<>();
    for (ColumnSchema c : table.keyColumns()) {
      values.add(datum(random, c));
    }
    return new RowKey(values);
  }

  Value datum(SplittableRandom random, ColumnSchema column) {
    if (column.nullable() && random.nextInt(5) == 0) {
      return Value.NULL;
    }
    ColumnType type = column.type();
    if (type instanceof ScalarType s) {
      return scalar(random, s);
    }
    if (type instanceof ArrayType a) {
      return new Value.Array(a.elementType(), elements(random, a.elementType()));
    }
    return new Value.Text(text(random));
  }

  private List<Value> elements(SplittableRandom random, ScalarType element) {
    int count = random.nextInt(4) == 0 ? 0 : random.nextInt(6);
    List<Value> elements = new ArrayList<>(count);
    for (int i = 0; i < count; i++) {
      elements.add(random.nextInt(5) == 0 ? Value.NULL : scalarSmall(random, element));
    }
    return elements;
  }

  private Value scalarSmall(SplittableRandom random, ScalarType type) {
    return switch (type) {
      case TEXT -> new Value.Text(WORDS[random.nextInt(WORDS.length)]);
      case BYTEA -> Value.Bytes.of(Generators.bytes(random, 16));
      default -> scalar(random, type);
    };
  }

  Value scalar(SplittableRandom random, ScalarType type) {
    boolean edge = random.nextInt(5) == 0;
    return switch (type) {
      case INT2 ->
          new Value.Int2(
              edge
                  ? pick(random, Short.MIN_VALUE, Short.MAX_VALUE, (short) 0)
                  : (short) random.nextInt(-500, 500));
      case INT4 ->
          new Value.Int4(
              edge
                  ? pick(random, Integer.MIN_VALUE, Integer.MAX_VALUE, 0)
                  : random.nextInt(-100_000, 100_000));
      case INT8 ->
          new Value.Int8(
              edge ? pick(random, Long.MIN_VALUE, Long.MAX_VALUE, 0L) : random.nextLong());
      case NUMERIC -> new Value.Numeric(decimal(random));
      case FLOAT4 ->
          new Value.Float4(
              edge
                  ? pick(random, Float.NaN, Float.NEGATIVE_INFINITY, -0.0f)
                  : (float) random.nextDouble(-1e6, 1e6));
      case FLOAT8 ->
          new Value.Float8(
              edge
                  ? pick(random, Double.NaN, Double.POSITIVE_INFINITY, -0.0)
                  : Double.longBitsToDouble(random.nextLong()));
      case TEXT -> new Value.Text(text(random));
      case BOOL -> new Value.Bool(random.nextBoolean());
      case TIMESTAMPTZ ->
          Value.TimestampTz.ofEpochMicros(
              edge
                  ? pick(random, Long.MIN_VALUE, Long.MAX_VALUE, -1L)
                  : 1_700_000_000_000_000L + random.nextLong(1L << 40));
      case TIMESTAMP ->
          Value.Timestamp.ofEpochMicros(
              edge
                  ? pick(random, Long.MIN_VALUE, Long.MAX_VALUE, 1L)
                  : random.nextLong(-(1L << 55), 1L << 55));
      case DATE ->
          new Value.Date(
              edge
                  ? pick(random, LocalDate.MIN, LocalDate.MAX, LocalDate.EPOCH)
                  : LocalDate.ofEpochDay(random.nextInt(-800_000, 800_000)));
      case UUID -> new Value.Uuid(new UUID(random.nextLong(), random.nextLong()));
      case JSONB ->
          new Value.Jsonb(
              "{\"k\": "
                  + random.nextInt()
                  + ", \"s\": \""
                  + WORDS[random.nextInt(WORDS.length)].replace("\"", "")
                  + "\"}");
      case BYTEA ->
          Value.Bytes.of(
              big(random) ? Generators.bytes(random, 1 << 20) : Generators.bytes(random, 40));
    };
  }

  private boolean big(SplittableRandom random) {
    return bigValueChance > 0 && random.nextDouble() < bigValueChance;
  }

  private String text(SplittableRandom random) {
    if (big(random)) {
      StringBuilder sb = new StringBuilder(1 << 20);
      while (sb.length() < (1 << 20)) {
        sb.append(WORDS[random.nextInt(WORDS.length)]).append(' ');
      }
      return sb.toString();
    }
    if (random.nextInt(4) == 0) {
      // Random code points across every plane, skipping surrogates.
      StringBuilder sb = new StringBuilder();
      int n = random.nextInt(12);
      for (int i = 0; i < n; i++) {
        int cp = random.nextInt(0x110000);
        if (cp >= 0xD800 && cp <= 0xDFFF) {
          cp = 0x1F600;
        }
        sb.appendCodePoint(cp);
      }
      return sb.toString();
    }
    return WORDS[random.nextInt(WORDS.length)];
  }

  private static BigDecimal decimal(SplittableRandom random) {
    int scale = random.nextInt(5) == 0 ? random.nextInt(-20, 40) : random.nextInt(0, 6);
    BigInteger unscaled =
        random.nextInt(4) == 0
            ? new BigInteger(1 + random.nextInt(400), random_(random))
            : BigInteger.valueOf(random.nextLong(-1_000_000_000L, 1_000_000_000L));
    if (random.nextBoolean()) {
      unscaled = unscaled.negate();
    }
    return new BigDecimal(unscaled, scale);
  }

  @SafeVarargs
  private static <T> T pick(SplittableRandom random, T... options) {
    return options[random.nextInt(options.length)];
  }
}
