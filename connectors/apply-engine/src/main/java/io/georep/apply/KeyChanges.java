package io.georep.apply;

import io.georep.connector.ColumnSchema;
import io.georep.connector.RowChange;
import io.georep.connector.RowKey;
import io.georep.connector.SourceTransaction;
import io.georep.connector.TableId;
import io.georep.connector.Value;
import io.georep.resolver.VisibleRow;
import io.georep.resolver.Write;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Supplier;

/**
 * The key-changing updates of one transaction. Such an update arrives as a delete of the old key
 * and an insert of the new one ({@link Write#of}); the insert carries only the columns the update
 * changed, so the old row's values, as this region shows them when the delete is applied, complete
 * it.
 *
 * <p>Not thread-safe: one instance per transaction being applied.
 */
final class KeyChanges {
  /** A row's identity within one transaction's writes. */
  private record RowRef(TableId table, RowKey key) {}

  private static final KeyChanges NONE = new KeyChanges(Map.of());

  /** The old key of each key-changing update, by its new key. */
  private final Map<RowRef, RowRef> oldByNew;

  /** The old rows' values, by old key, as their deletes found them. */
  private final Map<RowRef, Map<String, Value>> sources = new HashMap<>();

  private KeyChanges(Map<RowRef, RowRef> oldByNew) {
    this.oldByNew = oldByNew;
  }

  /**
   * Returns the key-changing updates of a transaction.
   *
   * @param tx the transaction
   * @return its key changes; an empty instance if none
   */
  static KeyChanges of(SourceTransaction tx) {
    Map<RowRef, RowRef> map = new HashMap<>();
    for (RowChange change : tx.changes()) {
      if (change instanceof RowChange.Update u) {
        TableId table = u.table().id();
        u.newKey().ifPresent(k -> map.put(new RowRef(table, k), new RowRef(table, u.key())));
      }
    }
    return map.isEmpty() ? NONE : new KeyChanges(map);
  }

  /**
   * Sees a write about to be merged: remembers the old row of a key change when the write is its
   * delete, and completes the insert of the new key from it.
   *
   * @param write the write
   * @param visible the row the write's row shows before the write
   * @return the write to merge: {@code write}, or the completed insert
   */
  Write complete(Write write, Supplier<VisibleRow> visible) {
    if (oldByNew.isEmpty()) {
      return write;
    }
    RowRef self = new RowRef(write.table().id(), write.key());
    if (write.kind() == RowChange.Kind.DELETE && oldByNew.containsValue(self)) {
      VisibleRow before = visible.get();
      if (before.exists()) {
        sources.put(self, before.values());
      }
    }
    RowRef source = oldByNew.get(self);
    if (write.kind() != RowChange.Kind.INSERT || source == null) {
      return write;
    }
    Map<String, Value> old = sources.get(source);
    if (old == null) {
      return write;
    }
    Map<String, Value> completed = new LinkedHashMap<>();
    for (ColumnSchema c : write.table().columns()) {
      if (c.isKey()) {
        continue;
      }
      Value v = write.columns().get(c.name());
      if (v == null) {
        v = old.get(c.name());
      }
      if (v != null) {
        completed.put(c.name(), v);
      }
    }
    return new Write(
        write.table(),
        write.key(),
        RowChange.Kind.INSERT,
        completed,
        write.dot(),
        write.timestamp(),
        write.context());
  }
}
