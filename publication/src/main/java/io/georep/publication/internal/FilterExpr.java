package io.georep.publication.internal;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * The syntax tree of a row filter: the subset of SQL that PostgreSQL accepts in publication row
 * filters and that the agent can evaluate itself.
 *
 * <p>Every node records the 0-based character offset, within the filter text, of the token that
 * produced it, so checks after parsing can point into the file. Nodes are immutable.
 */
public sealed interface FilterExpr {

  /** Returns the 0-based offset of this node's token in the filter text. */
  int offset();

  /** Arithmetic and string operators. */
  enum ArithmeticOperator {
    /** Addition. */
    ADD("+"),
    /** Subtraction. */
    SUBTRACT("-"),
    /** Multiplication. */
    MULTIPLY("*"),
    /** Division; truncating for integers, as in PostgreSQL. */
    DIVIDE("/"),
    /** Remainder, with the sign of the dividend. */
    MODULO("%"),
    /** Text concatenation. */
    CONCAT("||");

    private final String symbol;

    ArithmeticOperator(String symbol) {
      this.symbol = symbol;
    }

    /** Returns the SQL spelling. */
    public String symbol() {
      return symbol;
    }
  }

  /** Comparison operators. */
  enum ComparisonOperator {
    /** Equal. */
    EQ("="),
    /** Not equal; {@code !=} is read as this too. */
    NE("<>"),
    /** Less than. */
    LT("<"),
    /** Less than or equal. */
    LE("<="),
    /** Greater than. */
    GT(">"),
    /** Greater than or equal. */
    GE(">=");

    private final String symbol;

    ComparisonOperator(String symbol) {
      this.symbol = symbol;
    }

    /** Returns the SQL spelling. */
    public String symbol() {
      return symbol;
    }

    /** Returns whether this operator orders values (and so depends on collation for text). */
    public boolean orders() {
      return this != EQ && this != NE;
    }
  }

  /** What an {@code IS} test checks. */
  enum IsKind {
    /** {@code IS NULL}. */
    NULL,
    /** {@code IS TRUE}. */
    TRUE,
    /** {@code IS FALSE}. */
    FALSE,
    /** {@code IS UNKNOWN}. */
    UNKNOWN
  }

  /** A reference to a column of the row, by its exact (already case-folded) name. */
  record Column(String name, int offset) implements FilterExpr {
    /** Checks the name. */
    public Column {
      Objects.requireNonNull(name, "name");
    }
  }

  /**
   * A constant: {@link Long}, {@link java.math.BigDecimal}, {@link String}, {@link Boolean}, or
   * null for SQL {@code NULL}.
   */
  record Literal(Object value, int offset) implements FilterExpr {}

  /** Unary minus. */
  record Negate(FilterExpr operand, int offset) implements FilterExpr {}

  /** A binary arithmetic or concatenation operation. */
  record Arithmetic(ArithmeticOperator operator, FilterExpr left, FilterExpr right, int offset)
      implements FilterExpr {}

  /** A binary comparison. */
  record Comparison(ComparisonOperator operator, FilterExpr left, FilterExpr right, int offset)
      implements FilterExpr {}

  /** Logical negation. */
  record Not(FilterExpr operand, int offset) implements FilterExpr {}

  /** Logical conjunction. */
  record And(FilterExpr left, FilterExpr right, int offset) implements FilterExpr {}

  /** Logical disjunction. */
  record Or(FilterExpr left, FilterExpr right, int offset) implements FilterExpr {}

  /** {@code operand IS [NOT] NULL|TRUE|FALSE|UNKNOWN}. */
  record IsTest(FilterExpr operand, IsKind kind, boolean negated, int offset)
      implements FilterExpr {}

  /** {@code operand [NOT] IN (items)}. */
  record In(FilterExpr operand, List<FilterExpr> items, boolean negated, int offset)
      implements FilterExpr {
    /** Copies the items. */
    public In {
      items = List.copyOf(items);
    }
  }

  /** {@code operand [NOT] BETWEEN low AND high}. */
  record Between(FilterExpr operand, FilterExpr low, FilterExpr high, boolean negated, int offset)
      implements FilterExpr {}

  /** {@code operand [NOT] LIKE pattern}, with backslash as the escape character. */
  record Like(FilterExpr operand, FilterExpr pattern, boolean negated, int offset)
      implements FilterExpr {}

  /** A call of one of the allowed one-argument functions ({@code lower}, {@code upper}). */
  record Call(String function, FilterExpr argument, int offset) implements FilterExpr {}

  /** Returns every column reference in {@code expr}, in the order they appear. */
  static List<Column> columns(FilterExpr expr) {
    List<Column> found = new ArrayList<>();
    collect(expr, found);
    return List.copyOf(found);
  }

  /** Returns the direct children of {@code expr}, left to right. */
  static List<FilterExpr> children(FilterExpr expr) {
    if (expr instanceof Negate n) {
      return List.of(n.operand());
    } else if (expr instanceof Arithmetic a) {
      return List.of(a.left(), a.right());
    } else if (expr instanceof Comparison c) {
      return List.of(c.left(), c.right());
    } else if (expr instanceof Not n) {
      return List.of(n.operand());
    } else if (expr instanceof And a) {
      return List.of(a.left(), a.right());
    } else if (expr instanceof Or o) {
      return List.of(o.left(), o.right());
    } else if (expr instanceof IsTest t) {
      return List.of(t.operand());
    } else if (expr instanceof In in) {
      List<FilterExpr> all = new ArrayList<>();
      all.add(in.operand());
      all.addAll(in.items());
      return all;
    } else if (expr instanceof Between b) {
      return List.of(b.operand(), b.low(), b.high());
    } else if (expr instanceof Like l) {
      return List.of(l.operand(), l.pattern());
    } else if (expr instanceof Call c) {
      return List.of(c.argument());
    }
    return List.of();
  }

  private static void collect(FilterExpr expr, List<Column> found) {
    if (expr instanceof Column c) {
      found.add(c);
    }
    for (FilterExpr child : children(expr)) {
      collect(child, found);
    }
  }
}
