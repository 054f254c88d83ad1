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
import io.georep.replicator.codec.internal.avro.ColumnVector;
import io.georep.replicator.codec.internal.avro.Envelope;
import io.georep.replicator.codec.internal.avro.TableSection;
import io.georep.vectorclock.VersionVector;
import io.georep.vectorclock.encoding.CompactWriter;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Lays a batch out as an {@link Envelope}: transaction headers in one byte vector, and per table
 * schema one section whose rows are stored column by column (docs/wire-format.md).
 *
 * <p>One instance encodes one batch; not thread-safe.
 */
public final class EnvelopeEncoder {
  private static final int KIND_BITS = 2;

  private final WireLimits limits;
  private final VectorWriter states = new VectorWriter(256);
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
    CompactWriter tx = new CompactWriter(16 + batch.transactions().size() * 8);
    long previousSeq = 0;
    long previousWall = 0;
    VersionVector previousContext = null;
    int changeCount = 0;
    for (SourceTransaction t : batch.transactions()) {
      if (previousContext != null) {
        tx.writeUnsigned(t.seq() - previousSeq - 1);
      }
      previousSeq = t.seq();
      tx.writeSigned(t.commitTimestamp().wallTimeMillis() - previousWall);
      previousWall = t.commitTimestamp().wallTimeMillis();
      tx.writeUnsigned(t.commitTimestamp().logical());
      if (t.causalContext().equals(previousContext)) {
        tx.writeByte(0);
      } else {
        tx.writeByte(1);
        t.causalContext().writeTo(tx);
        previousContext = t.causalContext();
      }
      tx.writeUnsigned(t.changes().size());
      for (RowChange change : t.changes()) {
        Section s = sections.get(change.table());
        if (s == null) {
          s = new Section(change.table(), ordered.size());
          sections.put(change.table(), s);
          ordered.add(s);
        }
        s.rows.add(change);
        tx.writeUnsigned(s.index);
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
        java.nio.ByteBuffer.wrap(tx.toByteArray()),
        tables,
        writer);
  }

  private TableSection encodeSection(Section section) {
    TableSchema schema = section.schema;
    List<RowChange> rows = section.rows;
    List<ColumnDefinition> columns = new ArrayList<>(schema.columnCount());
    for (ColumnSchema c : schema.columns()) {
      columns.add(
          new ColumnDefinition(c.name(), c.type().typeName(), c.nullable(), c.keyPosition()));
    }
    // Kinds, run-length encoded.
    states.reset();
    int run = 0;
    int runKind = -1;
    for (RowChange row : rows) {
      int kind = kindCode(row.kind());
      if (kind != runKind && run > 0) {
        states.writeUnsigned((long) run << KIND_BITS | runKind);
        run = 0;
      }
      runKind = kind;
      run++;
    }
    if (run > 0) {
      states.writeUnsigned((long) run << KIND_BITS | runKind);
    }
    java.nio.ByteBuffer kinds = states.toByteBuffer();

    // Key vectors over the update and delete rows.
    List<ColumnVector> keys = new ArrayList<>(schema.keyColumns().size());
    for (int k = 0; k < schema.keyColumns().size(); k++) {
      ColumnType type = schema.keyColumns().get(k).type();
      states.reset();
      data.reset();
      CellRuns runs = new CellRuns(states);
      for (RowChange row : rows) {
        if (row.kind() == RowChange.Kind.INSERT) {
          continue;
        }
        Value v = row.key().get(k);
        if (v instanceof Value.Null) {
          runs.add(CellState.NULL);
        } else {
          runs.add(CellState.VALUE);
          CellCodec.writeDatum(type, v, data);
        }
      }
      runs.finish();
      keys.add(new ColumnVector(states.toByteBuffer(), data.toByteBuffer()));
    }

    // Value vectors over all rows, one per column.
    List<ColumnVector> values = new ArrayList<>(schema.columnCount());
    for (int c = 0; c < schema.columnCount(); c++) {
      ColumnType type = schema.column(c).type();
      states.reset();
      data.reset();
      CellRuns runs = new CellRuns(states);
      for (RowChange row : rows) {
        Value v;
        if (row instanceof RowChange.Insert insert) {
          v = insert.valueAt(c);
        } else if (row instanceof RowChange.Update update) {
          v = update.changedAt(c);
        } else {
          v = null;
        }
        if (v == null) {
          runs.add(CellState.ABSENT);
        } else if (v instanceof Value.Null) {
          runs.add(CellState.NULL);
        } else if (v.isDatum()) {
          runs.add(CellState.VALUE);
          CellCodec.writeDatum(type, v, data);
        } else if (v instanceof Value.Unchanged) {
          runs.add(CellState.UNCHANGED);
        } else if (v instanceof Value.CounterDelta d) {
          runs.add(CellState.COUNTER_DELTA);
          CellCodec.writeDecimal(d.delta(), data);
        } else {
          Value.SetDelta d = (Value.SetDelta) v;
          runs.add(CellState.SET_DELTA);
          io.georep.connector.ScalarType element =
              ((io.georep.connector.ArrayType) type).elementType();
          CellCodec.writeElements(element, d.added(), data);
          CellCodec.writeElements(element, d.removed(), data);
        }
      }
      if (runs.allAbsent()) {
        // An empty states vector means "absent in every row": unchanged columns cost nothing.
        states.reset();
      } else {
        runs.finish();
      }
      values.add(new ColumnVector(states.toByteBuffer(), data.toByteBuffer()));
    }
    return new TableSection(
        schema.id().schema(), schema.id().name(), columns, rows.size(), kinds, keys, values);
  }

  /** The wire code of a change kind: 0 insert, 1 update, 2 delete. */
  static int kindCode(RowChange.Kind kind) {
    return switch (kind) {
      case INSERT -> 0;
      case UPDATE -> 1;
      case DELETE -> 2;
    };
  }

  /** Run-length encodes cell states into a writer. */
  private static final class CellRuns {
    private final VectorWriter out;
    private int state = -1;
    private int run;
    private boolean onlyAbsent = true;

    CellRuns(VectorWriter out) {
      this.out = out;
    }

    void add(int next) {
      if (next != state && run > 0) {
        out.writeUnsigned((long) run << CellState.BITS | state);
        run = 0;
      }
      if (next != CellState.ABSENT) {
        onlyAbsent = false;
      }
      state = next;
      run++;
    }

    boolean allAbsent() {
      return onlyAbsent;
    }

    void finish() {
      if (run > 0) {
        out.writeUnsigned((long) run << CellState.BITS | state);
      }
    }
  }
}
