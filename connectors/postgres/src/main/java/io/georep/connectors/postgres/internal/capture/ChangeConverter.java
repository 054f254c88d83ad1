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
 * there is one, else every column; under {@code USING INDEX} the index's columns); a table whose
 * identity is {@code NOTHING}, or {@code DEFAULT} without a primary key, is refused naming both
 * fixes. An update with the whole old row ({@code FULL}) carries only the columns whose text
 * differs; without it, every column of the new row, with unchanged TOAST values as {@link
 * Value#UNCHANGED} — never NULL. Counter columns carry {@code new − old} and or-set/g-set columns
 * the added and removed elements, both of which need the old row ({@code FULL}, which publication
 * validation requires). Confined to the capture thread.
 */
public final class ChangeConverter {

  /** A cached relation: its schema and what the capture needs per column. */
  private static final class Relation {
    final TableSchema schema;
    final BuiltInResolver[] resolvers;
    final ColumnType[] types;

    Relation(TableSchema schema, BuiltInResolver[] resolvers, ColumnType[] types) {
      this.schema = schema;
      this.resolvers = resolvers;
      this.types = types;
    }
  }

  private final CatalogLookup catalog;
  private final Map<TableName, Map<String, BuiltInResolver>> resolvers = new HashMap<>();
  private final Map<Integer, Relation> relations = new HashMap<>();

  /**
   * Creates a converter.
   *
   * @param catalog where type names and keys come from
   * @param publications the publications, for per-column resolvers
   */
  public ChangeConverter(CatalogLookup catalog, List<Publication> publications) {
    this.catalog = catalog;
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
    switch (identity) {
      case 'f' -> {
        key.addAll(details.primaryKey());
        if (key.isEmpty()) {
          columns.forEach(c -> key.add(c.name()));
        }
      }
      case 'd' -> key.addAll(details.primaryKey());
      case 'i' ->
          columns.stream()
              .filter(PgOutputMessage.RelationColumn::key)
              .forEach(c -> key.add(c.name()));
      default -> {
        // 'n': no identity
      }
    }
    if (key.isEmpty()) {
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
              keyPosition == 0 && !details.notNullColumns().contains(c.name()),
              keyPosition));
      columnResolvers[i] = byColumn.get(c.name());
    }
    relations.put(
        message.relationOid(),
        new Relation(TableSchema.of(id, schemaColumns), columnResolvers, types));
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
   * Converts a change message.
   *
   * @param message an {@code Insert}, {@code Update} or {@code Delete} message
   * @param lsn the transaction's commit LSN, for messages
   * @return the change; an update may carry no column when nothing it ships changed
   * @throws CaptureException if a value cannot be represented or the relation is unknown
   */
  public RowChange convert(PgOutputMessage message, long lsn) {
    if (message instanceof PgOutputMessage.Insert insert) {
      Relation r = relation(insert.relationOid(), lsn);
      Value[] values = new Value[r.types.length];
      for (int i = 0; i < values.length; i++) {
        values[i] = value(r, insert.newTuple(), i, lsn);
      }
      return RowChange.Insert.of(r.schema, values);
    }
    if (message instanceof PgOutputMessage.Update update) {
      return update(update, lsn);
    }
    if (message instanceof PgOutputMessage.Delete delete) {
      Relation r = relation(delete.relationOid(), lsn);
      return new RowChange.Delete(r.schema, key(r, delete.oldTuple(), lsn));
    }
    throw new IllegalArgumentException("not a row change: " + message);
  }

  private RowChange update(PgOutputMessage.Update update, long lsn) {
    Relation r = relation(update.relationOid(), lsn);
    TupleData next = update.newTuple();
    TupleData old = update.oldTuple();
    boolean full = update.oldKind() == 'O';
    RowKey key = key(r, old != null ? old : next, lsn);
    Value[] changed = new Value[r.types.length];
    for (int i = 0; i < changed.length; i++) {
      TupleData.Kind kind = next.kind(i);
      BuiltInResolver resolver = r.resolvers[i];
      if (kind == TupleData.Kind.UNCHANGED_TOAST) {
        // Unchanged TOAST: with the old row it is known unchanged and simply not shipped.
        changed[i] = full ? null : Value.UNCHANGED;
        continue;
      }
      if (full && sameText(old, next, i)) {
        continue;
      }
      if (resolver != null && full && old.kind(i) != TupleData.Kind.UNCHANGED_TOAST) {
        changed[i] = delta(r, resolver, old, next, i, lsn);
        continue;
      }
      changed[i] = value(r, next, i, lsn);
    }
    return RowChange.Update.of(r.schema, key, changed);
  }

  private Value delta(
      Relation r, BuiltInResolver resolver, TupleData old, TupleData next, int i, long lsn) {
    Value before = value(r, old, i, lsn);
    Value after = value(r, next, i, lsn);
    if (resolver == BuiltInResolver.COUNTER) {
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
   * Returns the cached schema of a relation, for tests and metrics.
   *
   * @param oid the relation oid
   * @return the schema, or null if unknown
   */
  public TableSchema schema(int oid) {
    Relation r = relations.get(oid);
    return r == null ? null : r.schema;
  }
}
