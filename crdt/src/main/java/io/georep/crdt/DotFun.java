package io.georep.crdt;

import io.georep.vectorclock.Dot;
import io.georep.vectorclock.encoding.CompactReader;
import io.georep.vectorclock.encoding.CompactWriter;
import io.georep.vectorclock.encoding.MalformedEncodingException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.List;
import java.util.function.BiConsumer;
import java.util.function.BinaryOperator;
import java.util.function.Function;

/**
 * A dot function: the dot store that maps each live dot to a value (Almeida et al. 2018, "DotFun"),
 * kept as two parallel arrays sorted by dot. The store of {@link MvRegister} and {@link
 * CausalCounter}.
 *
 * <p>Join with causal contexts, for stores {@code (s, c)} and {@code (s', c')}: a dot in both
 * stores stays (its values joined); a dot in one store stays only if the other context has not seen
 * it, for then the other replica simply has not received it yet, whereas a seen but absent dot was
 * removed. Immutable.
 */
final class DotFun<V> {
  private static final DotFun<?> EMPTY = new DotFun<>(CausalContext.NO_DOTS, new Object[0]);

  private final Dot[] dots;
  private final Object[] values;

  private DotFun(Dot[] dots, Object[] values) {
    this.dots = dots;
    this.values = values;
  }

  @SuppressWarnings("unchecked")
  static <V> DotFun<V> empty() {
    return (DotFun<V>) EMPTY;
  }

  static <V> DotFun<V> single(Dot dot, V value) {
    return new DotFun<>(new Dot[] {dot}, new Object[] {value});
  }

  int size() {
    return dots.length;
  }

  boolean isEmpty() {
    return dots.length == 0;
  }

  Dot dot(int i) {
    return dots[i];
  }

  @SuppressWarnings("unchecked")
  V value(int i) {
    return (V) values[i];
  }

  void collectDots(Collection<Dot> into) {
    into.addAll(Arrays.asList(dots));
  }

  /** Returns this store with the dot mapped to the value, keeping dot order. */
  DotFun<V> with(Dot dot, V value) {
    int i = Arrays.binarySearch(dots, dot);
    if (i >= 0) {
      Object[] vs = values.clone();
      vs[i] = value;
      return new DotFun<>(dots, vs);
    }
    int at = -i - 1;
    Dot[] ds = new Dot[dots.length + 1];
    Object[] vs = new Object[dots.length + 1];
    System.arraycopy(dots, 0, ds, 0, at);
    System.arraycopy(values, 0, vs, 0, at);
    ds[at] = dot;
    vs[at] = value;
    System.arraycopy(dots, at, ds, at + 1, dots.length - at);
    System.arraycopy(values, at, vs, at + 1, dots.length - at);
    return new DotFun<>(ds, vs);
  }

  /** Returns this store without the dots of the given collection. */
  DotFun<V> without(Collection<Dot> removed) {
    List<Dot> ds = new ArrayList<>();
    List<Object> vs = new ArrayList<>();
    for (int i = 0; i < dots.length; i++) {
      if (!removed.contains(dots[i])) {
        ds.add(dots[i]);
        vs.add(values[i]);
      }
    }
    return ds.isEmpty() ? empty() : new DotFun<>(ds.toArray(CausalContext.NO_DOTS), vs.toArray());
  }

  DotFun<V> join(
      DotFun<V> other, CausalContext context, CausalContext otherContext, BinaryOperator<V> both) {
    if (other.isEmpty() && isEmpty()) {
      return this;
    }
    Dot[] ds = new Dot[dots.length + other.dots.length];
    Object[] vs = new Object[ds.length];
    int n = 0;
    int i = 0;
    int j = 0;
    while (i < dots.length || j < other.dots.length) {
      int c;
      if (i == dots.length) {
        c = 1;
      } else if (j == other.dots.length) {
        c = -1;
      } else {
        c = dots[i].compareTo(other.dots[j]);
      }
      if (c == 0) {
        ds[n] = dots[i];
        vs[n++] = both.apply(value(i++), other.value(j++));
      } else if (c < 0) {
        if (!otherContext.covers(dots[i])) {
          ds[n] = dots[i];
          vs[n++] = values[i];
        }
        i++;
      } else {
        if (!context.covers(other.dots[j])) {
          ds[n] = other.dots[j];
          vs[n++] = other.values[j];
        }
        j++;
      }
    }
    return n == 0 ? empty() : new DotFun<>(Arrays.copyOf(ds, n), Arrays.copyOf(vs, n));
  }

  void writeTo(CompactWriter out, ReplicaTable table, BiConsumer<V, CompactWriter> valueWriter) {
    out.writeUnsigned(dots.length);
    for (int i = 0; i < dots.length; i++) {
      table.writeDot(dots[i], out);
      valueWriter.accept(value(i), out);
    }
  }

  static <V> DotFun<V> readFrom(
      CompactReader in,
      ReplicaTable table,
      CausalContext context,
      Function<CompactReader, V> valueReader,
      String what) {
    int count = in.readCount(what, 3);
    if (count == 0) {
      return empty();
    }
    Dot[] ds = new Dot[count];
    Object[] vs = new Object[count];
    for (int i = 0; i < count; i++) {
      int at = in.position();
      ds[i] = table.readDot(in);
      if (!context.covers(ds[i]) || (i > 0 && ds[i - 1].compareTo(ds[i]) >= 0)) {
        throw new MalformedEncodingException(
            what + " dot " + ds[i] + " is not covered by the context, out of order or duplicated",
            at);
      }
      vs[i] = valueReader.apply(in);
    }
    return new DotFun<>(ds, vs);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof DotFun<?> f
        && Arrays.equals(dots, f.dots)
        && Arrays.equals(values, f.values);
  }

  @Override
  public int hashCode() {
    return 31 * Arrays.hashCode(dots) + Arrays.hashCode(values);
  }

  @Override
  public String toString() {
    StringBuilder sb = new StringBuilder("{");
    for (int i = 0; i < dots.length; i++) {
      sb.append(i > 0 ? ", " : "").append(dots[i]).append('=').append(values[i]);
    }
    return sb.append('}').toString();
  }
}
