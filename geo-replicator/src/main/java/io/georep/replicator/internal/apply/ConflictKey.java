package io.georep.replicator.internal.apply;

import io.georep.connector.RowChange;
import io.georep.connector.RowKey;
import io.georep.connector.SourceTransaction;
import io.georep.connector.TableId;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * A row a transaction writes, {@code (table, primary key)}: transactions that share one are applied
 * in the order they passed the causal gate; transactions with disjoint sets may run in parallel.
 *
 * @param table the table
 * @param key the primary key
 */
record ConflictKey(TableId table, RowKey key) {

  /**
   * Returns the rows a transaction writes: every change's key and, for an update that changes its
   * key, the new key as well.
   */
  static List<ConflictKey> of(SourceTransaction tx) {
    Set<ConflictKey> keys = new LinkedHashSet<>();
    for (RowChange change : tx.changes()) {
      keys.add(new ConflictKey(change.tableId(), change.key()));
      if (change instanceof RowChange.Update u) {
        u.newKey().ifPresent(k -> keys.add(new ConflictKey(u.table().id(), k)));
      }
    }
    return List.copyOf(keys);
  }
}
