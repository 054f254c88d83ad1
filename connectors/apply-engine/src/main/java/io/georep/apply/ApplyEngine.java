package io.georep.apply;

import io.georep.connector.ColumnSchema;
import io.georep.connector.RowChange;
import io.georep.connector.RowKey;
import io.georep.connector.SourceTransaction;
import io.georep.connector.TableId;
import io.georep.connector.TableSchema;
import io.georep.connector.Value;
import io.georep.connector.spi.ApplyRetryException;
import io.georep.connector.spi.RowRestoring;
import io.georep.resolver.Conflict;
import io.georep.resolver.ConflictType;
import io.georep.resolver.MergeResult;
import io.georep.resolver.RowMerge;
import io.georep.resolver.TablePolicy;
import io.georep.resolver.UniqueClashPolicy;
import io.georep.resolver.VisibleRow;
import io.georep.resolver.Write;
import io.georep.resolver.spi.Version;
import io.georep.vectorclock.Dot;
import io.georep.vectorclock.HybridTimestamp;
import io.georep.vectorclock.VersionVector;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Function;

/**
 * The apply algorithm of one database transaction, independent of the database: how each replicated
 * write, and each captured local transaction, becomes the local row.
 *
 * <h2>Design</h2>
 *
 * <p>Per row write (after Shapiro et al. for the merge, which {@link RowMerge} implements):
 *
 * <ol>
 *   <li><b>Lock</b> the row and read its state and table row ({@link RowStore#row}).
 *   <li><b>Fold local writes.</b> A table row the applier did not write last ({@link
 *       RowStore#synchronised}), or a row gone while its state says it exists, was written by an
 *       application in this region since: {@link Write#diff} turns "visible state vs database" into
 *       a local write, identified by the local transaction's stamp ({@link RowStore#localWrite}),
 *       merged before the remote one. Without a stamp the store never guesses (a guess could claim
 *       "dominated" and silently lose the local write): it fails retriably. When the agent folds
 *       captured local transactions itself ({@link #setAgentFolds}), a local write not folded yet
 *       aborts the apply as retriable instead.
 *   <li><b>Merge</b> the remote write: dominated versions are replaced, concurrent ones resolved,
 *       stale and duplicate writes skipped — all inside {@link RowMerge#merge}.
 *   <li><b>Write back</b> only what differs between the merged visible row and the database
 *       (insert, update of the differing columns, delete). A unique violation on a non-key
 *       constraint is a clash between two rows: the clashing row is found, folded, and the {@link
 *       UniqueClashPolicy} decides from the two rows' states, so every region removes the same row.
 *       The loser's state is kept {@linkplain ApplyRow#suppressed() suppressed} (in the replicated
 *       state, not in the table) and is tried again on its next write. A delete of a row that
 *       foreign keys reference first cascades to the children written concurrently with it, and a
 *       child whose parent was deleted concurrently is cascaded instead of written ({@link
 *       ParentRule}).
 * </ol>
 *
 * <p>A key-changing update arrives as a delete of the old key and an insert of the new one ({@link
 * Write#of}); the insert carries only the columns the update changed, so the old row's values
 * complete it.
 *
 * <p>Concurrency: one instance per database transaction, confined to the applying thread.
 *
 * <p>About 700 lines: apply, fold, restore and the parent-deleted rule share one row's read, merge
 * and write-back (unique clashes included); the seam to split along would be the parent-deleted
 * rule, which already keeps its decisions in {@link ParentRule}.
 *
 * @param <R> the store's rows
 */
public final class ApplyEngine<R extends ApplyRow> {
  private static final int MAX_CLASH_ROUNDS = 16;

  private final RowStore<R> store;
  private final Function<TableSchema, TablePolicy> policies;
  private final UniqueClashPolicy clashPolicy;
  private final List<Conflict> conflicts;
  private boolean agentFolds;

  /** Whether a write-back leaves masked columns alone: the origin's rows keep their own values. */
  private boolean folding;

  /** The schemas of tables no change named yet, for the parent-deleted rule; null: rule off. */
  private Function<TableId, Optional<TableSchema>> schemas;

  private boolean checkParents;

  /** Where the apply is, for error messages. */
  private Dot currentDot;

  private TableId currentTable;
  private RowKey currentKey;

  /**
   * Creates the engine of one database transaction.
   *
   * @param store the transaction's rows
   * @param policies the policy of each table
   * @param clashPolicy the unique-key clash policy
   * @param conflicts where the conflicts found are added
   */
  public ApplyEngine(
      RowStore<R> store,
      Function<TableSchema, TablePolicy> policies,
      UniqueClashPolicy clashPolicy,
      List<Conflict> conflicts) {
    this.store = Objects.requireNonNull(store, "store");
    this.policies = Objects.requireNonNull(policies, "policies");
    this.clashPolicy = Objects.requireNonNull(clashPolicy, "clashPolicy");
    this.conflicts = Objects.requireNonNull(conflicts, "conflicts");
  }

  /**
   * Declares that the agent folds captured local transactions ({@link #foldLocal}): a local write
   * not folded yet then aborts the apply as retriable instead of being folded here as one write.
   *
   * @param agentFolds whether the agent folds
   */
  public void setAgentFolds(boolean agentFolds) {
    this.agentFolds = agentFolds;
  }

  /**
   * Turns on the parent-deleted rule ({@link ParentRule}): a parent row's delete cascades to the
   * child rows written concurrently with it. The cascade from a parent's delete is always checked;
   * {@code checkParents} also checks, before each child write, whether its parent is a concurrent
   * tombstone — the caller turns it on when an apply without it failed on a foreign key, so the
   * common path pays nothing.
   *
   * @param schemas the replicated schema of a table by id, empty if it is not replicated
   * @param checkParents whether to check the parents of written child rows
   */
  public void setParentRule(
      Function<TableId, Optional<TableSchema>> schemas, boolean checkParents) {
    this.schemas = schemas;
    this.checkParents = checkParents;
  }

  /**
   * Sets where the apply is, for error messages.
   *
   * @param dot the transaction, or null
   * @param table the table, or null
   * @param key the row's key, or null
   */
  public void at(Dot dot, TableId table, RowKey key) {
    currentDot = dot;
    currentTable = table;
    currentKey = key;
  }

  /**
   * Returns the transaction being applied or folded.
   *
   * @return its dot, or null before the first
   */
  public Dot dot() {
    return currentDot;
  }

  /**
   * Returns a description of where the apply is: origin, seq, table and key.
   *
   * @return the description
   */
  public String position() {
    return (currentDot == null ? "before the first transaction" : "transaction " + currentDot)
        + (currentTable == null ? "" : ", table " + currentTable)
        + (currentKey == null ? "" : ", key " + currentKey.values());
  }

  /**
   * Merges a remote transaction's row writes into the local rows.
   *
   * @param tx the transaction (or the part of one being applied in parts)
   * @param writes its row writes ({@link Write#of})
   * @param continued whether it continues the parts before it in this database transaction: a row
   *     whose metadata this transaction wrote takes it as a continuation
   * @throws SQLException on a database failure
   */
  public void apply(SourceTransaction tx, List<Write> writes, boolean continued)
      throws SQLException {
    at(tx.dot(), null, null);
    KeyChanges keyChanges = KeyChanges.of(tx);
    for (Write write : writes) {
      at(tx.dot(), write.table().id(), write.key());
      applyWrite(write, keyChanges, continued);
    }
    at(tx.dot(), null, null);
  }

  /**
   * Decides whether a table row still shows a folded local transaction's write.
   *
   * @param <R> the store's rows
   */
  @FunctionalInterface
  public interface Shows<R> {
    /**
     * Tells whether a present table row shows the write being folded (or exactly what the applier
     * last synchronised: no local write since).
     *
     * @param row the row, with its table row present
     * @return true if so
     * @throws SQLException on a database failure
     */
    boolean test(R row) throws SQLException;
  }

  /**
   * Folds one captured local transaction into the state of the rows it wrote, as exactly the write
   * every other region merges: its own dot, HLC, causal context and changes (delta columns, counter
   * deltas, set deltas). A row whose state already covers the transaction's dot (folded before, or
   * at apply time) is skipped. If the table row still shows the transaction's write, the merged
   * state is written back when it shows something else (a concurrent version already merged wins);
   * a row a later local transaction has overwritten since keeps its old synchronisation point: that
   * later write is folded in its turn.
   *
   * @param tx the local transaction
   * @param writes its row writes ({@link Write#of})
   * @param inParts whether the transaction is folded in parts: a row whose metadata an earlier part
   *     wrote takes this part as a continuation
   * @param shows whether a present table row shows the transaction's write
   * @return true if some row's state changed
   * @throws SQLException on a database failure
   */
  public boolean foldLocal(
      SourceTransaction tx, List<Write> writes, boolean inParts, Shows<R> shows)
      throws SQLException {
    folding = true;
    boolean any = false;
    for (Write write : writes) {
      at(tx.dot(), write.table().id(), write.key());
      TablePolicy policy = policies.apply(write.table());
      R h = store.row(write.table(), write.key());
      boolean continued = inParts && h.ownMeta();
      if (h.state() != null && h.state().covers(write.dot()) && !continued) {
        continue;
      }
      MergeResult r = RowMerge.merge(Optional.ofNullable(h.state()), write, policy, continued);
      conflicts.addAll(r.conflicts());
      h.remember(r.state(), r.row());
      if (r.applied()) {
        h.state(r.state());
        h.noteWrite(write.dot(), write.timestamp());
        h.markDirty();
        any = true;
      }
      // The row shows this transaction's write, or exactly what the applier last synchronised
      // (no local write since): either way the merged state is what it must show. The second case
      // is a row an apply wrote over a key whose local insert and delete were not folded yet
      // (nothing in the table or the metadata showed them); without it that remote row stayed in
      // the table while the metadata, as everywhere else, said the local delete removed it.
      boolean current =
          h.values().isPresent() ? shows.test(h) : write.kind() == RowChange.Kind.DELETE;
      if (current && h.state() != null) {
        h.markDirty();
        writeBack(h, policy, h.visible(policy));
      }
    }
    at(tx.dot(), null, null);
    return any;
  }

  /**
   * Makes a table row show its replicated state again, discarding a change made to it behind
   * georep's back (a session the capture skips, a write while the agent was stopped and its slot
   * was advanced): the row's state is the merge of every write georep knows, so the row shows what
   * every region that merged the same writes shows, with counters and sets as their merged states.
   * Only a row the applier did not write last ({@link RowStore#synchronised}), a row gone while its
   * state says it exists, or a row without state is touched, and only if {@code unchanged} says the
   * table row is still the one the caller read before it made sure every local transaction up to
   * then was folded: a write georep knows of is never discarded.
   *
   * @param table the table
   * @param key the row's key
   * @param unchanged whether the (present or absent) table row is the one the caller read
   * @param repair the repair's own dot (of this region), which names it in the conflict log
   * @param repairStamp the repair's HLC
   * @return what was done
   * @throws SQLException on a database failure
   */
  public RowRestoring.Restored restore(
      TableSchema table, RowKey key, Shows<R> unchanged, Dot repair, HybridTimestamp repairStamp)
      throws SQLException {
    at(null, table.id(), key);
    TablePolicy policy = policies.apply(table);
    R h = store.row(table, key);
    Optional<Map<String, Value>> before = h.values().map(Map::copyOf);
    boolean consistent;
    if (h.state() == null) {
      consistent = h.values().isEmpty();
    } else if (h.values().isPresent()) {
      consistent = store.synchronised(h);
    } else {
      consistent = h.suppressed() || !h.visible(policy).exists();
    }
    if (consistent) {
      return new RowRestoring.Restored(
          key, RowRestoring.Restored.Outcome.CONSISTENT, before, before);
    }
    if (!unchanged.test(h)) {
      return new RowRestoring.Restored(
          key, RowRestoring.Restored.Outcome.CHANGED_SINCE, before, before);
    }
    // The row as found carries its last georep write; a row georep never knew, the repair's.
    Dot dot = h.state() == null ? repair : h.lastDot();
    HybridTimestamp stamp = h.state() == null ? repairStamp : h.lastTimestamp();
    if (h.state() == null) {
      store.delete(h);
      h.values(Optional.empty());
    } else {
      h.markDirty();
      writeBack(h, policy, h.visible(policy));
    }
    Optional<Map<String, Value>> after = h.values().map(Map::copyOf);
    conflicts.add(
        repair(
            table,
            key,
            new Version(
                dot, stamp, kindOf(before), before.map(m -> withoutKey(table, m)).orElse(Map.of())),
            new Version(
                repair,
                repairStamp,
                kindOf(after),
                after.map(m -> withoutKey(table, m)).orElse(Map.of())),
            before,
            after));
    at(null, null, null);
    return new RowRestoring.Restored(key, RowRestoring.Restored.Outcome.RESTORED, before, after);
  }

  /**
   * The conflict-log record of a restored row: the row as found (local), and as its state shows it
   * (remote, named by the repair).
   */
  private static Conflict repair(
      TableSchema table,
      RowKey key,
      Version found,
      Version restored,
      Optional<Map<String, Value>> before,
      Optional<Map<String, Value>> after) {
    List<String> columns = new ArrayList<>();
    for (ColumnSchema c : table.columns()) {
      Value was = before.map(m -> m.get(c.name())).orElse(null);
      Value now = after.map(m -> m.get(c.name())).orElse(null);
      if (!c.isKey() && !Objects.equals(was, now)) {
        columns.add(c.name());
      }
    }
    return new Conflict(
        ConflictType.REPAIR,
        table.id(),
        key,
        found,
        restored,
        Conflict.Winner.REMOTE,
        "repair",
        columns,
        Optional.empty());
  }

  private static RowChange.Kind kindOf(Optional<Map<String, Value>> row) {
    return row.isPresent() ? RowChange.Kind.UPDATE : RowChange.Kind.DELETE;
  }

  private static Map<String, Value> withoutKey(TableSchema table, Map<String, Value> row) {
    Map<String, Value> values = new LinkedHashMap<>();
    for (Map.Entry<String, Value> e : row.entrySet()) {
      if (!table.column(table.indexOf(e.getKey())).isKey()) {
        values.put(e.getKey(), e.getValue());
      }
    }
    return values;
  }

  // ---- one row ----

  private void applyWrite(Write write, KeyChanges keyChanges, boolean continued)
      throws SQLException {
    TablePolicy policy = policies.apply(write.table());
    R h = store.row(write.table(), write.key());
    fold(h, policy);
    write = keyChanges.complete(write, () -> h.visible(policy));
    MergeResult result =
        RowMerge.merge(Optional.ofNullable(h.state()), write, policy, continued && h.ownMeta());
    conflicts.addAll(result.conflicts());
    h.remember(result.state(), result.row());
    if (!result.applied()) {
      if (h.dirty()) {
        writeBack(h, policy, h.visible(policy));
      }
      return;
    }
    h.state(result.state());
    h.noteWrite(write.dot(), write.timestamp());
    h.markDirty();
    VisibleRow row = schemas == null ? result.row() : parentRule(h, policy, write, result.row());
    writeBack(h, policy, row);
  }

  /** Folds a local write made since the row was last synchronised into its state. */
  private void fold(R h, TablePolicy policy) throws SQLException {
    if (h.values().isPresent()) {
      if (h.state() != null && store.synchronised(h)) {
        return;
      }
    } else if (h.state() == null || !h.visible(policy).exists() || h.suppressed()) {
      return;
    }
    if (agentFolds) {
      throw new ApplyRetryException(
          ApplyRetryException.Reason.STAMP_PENDING,
          "row "
              + h.key().values()
              + " of "
              + h.table().id()
              + " was "
              + (h.values().isPresent() ? "written" : "deleted")
              + " by a local transaction that the agent has not folded into the row's metadata yet"
              + " (at "
              + position()
              + "); the apply is retried once the capture has handed it on",
          null);
    }
    LocalStamp stamp = store.localWrite(h);
    Optional<Write> local =
        Write.diff(
            policy,
            h.key(),
            h.visible(policy),
            h.values(),
            stamp.dot(),
            stamp.timestamp(),
            stamp.context());
    h.markDirty();
    store.markSynchronised(h);
    if (local.isEmpty()) {
      return;
    }
    MergeResult r = RowMerge.merge(Optional.ofNullable(h.state()), local.get(), policy);
    conflicts.addAll(r.conflicts());
    h.remember(r.state(), r.row());
    if (r.applied()) {
      h.state(r.state());
      h.noteWrite(stamp.dot(), stamp.timestamp());
    }
  }

  // ---- the parent-deleted rule ----

  /**
   * Applies the parent-deleted rule to a row a write is about to make show {@code row}: a child
   * whose parent was deleted concurrently is cascaded; a parent being deleted cascades its children
   * written concurrently with the delete. Returns the row to write back.
   */
  private VisibleRow parentRule(R h, TablePolicy policy, Write write, VisibleRow row)
      throws SQLException {
    if (row.exists()) {
      if (!checkParents) {
        return row;
      }
      for (ForeignKey fk : store.foreignKeys(h.table(), false)) {
        Optional<TableSchema> parent = schemas.apply(fk.parent());
        if (parent.isEmpty()) {
          continue;
        }
        Optional<ParentRule.DeletedParent> deleted =
            store.deletedParent(fk, parent.get(), row.values(), write.context());
        if (deleted.isPresent()) {
          Version child = new Version(write.dot(), write.timestamp(), write.kind(), nonKey(h, row));
          conflicts.add(ParentRule.conflict(fk, h.key(), child, deleted.get().delete(), false));
          IdentityHashMap<ApplyRow, Boolean> visited = new IdentityHashMap<>();
          visited.put(h, true);
          return orphan(
              h, policy, deleted.get().history(), write.context(), deleted.get().delete(), visited);
        }
      }
      return row;
    }
    if (h.values().isPresent() && !store.foreignKeys(h.table(), true).isEmpty()) {
      // The delete children yield to is the parent's latest, whichever write brought it here, so
      // that a region that sees the child first decides on the same one (ParentRule).
      Optional<Version> delete = h.state().latestDelete();
      if (delete.isPresent()) {
        IdentityHashMap<ApplyRow, Boolean> visited = new IdentityHashMap<>();
        visited.put(h, true);
        cascade(h, write.context(), delete.get(), visited);
      }
    }
    return row;
  }

  /** Turns a child row into a tombstone that yields to its parent's delete, and cascades on. */
  private VisibleRow orphan(
      R h,
      TablePolicy policy,
      VersionVector parentHistory,
      VersionVector deleteContext,
      Version parentDelete,
      IdentityHashMap<ApplyRow, Boolean> visited)
      throws SQLException {
    MergeResult r =
        RowMerge.orphan(
            h.state(),
            parentDelete.dot(),
            parentDelete.timestamp(),
            parentHistory,
            policy,
            h.key());
    h.remember(r.state(), r.row());
    h.state(r.state());
    h.markDirty();
    if (h.values().isPresent() && !store.foreignKeys(h.table(), true).isEmpty()) {
      cascade(h, deleteContext, parentDelete, visited);
    }
    return r.row();
  }

  /**
   * Before a parent row is deleted: cascades the delete to the child rows (of every foreign key
   * referencing it) that show a version the delete has not seen, so that neither the foreign key
   * rejects the delete nor the key's own action changes children behind their metadata.
   */
  private void cascade(
      R parent,
      VersionVector deleteContext,
      Version parentDelete,
      IdentityHashMap<ApplyRow, Boolean> visited)
      throws SQLException {
    store.flush();
    for (ForeignKey fk : store.foreignKeys(parent.table(), true)) {
      Optional<TableSchema> table = schemas.apply(fk.child());
      if (table.isEmpty() || table.get().keyless()) {
        // A keyless child's copies are not rows with a key: not cascaded here (the parent's delete
        // then waits on the foreign key like a missing parent; docs/apply.md).
        continue;
      }
      TablePolicy childPolicy = policies.apply(table.get());
      for (RowKey key : store.children(fk, table.get(), parent.values().orElseThrow())) {
        R c = store.row(table.get(), key);
        if (visited.put(c, true) != null) {
          continue;
        }
        fold(c, childPolicy);
        if (c.state() == null
            || c.suppressed()
            || !c.visible(childPolicy).exists()
            || !ParentRule.concurrent(c.state(), deleteContext)) {
          // Seen by the delete (its own transaction deletes it, or the foreign key decides).
          continue;
        }
        Version child = version(c, c.visible(childPolicy));
        conflicts.add(ParentRule.conflict(fk, c.key(), child, parentDelete, true));
        VisibleRow gone =
            orphan(c, childPolicy, parent.state().history(), deleteContext, parentDelete, visited);
        writeBack(c, childPolicy, gone);
      }
    }
  }

  // ---- write-back ----

  /** Makes the table row show {@code row}, resolving unique-key clashes. */
  private void writeBack(R h, TablePolicy policy, VisibleRow row) throws SQLException {
    if (!row.exists()) {
      h.suppressed(false);
      if (h.values().isPresent()) {
        store.delete(h);
        h.values(Optional.empty());
      } else {
        store.markSynchronised(h);
      }
      return;
    }
    for (int round = 0; round < MAX_CLASH_ROUNDS; round++) {
      List<String> columns = new ArrayList<>();
      List<Value> values = new ArrayList<>();
      String clash;
      if (h.values().isEmpty()) {
        for (Map.Entry<String, Value> e : row.values().entrySet()) {
          columns.add(e.getKey());
          values.add(e.getValue());
        }
        clash = store.insert(h, columns, values);
      } else {
        Map<String, Value> db = h.values().get();
        for (Map.Entry<String, Value> e : row.values().entrySet()) {
          ColumnSchema c = h.table().column(h.table().indexOf(e.getKey()));
          if (!c.isKey()
              && !(folding && policy.maskedColumns().contains(e.getKey()))
              && !e.getValue().equals(db.get(e.getKey()))) {
            columns.add(e.getKey());
            values.add(e.getValue());
          }
        }
        if (columns.isEmpty()) {
          h.suppressed(false);
          store.markSynchronised(h);
          return;
        }
        clash = store.update(h, columns, values);
      }
      if (clash == null) {
        Map<String, Value> now = new LinkedHashMap<>(h.values().orElse(Map.of()));
        now.putAll(row.values());
        h.values(Optional.of(now));
        h.suppressed(false);
        return;
      }
      if (!resolveClash(h, policy, row, clash)) {
        return;
      }
    }
    throw new IllegalStateException(
        "unique-key clashes of row " + h.key().values() + " did not settle; " + position());
  }

  /**
   * Resolves a clash of {@code h}'s row with another row on a unique key.
   *
   * @return true if the write should be tried again (the other row lost), false if this row lost
   */
  private boolean resolveClash(R h, TablePolicy policy, VisibleRow row, String constraint)
      throws SQLException {
    List<String> uniqueColumns = store.uniques(h.table()).get(constraint);
    Optional<RowKey> otherKey = store.clashingRow(h, constraint, row.values());
    if (otherKey.isEmpty()) {
      throw new ApplyRetryException(
          ApplyRetryException.Reason.LOCAL_RACE,
          "unique constraint "
              + constraint
              + " of "
              + h.table().id()
              + " rejected row "
              + h.key().values()
              + " but the clashing row is not visible yet (a concurrent local write); "
              + position()
              + "; the apply is retried",
          null);
    }
    R other = store.row(h.table(), otherKey.get());
    fold(other, policy);
    VisibleRow otherRow = other.visible(policy);
    UniqueClashPolicy.Outcome outcome =
        clashPolicy.decide(
            h.table(),
            uniqueColumns,
            new UniqueClashPolicy.ClashingRow(otherKey.get(), version(other, otherRow)),
            new UniqueClashPolicy.ClashingRow(h.key(), version(h, row)));
    conflicts.add(outcome.conflict());
    if (outcome.winner() == Conflict.Winner.REMOTE) {
      store.delete(other);
      other.values(Optional.empty());
      other.suppressed(true);
      other.markDirty();
      return true;
    }
    if (h.values().isPresent()) {
      store.delete(h);
      h.values(Optional.empty());
    } else {
      store.markSynchronised(h);
    }
    h.suppressed(true);
    h.markDirty();
    return false;
  }

  private static Map<String, Value> nonKey(ApplyRow h, VisibleRow row) {
    Map<String, Value> values = new LinkedHashMap<>();
    for (Map.Entry<String, Value> e : row.values().entrySet()) {
      if (!h.table().column(h.table().indexOf(e.getKey())).isKey()) {
        values.put(e.getKey(), e.getValue());
      }
    }
    return values;
  }

  private static Version version(ApplyRow h, VisibleRow row) {
    Dot dot = h.lastDot();
    HybridTimestamp ts = h.lastTimestamp();
    if (dot == null) {
      throw new IllegalStateException("row " + h.key().values() + " has no merged write");
    }
    return new Version(
        dot, ts, row.exists() ? RowChange.Kind.UPDATE : RowChange.Kind.DELETE, nonKey(h, row));
  }
}
