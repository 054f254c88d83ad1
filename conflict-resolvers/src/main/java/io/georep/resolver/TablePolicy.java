package io.georep.resolver;

import io.georep.connector.ArrayType;
import io.georep.connector.ColumnSchema;
import io.georep.connector.ScalarType;
import io.georep.connector.TableSchema;
import io.georep.resolver.internal.ValueOrder;
import io.georep.resolver.spi.ConflictResolver;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * How the rows of one table merge: the row resolver (which decides existence and, by default, every
 * column) and a {@link ColumnPolicy} per non-key column. Build it from a publication with {@link
 * ResolverRegistry#policyFor}, or directly with {@link #of}. Immutable and thread-safe.
 */
public final class TablePolicy {
  private final TableSchema table;
  private final ConflictResolver rowResolver;
  private final ColumnPolicy[] columns;
  private final java.util.Set<String> maskedColumns;

  private TablePolicy(TableSchema table, ConflictResolver rowResolver, ColumnPolicy[] columns) {
    this(table, rowResolver, columns, java.util.Set.of());
  }

  private TablePolicy(
      TableSchema table,
      ConflictResolver rowResolver,
      ColumnPolicy[] columns,
      java.util.Set<String> maskedColumns) {
    this.table = table;
    this.rowResolver = rowResolver;
    this.columns = columns;
    this.maskedColumns = maskedColumns;
  }

  /**
   * Returns this policy with the columns a publication masks: their values leave the region masked,
   * so the origin's own rows keep values that differ from the merged (masked) ones, and folding the
   * origin's writes must never write the masked values back into its table.
   *
   * @param masked the masked columns' names; never null
   * @return the policy
   */
  public TablePolicy withMaskedColumns(java.util.Set<String> masked) {
    return new TablePolicy(table, rowResolver, columns, java.util.Set.copyOf(masked));
  }

  /**
   * Returns the columns a publication masks (see {@link #withMaskedColumns}).
   *
   * @return the names; empty if none
   */
  public java.util.Set<String> maskedColumns() {
    return maskedColumns;
  }

  /**
   * Returns the policy of a table.
   *
   * @param table the table's schema; never null
   * @param rowResolver the row resolver; never null
   * @param columnPolicies policies of non-key columns by name; columns not named are registers of
   *     the row resolver; never null
   * @return the policy
   * @throws ResolverConfigurationException listing every column that does not exist, is a key
   *     column, or whose type the policy does not fit
   */
  public static TablePolicy of(
      TableSchema table, ConflictResolver rowResolver, Map<String, ColumnPolicy> columnPolicies) {
    Objects.requireNonNull(table, "table");
    Objects.requireNonNull(rowResolver, "rowResolver");
    ColumnPolicy[] policies = new ColumnPolicy[table.columnCount()];
    List<String> problems = new ArrayList<>();
    for (Map.Entry<String, ColumnPolicy> e : columnPolicies.entrySet()) {
      int i = table.indexOf(e.getKey());
      if (i < 0) {
        problems.add(
            "table " + table.id() + " has no column '" + e.getKey() + "' to set a resolver for");
        continue;
      }
      ColumnSchema column = table.column(i);
      if (column.isKey()) {
        problems.add(
            "column '"
                + column.name()
                + "' of "
                + table.id()
                + " is a key column and cannot have a resolver: keys identify rows and never"
                + " conflict");
        continue;
      }
      ColumnPolicy policy = Objects.requireNonNull(e.getValue(), e.getKey());
      String misfit = misfit(policy, column);
      if (misfit != null) {
        problems.add(
            "resolver '"
                + policy.name()
                + "' does not fit column '"
                + column.name()
                + "' of "
                + table.id()
                + " (type "
                + column.type().typeName()
                + "): "
                + misfit);
        continue;
      }
      policies[i] = policy;
    }
    if (!problems.isEmpty()) {
      throw new ResolverConfigurationException(problems);
    }
    ColumnPolicy.Register byRow = new ColumnPolicy.Register(rowResolver);
    for (int i = 0; i < policies.length; i++) {
      if (policies[i] == null && !table.column(i).isKey()) {
        policies[i] = byRow;
      }
    }
    return new TablePolicy(table, rowResolver, policies);
  }

  /**
   * Returns the table's schema.
   *
   * @return the schema; never null
   */
  public TableSchema table() {
    return table;
  }

  /**
   * Returns the row resolver.
   *
   * @return the resolver; never null
   */
  public ConflictResolver rowResolver() {
    return rowResolver;
  }

  /**
   * Returns the policy of the column at an index.
   *
   * @param index the column's index in table order
   * @return the policy, or null for a key column
   * @throws IndexOutOfBoundsException if there is no such column
   */
  public ColumnPolicy columnAt(int index) {
    return columns[index];
  }

  /**
   * Returns the policies of the non-key columns by name, in table order.
   *
   * @return an unmodifiable map; never null
   */
  public Map<String, ColumnPolicy> columnPolicies() {
    Map<String, ColumnPolicy> map = new LinkedHashMap<>();
    for (int i = 0; i < columns.length; i++) {
      if (columns[i] != null) {
        map.put(table.column(i).name(), columns[i]);
      }
    }
    return java.util.Collections.unmodifiableMap(map);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof TablePolicy p
        && table.equals(p.table)
        && rowResolver.equals(p.rowResolver)
        && Arrays.equals(columns, p.columns);
  }

  @Override
  public int hashCode() {
    return 31 * table.hashCode() + Arrays.hashCode(columns);
  }

  @Override
  public String toString() {
    return "policy of " + table.id() + ": rows " + rowResolver.name() + ", " + columnPolicies();
  }

  /** Returns why the policy cannot serve the column, or null if it can. */
  static String misfit(ColumnPolicy policy, ColumnSchema column) {
    return switch (policy.kind()) {
      case REGISTER -> null;
      case COUNTER ->
          column.type() instanceof ScalarType s && s.isCounterCapable()
              ? null
              : "counter needs an int2, int4, int8 or numeric column; use column-lww or max here";
      case MAX, MIN ->
          column.type() instanceof ScalarType s && ValueOrder.isOrderedForExtrema(s)
              ? null
              : policy.name()
                  + " needs a number, text, date or timestamp column; use column-lww here";
      case G_COUNTER ->
          column.type() == ScalarType.INT2
                  || column.type() == ScalarType.INT4
                  || column.type() == ScalarType.INT8
              ? null
              : "g-counter needs an int2, int4 or int8 column; use counter for numeric columns";
      case OR_SET, G_SET, TWO_PHASE_SET ->
          column.type() instanceof ArrayType
              ? null
              : policy.name() + " needs an array column such as text[]; use column-lww here";
    };
  }
}
