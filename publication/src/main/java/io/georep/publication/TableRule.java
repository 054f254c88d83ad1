package io.georep.publication;

import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * What replicates of one table, and how its conflicts resolve. Immutable and thread-safe.
 *
 * @param table the table, never null
 * @param position where the file names the table, never null
 * @param columns which columns replicate, never null
 * @param filter which rows replicate, empty for all
 * @param resolver the row-level resolver, never null ({@code lww} by default)
 * @param columnResolvers per-column resolvers, in file order; copied
 * @param masks per-column masks, in file order; copied
 */
public record TableRule(
    TableName table,
    SourcePosition position,
    ColumnSelection columns,
    Optional<RowFilter> filter,
    ResolverRef resolver,
    List<ColumnResolver> columnResolvers,
    List<ColumnMask> masks) {

  /**
   * Creates a table rule.
   *
   * @throws NullPointerException if an argument or element is null
   */
  public TableRule {
    Objects.requireNonNull(table, "table");
    Objects.requireNonNull(position, "position");
    Objects.requireNonNull(columns, "columns");
    Objects.requireNonNull(filter, "filter");
    Objects.requireNonNull(resolver, "resolver");
    columnResolvers = List.copyOf(columnResolvers);
    masks = List.copyOf(masks);
  }

  /** Returns the mask of {@code column}, or empty. */
  public Optional<Mask> maskOf(String column) {
    return masks.stream()
        .filter(m -> m.column().name().equals(column))
        .map(ColumnMask::mask)
        .findFirst();
  }
}
