package io.georep.publication;

import io.georep.publication.internal.FilterEvaluator;
import io.georep.publication.internal.FilterExpr;
import io.georep.publication.internal.FilterParser;
import io.georep.publication.internal.FilterSql;
import io.georep.publication.internal.FilterSyntaxException;
import io.georep.publication.spi.TableDescription;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.IntFunction;

/**
 * A row filter: a SQL boolean expression over a row's columns that decides whether a change
 * replicates. PostgreSQL evaluates it when it is pushed into a native publication (PostgreSQL 15+);
 * otherwise the agent evaluates it with {@link #evaluate(Map)}, with the same result.
 *
 * <p>A row replicates only if the filter is TRUE; FALSE and UNKNOWN (NULL) both skip it, as in
 * PostgreSQL. See {@code docs/publications.md} for the supported SQL subset. Immutable and
 * thread-safe; equality is by filter text and position.
 */
public final class RowFilter {

  private static final String STANDALONE = "<row filter>";

  private final String sql;
  private final FilterExpr expr;
  private final IntFunction<SourcePosition> positions;

  private RowFilter(String sql, FilterExpr expr, IntFunction<SourcePosition> positions) {
    this.sql = sql;
    this.expr = expr;
    this.positions = positions;
  }

  /**
   * Parses a filter outside any file; positions in errors refer to {@code <row filter>:1:column}.
   *
   * @throws PublicationException if {@code sql} is not a filter in the supported subset
   * @throws NullPointerException if {@code sql} is null
   */
  public static RowFilter parse(String sql) {
    return parse(sql, offset -> new SourcePosition(STANDALONE, 1, offset + 1));
  }

  static RowFilter parse(String sql, IntFunction<SourcePosition> positions) {
    try {
      return new RowFilter(sql, FilterParser.parse(sql), positions);
    } catch (FilterSyntaxException e) {
      throw new PublicationException(
          List.of(new Problem(positions.apply(e.offset()), e.getMessage(), e.fix())));
    }
  }

  /** Returns the filter as written in the file. */
  public String sql() {
    return sql;
  }

  /** Returns where the filter text starts in its file. */
  public SourcePosition position() {
    return positions.apply(0);
  }

  /** Returns the names of the columns the filter reads, in order of first use. */
  public Set<String> columns() {
    Set<String> names = new LinkedHashSet<>();
    FilterExpr.columns(expr).forEach(c -> names.add(c.name()));
    return Set.copyOf(names);
  }

  /**
   * Evaluates the filter on one row with SQL three-valued logic.
   *
   * @param row column name to value (Java types as described in {@code docs/publications.md}); must
   *     contain every column of {@link #columns()}, values may be null
   * @return TRUE, FALSE or UNKNOWN; never null
   * @throws IllegalArgumentException if a column is missing or a value has an unsupported type
   * @throws ArithmeticException on division by zero or integer overflow (the server fails too)
   */
  public TruthValue evaluate(Map<String, ?> row) {
    return TruthValue.of(FilterEvaluator.test(expr, row));
  }

  /** Returns whether the row replicates: {@link #evaluate(Map)} is {@link TruthValue#TRUE}. */
  public boolean matches(Map<String, ?> row) {
    return evaluate(row) == TruthValue.TRUE;
  }

  /**
   * Returns the canonical SQL for {@code WHERE (...)} of a native publication on {@code table}:
   * identifiers quoted, operations parenthesized, text ordering comparisons in {@code COLLATE "C"}.
   */
  public String toSql(TableDescription table) {
    return FilterSql.render(expr, table::column);
  }

  /** Returns the canonical SQL without column type information (no collation clauses). */
  public String toSql() {
    return FilterSql.render(expr, column -> Optional.empty());
  }

  FilterExpr expr() {
    return expr;
  }

  SourcePosition positionOf(int offset) {
    return positions.apply(offset);
  }

  @Override
  public boolean equals(Object other) {
    return other instanceof RowFilter that
        && sql.equals(that.sql)
        && position().equals(that.position());
  }

  @Override
  public int hashCode() {
    return sql.hashCode() * 31 + position().hashCode();
  }

  /** Returns the filter text. */
  @Override
  public String toString() {
    return sql;
  }
}
