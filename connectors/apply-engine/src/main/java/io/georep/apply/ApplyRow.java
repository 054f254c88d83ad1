package io.georep.apply;

import io.georep.connector.RowKey;
import io.georep.connector.TableSchema;
import io.georep.connector.Value;
import io.georep.resolver.RowMerge;
import io.georep.resolver.RowState;
import io.georep.resolver.TablePolicy;
import io.georep.resolver.VisibleRow;
import io.georep.vectorclock.Dot;
import io.georep.vectorclock.HybridTimestamp;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * One locked row of an apply transaction, as the {@link ApplyEngine} sees it: the row's replicated
 * state and the values its table row shows. A {@link RowStore} extends it with what its database
 * needs to tell a local write from its own (PostgreSQL: the row's {@code xmin}).
 *
 * <p>The store fills it when it locks the row ({@link #load}, {@link #loadValues}); the engine
 * changes it as it merges; the store writes the state back at the end ({@link #dirty()}).
 *
 * <p>Not thread-safe: confined to the applying thread with its transaction.
 */
public abstract class ApplyRow {
  private final TableSchema table;
  private final RowKey key;
  private RowState state;
  private boolean suppressed;
  private boolean ownMeta;
  private Dot lastDot;
  private HybridTimestamp lastTimestamp;
  private Optional<Map<String, Value>> values = Optional.empty();
  private boolean dirty;

  /** The visible row of {@link #visible}: computed once per state (it runs the resolvers). */
  private RowState visibleOf;

  private VisibleRow visibleRow;

  /**
   * Creates a row with neither state nor table row.
   *
   * @param table the table's schema; never null
   * @param key the row's key; never null
   */
  protected ApplyRow(TableSchema table, RowKey key) {
    this.table = Objects.requireNonNull(table, "table");
    this.key = Objects.requireNonNull(key, "key");
  }

  /**
   * Sets the row's stored metadata, as read when it was locked.
   *
   * @param state the replicated state; never null
   * @param suppressed whether a unique-key clash keeps the row out of the table
   * @param lastDot the dot of the latest write merged (by HLC); never null
   * @param lastTimestamp that write's HLC; never null
   * @param ownMeta whether this database transaction wrote the metadata (an earlier part of a
   *     transaction applied in parts)
   */
  protected final void load(
      RowState state,
      boolean suppressed,
      Dot lastDot,
      HybridTimestamp lastTimestamp,
      boolean ownMeta) {
    this.state = Objects.requireNonNull(state, "state");
    this.suppressed = suppressed;
    this.lastDot = Objects.requireNonNull(lastDot, "lastDot");
    this.lastTimestamp = Objects.requireNonNull(lastTimestamp, "lastTimestamp");
    this.ownMeta = ownMeta;
  }

  /**
   * Sets the values the table row shows, as read when the row was locked.
   *
   * @param values the values by column name; empty if the table has no such row
   */
  protected final void loadValues(Optional<Map<String, Value>> values) {
    this.values = Objects.requireNonNull(values, "values");
  }

  /**
   * Returns the table's schema.
   *
   * @return the schema; never null
   */
  public final TableSchema table() {
    return table;
  }

  /**
   * Returns the row's key.
   *
   * @return the key; never null
   */
  public final RowKey key() {
    return key;
  }

  /**
   * Returns the row's replicated state.
   *
   * @return the state, or null if no write of the row was ever merged
   */
  public final RowState state() {
    return state;
  }

  /**
   * Tells whether a unique-key clash keeps the row out of its table: it exists in the replicated
   * state only, and is tried again on its next write.
   *
   * @return true if suppressed
   */
  public final boolean suppressed() {
    return suppressed;
  }

  /**
   * Returns the dot of the latest write merged into the row, by HLC.
   *
   * @return the dot, or null if none
   */
  public final Dot lastDot() {
    return lastDot;
  }

  /**
   * Returns the HLC of {@link #lastDot()}.
   *
   * @return the timestamp, or null if none
   */
  public final HybridTimestamp lastTimestamp() {
    return lastTimestamp;
  }

  /**
   * Returns the values the table row shows now (including this transaction's writes).
   *
   * @return the values by column name; empty if the table has no such row
   */
  public final Optional<Map<String, Value>> values() {
    return values;
  }

  /**
   * Tells whether the row's metadata changed in this transaction and must be written.
   *
   * @return true if changed
   */
  public final boolean dirty() {
    return dirty;
  }

  /**
   * Tells whether this database transaction wrote the row's metadata before (an earlier part).
   *
   * @return true if so
   */
  public final boolean ownMeta() {
    return ownMeta;
  }

  /**
   * Returns the row the state makes visible, computed once per state.
   *
   * @param policy the table's policy
   * @return the visible row; {@link VisibleRow#ABSENT} without a state
   */
  // Identity on purpose: a state is immutable, and the cache is for this very instance.
  @SuppressWarnings("ReferenceEquality")
  public final VisibleRow visible(TablePolicy policy) {
    if (state == null) {
      return VisibleRow.ABSENT;
    }
    if (visibleOf != state) {
      visibleRow = RowMerge.visible(state, policy, key);
      visibleOf = state;
    }
    return visibleRow;
  }

  // ---- the engine's changes ----

  final void state(RowState state) {
    this.state = state;
  }

  final void suppressed(boolean suppressed) {
    this.suppressed = suppressed;
  }

  final void values(Optional<Map<String, Value>> values) {
    this.values = values;
  }

  final void markDirty() {
    this.dirty = true;
  }

  /** Remembers the visible row a merge computed for a state. */
  final void remember(RowState of, VisibleRow row) {
    visibleOf = of;
    visibleRow = row;
  }

  /** Records a merged write as the latest if its HLC is later. */
  final void noteWrite(Dot dot, HybridTimestamp ts) {
    if (lastTimestamp == null || ts.compareTo(lastTimestamp) > 0) {
      lastTimestamp = ts;
      lastDot = dot;
    }
  }
}
