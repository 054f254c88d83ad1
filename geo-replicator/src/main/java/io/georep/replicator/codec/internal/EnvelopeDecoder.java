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
import io.georep.replicator.codec.internal.avro.ColumnVector;
import io.georep.replicator.codec.internal.avro.Envelope;
import io.georep.replicator.codec.internal.avro.TableSection;
import io.georep.vectorclock.HybridTimestamp;
import io.georep.vectorclock.ReplicaId;
import io.georep.vectorclock.VersionVector;
import io.georep.vectorclock.encoding.CompactReader;
import io.georep.vectorclock.encoding.MalformedEncodingException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

/**
 * Turns a decoded {@link Envelope} back into a batch, validating everything: counts against the
 * bytes that hold them, values against their columns, changes against the change model. Every
 * failure is a {@link MalformedBatchException} (or an {@link OversizeFieldException} for the cell
 * limit); allocations are bounded by the envelope's size and the cell limit.
 *
 * <p>One instance decodes one envelope; not thread-safe.
 */
public final class EnvelopeDecoder {
  private static final int KIND_BITS = 2;

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
   * @return the batch
   * @throws MalformedBatchException if the content is not a valid batch
   * @throws OversizeFieldException if the batch expands to more cells than the limit
   */
  public WireBatch decode(Envelope envelope) {
    try {
      return decodeChecked(envelope);
    } catch (IllegalArgumentException | NullPointerException | MalformedEncodingException e) {
      // The change model rejected what the bytes describe: report it as malformed content, with
      // the model's message naming the table and column.
      throw new MalformedBatchException(where + ": " + e.getMessage(), e);
    }
  }

  private WireBatch decodeChecked(Envelope envelope) {
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
    // Each transaction takes at least 4 bytes and each change at least 1: bound counts before
    // allocating for them.
    if (txCount < 1 || txCount > txBytes.remaining() / 4) {
      throw malformed(
          "transaction count " + txCount + " does not fit its " + txBytes.remaining() + " bytes");
    }
    if (changeCount < 0 || changeCount > txBytes.remaining()) {
      throw malformed("change count " + changeCount + " does not fit the transaction bytes");
    }
    List<Section> sections = decodeSections(envelope.getTables(), changeCount);

    where = batchWhere;
    VectorReader in = new VectorReader(txBytes, where + " transactions");
    List<SourceTransaction> transactions = new ArrayList<>(txCount);
    long seq = envelope.getFirstSeq();
    long wall = 0;
    VersionVector context = null;
    int changesSeen = 0;
    for (int t = 0; t < txCount; t++) {
      if (t > 0) {
        long gap = in.readUnsigned(Long.MAX_VALUE - 1, "seq gap");
        if (seq > Long.MAX_VALUE - 1 - gap) {
          throw in.malformed("seq overflows after " + seq);
        }
        seq += gap + 1;
      }
      wall += in.readSigned();
      int logical = (int) in.readUnsigned(Integer.MAX_VALUE, "HLC logical counter");
      int contextTag = in.readByte();
      if (contextTag == 1) {
        CompactReader vv = new CompactReader(in.array(), in.arrayPosition(), in.remaining());
        context = VersionVector.readFrom(vv);
        in.skipTo(vv.position());
      } else if (contextTag != 0 || context == null) {
        throw in.malformed(
            "causal context tag must be 1, or 0 after the first transaction; got " + contextTag);
      }
      int count = in.readCount(1, "change count");
      if (count > changeCount - changesSeen) {
        throw in.malformed("more changes than the batch's change count " + changeCount);
      }
      List<RowChange> changes = new ArrayList<>(count);
      for (int c = 0; c < count; c++) {
        int s = (int) in.readUnsigned(sections.size() - 1L, "table section index");
        changes.add(sections.get(s).next(in));
      }
      changesSeen += count;
      if (wall < 0) {
        throw in.malformed("negative commit wall time " + wall);
      }
      transactions.add(
          new SourceTransaction(
              origin, seq, new HybridTimestamp(wall, logical, origin), context, changes));
    }
    in.expectEnd();
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
    return new WireBatch(transactions);
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

    // Kinds.
    int[] kinds = new int[rowCount];
    VectorReader kr = new VectorReader(t.getKinds(), where + " kinds");
    int keyed = 0;
    for (int r = 0; r < rowCount; ) {
      long word = kr.readUnsigned();
      int kind = (int) (word & ((1 << KIND_BITS) - 1));
      long run = word >>> KIND_BITS;
      if (kind > 2 || run < 1 || run > rowCount - r) {
        throw kr.malformed("invalid kind run " + run + " of kind " + kind);
      }
      for (int i = 0; i < run; i++) {
        kinds[r++] = kind;
      }
      if (kind != 0) {
        keyed += (int) run;
      }
    }
    kr.expectEnd();

    // Keys of the update and delete rows.
    int keyCount = schema.keyColumns().size();
    if (t.getKeys().size() != keyCount) {
      throw malformed(t.getKeys().size() + " key vectors for " + keyCount + " key columns");
    }
    Value[][] keyCells = new Value[keyCount][];
    for (int k = 0; k < keyCount; k++) {
      ColumnSchema c = schema.keyColumns().get(k);
      keyCells[k] = decodeVector(t.getKeys().get(k), c, keyed, true);
    }

    // Values of every column.
    if (t.getValues().size() != schema.columnCount()) {
      throw malformed(
          t.getValues().size() + " value vectors for " + schema.columnCount() + " columns");
    }
    Value[][] cells = new Value[schema.columnCount()][];
    for (int c = 0; c < schema.columnCount(); c++) {
      cells[c] = decodeVector(t.getValues().get(c), schema.column(c), rowCount, false);
    }

    RowChange[] rows = new RowChange[rowCount];
    Value[] scratch = new Value[schema.columnCount()];
    Value[] key = new Value[keyCount];
    int keyRow = 0;
    for (int r = 0; r < rowCount; r++) {
      for (int c = 0; c < scratch.length; c++) {
        scratch[c] = cells[c] == null ? null : cells[c][r];
      }
      int kind = kinds[r];
      if (kind == 0) {
        rows[r] = RowChange.Insert.of(schema, scratch);
        continue;
      }
      for (int k = 0; k < keyCount; k++) {
        key[k] = keyCells[k][keyRow];
      }
      keyRow++;
      RowKey rowKey = RowKey.of(key);
      if (kind == 1) {
        rows[r] = RowChange.Update.of(schema, rowKey, scratch);
      } else {
        for (Value v : scratch) {
          if (v != null) {
            throw malformed("a delete carries a column value");
          }
        }
        rows[r] = new RowChange.Delete(schema, rowKey);
      }
    }
    return new Section(schema, rows);
  }

  /**
   * Decodes one column vector of {@code count} cells; returns null if every cell is absent. Key
   * vectors allow only VALUE and NULL states.
   */
  private Value[] decodeVector(ColumnVector vector, ColumnSchema column, int count, boolean key) {
    String context = where + (key ? " key column '" : " column '") + column.name() + "'";
    VectorReader states = new VectorReader(vector.getStates(), context + " states");
    VectorReader data = new VectorReader(vector.getData(), context + " data");
    if (states.atEnd() && !key) {
      data.expectEnd();
      return null;
    }
    ColumnType type = column.type();
    Value[] out = new Value[count];
    for (int r = 0; r < count; ) {
      long word = states.readUnsigned();
      int state = (int) (word & ((1 << CellState.BITS) - 1));
      long run = word >>> CellState.BITS;
      if (state >= CellState.COUNT || run < 1 || run > count - r) {
        throw states.malformed(
            "invalid state run "
                + run
                + " of state "
                + state
                + " with "
                + (count - r)
                + " cells left");
      }
      if (key && state != CellState.VALUE && state != CellState.NULL) {
        throw states.malformed("key cells are values or NULL, got state " + state);
      }
      for (int i = 0; i < run; i++) {
        out[r++] = readCell(state, type, data);
      }
    }
    states.expectEnd();
    data.expectEnd();
    return out;
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
