package io.georep.replicator.internal;

import io.georep.connector.RowChange;
import io.georep.connector.SourceTransaction;
import io.georep.connector.Value;
import java.util.Map;

/**
 * A rough estimate of the heap a {@link SourceTransaction} occupies, for byte-based backpressure:
 * object headers plus the size of every value (text as one byte per character, as compact strings
 * store Latin-1 text). Deliberately cheap: it walks the values once without encoding them.
 */
public final class TransactionSize {
  private TransactionSize() {}

  /**
   * Estimates a transaction's heap size.
   *
   * @param tx the transaction
   * @return the estimate in bytes; at least 1
   */
  public static long estimate(SourceTransaction tx) {
    long size = 200;
    for (RowChange c : tx.changes()) {
      size += estimate(c);
    }
    return size;
  }

  /**
   * Estimates one row change's heap size.
   *
   * @param c the change
   * @return the estimate in bytes
   */
  public static long estimate(RowChange c) {
    long size = 64 + values(c.key().values());
    if (c instanceof RowChange.Insert i) {
      size += values(i.values());
    } else if (c instanceof RowChange.Update u) {
      size += values(u.changed());
    }
    return size;
  }

  /**
   * Returns a transaction's weight in KiB permits (at least 1).
   *
   * @param tx the transaction
   * @return the weight
   */
  public static int kib(SourceTransaction tx) {
    return (int) Math.min(Integer.MAX_VALUE, Math.max(1, estimate(tx) >> 10));
  }

  private static long values(Map<String, Value> values) {
    long size = 0;
    for (Map.Entry<String, Value> e : values.entrySet()) {
      size += 48 + value(e.getValue());
    }
    return size;
  }

  private static long values(Iterable<Value> values) {
    long size = 0;
    for (Value v : values) {
      size += 16 + value(v);
    }
    return size;
  }

  private static long value(Value v) {
    if (v instanceof Value.Text t) {
      return 40L + t.value().length();
    }
    if (v instanceof Value.Jsonb j) {
      return 40L + j.json().length();
    }
    if (v instanceof Value.Bytes b) {
      return 32L + b.length();
    }
    if (v instanceof Value.Array a) {
      return 32 + values(a.elements());
    }
    if (v instanceof Value.SetDelta d) {
      return 32 + values(d.added()) + values(d.removed());
    }
    return 32;
  }
}
