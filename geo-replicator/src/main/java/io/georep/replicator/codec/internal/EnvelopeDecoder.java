package io.georep.replicator.codec.internal;

import io.georep.connector.ArrayType;
import io.georep.connector.ColumnSchema;
import io.georep.connector.ColumnType;
import io.georep.connector.RowChange;
import io.georep.connector.RowKey;
import io.georep.connector.ScalarType;
import io.georep.connector.SourceTransaction;
import io.georep.connector.TableId;
import io.georep.connector.TableSchema;
import io.georep.connector.Value;
import io.georep.replicator.codec.MalformedBatchException;
import io.georep.replicator.codec.OversizeFieldException;
import io.georep.replicator.codec.WireBatch;
import io.georep.replicator.codec.WireLimits;
import io.georep.replicator.codec.internal.avro.ColumnDefinition;
import io.georep.replicator.codec.internal.avro.Envelope;
import io.georep.replicator.codec.internal.avro.Fragment;
import io.georep.replicator.codec.internal.avro.TableSection;
import io.georep.vectorclock.HybridTimestamp;
import io.georep.vectorclock.ReplicaId;
import io.georep.vectorclock.VersionVector;
import io.georep.vectorclock.encoding.CompactReader;
import io.georep.vectorclock.encoding.MalformedEncodingException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Turns a decoded {@link Envelope} back into a batch, validating everything: counts against the
 * bytes that hold them, values against their columns, changes against the change model. Every
 * failure is a {@link MalformedBatchException} (or an {@link OversizeFieldException} for the cell
 * limit); allocations are bounded by the envelope's size and the cell limit.
 *
 * <p>One instance decodes one envelope; not thread-safe.
 */
public final class EnvelopeDecoder {
  private final WireLimits limits;
  private String where = "batch";
  private String batchWhere = "batch";

  /**
   * Creates a decoder.
   *
   * @param limits the limits to enforce; never null
   */
  public EnvelopeDecoder(WireLimits limits) {
    this.limits = limits;
  }

  /**
   * Decodes the envelope.
   *
   * @param envelope the envelope as Avro decoded it; never null
   * @param envelopeBytes the length of the Avro encoding it was decoded from: the change count must
   *     not exceed it
   * @return the batch
   * @throws MalformedBatchException if the content is not a valid batch
   * @throws OversizeFieldException if the batch expands to more cells than the limit
   */
  public WireBatch decode(Envelope envelope, int envelopeBytes) {
    try {
      return decodeChecked(envelope, envelopeBytes);
    } catch (IllegalArgumentException | NullPointerException | MalformedEncodingException e) {
      // The change model rejected what the bytes describe: report it as malformed content, with
      // the model's message naming the table and column.
      throw new MalformedBatchException(where + ": " + e.getMessage(), e);
    }
  }

  private WireBatch decodeChecked(Envelope envelope, int envelopeBytes) {
    ReplicaId origin = ReplicaId.of(envelope.getOrigin());
    where =
        "batch "
            + origin
            + ":"
            + envelope.getFirstSeq()
            + ".."
            + envelope.getLastSeq()
            + (envelope.getWriter().isEmpty() ? "" : " written by " + envelope.getWriter());
    batchWhere = where;
    ByteBuffer txBytes = envelope.getTransactions();
    int txCount = envelope.getTransactionCount();
    int changeCount = envelope.getChangeCount();
    // Each transaction takes at least 3 bytes (header word, seq gap or causal context, commit
    // time), and a batch holds at most one change per envelope byte: bound counts before
    // allocating for them.
    if (txCount < 1 || txCount > txBytes.remaining() / 3) {
      throw malformed(
          "transaction count " + txCount + " does not fit its " + txBytes.remaining() + " bytes");
    }
    if (changeCount < 0 || changeCount > envelopeBytes) {
      throw malformed(
          "change count " + changeCount + " exceeds the envelope's " + envelopeBytes + " bytes");
    }
    List<Section> sections = decodeSections(envelope.getTables(), changeCount);

    where = batchWhere;
    VectorReader in = new VectorReader(txBytes, where + " transactions");
    CompactReader horizons = null;
    if (envelope.getHorizons() != null) {
      ByteBuffer h = envelope.getHorizons();
      byte[] bytes = new byte[h.remaining()];
      h.duplicate().get(bytes);
      horizons = new CompactReader(bytes);
    }
    List<SourceTransaction> transactions = new ArrayList<>(txCount);
    long seq = envelope.getFirstSeq();
    long wall = 0;
    VersionVector context = null;
    ReplicaId[] replicas = null;
    long[] counters = null;
    int changesSeen = 0;
    for (int t = 0; t < txCount; t++) {
      long header = in.readUnsigned();
      int contextForm = (int) (header & TransactionHeader.CONTEXT_MASK);
      long count = header >>> TransactionHeader.COUNT_SHIFT;
      if (count > changeCount - changesSeen) {
        throw in.malformed(
            "change count "
                + count
                + " exceeds the "
                + (changeCount - changesSeen)
                + " changes left of the batch's "
                + changeCount);
      }
      if (t > 0) {
        long gap = in.readUnsigned(Long.MAX_VALUE - 1, "seq gap");
        if (seq > Long.MAX_VALUE - 1 - gap) {
          throw in.malformed("seq overflows after " + seq);
        }
        seq += gap + 1;
      }
      wall += in.readSigned();
      int logical =
          (header & TransactionHeader.LOGICAL_PRESENT) != 0
              ? (int) in.readUnsigned(Integer.MAX_VALUE, "HLC logical counter")
              : 0;
      if (contextForm == TransactionHeader.CONTEXT_FULL) {
        CompactReader vv = new CompactReader(in.array(), in.arrayPosition(), in.remaining());
        context = VersionVector.readFrom(vv);
        in.skipTo(vv.position());
      } else if (context == null) {
        throw in.malformed(
            "the first transaction's causal context form must be 1 (full), got " + contextForm);
      } else if (contextForm != TransactionHeader.CONTEXT_SAME) {
        context = readContextDelta(in, replicas, counters, contextForm);
      }
      if (contextForm != TransactionHeader.CONTEXT_SAME) {
        Map<ReplicaId, Long> entries = context.entries();
        replicas = entries.keySet().toArray(new ReplicaId[0]);
        counters = new long[replicas.length];
        for (int i = 0; i < replicas.length; i++) {
          counters[i] = entries.get(replicas[i]);
        }
      }
      List<RowChange> changes = new ArrayList<>((int) count);
      for (int c = 0; c < count; c++) {
        int s =
            sections.size() == 1
                ? 0
                : (int) in.readUnsigned(sections.size() - 1L, "table section index");
        changes.add(sections.get(s).next(in));
      }
      changesSeen += (int) count;
      if (wall < 0) {
        throw in.malformed("negative commit wall time " + wall);
      }
      VersionVector horizon = context;
      if (horizons != null
          && horizons.readUnsigned("horizon form of transaction " + seq, 0, 1) == 1) {
        horizon = VersionVector.readFrom(horizons);
      }
      transactions.add(
          new SourceTransaction(
              origin, seq, new HybridTimestamp(wall, logical, origin), context, horizon, changes));
    }
    in.expectEnd();
    if (horizons != null) {
      horizons.expectEnd("horizons");
    }
    if (changesSeen != changeCount) {
      throw malformed(
          "transactions hold " + changesSeen + " changes, the header says " + changeCount);
    }
    for (Section s : sections) {
      if (s.cursor != s.rows.length) {
        throw malformed(
            s.schema.id()
                + " section has "
                + s.rows.length
                + " rows but "
                + s.cursor
                + " are used by transactions");
      }
    }
    if (seq != envelope.getLastSeq()) {
      throw malformed("last seq is " + seq + ", the header says " + envelope.getLastSeq());
    }
    Fragment fragment = envelope.getFragment();
    return new WireBatch(
        transactions,
        fragment == null ? null : new WireBatch.Fragment(fragment.getIndex(), fragment.getLast()));
  }

  private MalformedBatchException malformed(String problem) {
    return new MalformedBatchException(where + ": " + problem);
  }

  private static final class Section {
    final TableSchema schema;
    final RowChange[] rows;
    int cursor;

    Section(TableSchema schema, RowChange[] rows) {
      this.schema = schema;
      this.rows = rows;
    }

    RowChange next(VectorReader in) {
      if (cursor >= rows.length) {
        throw in.malformed(
            "more changes refer to table " + schema.id() + " than its " + rows.length + " rows");
      }
      return rows[cursor++];
    }
  }

  /**
   * Reads a causal context written as differences to the previous one's entries, then (form 3) the
   * replicas the previous one lacks.
   */
  private static VersionVector readContextDelta(
      VectorReader in, ReplicaId[] replicas, long[] counters, int form) {
    Map<ReplicaId, Long> entries = new TreeMap<>();
    for (int i = 0; i < replicas.length; i++) {
      long difference = in.readSigned();
      long counter = counters[i] + difference;
      if (((counters[i] ^ counter) & (difference ^ counter)) < 0 || counter < 0) {
        throw in.malformed(
            "causal context counter of "
                + replicas[i]
                + " leaves the range of counters: "
                + counters[i]
                + " plus "
                + difference);
      }
      entries.put(replicas[i], counter);
    }
    if (form == TransactionHeader.CONTEXT_DELTA_ADDING) {
      int added = in.readCount(3, "added causal context replicas");
      if (added == 0) {
        throw in.malformed("causal context form 3 adds no replica");
      }
      ReplicaId last = null;
      for (int i = 0; i < added; i++) {
        CompactReader id = new CompactReader(in.array(), in.arrayPosition(), in.remaining());
        ReplicaId replica = ReplicaId.readFrom(id);
        in.skipTo(id.position());
        if (last != null && last.compareTo(replica) >= 0) {
          throw in.malformed("added causal context replicas out of order at " + replica);
        }
        if (entries.containsKey(replica)) {
          throw in.malformed(
              "causal context adds replica " + replica + ", which the previous context has");
        }
        last = replica;
        entries.put(replica, in.readUnsigned(Long.MAX_VALUE, "causal context counter"));
        if (entries.get(replica) == 0) {
          throw in.malformed("added causal context replica " + replica + " with counter 0");
        }
      }
    }
    return VersionVector.of(entries);
  }

  private List<Section> decodeSections(List<TableSection> tables, int changeCount) {
    long cells = 0;
    long rowsTotal = 0;
    for (TableSection t : tables) {
      if (t.getRowCount() < 0) {
        throw malformed("negative row count in table section " + t.getTableName());
      }
      rowsTotal += t.getRowCount();
      cells += (long) t.getRowCount() * t.getColumns().size();
    }
    if (rowsTotal != changeCount) {
      throw malformed(
          "table sections hold "
              + rowsTotal
              + " rows, the header says "
              + changeCount
              + " changes");
    }
    if (cells > limits.maxCells()) {
      throw new OversizeFieldException(
          "batch cell count (rows times columns)",
          cells,
          limits.maxCells(),
          "raise the maximum cell count or have the origin write smaller" + " batches");
    }
    List<Section> sections = new ArrayList<>(tables.size());
    for (TableSection t : tables) {
      sections.add(decodeSection(t));
    }
    return sections;
  }

  private Section decodeSection(TableSection t) {
    TableId id = TableId.of(t.getSchemaName(), t.getTableName());
    where = batchWhere + " table " + id;
    if (t.getColumns().size() > TableSchema.MAX_COLUMNS) {
      throw malformed(t.getColumns().size() + " columns, more than " + TableSchema.MAX_COLUMNS);
    }
    List<ColumnSchema> columns = new ArrayList<>(t.getColumns().size());
    for (ColumnDefinition c : t.getColumns()) {
      columns.add(
          new ColumnSchema(
              c.getName(), ColumnType.of(c.getType()), c.getNullable(), c.getKeyPosition()));
    }
    TableSchema schema = TableSchema.of(id, columns);
    int rowCount = t.getRowCount();

    int keyCount = schema.keyColumns().size();
    int columnCount = schema.columnCount();
    RowShapes.Decoded shapes =
        RowShapes.read(
            new VectorReader(t.getShapes(), where + " shapes"), rowCount, keyCount, columnCount);

    if (t.getKeys().size() != keyCount) {
      throw malformed(t.getKeys().size() + " key vectors for " + keyCount + " key columns");
    }
    if (t.getValues().size() != columnCount) {
      throw malformed(t.getValues().size() + " value vectors for " + columnCount + " columns");
    }
    VectorReader[] keyData = new VectorReader[keyCount];
    ColumnType[] keyTypes = new ColumnType[keyCount];
    for (int k = 0; k < keyCount; k++) {
      ColumnSchema c = schema.keyColumns().get(k);
      keyTypes[k] = c.type();
      keyData[k] =
          new VectorReader(t.getKeys().get(k), where + " key column '" + c.name() + "' data");
    }
    VectorReader[] valueData = new VectorReader[columnCount];
    ColumnType[] types = new ColumnType[columnCount];
    for (int c = 0; c < columnCount; c++) {
      types[c] = schema.column(c).type();
      valueData[c] =
          new VectorReader(
              t.getValues().get(c), where + " column '" + schema.column(c).name() + "' data");
    }

    RowChange[] rows = new RowChange[rowCount];
    Value[] scratch = new Value[columnCount];
    Value[] key = new Value[keyCount];
    int offset = RowShapes.cellsOffset(keyCount);
    for (int r = 0; r < rowCount; r++) {
      byte[] shape = shapes.shapes[shapes.rowShapes[r]];
      int kind = shape[0];
      if (kind == 2) {
        readKey(shape, keyTypes, keyData, key);
        rows[r] = new RowChange.Delete(schema, RowKey.of(key));
        continue;
      }
      for (int c = 0; c < columnCount; c++) {
        scratch[c] = readCell(shape[offset + c], types[c], valueData[c]);
      }
      if (kind == 0) {
        rows[r] = RowChange.Insert.of(schema, scratch);
      } else {
        readKey(shape, keyTypes, keyData, key);
        rows[r] = RowChange.Update.of(schema, RowKey.of(key), scratch);
      }
    }
    for (VectorReader k : keyData) {
      k.expectEnd();
    }
    for (VectorReader v : valueData) {
      v.expectEnd();
    }
    return new Section(schema, rows);
  }

  private static void readKey(byte[] shape, ColumnType[] types, VectorReader[] data, Value[] key) {
    for (int k = 0; k < key.length; k++) {
      key[k] =
          shape[1 + k] == CellState.VALUE ? CellCodec.readDatum(types[k], data[k]) : Value.NULL;
    }
  }

  private static Value readCell(int state, ColumnType type, VectorReader data) {
    return switch (state) {
      case CellState.ABSENT -> null;
      case CellState.VALUE -> CellCodec.readDatum(type, data);
      case CellState.NULL -> Value.NULL;
      case CellState.UNCHANGED -> Value.UNCHANGED;
      case CellState.COUNTER_DELTA -> new Value.CounterDelta(CellCodec.readDecimal(data));
      default -> readSetDelta(type, data);
    };
  }

  private static Value readSetDelta(ColumnType type, VectorReader data) {
    if (!(type instanceof ArrayType a)) {
      throw data.malformed("a set delta on a column of type " + type.typeName());
    }
    ScalarType element = a.elementType();
    List<Value> added = CellCodec.readElements(element, data);
    return new Value.SetDelta(added, CellCodec.readElements(element, data));
  }
}
