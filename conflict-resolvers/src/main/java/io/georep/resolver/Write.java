package io.georep.resolver;

import io.georep.connector.ArrayType;
import io.georep.connector.ColumnSchema;
import io.georep.connector.RowChange;
import io.georep.connector.RowKey;
import io.georep.connector.ScalarType;
import io.georep.connector.SourceTransaction;
import io.georep.connector.TableSchema;
import io.georep.connector.Value;
import io.georep.resolver.internal.ValueOrder;
import io.georep.vectorclock.Dot;
import io.georep.vectorclock.HybridTimestamp;
import io.georep.vectorclock.ReplicaId;
import io.georep.vectorclock.VersionVector;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeSet;

/**
 * One write to one row, as {@link RowMerge} merges it: what the row's transaction did to it, with
 * the transaction's identity (dot), hybrid commit timestamp and causal context.
 *
 * <p>Remote writes come from a {@link SourceTransaction} ({@link #of(SourceTransaction)}); local
 * writes, made by applications in this region, are folded in the same way by the applier, which
 * builds them with {@link #diff} from the row's visible values and the database's current values.
 *
 * <p>{@code columns} holds the non-key columns the write carries: datums (for inserts, the inserted
 * values; for updates, new values), and for updates also column operations ({@link
 * Value.CounterDelta} for counter columns, {@link Value.SetDelta} for set columns, {@link
 * Value.Unchanged} for an unchanged TOAST value, which counts as not carried). A delete carries no
 * columns. Key values are in {@code key}.
 *
 * <p>Immutable and thread-safe.
 *
 * @param table the table's schema; never null
 * @param key the row's key; never null; fits the table's key columns
 * @param kind insert, update or delete; never null
 * @param columns the carried non-key columns by name, in table order; never null, copied
 * @param dot the write's transaction {@code (origin, seq)}; never null
 * @param timestamp the transaction's hybrid commit timestamp, issued by the dot's origin; never
 *     null
 * @param context the transaction's causal past; never null; does not cover {@code dot}
 */
public record Write(
    TableSchema table,
    RowKey key,
    RowChange.Kind kind,
    Map<String, Value> columns,
    Dot dot,
    HybridTimestamp timestamp,
    VersionVector context) {

  /**
   * Validates the write.
   *
   * @throws IllegalArgumentException if the key does not fit the table, a column does not exist, is
   *     a key column or cannot take its value, an insert carries an operation, a delete carries
   *     columns, the timestamp comes from another replica than the dot, or the context covers the
   *     dot
   */
  public Write {
    Objects.requireNonNull(table, "table");
    Objects.requireNonNull(key, "key");
    Objects.requireNonNull(kind, "kind");
    Objects.requireNonNull(dot, "dot");
    Objects.requireNonNull(timestamp, "timestamp");
    Objects.requireNonNull(context, "context");
    String what = kind.name().toLowerCase(java.util.Locale.ROOT) + " " + dot + " of " + table.id();
    List<ColumnSchema> keyColumns = table.keyColumns();
    if (key.size() != keyColumns.size()) {
      throw new IllegalArgumentException(
          what + ": key has " + key.size() + " values for " + keyColumns.size() + " key columns");
    }
    for (int k = 0; k < key.size(); k++) {
      if (!keyColumns.get(k).accepts(key.get(k))) {
        throw new IllegalArgumentException(
            what
                + ": key column '"
                + keyColumns.get(k).name()
                + "' cannot hold a "
                + key.get(k).kind());
      }
    }
    Map<String, Value> ordered = new LinkedHashMap<>();
    for (ColumnSchema c : table.columns()) {
      Value v = columns.get(c.name());
      if (v != null) {
        ordered.put(c.name(), v);
      }
    }
    if (ordered.size() != columns.size()) {
      for (String name : columns.keySet()) {
        if (table.indexOf(name) < 0) {
          throw new IllegalArgumentException(what + ": no column named '" + name + "'");
        }
      }
    }
    if (kind == RowChange.Kind.DELETE && !ordered.isEmpty()) {
      throw new IllegalArgumentException(what + ": a delete carries no columns");
    }
    for (Map.Entry<String, Value> e : ordered.entrySet()) {
      ColumnSchema c = table.column(table.indexOf(e.getKey()));
      Value v = e.getValue();
      if (c.isKey()) {
        throw new IllegalArgumentException(
            what + ": key column '" + c.name() + "' belongs in the key, not in the columns");
      }
      boolean ok =
          v.isDatum() ? c.accepts(v) : kind == RowChange.Kind.UPDATE && c.acceptsOperation(v);
      if (!ok) {
        throw new IllegalArgumentException(
            what
                + ": column '"
                + c.name()
                + "' of type "
                + c.type()
                + " cannot take a "
                + v.kind());
      }
    }
    columns = Collections.unmodifiableMap(ordered);
    if (!timestamp.origin().equals(dot.origin())) {
      throw new IllegalArgumentException(
          what + ": timestamp issued by " + timestamp.origin() + ", not by the dot's origin");
    }
    if (context.covers(dot)) {
      throw new IllegalArgumentException(
          what + ": causal context " + context + " covers the write itself");
    }
  }

  /**
   * Returns the region that made the write.
   *
   * @return the dot's origin; never null
   */
  public ReplicaId origin() {
    return dot.origin();
  }

  /**
   * Returns the writes of a source transaction, one per changed row, in the order the rows were
   * first changed.
   *
   * <p>Several changes of the same row in one transaction are composed into one write (an insert
   * then updates is an insert of the final values; updates then a delete is a delete; an insert
   * then a delete is nothing; a delete then an insert is an insert), because every write of a
   * transaction shares its dot and a row merges a dot once. An update that changes key columns
   * becomes a delete of the old key and an insert of the new key carrying the update's datums only:
   * the applier must complete that insert with the old row's other values before merging it (the
   * capture ships only changed columns).
   *
   * @param tx the transaction; never null
   * @return the writes; never null
   * @throws IllegalArgumentException if the transaction changes a row in an impossible order (an
   *     insert of a row it already inserted, an update after a delete)
   */
  public static List<Write> of(SourceTransaction tx) {
    Map<List<Object>, Write> byRow = new LinkedHashMap<>();
    for (RowChange change : tx.changes()) {
      if (change.table().keyless()) {
        // Rows of keyless tables are copies in a multiset, merged by RowMultiset, not row writes.
        continue;
      }
      for (Write w : split(tx, change)) {
        List<Object> row = List.of(w.table.id(), w.key);
        if (byRow.containsKey(row)) {
          byRow.put(row, compose(byRow.get(row), w));
        } else {
          byRow.put(row, w);
        }
      }
    }
    List<Write> writes = new ArrayList<>();
    for (Write w : byRow.values()) {
      if (w != null) {
        writes.add(w);
      }
    }
    return writes;
  }

  /**
   * Returns the local write that turns the row's visible state into what the database now holds:
   * how the applier folds a change made by an application in this region into the row's state.
   *
   * <p>No database row and a visible row is a delete; a database row and no visible row is an
   * insert of every database value; both is an update of the columns that differ: registers,
   * max/min columns get the database value, counters the delta {@code database − visible} (NULL
   * counting as zero), OR-set columns a {@link Value.SetDelta} of the added and removed elements,
   * G-set columns one of the added elements (a removal cannot be expressed, so the merged row still
   * holds the element and the applier writes it back).
   *
   * <p>After merging a local write the applier must compare the merged visible row with the
   * database and write back any difference: max/min and G-set columns can override a local write.
   *
   * @param policy the table's policy; never null
   * @param key the row's key; never null
   * @param visible the row as last merged ({@link VisibleRow#ABSENT} if never); never null
   * @param database the non-key values the database now holds, or empty if it has no such row
   * @param dot the local transaction's dot, from the capture's stamp; never null
   * @param timestamp its hybrid commit timestamp; never null
   * @param context its causal context; never null
   * @return the write, or empty when the database already shows the visible row
   * @throws IllegalArgumentException if a value does not fit its column
   */
  public static Optional<Write> diff(
      TablePolicy policy,
      RowKey key,
      VisibleRow visible,
      Optional<Map<String, Value>> database,
      Dot dot,
      HybridTimestamp timestamp,
      VersionVector context) {
    TableSchema table = policy.table();
    if (database.isEmpty()) {
      return visible.exists()
          ? Optional.of(
              new Write(table, key, RowChange.Kind.DELETE, Map.of(), dot, timestamp, context))
          : Optional.empty();
    }
    Map<String, Value> db = nonKey(table, database.get());
    if (!visible.exists()) {
      return Optional.of(new Write(table, key, RowChange.Kind.INSERT, db, dot, timestamp, context));
    }
    Map<String, Value> changed = new LinkedHashMap<>();
    for (Map.Entry<String, Value> e : db.entrySet()) {
      Value now = e.getValue();
      Value before = visible.values().getOrDefault(e.getKey(), Value.NULL);
      if (now.equals(before)) {
        continue;
      }
      ColumnPolicy p = policy.columnAt(table.indexOf(e.getKey()));
      Value change =
          switch (p.kind()) {
            case COUNTER, G_COUNTER -> new Value.CounterDelta(number(now).subtract(number(before)));
            case OR_SET, TWO_PHASE_SET -> setDelta(before, now, true);
            case G_SET -> setDelta(before, now, false);
            case REGISTER, MAX, MIN -> now;
          };
      if (change != null) {
        changed.put(e.getKey(), change);
      }
    }
    return changed.isEmpty()
        ? Optional.empty()
        : Optional.of(
            new Write(table, key, RowChange.Kind.UPDATE, changed, dot, timestamp, context));
  }

  /**
   * The elements an array column gained and (for an or-set) lost between two values, or null if
   * none.
   */
  private static Value setDelta(Value before, Value now, boolean removals) {
    List<Value> was = elements(before);
    List<Value> is = elements(now);
    List<Value> added = minus(is, was);
    List<Value> removed = removals ? minus(was, is) : List.of();
    return added.isEmpty() && removed.isEmpty() ? null : new Value.SetDelta(added, removed);
  }

  private static List<Write> split(SourceTransaction tx, RowChange change) {
    TableSchema table = change.table();
    Dot dot = tx.dot();
    HybridTimestamp ts = tx.commitTimestamp();
    VersionVector ctx = tx.causalContext();
    if (change instanceof RowChange.Insert insert) {
      return List.of(
          new Write(
              table,
              insert.key(),
              RowChange.Kind.INSERT,
              nonKey(table, insert.values()),
              dot,
              ts,
              ctx));
    }
    if (change instanceof RowChange.Delete delete) {
      return List.of(new Write(table, delete.key(), RowChange.Kind.DELETE, Map.of(), dot, ts, ctx));
    }
    RowChange.Update update = (RowChange.Update) change;
    Optional<RowKey> newKey = update.newKey();
    Map<String, Value> carried = nonKey(table, update.changed());
    if (newKey.isEmpty()) {
      return List.of(new Write(table, update.key(), RowChange.Kind.UPDATE, carried, dot, ts, ctx));
    }
    Map<String, Value> datums = new LinkedHashMap<>();
    carried.forEach(
        (name, v) -> {
          if (v.isDatum()) {
            datums.put(name, v);
          }
        });
    return List.of(
        new Write(table, update.key(), RowChange.Kind.DELETE, Map.of(), dot, ts, ctx),
        new Write(table, newKey.get(), RowChange.Kind.INSERT, datums, dot, ts, ctx));
  }

  /** Composes two changes of the same row in one transaction; null when nothing remains. */
  private static Write compose(Write a, Write b) {
    if (a == null) {
      // An insert then a delete left nothing; only an insert may follow.
      if (b.kind == RowChange.Kind.INSERT) {
        return b;
      }
      throw impossible(b, "a " + kindName(b) + " after the row was inserted and deleted");
    }
    switch (a.kind) {
      case INSERT -> {
        if (b.kind == RowChange.Kind.DELETE) {
          return null;
        }
        if (b.kind == RowChange.Kind.INSERT) {
          throw impossible(b, "a second insert of the same row");
        }
        return a.withColumns(RowChange.Kind.INSERT, applyAll(a.table, a.columns, b.columns));
      }
      case UPDATE -> {
        if (b.kind == RowChange.Kind.DELETE) {
          return b;
        }
        if (b.kind == RowChange.Kind.INSERT) {
          throw impossible(b, "an insert of a row it had updated");
        }
        return a.withColumns(RowChange.Kind.UPDATE, composeUpdates(a.table, a.columns, b.columns));
      }
      case DELETE -> {
        if (b.kind != RowChange.Kind.INSERT) {
          throw impossible(b, "a " + kindName(b) + " of a row it had deleted");
        }
        return b;
      }
    }
    throw new AssertionError(a.kind);
  }

  private Write withColumns(RowChange.Kind newKind, Map<String, Value> newColumns) {
    return new Write(table, key, newKind, newColumns, dot, timestamp, context);
  }

  /** The insert's datums after an update applied to them. */
  private static Map<String, Value> applyAll(
      TableSchema table, Map<String, Value> base, Map<String, Value> update) {
    Map<String, Value> out = new LinkedHashMap<>(base);
    update.forEach(
        (name, op) -> {
          ColumnSchema c = table.column(table.indexOf(name));
          Value was = out.getOrDefault(name, Value.NULL);
          if (op.isDatum()) {
            out.put(name, op);
          } else if (op instanceof Value.CounterDelta d) {
            out.put(name, typed(c, number(was).add(d.delta())));
          } else if (op instanceof Value.SetDelta d) {
            List<Value> elements = minus(elements(was), d.removed());
            elements.addAll(minus(d.added(), elements));
            out.put(name, new Value.Array(((ArrayType) c.type()).elementType(), elements));
          }
        });
    return out;
  }

  /** Two successive updates' columns as one update. */
  private static Map<String, Value> composeUpdates(
      TableSchema table, Map<String, Value> first, Map<String, Value> second) {
    Map<String, Value> out = new LinkedHashMap<>(first);
    second.forEach(
        (name, op) -> {
          Value was = out.get(name);
          if (op instanceof Value.Unchanged) {
            out.putIfAbsent(name, op);
          } else if (was == null || was instanceof Value.Unchanged || op.isDatum()) {
            out.put(name, op);
          } else if (op instanceof Value.CounterDelta d) {
            out.put(
                name,
                was instanceof Value.CounterDelta w
                    ? new Value.CounterDelta(w.delta().add(d.delta()))
                    : typed(table.column(table.indexOf(name)), number(was).add(d.delta())));
          } else if (op instanceof Value.SetDelta d) {
            if (was instanceof Value.SetDelta w) {
              List<Value> added = minus(w.added(), d.removed());
              added.addAll(minus(d.added(), added));
              List<Value> removed = new ArrayList<>(w.removed());
              removed.addAll(minus(d.removed(), removed));
              out.put(name, new Value.SetDelta(added, removed));
            } else {
              out.putAll(applyAll(table, Map.of(name, was), Map.of(name, op)));
            }
          }
        });
    return out;
  }

  private static IllegalArgumentException impossible(Write w, String what) {
    return new IllegalArgumentException(
        "transaction "
            + w.dot
            + " changes a row of "
            + w.table.id()
            + " in an impossible order: "
            + what);
  }

  private static String kindName(Write w) {
    return w.kind.name().toLowerCase(java.util.Locale.ROOT);
  }

  private static Map<String, Value> nonKey(TableSchema table, Map<String, Value> values) {
    Map<String, Value> out = new LinkedHashMap<>();
    values.forEach(
        (name, v) -> {
          int i = table.indexOf(name);
          if (i < 0 || !table.column(i).isKey()) {
            out.put(name, v);
          }
        });
    return out;
  }

  /** The numeric value of a counter datum; NULL counts as zero. */
  static BigDecimal number(Value v) {
    if (v instanceof Value.Int2 x) {
      return BigDecimal.valueOf(x.value());
    } else if (v instanceof Value.Int4 x) {
      return BigDecimal.valueOf(x.value());
    } else if (v instanceof Value.Int8 x) {
      return BigDecimal.valueOf(x.value());
    } else if (v instanceof Value.Numeric x) {
      return x.value();
    } else if (v instanceof Value.Null) {
      return BigDecimal.ZERO;
    }
    throw new IllegalArgumentException("a counter holds a number, not a " + v.kind());
  }

  /**
   * The datum of a counter column's type holding a sum.
   *
   * @throws ArithmeticException if the sum does not fit the type
   */
  static Value typed(ColumnSchema column, BigDecimal sum) {
    ScalarType type = (ScalarType) column.type();
    return switch (type) {
      case INT2 -> new Value.Int2(sum.shortValueExact());
      case INT4 -> new Value.Int4(sum.intValueExact());
      case INT8 -> new Value.Int8(sum.longValueExact());
      case NUMERIC -> new Value.Numeric(sum);
      default -> throw new IllegalArgumentException(column.name() + " is not a counter column");
    };
  }

  /** The distinct elements of an array datum in order; NULL is the empty set. */
  static List<Value> elements(Value v) {
    if (v instanceof Value.Array a) {
      List<Value> out = new ArrayList<>();
      TreeSet<Value> seen = new TreeSet<>(ValueOrder.INSTANCE);
      for (Value e : a.elements()) {
        if (seen.add(e)) {
          out.add(e);
        }
      }
      return out;
    }
    return new ArrayList<>();
  }

  private static List<Value> minus(List<Value> from, List<Value> remove) {
    TreeSet<Value> gone = new TreeSet<>(ValueOrder.INSTANCE);
    gone.addAll(remove);
    List<Value> out = new ArrayList<>();
    TreeSet<Value> seen = new TreeSet<>(ValueOrder.INSTANCE);
    for (Value v : from) {
      if (!gone.contains(v) && seen.add(v)) {
        out.add(v);
      }
    }
    return out;
  }

  /** Returns the kind, dot, table and carried column names, never values. */
  @Override
  public String toString() {
    return kindName(this)
        + " "
        + dot
        + " at "
        + timestamp
        + " after "
        + context
        + " of "
        + table.id()
        + " "
        + columns.keySet();
  }
}
