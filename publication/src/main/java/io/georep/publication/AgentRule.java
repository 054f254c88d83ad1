package io.georep.publication;

import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * What the agent must do itself for one table because the native publication cannot: filter rows,
 * drop columns and apply masks. Immutable and thread-safe.
 *
 * @param table the table, never null
 * @param filter the row filter the agent evaluates, empty if pushed down or absent
 * @param columns the column selection the agent applies; {@link ColumnSelection.All} if pushed down
 *     or absent
 * @param masks the masks the agent applies (always the agent's job); copied
 * @param reasons why each item is not pushed down, for people reading the plan; copied
 */
public record AgentRule(
    TableName table,
    Optional<RowFilter> filter,
    ColumnSelection columns,
    List<ColumnMask> masks,
    List<String> reasons) {

  /**
   * Creates an agent rule.
   *
   * @throws NullPointerException if an argument or element is null
   */
  public AgentRule {
    Objects.requireNonNull(table, "table");
    Objects.requireNonNull(filter, "filter");
    Objects.requireNonNull(columns, "columns");
    masks = List.copyOf(masks);
    reasons = List.copyOf(reasons);
  }

  /** Returns whether the agent has nothing to do for this table. */
  public boolean isEmpty() {
    return filter.isEmpty() && columns instanceof ColumnSelection.All && masks.isEmpty();
  }
}
