package io.georep.resolver;

import io.georep.connector.RowChange;
import io.georep.connector.Value;
import io.georep.resolver.internal.ValueCodec;
import io.georep.resolver.internal.ValueElements;
import io.georep.resolver.internal.ValueOrder;
import io.georep.resolver.spi.Version;
import io.georep.vectorclock.Dot;
import io.georep.vectorclock.HybridTimestamp;
import io.georep.vectorclock.VersionVector;
import io.georep.vectorclock.encoding.CompactReader;
import io.georep.vectorclock.encoding.CompactWriter;
import io.georep.vectorclock.encoding.MalformedEncodingException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * The replication metadata of one row: everything {@link RowMerge} needs to merge the next write
 * convergently. The applier stores it as bytes ({@link #toBytes()}) in {@code georep.row_meta},
 * keyed by table and row key, and passes it back to the next merge.
 *
 * <p>Contents: the row's <em>history</em> (a version vector covering every merged write and its
 * causal past, so stale and duplicate writes are recognised); the <em>existence frontier</em> (the
 * non-dominated inserts, updates and deletes, each a dot, a hybrid timestamp and a kind); and one
 * state per non-key column that has been written (a multi-value register frontier, a counter sum, a
 * max/min value, a set, or one of the {@code crdt} module's types: a g-counter's counts and a
 * 2p-set in their own encodings). Key values are not stored: the key identifies the state.
 *
 * <p>The encoding is deterministic and canonical: equal states give equal bytes, {@link #fromBytes}
 * accepts only bytes {@link #toBytes} produces, and malformed input yields {@link
 * MalformedEncodingException} and nothing else. Each (dot, timestamp, kind) is stored once in a
 * version table that the frontiers refer to by index, so a row whose columns were last written by
 * the same transaction pays for its dot once. Column states are keyed by column index in the
 * table's schema: a schema change that reorders or drops columns needs the metadata re-keyed.
 *
 * <p>Immutable and thread-safe.
 */
public final class RowState {
  private static final int TAG = 'R';
  private static final int FORMAT = 1;
  private static final int REGISTER = 'r';
  private static final int COUNTER = 'c';
  private static final int MAX = 'x';
  private static final int MIN = 'm';
  private static final int OR_SET = 'o';
  private static final int G_SET = 'g';
  private static final int G_COUNTER = 'k';
  private static final int TWO_PHASE_SET = 't';

  private final VersionVector history;
  private final List<Stamp> existence;
  private final SortedMap<Integer, ColumnState> columns;

  RowState(VersionVector history, List<Stamp> existence, SortedMap<Integer, ColumnState> columns) {
    this.history = Objects.requireNonNull(history, "history");
    this.existence = List.copyOf(existence);
    this.columns = Collections.unmodifiableSortedMap(new TreeMap<>(columns));
    if (this.existence.isEmpty()) {
      throw new IllegalArgumentException("a row state has at least one existence claim");
    }
  }

  /**
   * Returns the row's history: the join of every merged write's dot and causal context.
   *
   * @return the version vector; never null
   */
  public VersionVector history() {
    return history;
  }

  /**
   * Tells whether the write with this dot has been merged (or was in the causal past of one that
   * was): merging it again would change nothing.
   *
   * @param dot the write's dot; never null
   * @return true if the history covers the dot
   */
  public boolean covers(Dot dot) {
    return history.covers(dot);
  }

  /**
   * Returns the dots of the concurrent writes that currently decide the row's existence, in dot
   * order: usually one, more while concurrent writes are unresolved by later ones.
   *
   * @return the dots; never empty
   */
  public List<Dot> frontier() {
    return existence.stream().map(Stamp::dot).toList();
  }

  /**
   * Returns the delete with the greatest hybrid timestamp among the writes that decide the row's
   * existence, as a version without values: the delete a child row of this row yields to when it
   * was written concurrently ({@link RowMerge#orphan}).
   *
   * @return the delete, or empty if the frontier holds no delete
   */
  public Optional<Version> latestDelete() {
    Stamp latest = null;
    for (Stamp s : existence) {
      if (s.isTombstone() && (latest == null || s.timestamp().compareTo(latest.timestamp()) > 0)) {
        latest = s;
      }
    }
    return latest == null
        ? Optional.empty()
        : Optional.of(new Version(latest.dot(), latest.timestamp(), latest.kind(), Map.of()));
  }

  List<Stamp> existence() {
    return existence;
  }

  SortedMap<Integer, ColumnState> columns() {
    return columns;
  }

  /**
   * Encodes the state: a type tag and format version, the history, the version table, the existence
   * frontier, then each written column's state in column order.
   *
   * @return the encoding; equal states give equal bytes
   */
  public byte[] toBytes() {
    TreeSet<Stamp> table = new TreeSet<>(existence);
    for (ColumnState c : columns.values()) {
      if (c instanceof ColumnState.Register r) {
        for (ColumnState.Entry e : r.entries()) {
          table.add(e.stamp());
        }
      }
    }
    List<Stamp> versions = new ArrayList<>(table);
    Map<Dot, Integer> index = new HashMap<>();
    for (int i = 0; i < versions.size(); i++) {
      index.put(versions.get(i).dot(), i);
    }
    CompactWriter out = new CompactWriter(64);
    out.writeByte(TAG).writeByte(FORMAT);
    history.writeTo(out);
    out.writeUnsigned(versions.size());
    for (Stamp s : versions) {
      s.dot().writeTo(out);
      out.writeUnsigned(s.timestamp().wallTimeMillis());
      out.writeUnsigned(s.timestamp().logical());
      out.writeByte(kindCode(s.kind()));
    }
    out.writeUnsigned(existence.size());
    for (Stamp s : existence) {
      out.writeUnsigned(index.get(s.dot()));
    }
    out.writeUnsigned(columns.size());
    for (Map.Entry<Integer, ColumnState> e : columns.entrySet()) {
      out.writeUnsigned(e.getKey());
      writeColumn(e.getValue(), index, out);
    }
    return out.toByteArray();
  }

  private static void writeColumn(ColumnState state, Map<Dot, Integer> index, CompactWriter out) {
    if (state instanceof ColumnState.Register r) {
      out.writeByte(REGISTER).writeUnsigned(r.entries().size());
      for (ColumnState.Entry e : r.entries()) {
        out.writeUnsigned(index.get(e.stamp().dot()));
        ValueCodec.write(e.value(), out);
      }
    } else if (state instanceof ColumnState.Counter c) {
      out.writeByte(COUNTER);
      if (c.sum() == null) {
        out.writeByte(0);
      } else {
        out.writeByte(1);
        ValueCodec.writeDecimal(c.sum(), out);
      }
    } else if (state instanceof ColumnState.Extremum x) {
      out.writeByte(x.max() ? MAX : MIN);
      ValueCodec.write(x.value(), out);
    } else if (state instanceof ColumnState.OrSet s) {
      out.writeByte(OR_SET).writeUnsigned(s.elements().size());
      for (ColumnState.Element e : s.elements()) {
        ValueCodec.write(e.value(), out);
        out.writeUnsigned(e.dots().size());
        for (Dot d : e.dots()) {
          d.writeTo(out);
        }
      }
    } else if (state instanceof ColumnState.GSet g) {
      out.writeByte(G_SET).writeUnsigned(g.elements().size());
      for (Value v : g.elements()) {
        ValueCodec.write(v, out);
      }
    } else if (state instanceof ColumnState.GCounter c) {
      out.writeByte(G_COUNTER);
      c.counts().writeTo(out);
    } else if (state instanceof ColumnState.TwoPhaseSet t) {
      out.writeByte(TWO_PHASE_SET);
      t.set().writeTo(out);
    }
  }

  /**
   * Decodes a state encoded by {@link #toBytes()}.
   *
   * @param bytes the encoding; never null
   * @return the state
   * @throws MalformedEncodingException if the bytes are not exactly one canonical row state
   */
  public static RowState fromBytes(byte[] bytes) {
    CompactReader in = new CompactReader(bytes);
    if (in.readByte("row state tag") != TAG) {
      throw new MalformedEncodingException("not a row state: wrong type tag", 0);
    }
    int format = in.readByte("row state format");
    if (format != FORMAT) {
      throw new MalformedEncodingException(
          "unsupported row state format " + format + "; this version reads format " + FORMAT, 1);
    }
    VersionVector history = VersionVector.readFrom(in);
    int count = in.readCount("row versions", 5);
    List<Stamp> versions = new ArrayList<>(count);
    for (int i = 0; i < count; i++) {
      int at = in.position();
      Dot dot = Dot.readFrom(in);
      long wall = in.readUnsigned("version wall time");
      int logical = (int) in.readUnsigned("version logical counter", 0, Integer.MAX_VALUE);
      RowChange.Kind kind = kindOf(in.readByte("version kind"), in.position() - 1);
      Stamp stamp = new Stamp(dot, new HybridTimestamp(wall, logical, dot.origin()), kind);
      if (i > 0 && versions.get(i - 1).compareTo(stamp) >= 0) {
        throw new MalformedEncodingException("row versions out of order or repeated", at);
      }
      if (!history.covers(dot)) {
        throw new MalformedEncodingException("row version " + dot + " beyond the history", at);
      }
      versions.add(stamp);
    }
    boolean[] used = new boolean[count];
    int claims = in.readCount("existence claims", 1);
    if (claims == 0) {
      throw new MalformedEncodingException("row state without existence claims", in.position());
    }
    List<Stamp> existence = new ArrayList<>(claims);
    int previous = -1;
    for (int i = 0; i < claims; i++) {
      int at = in.position();
      int v = versionIndex(in, count, at);
      if (v <= previous) {
        throw new MalformedEncodingException("existence claims out of order or repeated", at);
      }
      previous = v;
      used[v] = true;
      existence.add(versions.get(v));
    }
    int columnCount = in.readCount("column states", 2);
    TreeMap<Integer, ColumnState> columns = new TreeMap<>();
    long previousColumn = -1;
    for (int i = 0; i < columnCount; i++) {
      int at = in.position();
      long column = in.readUnsigned("column index", 0, Integer.MAX_VALUE);
      if (column <= previousColumn) {
        throw new MalformedEncodingException("column states out of order or repeated", at);
      }
      previousColumn = column;
      columns.put((int) column, readColumn(in, history, versions, used));
    }
    for (int i = 0; i < count; i++) {
      if (!used[i]) {
        throw new MalformedEncodingException("row version " + versions.get(i).dot() + " unused", 0);
      }
    }
    in.expectEnd("row state");
    return new RowState(history, existence, columns);
  }

  private static ColumnState readColumn(
      CompactReader in, VersionVector history, List<Stamp> versions, boolean[] used) {
    int at = in.position();
    int kind = in.readByte("column state kind");
    switch (kind) {
      case REGISTER -> {
        int n = in.readCount("register entries", 2);
        if (n == 0) {
          throw new MalformedEncodingException("empty register", at);
        }
        List<ColumnState.Entry> entries = new ArrayList<>(n);
        int previous = -1;
        for (int i = 0; i < n; i++) {
          int entryAt = in.position();
          int v = versionIndex(in, versions.size(), entryAt);
          if (v <= previous) {
            throw new MalformedEncodingException("register entries out of order", entryAt);
          }
          previous = v;
          Stamp stamp = versions.get(v);
          if (stamp.isTombstone()) {
            throw new MalformedEncodingException("register value written by a delete", entryAt);
          }
          used[v] = true;
          entries.add(new ColumnState.Entry(stamp, datum(in)));
        }
        return new ColumnState.Register(entries);
      }
      case COUNTER -> {
        int present = in.readByte("counter presence");
        if (present > 1) {
          throw new MalformedEncodingException("counter presence must be 0 or 1", at + 1);
        }
        return new ColumnState.Counter(present == 1 ? ValueCodec.readDecimal(in) : null);
      }
      case MAX, MIN -> {
        return new ColumnState.Extremum(kind == MAX, datum(in));
      }
      case OR_SET -> {
        int n = in.readCount("set elements", 3);
        List<ColumnState.Element> elements = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
          int elementAt = in.position();
          Value value = datum(in);
          if (i > 0 && ValueOrder.INSTANCE.compare(elements.get(i - 1).value(), value) >= 0) {
            throw new MalformedEncodingException("set elements out of order", elementAt);
          }
          int d = in.readCount("element dots", 2);
          if (d == 0) {
            throw new MalformedEncodingException("set element without dots", elementAt);
          }
          List<Dot> dots = new ArrayList<>(d);
          for (int j = 0; j < d; j++) {
            Dot dot = Dot.readFrom(in);
            if (j > 0 && dots.get(j - 1).compareTo(dot) >= 0) {
              throw new MalformedEncodingException("element dots out of order", elementAt);
            }
            if (!history.covers(dot)) {
              throw new MalformedEncodingException("element dot beyond the history", elementAt);
            }
            dots.add(dot);
          }
          elements.add(new ColumnState.Element(value, dots));
        }
        return new ColumnState.OrSet(elements);
      }
      case G_SET -> {
        int n = in.readCount("set elements", 1);
        List<Value> elements = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
          int elementAt = in.position();
          Value value = datum(in);
          if (i > 0 && ValueOrder.INSTANCE.compare(elements.get(i - 1), value) >= 0) {
            throw new MalformedEncodingException("set elements out of order", elementAt);
          }
          elements.add(value);
        }
        return new ColumnState.GSet(
            io.georep.crdt.GSet.empty(ValueElements.INSTANCE).addAll(elements).state());
      }
      case G_COUNTER -> {
        return new ColumnState.GCounter(io.georep.crdt.GCounter.readFrom(in));
      }
      case TWO_PHASE_SET -> {
        return new ColumnState.TwoPhaseSet(
            io.georep.crdt.TwoPhaseSet.readFrom(in, ValueElements.INSTANCE));
      }
      default -> throw new MalformedEncodingException("unknown column state kind " + kind, at);
    }
  }

  private static Value datum(CompactReader in) {
    return ValueCodec.read(in);
  }

  private static int versionIndex(CompactReader in, int count, int at) {
    long v = in.readUnsigned("row version index");
    if (v >= count) {
      throw new MalformedEncodingException("row version index " + v + " out of range", at);
    }
    return (int) v;
  }

  private static int kindCode(RowChange.Kind kind) {
    return switch (kind) {
      case INSERT -> 'I';
      case UPDATE -> 'U';
      case DELETE -> 'D';
    };
  }

  private static RowChange.Kind kindOf(int code, int at) {
    return switch (code) {
      case 'I' -> RowChange.Kind.INSERT;
      case 'U' -> RowChange.Kind.UPDATE;
      case 'D' -> RowChange.Kind.DELETE;
      default -> throw new MalformedEncodingException("unknown version kind " + code, at);
    };
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof RowState s
        && history.equals(s.history)
        && existence.equals(s.existence)
        && columns.equals(s.columns);
  }

  @Override
  public int hashCode() {
    return Objects.hash(history, existence, columns);
  }

  /** Returns the history, the existence frontier and the written column indexes, never values. */
  @Override
  public String toString() {
    return "row state after "
        + history
        + ", frontier "
        + existence.stream().map(s -> s.kind() + " " + s.dot()).toList()
        + ", columns "
        + columns.keySet();
  }
}
