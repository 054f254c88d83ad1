package io.georep.resolver;

import io.georep.connector.ColumnSchema;
import io.georep.connector.RowChange;
import io.georep.connector.RowKey;
import io.georep.connector.TableSchema;
import io.georep.connector.Value;
import io.georep.resolver.spi.ConflictResolver;
import io.georep.resolver.spi.ConflictSet;
import io.georep.resolver.spi.Resolution;
import io.georep.resolver.spi.Version;
import io.georep.vectorclock.Dot;
import io.georep.vectorclock.HybridTimestamp;
import io.georep.vectorclock.VersionVector;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * The convergent merge of one write into one row: the pure function the applier calls for every row
 * a transaction changes, local or remote.
 *
 * <h2>Design</h2>
 *
 * <p>Updates ship only the columns they change, so a region generally cannot rebuild another
 * region's full row, and "pick a winner, discard the loser" is not convergent for any policy but
 * last-writer-wins (first-writer-wins over {@code a ∥ b} with {@code c} dominating only {@code a}
 * picks different winners for arrival orders {@code a,b,c} and {@code a,c,b}). So the row state is
 * a product of join-semilattices and resolvers are deterministic <em>read</em> functions over what
 * the state holds (Shapiro, Preguiça, Baquero, Zawirski, "Conflict-free Replicated Data Types", SSS
 * 2011; Almeida, Shoker, Baquero, "Delta State Replicated Data Types", JPDC 2018, for the causal
 * dot-store constructions):
 *
 * <ul>
 *   <li><b>History</b>: a version vector, the join of every merged write's dot and causal context.
 *       A write whose dot it covers is a duplicate, or was in the causal past of a merged write and
 *       so (causal delivery) merged before: it is skipped, without effect or conflict.
 *   <li><b>Existence</b>: a multi-value register (the MV-register of Shapiro et al.) of the
 *       non-dominated inserts, updates and deletes. A write with causal context {@code C} dominates
 *       an entry with dot {@code d} iff {@code C} covers {@code d}; merging removes the dominated
 *       entries and adds the write. The row resolver reads the frontier.
 *   <li><b>Register columns</b>: an MV-register per column, over the writes that carry the column
 *       (inserts count as writing every register column, possibly with "no value"). Deletes leave
 *       registers alone, so a row resurrected by {@code update-wins} keeps its last values.
 *   <li><b>Counter columns</b>: the sum of every delta merged (an insert's value is a delta from
 *       zero). Max and min columns: the greatest/least value ever merged. G-set columns: the union
 *       of everything added. None of these is reset by a delete.
 *   <li><b>OR-set columns</b>: element to addition dots; an addition gets the write's dot, a
 *       removal (or a whole-array value, or a row delete) removes the dots its context covers, so
 *       concurrent additions survive (add-wins).
 * </ul>
 *
 * <p>Invariant (checked by the three-region property test): under causal delivery (each write
 * merged after every write in its causal context; duplicates at any time) the state is a function
 * of the <em>set</em> of writes merged: the history is their join; each frontier is the set of
 * maximal writes of its kind, because a write is never dominated by one merged before it; the CRDT
 * columns are commutative folds. Hence equal sets give equal states and equal bytes in every
 * region, whatever the arrival order, and the visible row, a deterministic function of the state,
 * is equal too. Conflicts, by contrast, are events of one region's arrival order (see {@link
 * Conflict}).
 *
 * <p>About 600 lines: the merge, the cascade of a parent's delete ({@link #orphan}), the visible
 * row and the conflicts all read the same frontiers and must change together. Each policy's own
 * fold of a column, and what a CRDT column shows, are in {@link ColumnFold}.
 *
 * <p>Stateless and thread-safe; resolvers must be too.
 */
public final class RowMerge {
  private RowMerge() {}

  /**
   * Merges a write into a row.
   *
   * @param current the row's stored state, or empty if it has none yet
   * @param write the write; never null; of the policy's table
   * @param policy the table's policy; never null
   * @return the new state, the row to show, and the conflicts detected; {@link
   *     MergeResult#applied()} is false when the write was stale or a duplicate
   * @throws IllegalArgumentException if the write's schema is not the policy's
   * @throws ConflictResolutionException if the write carries an operation its column's policy
   *     cannot take, the stored state does not fit the policy, a resolver fails or answers outside
   *     its contract, or a counter sum does not fit its column
   */
  public static MergeResult merge(Optional<RowState> current, Write write, TablePolicy policy) {
    return merge(current, write, policy, false);
  }

  /**
   * Merges a write into a row, or continues a write of the same transaction.
   *
   * <p>A transaction too large to hold in memory is merged fragment by fragment, and a row it
   * changes in two fragments receives two writes with one dot. With {@code continued}, a write
   * whose dot the state already covers is not a duplicate: it is the next part of that transaction,
   * merged as a write that has seen the earlier part (its context covers its own dot), so it
   * replaces what the earlier part wrote to registers and the row's existence, adds its counter
   * deltas, and applies its set changes on top. Only the caller knows that the covered dot was
   * merged by the earlier part of this very transaction (the applier checks that the row's metadata
   * was written by its own database transaction); without that, a covered dot is a duplicate as in
   * {@link #merge(Optional, Write, TablePolicy)}. Conflicts of the transaction with the row were
   * reported by its first part, so a continuation reports none.
   *
   * <p>Every region merges a fragmented transaction's parts in the same order (the same fragments
   * of the same stream), so the states stay equal; they can differ from those of the same changes
   * composed into one write ({@link Write#of}) — an insert then a delete of a row in different
   * parts leaves the delete's tombstone where the composed write leaves nothing.
   *
   * @param current the row's stored state, or empty if it has none yet
   * @param write the write; never null; of the policy's table
   * @param policy the table's policy; never null
   * @param continued whether the write continues a transaction whose earlier part this state merged
   * @return as {@link #merge(Optional, Write, TablePolicy)}
   */
  public static MergeResult merge(
      Optional<RowState> current, Write write, TablePolicy policy, boolean continued) {
    Objects.requireNonNull(current, "current");
    Objects.requireNonNull(write, "write");
    Objects.requireNonNull(policy, "policy");
    if (!write.table().equals(policy.table())) {
      throw new IllegalArgumentException(
          "write of "
              + write.table()
              + " merged under the policy of "
              + policy.table()
              + "; build the policy from the schema the change was captured under");
    }
    RowState old = current.orElse(null);
    if (old != null) {
      checkFits(old, policy);
      if (old.covers(write.dot())) {
        if (!continued) {
          return new MergeResult(old, decide(old, policy, write.key()).row(), List.of(), false);
        }
      } else {
        continued = false;
      }
    } else {
      continued = false;
    }
    RowChange.Kind kind = write.kind();
    if (continued) {
      for (Stamp s : old.existence()) {
        if (s.dot().equals(write.dot())) {
          kind = continuedKind(s.kind(), kind);
        }
      }
    }
    Stamp stamp = new Stamp(write.dot(), write.timestamp(), kind);
    // A continuation has seen the earlier part of its own transaction.
    VersionVector context = continued ? write.context().add(write.dot()) : write.context();
    List<Stamp> existence = new ArrayList<>();
    if (old != null) {
      for (Stamp s : old.existence()) {
        if (!context.covers(s.dot())) {
          existence.add(s);
        }
      }
    }
    existence.add(stamp);
    existence.sort(null);
    TableSchema table = policy.table();
    TreeMap<Integer, ColumnState> columns = new TreeMap<>();
    for (int i = 0; i < table.columnCount(); i++) {
      ColumnPolicy p = policy.columnAt(i);
      if (p == null) {
        continue;
      }
      ColumnState before = old == null ? null : old.columns().get(i);
      Value carried = write.columns().get(table.column(i).name());
      if (carried instanceof Value.Unchanged) {
        carried = null;
      }
      ColumnState after =
          ColumnFold.step(p, before, carried, write, context, stamp, table.column(i));
      if (continued) {
        after = restamp(after, stamp);
      }
      if (after != null) {
        columns.put(i, after);
      }
    }
    VersionVector history = (old == null ? context : old.history().join(context)).add(write.dot());
    RowState next = new RowState(history, existence, columns);
    Decision decision = decide(next, policy, write.key());
    List<Conflict> conflicts =
        old == null || continued ? List.of() : conflicts(old, write, decision, policy);
    return new MergeResult(next, decision.row(), conflicts, true);
  }

  /**
   * Deletes a row whose parent row (the row its foreign key references) was deleted concurrently:
   * the cascade of the parent's delete to a child the deleting region had not seen.
   *
   * <p>The inserts and updates of the row's existence frontier are replaced by the parent's delete
   * (its dot and timestamp, as a delete of this row), and the row's history absorbs the parent's,
   * which covers that delete. Registers and CRDT columns are left alone, as by any delete. The
   * result depends on the set of child writes merged and on the parent's delete, not on the order:
   * a region that merges the child's writes before the parent's delete cascades them then, a region
   * that merges them after cascades each as it comes, and both end with a frontier of deletes. A
   * later write whose context covers the delete (made after the cascade was seen) dominates it as
   * usual. Absorbing the parent's history makes a grandchild written under the child concurrently
   * with the parent's delete recognisable as such (its context does not cover the child's history).
   *
   * @param state the child's state; never null
   * @param parentDelete the dot of the parent's delete; never null
   * @param at the hybrid timestamp of the parent's delete; never null
   * @param parentHistory the history of the deleted parent row, covering its delete; never null
   * @param policy the child table's policy; never null
   * @param key the child's key; never null
   * @return the new state and the row to show (absent); no conflicts (the caller records the {@link
   *     ConflictType#PARENT_DELETED} conflict, which involves two rows)
   * @throws IllegalArgumentException if the parent's history does not cover its delete
   */
  public static MergeResult orphan(
      RowState state,
      Dot parentDelete,
      HybridTimestamp at,
      VersionVector parentHistory,
      TablePolicy policy,
      RowKey key) {
    Objects.requireNonNull(state, "state");
    Objects.requireNonNull(parentDelete, "parentDelete");
    Objects.requireNonNull(at, "at");
    if (!parentHistory.covers(parentDelete)) {
      throw new IllegalArgumentException(
          "the parent's history " + parentHistory + " does not cover its delete " + parentDelete);
    }
    checkFits(state, policy);
    List<Stamp> existence = new ArrayList<>();
    for (Stamp s : state.existence()) {
      if (s.isTombstone() && !s.dot().equals(parentDelete)) {
        existence.add(s);
      }
    }
    existence.add(new Stamp(parentDelete, at, RowChange.Kind.DELETE));
    existence.sort(null);
    RowState next =
        new RowState(
            state.history().join(parentHistory), existence, new TreeMap<>(state.columns()));
    return new MergeResult(next, decide(next, policy, key).row(), List.of(), true);
  }

  /**
   * Returns the row a state shows under a policy.
   *
   * @param state the row's state; never null
   * @param policy the table's policy; never null
   * @param key the row's key; never null
   * @return the visible row; never null
   * @throws ConflictResolutionException if the state does not fit the policy or a resolver fails
   */
  public static VisibleRow visible(RowState state, TablePolicy policy, RowKey key) {
    checkFits(state, policy);
    return decide(state, policy, key).row();
  }

  /**
   * The kind of a transaction's write to a row after a continuation: an insert then updates stays
   * an insert, a delete then an insert is an insert, and anything then a delete is a delete (as
   * {@link Write#of} composes the changes of one row).
   */
  private static RowChange.Kind continuedKind(RowChange.Kind earlier, RowChange.Kind next) {
    if (earlier == RowChange.Kind.INSERT && next == RowChange.Kind.UPDATE) {
      return RowChange.Kind.INSERT;
    }
    return next;
  }

  /**
   * Gives a continuation's register entries of its own dot its (composed) stamp: a dot has one
   * stamp in a state (the encoding stores each once). After a delete, the values the earlier part
   * of the transaction wrote go, as the values of an update composed with a later delete do.
   */
  private static ColumnState restamp(ColumnState state, Stamp stamp) {
    if (!(state instanceof ColumnState.Register r) || !r.holds(stamp.dot())) {
      return state;
    }
    List<ColumnState.Entry> entries = new ArrayList<>();
    for (ColumnState.Entry e : r.entries()) {
      if (!e.stamp().dot().equals(stamp.dot())) {
        entries.add(e);
      } else if (!stamp.isTombstone()) {
        entries.add(new ColumnState.Entry(stamp, e.value()));
      }
    }
    return entries.isEmpty() ? null : new ColumnState.Register(entries);
  }

  // ---- reading the state ----

  /** The visible row and which version each decision chose (null for a merged column value). */
  private record Decision(VisibleRow row, Dot existence, Map<Integer, Dot> columns) {}

  private static Decision decide(RowState state, TablePolicy policy, RowKey key) {
    TableSchema table = policy.table();
    Map<Dot, Map<String, Value>> valuesByDot = registerValues(state, table);
    List<Stamp> existence = state.existence();
    Stamp chosen =
        existence.size() == 1
            ? existence.get(0)
            : choose(policy.rowResolver(), table, null, existence, valuesByDot);
    Map<Integer, Dot> choices = new HashMap<>();
    Map<String, Value> values = new LinkedHashMap<>();
    for (int i = 0; i < table.columnCount(); i++) {
      ColumnSchema column = table.column(i);
      if (column.isKey()) {
        values.put(column.name(), key.get(column.keyPosition() - 1));
        continue;
      }
      ColumnState s = state.columns().get(i);
      if (s == null) {
        continue;
      }
      Value value;
      if (s instanceof ColumnState.Register r) {
        if (r.entries().size() == 1) {
          value = r.entries().get(0).value();
          choices.put(i, r.entries().get(0).stamp().dot());
        } else {
          ConflictResolver resolver = ((ColumnPolicy.Register) policy.columnAt(i)).resolver();
          List<Stamp> stamps = r.entries().stream().map(ColumnState.Entry::stamp).toList();
          Resolution resolution = resolve(resolver, table, column, stamps, valuesByDot);
          if (resolution instanceof Resolution.Merged m) {
            if (!column.accepts(m.value())) {
              throw new ConflictResolutionException(
                  "resolver '"
                      + resolver.name()
                      + "' merged column '"
                      + column.name()
                      + "' of "
                      + table.id()
                      + " into a "
                      + m.value().kind()
                      + ", which the column (type "
                      + column.type()
                      + (column.nullable() ? "" : " not null")
                      + ") cannot hold; fix the resolver plugin");
            }
            value = m.value();
            choices.put(i, null);
          } else {
            Dot dot = ((Resolution.Chosen) resolution).dot();
            value = null;
            for (ColumnState.Entry e : r.entries()) {
              if (e.stamp().dot().equals(dot)) {
                value = e.value();
              }
            }
            choices.put(i, dot);
          }
        }
      } else {
        value = ColumnFold.value(policy.columnAt(i), s, table, column);
      }
      values.put(column.name(), value);
    }
    VisibleRow row = chosen.isTombstone() ? VisibleRow.ABSENT : new VisibleRow(true, values);
    return new Decision(row, chosen.dot(), choices);
  }

  /** For each dot, the register values the state holds from it, in table order. */
  private static Map<Dot, Map<String, Value>> registerValues(RowState state, TableSchema table) {
    Map<Dot, Map<String, Value>> byDot = new HashMap<>();
    for (Map.Entry<Integer, ColumnState> c : state.columns().entrySet()) {
      if (c.getValue() instanceof ColumnState.Register r) {
        for (ColumnState.Entry e : r.entries()) {
          byDot
              .computeIfAbsent(e.stamp().dot(), d -> new LinkedHashMap<>())
              .put(table.column(c.getKey()).name(), e.value());
        }
      }
    }
    return byDot;
  }

  private static Stamp choose(
      ConflictResolver resolver,
      TableSchema table,
      ColumnSchema column,
      List<Stamp> stamps,
      Map<Dot, Map<String, Value>> valuesByDot) {
    Resolution resolution = resolve(resolver, table, column, stamps, valuesByDot);
    if (!(resolution instanceof Resolution.Chosen chosen)) {
      throw new ConflictResolutionException(
          "resolver '"
              + resolver.name()
              + "' returned a merged value for the existence of a row of "
              + table.id()
              + "; a row decision must choose one of the versions; fix the resolver plugin");
    }
    for (Stamp s : stamps) {
      if (s.dot().equals(chosen.dot())) {
        return s;
      }
    }
    throw new AssertionError("checked by resolve");
  }

  private static Resolution resolve(
      ConflictResolver resolver,
      TableSchema table,
      ColumnSchema column,
      List<Stamp> stamps,
      Map<Dot, Map<String, Value>> valuesByDot) {
    List<Version> versions = new ArrayList<>(stamps.size());
    for (Stamp s : stamps) {
      versions.add(version(s, valuesByDot));
    }
    String what =
        (column == null ? "the existence of a row" : "column '" + column.name() + "'")
            + " of "
            + table.id();
    ConflictSet set =
        new ConflictSet(
            table, column == null ? Optional.empty() : Optional.of(column.name()), versions);
    Resolution resolution;
    try {
      resolution = resolver.resolve(set);
    } catch (RuntimeException e) {
      throw new ConflictResolutionException(
          "resolver '"
              + resolver.name()
              + "' failed deciding "
              + what
              + " between versions "
              + stamps.stream().map(Stamp::dot).toList()
              + ": "
              + e
              + "; fix the resolver plugin (the table's apply stops here so that regions do not"
              + " diverge)",
          e);
    }
    if (resolution == null) {
      throw new ConflictResolutionException(
          "resolver '" + resolver.name() + "' returned null deciding " + what);
    }
    if (resolution instanceof Resolution.Chosen c
        && stamps.stream().noneMatch(s -> s.dot().equals(c.dot()))) {
      throw new ConflictResolutionException(
          "resolver '"
              + resolver.name()
              + "' chose version "
              + c.dot()
              + " deciding "
              + what
              + ", which is not one of the concurrent versions "
              + stamps.stream().map(Stamp::dot).toList());
    }
    return resolution;
  }

  private static Version version(Stamp s, Map<Dot, Map<String, Value>> valuesByDot) {
    return new Version(
        s.dot(),
        s.timestamp(),
        s.kind(),
        s.isTombstone() ? Map.of() : valuesByDot.getOrDefault(s.dot(), Map.of()));
  }

  // ---- conflicts ----

  private static List<Conflict> conflicts(
      RowState old, Write write, Decision decision, TablePolicy policy) {
    TableSchema table = policy.table();
    VersionVector context = write.context();
    TreeMap<Dot, Stamp> concurrent = new TreeMap<>();
    for (Stamp s : old.existence()) {
      if (!context.covers(s.dot())) {
        concurrent.put(s.dot(), s);
      }
    }
    List<Integer> carriedRegisters = new ArrayList<>();
    for (int i = 0; i < table.columnCount(); i++) {
      Value carried = write.columns().get(table.column(i).name());
      if (carried != null
          && carried.isDatum()
          && policy.columnAt(i) instanceof ColumnPolicy.Register
          && old.columns().get(i) instanceof ColumnState.Register r) {
        carriedRegisters.add(i);
        for (ColumnState.Entry e : r.entries()) {
          if (!context.covers(e.stamp().dot())) {
            concurrent.put(e.stamp().dot(), e.stamp());
          }
        }
      }
    }
    if (concurrent.isEmpty()) {
      return List.of();
    }
    Map<Dot, Map<String, Value>> oldValues = registerValues(old, table);
    Version remote = new Version(write.dot(), write.timestamp(), write.kind(), write.columns());
    List<Conflict> conflicts = new ArrayList<>();
    for (Stamp v : concurrent.values()) {
      List<Integer> overlap = new ArrayList<>();
      for (int i : carriedRegisters) {
        if (((ColumnState.Register) old.columns().get(i)).holds(v.dot())) {
          overlap.add(i);
        }
      }
      ConflictType type;
      if (write.kind() == RowChange.Kind.DELETE) {
        type = v.isTombstone() ? ConflictType.DELETE_DELETE : ConflictType.DELETE_UPDATE;
      } else if (v.isTombstone()) {
        type = ConflictType.UPDATE_DELETE;
      } else if (write.kind() == RowChange.Kind.INSERT) {
        type = ConflictType.INSERT_INSERT;
      } else {
        type =
            overlap.isEmpty()
                ? ConflictType.UPDATE_UPDATE_DIFFERENT_COLUMNS
                : ConflictType.UPDATE_UPDATE_SAME_COLUMNS;
      }
      Conflict.Winner winner =
          switch (type) {
            case UPDATE_DELETE, DELETE_UPDATE ->
                decision.row().exists() == (write.kind() != RowChange.Kind.DELETE)
                    ? Conflict.Winner.REMOTE
                    : Conflict.Winner.LOCAL;
            case DELETE_DELETE ->
                decision.existence().equals(write.dot())
                    ? Conflict.Winner.REMOTE
                    : Conflict.Winner.LOCAL;
            case INSERT_INSERT, UPDATE_UPDATE_SAME_COLUMNS ->
                columnWinner(overlap, decision, write.dot(), v.dot());
            case UPDATE_UPDATE_DIFFERENT_COLUMNS,
                UNIQUE_KEY_CLASH,
                DELETE_MISSING,
                PARENT_DELETED ->
                Conflict.Winner.MERGED;
            case REPAIR ->
                throw new IllegalStateException("a merge never detects a repair; " + type);
          };
      String resolver;
      boolean keeps;
      if (overlap.isEmpty()) {
        resolver = policy.rowResolver().name();
        keeps = policy.rowResolver().keepsLosers();
      } else {
        TreeSet<String> names = new TreeSet<>();
        keeps = false;
        for (int i : overlap) {
          ConflictResolver r = ((ColumnPolicy.Register) policy.columnAt(i)).resolver();
          names.add(r.name());
          keeps |= r.keepsLosers();
        }
        resolver = String.join(",", names);
      }
      Version local = version(v, oldValues);
      Optional<Version> kept =
          keeps && winner != Conflict.Winner.MERGED
              ? Optional.of(winner == Conflict.Winner.REMOTE ? local : remote)
              : Optional.empty();
      List<String> columnNames = overlap.stream().map(i -> table.column(i).name()).toList();
      conflicts.add(
          new Conflict(
              type, table.id(), write.key(), local, remote, winner, resolver, columnNames, kept));
    }
    return conflicts;
  }

  private static Conflict.Winner columnWinner(
      List<Integer> overlap, Decision decision, Dot remote, Dot local) {
    if (overlap.isEmpty()) {
      return Conflict.Winner.MERGED;
    }
    boolean allRemote = true;
    boolean allLocal = true;
    for (int i : overlap) {
      Dot chosen = decision.columns().get(i);
      allRemote &= remote.equals(chosen);
      allLocal &= local.equals(chosen);
    }
    return allRemote
        ? Conflict.Winner.REMOTE
        : allLocal ? Conflict.Winner.LOCAL : Conflict.Winner.MERGED;
  }

  // ---- checks ----

  private static void checkFits(RowState state, TablePolicy policy) {
    TableSchema table = policy.table();
    for (Map.Entry<Integer, ColumnState> e : state.columns().entrySet()) {
      int i = e.getKey();
      ColumnPolicy p = i < table.columnCount() ? policy.columnAt(i) : null;
      if (p == null || !e.getValue().fits(p)) {
        throw new StateShapeException(
            "the stored row state of "
                + table.id()
                + " has a "
                + e.getValue().getClass().getSimpleName().toLowerCase(java.util.Locale.ROOT)
                + " state for column "
                + (i < table.columnCount() ? "'" + table.column(i).name() + "'" : "#" + i)
                + ", which the table's policy "
                + (p == null
                    ? "does not have as a non-key column"
                    : "resolves with '" + p.name() + "'")
                + ": the schema or the column's resolver changed while rows were replicated;"
                + " re-initialise the table's rows in georep.row_meta (see docs/conflicts.md)");
      }
    }
  }
}
