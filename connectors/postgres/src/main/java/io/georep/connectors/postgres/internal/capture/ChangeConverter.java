package io.georep.connectors.postgres.internal.capture;

import io.georep.connector.ArrayType;
import io.georep.connector.ColumnSchema;
import io.georep.connector.ColumnType;
import io.georep.connector.RowChange;
import io.georep.connector.RowKey;
import io.georep.connector.TableId;
import io.georep.connector.TableSchema;
import io.georep.connector.Value;
import io.georep.connectors.postgres.CaptureException;
import io.georep.connectors.postgres.internal.pgoutput.PgOutputMessage;
import io.georep.connectors.postgres.internal.pgoutput.TupleData;
import io.georep.publication.BuiltInResolver;
import io.georep.publication.ColumnResolver;
import io.georep.publication.Mask;
import io.georep.publication.Operation;
import io.georep.publication.Publication;
import io.georep.publication.TableName;
import io.georep.publication.TableRule;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Turns pgoutput change messages into {@link RowChange}s: the relation cache (from {@code Relation}
 * messages, completed from the catalog) and the value conversion.
 *
 * <p>Rules: the key is the primary key (under {@code REPLICA IDENTITY FULL} the primary key if
 * there is one; without one the table is keyless — no key positions, every column nullable as in
 * the catalog, the whole row its identity, see {@link io.georep.connector.TableSchema#keyless()};
 * under {@code USING INDEX} the index's columns); a table whose identity is {@code NOTHING}, or
 * {@code DEFAULT} without a primary key, is refused naming both fixes. An update with the whole old
 * row ({@code FULL}) carries only the columns whose text differs, unless it changes the key: then
 * every column of the new row; without it, every column of the new row, with unchanged TOAST values
 * as {@link Value#UNCHANGED} — never NULL. Counter columns carry {@code new − old} and or-set/g-set
 * columns the added and removed elements, both of which need the old row ({@code FULL}, which
 * publication validation requires).
 *
 * <p>The capture's own publication rules ({@link CaptureRules}) apply here too: a change whose row
 * the filters reject is dropped, an update whose old row passes and new row does not becomes a
 * delete, the reverse becomes an insert (PostgreSQL's row-filter semantics); columns outside the
 * column list are left out of the shipped schema and values; masked columns carry the mask's result
 * and the raw value never enters the change. Confined to the capture thread.
 *
 * <p>About 600 lines: the rules for inserts, updates and deletes share the row filters, column
 * lists and masks, so they stay side by side.
 */
public final class ChangeConverter {

  /**
   * A cached relation: its schema as the server sends it, the schema of what is shipped (the
   * columns the capture's column list keeps), and what the capture needs per column.
   */
  private static final class Relation {
    final TableSchema schema;
    final TableSchema emitted;
    final int[] emittedIndex;
    final BuiltInResolver[] resolvers;
    final ColumnType[] types;
    final Mask[] masks;
    final CaptureRules.Table rules;

    Relation(
        TableSchema schema,
        BuiltInResolver[] resolvers,
        ColumnType[] types,
        CaptureRules.Table rules) {
      this.schema = schema;
      this.resolvers = resolvers;
      this.types = types;
      this.rules = rules;
      int n = schema.columnCount();
      this.emittedIndex = new int[n];
      this.masks = new Mask[n];
      List<ColumnSchema> kept = new ArrayList<>(n);
      for (int i = 0; i < n; i++) {
        ColumnSchema column = schema.column(i);
        if (rules == null || rules.selects(column.name())) {
          emittedIndex[i] = kept.size();
          kept.add(column);
          masks[i] = rules == null ? null : rules.mask(column.name());
        } else {
          emittedIndex[i] = -1;
        }
      }
      this.emitted = kept.size() == n ? schema : TableSchema.of(schema.id(), kept);
    }
  }

  private final CatalogLookup catalog;
  private final CaptureRules rules;
  private final Map<TableName, Map<String, BuiltInResolver>> resolvers = new HashMap<>();
  private final Map<Integer, Relation> relations = new HashMap<>();

  /**
   * Creates a converter.
   *
   * @param catalog where type names and keys come from
   * @param publications the publications, for per-column resolvers
   * @param rules the filters, column lists and masks the capture applies itself
   */
  public ChangeConverter(
      CatalogLookup catalog, List<Publication> publications, CaptureRules rules) {
    this.catalog = catalog;
    this.rules = rules;
    for (Publication publication : publications) {
      for (TableRule rule : publication.tables()) {
        Map<String, BuiltInResolver> columns =
            resolvers.computeIfAbsent(rule.table(), t -> new HashMap<>());
        for (ColumnResolver resolver : rule.columnResolvers()) {
          resolver
              .resolver()
              .builtIn()
              .filter(BuiltInResolver::deltaShipped)
              .ifPresent(r -> columns.put(resolver.column().name(), r));
        }
      }
    }
  }

  /**
   * Records a {@code Relation} message.
   *
   * @param message the message
   * @throws CaptureException if the table has no usable key
   */
  public void relation(PgOutputMessage.Relation message) {
    TableId id = TableId.of(message.namespace(), message.name());
    CatalogLookup.RelationDetails details = catalog.relation(message.relationOid());
    List<PgOutputMessage.RelationColumn> columns = message.columns();
    List<String> key = new ArrayList<>();
    char identity = message.replicaIdentity();
    // FULL without a primary key: a keyless table (no column gets a key position), replicated as a
    // multiset whose rows are identified by all of their values, NULLs included.
    boolean keyless = identity == 'f' && details.primaryKey().isEmpty();
    switch (identity) {
      case 'f' -> key.addAll(details.primaryKey());
      case 'd' -> key.addAll(details.primaryKey());
      case 'i' ->
          columns.stream()
              .filter(PgOutputMessage.RelationColumn::key)
              .forEach(c -> key.add(c.name()));
      default -> {
        // 'n': no identity
      }
    }
    if (key.isEmpty() && !keyless) {
      throw noKey(id);
    }
    Map<String, BuiltInResolver> byColumn =
        resolvers.getOrDefault(new TableName(message.namespace(), message.name()), Map.of());
    List<ColumnSchema> schemaColumns = new ArrayList<>(columns.size());
    BuiltInResolver[] columnResolvers = new BuiltInResolver[columns.size()];
    ColumnType[] types = new ColumnType[columns.size()];
    for (int i = 0; i < columns.size(); i++) {
      PgOutputMessage.RelationColumn c = columns.get(i);
      ColumnType type = ColumnType.of(catalog.typeName(c.typeOid()));
      types[i] = type;
      int keyPosition = key.indexOf(c.name()) + 1;
      schemaColumns.add(
          new ColumnSchema(
              c.name(),
              type,
              !details.notNullColumns().contains(c.name()) && (keyPosition == 0 || keyless),
              keyPosition));
      columnResolvers[i] = byColumn.get(c.name());
    }
    relations.put(
        message.relationOid(),
        new Relation(
            TableSchema.of(id, schemaColumns),
            columnResolvers,
            types,
            rules.table(new TableName(message.namespace(), message.name()))));
  }

  /**
   * Returns the error for a table without a usable replica identity, naming both fixes.
   *
   * @param id the table
   * @return the exception
   */
  public static CaptureException noKey(TableId id) {
    return new CaptureException(
        "table "
            + id
            + " has no primary key and is not REPLICA IDENTITY FULL, so its updates and deletes"
            + " cannot be captured (PostgreSQL even rejects them while the table is published);"
            + " fix it with either ALTER TABLE "
            + id.quoted()
            + " ADD PRIMARY KEY (<columns>), or ALTER TABLE "
            + id.quoted()
            + " REPLICA IDENTITY FULL");
  }

  /**
   * Converts a change message, applying the capture's own rules: the row filters (with PostgreSQL's
   * transformation of updates that enter or leave the filtered set), the column list and the masks.
   *
   * @param message an {@code Insert}, {@code Update} or {@code Delete} message
   * @param lsn the transaction's commit LSN, for messages
   * @return the change, or null if the row filters drop it; an update may carry no column when
   *     nothing it ships changed
   * @throws CaptureException if a value cannot be represented or the relation is unknown
   */
  public RowChange convert(PgOutputMessage message, long lsn) {
    if (message instanceof PgOutputMessage.Insert insert) {
      Relation r = relation(insert.relationOid(), lsn);
      if (r.rules != null
          && r.rules.filters(Operation.INSERT)
          && !r.rules.passes(Operation.INSERT, row(r, insert.newTuple(), null, lsn))) {
        return null;
      }
      return insert(r, insert.newTuple(), null, lsn);
    }
    if (message instanceof PgOutputMessage.Update update) {
      return update(update, lsn);
    }
    if (message instanceof PgOutputMessage.Delete delete) {
      Relation r = relation(delete.relationOid(), lsn);
      if (r.rules != null
          && r.rules.filters(Operation.DELETE)
          && !r.rules.passes(Operation.DELETE, row(r, delete.oldTuple(), null, lsn))) {
        return null;
      }
      return new RowChange.Delete(r.emitted, key(r, delete.oldTuple(), lsn));
    }
    throw new IllegalArgumentException("not a row change: " + message);
  }

  /**
   * Returns the keys a change touches, read before any rule applies (values unmasked): the old key
   * ({@code null} for an insert) and the new key ({@code null} for a delete). A keyless table's
   * keys are empty. The initial copy compares them with the rows it has copied.
   *
   * @param message an {@code Insert}, {@code Update} or {@code Delete} message
   * @param lsn the transaction's commit LSN, for messages
   * @return {@code [old, new]}
   * @throws CaptureException if the relation is unknown or a key column was not sent
   */
  public RowKey[] keys(PgOutputMessage message, long lsn) {
    if (message instanceof PgOutputMessage.Insert insert) {
      return new RowKey[] {null, key(relation(insert.relationOid(), lsn), insert.newTuple(), lsn)};
    }
    if (message instanceof PgOutputMessage.Delete delete) {
      return new RowKey[] {key(relation(delete.relationOid(), lsn), delete.oldTuple(), lsn), null};
    }
    if (message instanceof PgOutputMessage.Update update) {
      Relation r = relation(update.relationOid(), lsn);
      TupleData old = update.oldTuple() != null ? update.oldTuple() : update.newTuple();
      return new RowKey[] {key(r, old, lsn), key(r, update.newTuple(), lsn)};
    }
    throw new IllegalArgumentException("not a row change: " + message);
  }

  /**
   * Returns the key of a whole row in the relation's column order, read before any rule applies.
   *
   * @param relationOid the table's oid; its relation must be known
   * @param tuple the row
   * @return the key (empty for a keyless table)
   */
  public RowKey key(int relationOid, TupleData tuple) {
    return key(relation(relationOid, 0), tuple, 0);
  }

  /**
   * Returns the table of a known relation.
   *
   * @param relationOid the table's oid
   * @return the table
   */
  public TableId table(int relationOid) {
    return relation(relationOid, 0).schema.id();
  }

  private RowChange.Insert insert(Relation r, TupleData tuple, TupleData old, long lsn) {
    Value[] values = new Value[r.emitted.columnCount()];
    for (int i = 0; i < r.types.length; i++) {
      int j = r.emittedIndex[i];
      if (j < 0) {
        continue;
      }
      TupleData source = tuple;
      if (tuple.kind(i) == TupleData.Kind.UNCHANGED_TOAST && old != null) {
        source = old;
      }
      if (source.kind(i) == TupleData.Kind.UNCHANGED_TOAST) {
        throw new CaptureException(
            "table "
                + r.schema.id()
                + ": an update at LSN "
                + Lsn.format(lsn)
                + " entered the publication's row filter, so it is shipped as an insert, but"
                + " column "
                + r.schema.column(i).name()
                + " is an unchanged TOAST value the server did not send; capture stops so that"
                + " nothing diverges — run ALTER TABLE "
                + r.schema.id().quoted()
                + " REPLICA IDENTITY FULL, so that updates carry the whole old row");
      }
      values[j] = shipped(r, source, i, lsn);
    }
    return RowChange.Insert.of(r.emitted, values);
  }

  /**
   * Returns the value of a column as shipped: masked if the column has a mask. A mask sees the
   * value's text (the type's output), so every region masks the same text the same way.
   */
  private Value shipped(Relation r, TupleData tuple, int i, long lsn) {
    Mask mask = r.masks[i];
    if (mask == null) {
      return value(r, tuple, i, lsn);
    }
    String text = tuple.kind(i) == TupleData.Kind.NULL ? null : tuple.text(i);
    String masked = rules.apply(mask, text);
    return masked == null ? Value.NULL : new Value.Text(masked);
  }

  /**
   * Returns the values of the columns the filters read, as {@link
   * io.georep.publication.RowFilter#evaluate} takes them; an unchanged TOAST value is taken from
   * {@code old} (the whole old row under {@code REPLICA IDENTITY FULL}).
   */
  private Map<String, Object> row(Relation r, TupleData tuple, TupleData old, long lsn) {
    Map<String, Object> row = new HashMap<>();
    for (String column : r.rules.filterColumns()) {
      int i = r.schema.indexOf(column);
      if (i < 0) {
        throw new CaptureException(
            "table "
                + r.schema.id()
                + ": the row filter reads column "
                + column
                + ", which the server did not send at LSN "
                + Lsn.format(lsn)
                + "; re-create the native publication with `georep publication plan`");
      }
      TupleData source = tuple;
      if (tuple.kind(i) == TupleData.Kind.UNCHANGED_TOAST && old != null) {
        source = old;
      }
      if (source.kind(i) == TupleData.Kind.UNCHANGED_TOAST) {
        throw new CaptureException(
            "table "
                + r.schema.id()
                + ": the row filter reads column "
                + column
                + ", an unchanged TOAST value the server did not send at LSN "
                + Lsn.format(lsn)
                + ", so the filter cannot be evaluated; run ALTER TABLE "
                + r.schema.id().quoted()
                + " REPLICA IDENTITY FULL");
      }
      row.put(column, javaValue(r, i, value(r, source, i, lsn)));
    }
    return row;
  }

  private static Object javaValue(Relation r, int i, Value v) {
    if (v instanceof Value.Null) {
      return null;
    } else if (v instanceof Value.Int2 x) {
      return x.value();
    } else if (v instanceof Value.Int4 x) {
      return x.value();
    } else if (v instanceof Value.Int8 x) {
      return x.value();
    } else if (v instanceof Value.Numeric x) {
      return x.value();
    } else if (v instanceof Value.Float4 x) {
      return (double) x.value();
    } else if (v instanceof Value.Float8 x) {
      return x.value();
    } else if (v instanceof Value.Text x) {
      return x.value();
    } else if (v instanceof Value.Bool x) {
      return x.value();
    } else if (v instanceof Value.Date x) {
      return x.value();
    } else if (v instanceof Value.Timestamp x) {
      return x.value();
    } else if (v instanceof Value.TimestampTz x) {
      return x.value().atOffset(java.time.ZoneOffset.UTC);
    } else if (v instanceof Value.Uuid x) {
      return x.value().toString();
    }
    throw new CaptureException(
        "table "
            + r.schema.id()
            + ": the row filter reads column "
            + r.schema.column(i).name()
            + " of type "
            + r.types[i].typeName()
            + ", which the agent cannot evaluate; filter on a number, text, boolean or date/time"
            + " column");
  }

  private RowChange update(PgOutputMessage.Update update, long lsn) {
    Relation r = relation(update.relationOid(), lsn);
    TupleData next = update.newTuple();
    TupleData old = update.oldTuple();
    boolean full = update.oldKind() == 'O';
    if (r.rules != null && r.rules.filters(Operation.UPDATE)) {
      // PostgreSQL's semantics (15+): the old row is tested as well as the new one. Filters read
      // only replica-identity columns when updates replicate, so the old row's values are known
      // even without REPLICA IDENTITY FULL: the old key if the server sent it, else unchanged.
      boolean oldMatches =
          r.rules.passes(Operation.UPDATE, row(r, old != null ? old : next, null, lsn));
      boolean newMatches = r.rules.passes(Operation.UPDATE, row(r, next, full ? old : null, lsn));
      if (!oldMatches && !newMatches) {
        return null;
      }
      if (oldMatches && !newMatches) {
        return new RowChange.Delete(r.emitted, key(r, old != null ? old : next, lsn));
      }
      if (!oldMatches) {
        return insert(r, next, full ? old : null, lsn);
      }
    }
    RowKey key = key(r, old != null ? old : next, lsn);
    Value[] changed = new Value[r.emitted.columnCount()];
    if (full && !key.equals(key(r, next, lsn))) {
      // A key-changing update moves the row: other regions apply it as a delete of the old key and
      // an insert of the new one, which must carry the whole row. Completed from each region's own
      // copy of the old row, it would take in whatever concurrent writes that region had merged
      // there, and regions would disagree.
      for (int i = 0; i < r.types.length; i++) {
        int j = r.emittedIndex[i];
        if (j >= 0) {
          changed[j] =
              next.kind(i) == TupleData.Kind.UNCHANGED_TOAST
                  ? shipped(r, old, i, lsn)
                  : shipped(r, next, i, lsn);
        }
      }
      return RowChange.Update.of(r.emitted, key, changed);
    }
    for (int i = 0; i < r.types.length; i++) {
      int j = r.emittedIndex[i];
      if (j < 0) {
        continue;
      }
      TupleData.Kind kind = next.kind(i);
      BuiltInResolver resolver = r.resolvers[i];
      if (kind == TupleData.Kind.UNCHANGED_TOAST) {
        // Unchanged TOAST: with the old row it is known unchanged and simply not shipped.
        changed[j] = full ? null : Value.UNCHANGED;
        continue;
      }
      if (full && sameText(old, next, i)) {
        continue;
      }
      if (resolver != null && full && old.kind(i) != TupleData.Kind.UNCHANGED_TOAST) {
        changed[j] = delta(r, resolver, old, next, i, lsn);
        continue;
      }
      changed[j] = shipped(r, next, i, lsn);
    }
    return RowChange.Update.of(r.emitted, key, changed);
  }

  private Value delta(
      Relation r, BuiltInResolver resolver, TupleData old, TupleData next, int i, long lsn) {
    Value before = value(r, old, i, lsn);
    Value after = value(r, next, i, lsn);
    if (resolver == BuiltInResolver.COUNTER || resolver == BuiltInResolver.G_COUNTER) {
      BigDecimal delta = number(after).subtract(number(before));
      return new Value.CounterDelta(delta);
    }
    if (r.types[i] instanceof ArrayType) {
      List<Value> was = before instanceof Value.Array a ? a.elements() : List.of();
      List<Value> now = after instanceof Value.Array a ? a.elements() : List.of();
      Set<Value> added = new LinkedHashSet<>(now);
      was.forEach(added::remove);
      Set<Value> removed = new LinkedHashSet<>(was);
      now.forEach(removed::remove);
      return new Value.SetDelta(List.copyOf(added), List.copyOf(removed));
    }
    return after;
  }

  /** A NULL counter counts as 0: the delta is what the row's value moved by. */
  private static BigDecimal number(Value v) {
    if (v instanceof Value.Int2 x) {
      return BigDecimal.valueOf(x.value());
    }
    if (v instanceof Value.Int4 x) {
      return BigDecimal.valueOf(x.value());
    }
    if (v instanceof Value.Int8 x) {
      return BigDecimal.valueOf(x.value());
    }
    if (v instanceof Value.Numeric x) {
      return x.value();
    }
    return BigDecimal.ZERO;
  }

  private static boolean sameText(TupleData old, TupleData next, int i) {
    TupleData.Kind a = old.kind(i);
    TupleData.Kind b = next.kind(i);
    if (a != b) {
      return false;
    }
    return a == TupleData.Kind.NULL || java.util.Arrays.equals(old.bytes(i), next.bytes(i));
  }

  private RowKey key(Relation r, TupleData tuple, long lsn) {
    List<Value> key = new ArrayList<>(r.schema.keyColumns().size());
    for (int k = 0; k < r.schema.keyColumns().size(); k++) {
      int index = r.schema.keyColumnIndex(k);
      Value v = value(r, tuple, index, lsn);
      if (!v.isDatum()) {
        throw new CaptureException(
            "table "
                + r.schema.id()
                + " key column "
                + r.schema.column(index).name()
                + " arrived as an unchanged TOAST value at LSN "
                + Lsn.format(lsn)
                + "; key columns must be small enough not to be TOASTed");
      }
      key.add(v);
    }
    return new RowKey(key);
  }

  private Value value(Relation r, TupleData tuple, int i, long lsn) {
    switch (tuple.kind(i)) {
      case NULL:
        return Value.NULL;
      case UNCHANGED_TOAST:
        return Value.UNCHANGED;
      case BINARY:
        throw new CaptureException(
            "table "
                + r.schema.id()
                + " column "
                + r.schema.column(i).name()
                + " arrived in binary format at LSN "
                + Lsn.format(lsn)
                + "; the capture requests text format only");
      case TEXT:
      default:
        String text = tuple.text(i);
        try {
          return TextValueParser.parse(r.types[i], text);
        } catch (IllegalArgumentException | java.time.DateTimeException e) {
          throw new CaptureException(
              "table "
                  + r.schema.id()
                  + " column "
                  + r.schema.column(i).name()
                  + " ("
                  + r.types[i].typeName()
                  + ") at LSN "
                  + Lsn.format(lsn)
                  + ": "
                  + (e instanceof TextValueParser.UnsupportedValueException
                      ? e.getMessage()
                      : "cannot parse the server's text output (" + e.getMessage() + ")")
                  + "; capture stops here so that nothing diverges",
              e);
        }
    }
  }

  /**
   * Returns whether a relation's {@code Relation} message was recorded.
   *
   * @param relationOid the table's oid
   * @return true if known
   */
  public boolean knows(int relationOid) {
    return relations.containsKey(relationOid);
  }

  private Relation relation(int oid, long lsn) {
    Relation r = relations.get(oid);
    if (r == null) {
      throw new CaptureException(
          "change for table oid "
              + Integer.toUnsignedString(oid)
              + " at LSN "
              + Lsn.format(lsn)
              + " arrived before its Relation message; this is a protocol error");
    }
    return r;
  }

  /**
   * Returns the cached schema of a relation as the server sent it, for tests and metrics.
   *
   * @param oid the relation oid
   * @return the schema, or null if unknown
   */
  public TableSchema schema(int oid) {
    Relation r = relations.get(oid);
    return r == null ? null : r.schema;
  }
}
