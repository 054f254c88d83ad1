package io.georep.replicator.codec.internal;

import io.georep.connector.ColumnSchema;
import io.georep.connector.ColumnType;
import io.georep.connector.RowChange;
import io.georep.connector.SourceTransaction;
import io.georep.connector.TableSchema;
import io.georep.connector.Value;
import io.georep.replicator.codec.OversizeFieldException;
import io.georep.replicator.codec.WireBatch;
import io.georep.replicator.codec.WireLimits;
import io.georep.replicator.codec.internal.avro.ColumnDefinition;
import io.georep.replicator.codec.internal.avro.Envelope;
import io.georep.replicator.codec.internal.avro.Fragment;
import io.georep.replicator.codec.internal.avro.TableSection;
import io.georep.vectorclock.ReplicaId;
import io.georep.vectorclock.VersionVector;
import io.georep.vectorclock.encoding.CompactWriter;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Lays a batch out as an {@link Envelope}: transaction headers in one byte vector, and per table
 * schema one section whose rows are stored column by column (docs/wire-format.md).
 *
 * <p>Each row of a section has a <em>shape</em>: its change kind and the state of each of its cells
 * (absent, value, NULL, unchanged, counter delta, set delta). A section lists its distinct shapes
 * once, in order of first use, and gives each row the index of its shape, bit-packed; the column
 * vectors then hold only the data of the cells that carry data. A batch of single-column updates
 * thus costs a few bits per row for its cell states, and a batch of full inserts nothing.
 *
 * <p>One instance encodes one batch; not thread-safe.
 */
public final class EnvelopeEncoder {
  private final WireLimits limits;
  private final VectorWriter scratch = new VectorWriter(256);
  private final VectorWriter data = new VectorWriter(4096);

  /**
   * Creates an encoder.
   *
   * @param limits the limits the batch must respect; never null
   */
  public EnvelopeEncoder(WireLimits limits) {
    this.limits = limits;
  }

  private static final class Section {
    final TableSchema schema;
    final int index;
    final List<RowChange> rows = new ArrayList<>();

    Section(TableSchema schema, int index) {
      this.schema = schema;
      this.index = index;
    }
  }

  /**
   * Builds the envelope of a batch.
   *
   * @param batch the batch; never null
   * @param writer the writer's name for the envelope's {@code writer} field; never null
   * @return the envelope
   * @throws OversizeFieldException if the batch has more cells than the limit allows
   */
  public Envelope encode(WireBatch batch, String writer) {
    Map<TableSchema, Section> sections = new HashMap<>();
    List<Section> ordered = new ArrayList<>();
    int changeCount = 0;
    for (SourceTransaction t : batch.transactions()) {
      for (RowChange change : t.changes()) {
        Section s = sections.get(change.table());
        if (s == null) {
          s = new Section(change.table(), ordered.size());
          sections.put(change.table(), s);
          ordered.add(s);
        }
        s.rows.add(change);
      }
      changeCount += t.changes().size();
    }
    long cells = 0;
    for (Section s : ordered) {
      cells += (long) s.rows.size() * s.schema.columnCount();
    }
    if (cells > limits.maxCells()) {
      throw new OversizeFieldException(
          "batch cell count (rows times columns)",
          cells,
          limits.maxCells(),
          "split the batch into smaller batches");
    }
    byte[] transactions = encodeTransactions(batch, ordered.size() > 1 ? sections : null);
    List<TableSection> tables = new ArrayList<>(ordered.size());
    for (Section s : ordered) {
      tables.add(encodeSection(s));
    }
    return new Envelope(
        batch.origin().name(),
        batch.firstSeq(),
        batch.lastSeq(),
        batch.transactions().size(),
        changeCount,
        ByteBuffer.wrap(transactions),
        tables,
        writer,
        batch.fragment() == null
            ? null
            : new Fragment(batch.fragment().index(), batch.fragment().last()),
        encodeHorizons(batch.transactions()));
  }

  /** The horizons field: null when every horizon equals its context (docs/wire-format.md). */
  private static ByteBuffer encodeHorizons(List<SourceTransaction> transactions) {
    boolean any = false;
    for (SourceTransaction t : transactions) {
      any |= !t.horizon().equals(t.causalContext());
    }
    if (!any) {
      return null;
    }
    CompactWriter out = new CompactWriter(transactions.size() * 8);
    for (SourceTransaction t : transactions) {
      if (t.horizon().equals(t.causalContext())) {
        out.writeUnsigned(0);
      } else {
        out.writeUnsigned(1);
        t.horizon().writeTo(out);
      }
    }
    return ByteBuffer.wrap(out.toByteArray());
  }

  /**
   * The transaction vector; {@code sections} is null when the batch has one section, and then no
   * section index is written.
   */
  private static byte[] encodeTransactions(WireBatch batch, Map<TableSchema, Section> sections) {
    CompactWriter tx = new CompactWriter(16 + batch.transactions().size() * 16);
    long previousSeq = 0;
    long previousWall = 0;
    VersionVector previousContext = null;
    ReplicaId[] previousReplicas = null;
    long[] previousCounters = null;
    for (SourceTransaction t : batch.transactions()) {
      VersionVector context = t.causalContext();
      int logical = t.commitTimestamp().logical();
      List<ReplicaId> added = List.of();
      int contextForm;
      if (previousContext == null) {
        contextForm = TransactionHeader.CONTEXT_FULL;
      } else if (context.equals(previousContext)) {
        contextForm = TransactionHeader.CONTEXT_SAME;
      } else {
        added = new ArrayList<>();
        for (ReplicaId replica : context.entries().keySet()) {
          if (previousContext.get(replica) == 0) {
            added.add(replica);
          }
        }
        contextForm =
            added.isEmpty()
                ? TransactionHeader.CONTEXT_DELTA
                : TransactionHeader.CONTEXT_DELTA_ADDING;
      }
      tx.writeUnsigned(
          (long) t.changes().size() << TransactionHeader.COUNT_SHIFT
              | (logical != 0 ? TransactionHeader.LOGICAL_PRESENT : 0)
              | contextForm);
      if (previousContext != null) {
        tx.writeUnsigned(t.seq() - previousSeq - 1);
      }
      previousSeq = t.seq();
      tx.writeSigned(t.commitTimestamp().wallTimeMillis() - previousWall);
      previousWall = t.commitTimestamp().wallTimeMillis();
      if (logical != 0) {
        tx.writeUnsigned(logical);
      }
      switch (contextForm) {
        case TransactionHeader.CONTEXT_FULL -> context.writeTo(tx);
        case TransactionHeader.CONTEXT_DELTA, TransactionHeader.CONTEXT_DELTA_ADDING -> {
          // Wrapping subtraction: the reader adds back with an overflow check.
          for (int i = 0; i < previousReplicas.length; i++) {
            tx.writeSigned(context.get(previousReplicas[i]) - previousCounters[i]);
          }
          if (!added.isEmpty()) {
            tx.writeUnsigned(added.size());
            for (ReplicaId replica : added) {
              replica.writeTo(tx);
              tx.writeUnsigned(context.get(replica));
            }
          }
        }
        default -> {
          // CONTEXT_SAME: nothing follows.
        }
      }
      if (contextForm != TransactionHeader.CONTEXT_SAME) {
        previousContext = context;
        Map<ReplicaId, Long> entries = context.entries();
        previousReplicas = entries.keySet().toArray(new ReplicaId[0]);
        previousCounters = new long[previousReplicas.length];
        for (int i = 0; i < previousReplicas.length; i++) {
          previousCounters[i] = entries.get(previousReplicas[i]);
        }
      }
      if (sections != null) {
        for (RowChange change : t.changes()) {
          tx.writeUnsigned(sections.get(change.table()).index);
        }
      }
    }
    return tx.toByteArray();
  }

  private TableSection encodeSection(Section section) {
    TableSchema schema = section.schema;
    List<RowChange> rows = section.rows;
    List<ColumnDefinition> columns = new ArrayList<>(schema.columnCount());
    for (ColumnSchema c : schema.columns()) {
      columns.add(
          new ColumnDefinition(c.name(), c.type().typeName(), c.nullable(), c.keyPosition()));
    }
    int keyCount = schema.keyColumns().size();
    int columnCount = schema.columnCount();

    // Shapes: the distinct (kind, key cell states, value cell states), in order of first use.
    byte[] shape = new byte[RowShapes.cellsOffset(keyCount) + columnCount];
    Map<RowShapes.Key, Integer> known = new HashMap<>();
    List<byte[]> shapes = new ArrayList<>();
    int[] rowShapes = new int[rows.size()];
    byte[] lastShape = null;
    int lastIndex = -1;
    for (int r = 0; r < rows.size(); r++) {
      RowChange row = rows.get(r);
      shape(row, keyCount, columnCount, shape);
      if (lastShape == null || !Arrays.equals(shape, lastShape)) {
        Integer index = known.get(new RowShapes.Key(shape));
        if (index == null) {
          byte[] copy = shape.clone();
          index = shapes.size();
          shapes.add(copy);
          known.put(new RowShapes.Key(copy), index);
        }
        lastIndex = index;
        lastShape = shapes.get(index);
      }
      rowShapes[r] = lastIndex;
    }
    scratch.reset();
    RowShapes.write(shapes, keyCount, rowShapes, scratch);
    ByteBuffer shapeBytes = scratch.toByteBuffer();

    // Key data over the update and delete rows.
    List<ByteBuffer> keys = new ArrayList<>(keyCount);
    for (int k = 0; k < keyCount; k++) {
      ColumnType type = schema.keyColumns().get(k).type();
      data.reset();
      for (RowChange row : rows) {
        if (row.kind() == RowChange.Kind.INSERT) {
          continue;
        }
        Value v = row.key().get(k);
        if (!(v instanceof Value.Null)) {
          CellCodec.writeDatum(type, v, data);
        }
      }
      keys.add(data.toByteBuffer());
    }

    // Value data over all rows, one vector per column.
    List<ByteBuffer> values = new ArrayList<>(columnCount);
    for (int c = 0; c < columnCount; c++) {
      ColumnType type = schema.column(c).type();
      data.reset();
      for (RowChange row : rows) {
        Value v = valueAt(row, c);
        if (v == null || v instanceof Value.Null || v instanceof Value.Unchanged) {
          continue;
        }
        if (v.isDatum()) {
          CellCodec.writeDatum(type, v, data);
        } else if (v instanceof Value.CounterDelta d) {
          CellCodec.writeDecimal(d.delta(), data);
        } else {
          Value.SetDelta d = (Value.SetDelta) v;
          io.georep.connector.ScalarType element =
              ((io.georep.connector.ArrayType) type).elementType();
          CellCodec.writeElements(element, d.added(), data);
          CellCodec.writeElements(element, d.removed(), data);
        }
      }
      values.add(data.toByteBuffer());
    }
    return new TableSection(
        schema.id().schema(), schema.id().name(), columns, rows.size(), shapeBytes, keys, values);
  }

  /** Fills {@code shape} with the row's kind and cell states (key states are 0 for an insert). */
  private static void shape(RowChange row, int keyCount, int columnCount, byte[] shape) {
    int kind = kindCode(row.kind());
    shape[0] = (byte) kind;
    for (int k = 0; k < keyCount; k++) {
      shape[1 + k] =
          kind == 0
              ? (byte) CellState.ABSENT
              : (byte) (row.key().get(k) instanceof Value.Null ? CellState.NULL : CellState.VALUE);
    }
    int offset = RowShapes.cellsOffset(keyCount);
    for (int c = 0; c < columnCount; c++) {
      shape[offset + c] = (byte) stateOf(valueAt(row, c));
    }
  }

  /** The cell a row carries for a column: null when absent. */
  private static Value valueAt(RowChange row, int column) {
    if (row instanceof RowChange.Insert insert) {
      return insert.valueAt(column);
    } else if (row instanceof RowChange.Update update) {
      return update.changedAt(column);
    }
    return null;
  }

  private static int stateOf(Value v) {
    if (v == null) {
      return CellState.ABSENT;
    } else if (v instanceof Value.Null) {
      return CellState.NULL;
    } else if (v.isDatum()) {
      return CellState.VALUE;
    } else if (v instanceof Value.Unchanged) {
      return CellState.UNCHANGED;
    } else if (v instanceof Value.CounterDelta) {
      return CellState.COUNTER_DELTA;
    }
    return CellState.SET_DELTA;
  }

  /** The wire code of a change kind: 0 insert, 1 update, 2 delete. */
  static int kindCode(RowChange.Kind kind) {
    return switch (kind) {
      case INSERT -> 0;
      case UPDATE -> 1;
      case DELETE -> 2;
    };
  }
}
