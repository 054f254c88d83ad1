package io.georep.publication.internal;

import io.georep.publication.internal.FilterExpr.And;
import io.georep.publication.internal.FilterExpr.Arithmetic;
import io.georep.publication.internal.FilterExpr.ArithmeticOperator;
import io.georep.publication.internal.FilterExpr.Between;
import io.georep.publication.internal.FilterExpr.Call;
import io.georep.publication.internal.FilterExpr.Column;
import io.georep.publication.internal.FilterExpr.Comparison;
import io.georep.publication.internal.FilterExpr.In;
import io.georep.publication.internal.FilterExpr.IsTest;
import io.georep.publication.internal.FilterExpr.Like;
import io.georep.publication.internal.FilterExpr.Literal;
import io.georep.publication.internal.FilterExpr.Negate;
import io.georep.publication.internal.FilterExpr.Not;
import io.georep.publication.internal.FilterExpr.Or;
import io.georep.publication.spi.ColumnDescription;
import io.georep.publication.spi.TypeCategory;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * Type-checks a row filter against column types and renders it as PostgreSQL SQL.
 *
 * <p>Design: rendering is canonical (every identifier quoted, every operation parenthesized) so the
 * server parses exactly the tree the agent evaluates; ordering comparisons between text values get
 * {@code COLLATE "C"} so the server orders by code point, as the agent does, whatever the
 * database's collation. Type checking is stricter than PostgreSQL's implicit coercions (a string
 * literal is not a number) because the agent evaluates without the server's coercion rules; the one
 * coercion kept is a string literal compared with a date/time column. Stateless and thread-safe.
 */
public final class FilterSql {

  /** A type error at an offset within the filter text. */
  public record Issue(int offset, String message, String fix) {}

  private enum Type {
    BOOLEAN,
    NUMBER,
    TEXT,
    TEXT_LITERAL,
    DATETIME,
    NULL,
    UNKNOWN
  }

  private FilterSql() {}

  /**
   * Renders {@code expr} as SQL for a publication's {@code WHERE (...)}.
   *
   * @param columns looks up a column's description; empty for unknown columns (then no collation is
   *     added around them)
   */
  public static String render(
      FilterExpr expr, Function<String, Optional<ColumnDescription>> columns) {
    return new Renderer(columns).render(expr);
  }

  /**
   * Checks operand types; returns the issues found (empty if well-typed). Unknown columns are not
   * reported here (the caller reports them with suggestions).
   */
  public static List<Issue> check(
      FilterExpr expr, Function<String, Optional<ColumnDescription>> columns) {
    Checker checker = new Checker(columns);
    Type type = checker.type(expr);
    if (checker.issues.isEmpty()
        && type != Type.BOOLEAN
        && type != Type.UNKNOWN
        && type != Type.NULL) {
      checker.issues.add(
          new Issue(
              expr.offset(),
              "row filter must be a boolean condition, but it gives " + checker.describe(type),
              "compare the value, e.g. amount > 0"));
    }
    return List.copyOf(checker.issues);
  }

  private static Type typeOf(TypeCategory category) {
    return switch (category) {
      case INTEGER, DECIMAL, FLOAT -> Type.NUMBER;
      case TEXT -> Type.TEXT;
      case BOOLEAN -> Type.BOOLEAN;
      case DATETIME -> Type.DATETIME;
      case ARRAY, OTHER -> Type.UNKNOWN;
    };
  }

  private static final class Checker {
    private final Function<String, Optional<ColumnDescription>> columns;
    private final List<Issue> issues = new ArrayList<>();

    Checker(Function<String, Optional<ColumnDescription>> columns) {
      this.columns = columns;
    }

    String describe(Type type) {
      return switch (type) {
        case BOOLEAN -> "a boolean";
        case NUMBER -> "a number";
        case TEXT, TEXT_LITERAL -> "text";
        case DATETIME -> "a date/time";
        case NULL -> "NULL";
        case UNKNOWN -> "a value";
      };
    }

    Type type(FilterExpr expr) {
      if (expr instanceof Literal literal) {
        Object v = literal.value();
        if (v == null) {
          return Type.NULL;
        }
        return v instanceof String
            ? Type.TEXT_LITERAL
            : v instanceof Boolean ? Type.BOOLEAN : Type.NUMBER;
      } else if (expr instanceof Column column) {
        Optional<ColumnDescription> description = columns.apply(column.name());
        if (description.isEmpty()) {
          return Type.UNKNOWN;
        }
        TypeCategory category = description.get().category();
        if (category == TypeCategory.ARRAY || category == TypeCategory.OTHER) {
          issues.add(
              new Issue(
                  column.offset(),
                  "column '"
                      + column.name()
                      + "' has type "
                      + description.get().typeName()
                      + ", which row filters cannot use",
                  "filter on number, text, boolean or date/time columns"));
          return Type.UNKNOWN;
        }
        return typeOf(category);
      } else if (expr instanceof Negate negate) {
        expect(negate.operand(), "-", Type.NUMBER);
        return Type.NUMBER;
      } else if (expr instanceof Arithmetic arithmetic) {
        Type wanted = arithmetic.operator() == ArithmeticOperator.CONCAT ? Type.TEXT : Type.NUMBER;
        expect(arithmetic.left(), arithmetic.operator().symbol(), wanted);
        expect(arithmetic.right(), arithmetic.operator().symbol(), wanted);
        return wanted;
      } else if (expr instanceof Comparison comparison) {
        comparable(comparison.left(), comparison.right(), comparison.operator().symbol());
        return Type.BOOLEAN;
      } else if (expr instanceof Not not) {
        expect(not.operand(), "NOT", Type.BOOLEAN);
        return Type.BOOLEAN;
      } else if (expr instanceof And and) {
        expect(and.left(), "AND", Type.BOOLEAN);
        expect(and.right(), "AND", Type.BOOLEAN);
        return Type.BOOLEAN;
      } else if (expr instanceof Or or) {
        expect(or.left(), "OR", Type.BOOLEAN);
        expect(or.right(), "OR", Type.BOOLEAN);
        return Type.BOOLEAN;
      } else if (expr instanceof IsTest test) {
        if (test.kind() == FilterExpr.IsKind.NULL) {
          type(test.operand());
        } else {
          expect(test.operand(), "IS " + test.kind(), Type.BOOLEAN);
        }
        return Type.BOOLEAN;
      } else if (expr instanceof In in) {
        for (FilterExpr item : in.items()) {
          comparable(in.operand(), item, "IN");
        }
        return Type.BOOLEAN;
      } else if (expr instanceof Between between) {
        comparable(between.operand(), between.low(), "BETWEEN");
        comparable(between.operand(), between.high(), "BETWEEN");
        return Type.BOOLEAN;
      } else if (expr instanceof Like like) {
        expect(like.operand(), "LIKE", Type.TEXT);
        expect(like.pattern(), "LIKE", Type.TEXT);
        return Type.BOOLEAN;
      } else if (expr instanceof Call call) {
        expect(call.argument(), call.function() + "()", Type.TEXT);
        return Type.TEXT;
      }
      return Type.UNKNOWN;
    }

    private void expect(FilterExpr operand, String operator, Type wanted) {
      Type actual = type(operand);
      boolean fits =
          actual == wanted
              || actual == Type.UNKNOWN
              || actual == Type.NULL
              || (wanted == Type.TEXT && actual == Type.TEXT_LITERAL);
      if (!fits) {
        issues.add(
            new Issue(
                operand.offset(),
                operator
                    + " needs "
                    + describe(wanted)
                    + ", but "
                    + name(operand)
                    + " is "
                    + describe(actual),
                actual == Type.TEXT_LITERAL && wanted == Type.NUMBER
                    ? "write the number without quotes"
                    : "use an operand of the right type"));
      }
    }

    private void comparable(FilterExpr left, FilterExpr right, String operator) {
      Type l = type(left);
      Type r = type(right);
      if (l == Type.UNKNOWN || r == Type.UNKNOWN || l == Type.NULL || r == Type.NULL) {
        return;
      }
      Type a = l == Type.TEXT_LITERAL ? Type.TEXT : l;
      Type b = r == Type.TEXT_LITERAL ? Type.TEXT : r;
      boolean dateAndString =
          (l == Type.DATETIME && r == Type.TEXT_LITERAL)
              || (r == Type.DATETIME && l == Type.TEXT_LITERAL);
      if (a != b && !dateAndString) {
        issues.add(
            new Issue(
                right.offset(),
                "cannot compare "
                    + name(left)
                    + " ("
                    + describe(l)
                    + ") with "
                    + name(right)
                    + " ("
                    + describe(r)
                    + ") using "
                    + operator,
                l == Type.NUMBER && r == Type.TEXT_LITERAL
                    ? "write the number without quotes"
                    : "compare values of the same type"));
      }
    }

    private static String name(FilterExpr expr) {
      if (expr instanceof Column column) {
        return "'" + column.name() + "'";
      }
      if (expr instanceof Literal literal) {
        Object v = literal.value();
        return v instanceof String s ? "'" + s.replace("'", "''") + "'" : String.valueOf(v);
      }
      return "the expression";
    }
  }

  private static final class Renderer {
    private final Function<String, Optional<ColumnDescription>> columns;

    Renderer(Function<String, Optional<ColumnDescription>> columns) {
      this.columns = columns;
    }

    String render(FilterExpr expr) {
      if (expr instanceof Literal literal) {
        return literal(literal.value());
      } else if (expr instanceof Column column) {
        return SqlQuoting.identifier(column.name());
      } else if (expr instanceof Negate negate) {
        return "(-" + render(negate.operand()) + ")";
      } else if (expr instanceof Arithmetic a) {
        return "(" + render(a.left()) + " " + a.operator().symbol() + " " + render(a.right()) + ")";
      } else if (expr instanceof Comparison c) {
        String collate =
            c.operator().orders() && textual(c.left(), c.right()) ? " COLLATE \"C\"" : "";
        return "("
            + render(c.left())
            + collate
            + " "
            + c.operator().symbol()
            + " "
            + render(c.right())
            + ")";
      } else if (expr instanceof Not not) {
        return "(NOT " + render(not.operand()) + ")";
      } else if (expr instanceof And and) {
        return "(" + render(and.left()) + " AND " + render(and.right()) + ")";
      } else if (expr instanceof Or or) {
        return "(" + render(or.left()) + " OR " + render(or.right()) + ")";
      } else if (expr instanceof IsTest test) {
        return "("
            + render(test.operand())
            + " IS "
            + (test.negated() ? "NOT " : "")
            + test.kind().name()
            + ")";
      } else if (expr instanceof In in) {
        return "("
            + render(in.operand())
            + (in.negated() ? " NOT IN (" : " IN (")
            + in.items().stream().map(this::render).collect(Collectors.joining(", "))
            + "))";
      } else if (expr instanceof Between b) {
        boolean text = textual(b.operand(), b.low()) || textual(b.operand(), b.high());
        return "("
            + render(b.operand())
            + (text ? " COLLATE \"C\"" : "")
            + (b.negated() ? " NOT BETWEEN " : " BETWEEN ")
            + render(b.low())
            + " AND "
            + render(b.high())
            + ")";
      } else if (expr instanceof Like like) {
        return "("
            + render(like.operand())
            + (like.negated() ? " NOT LIKE " : " LIKE ")
            + render(like.pattern())
            + ")";
      } else if (expr instanceof Call call) {
        return call.function() + "(" + render(call.argument()) + ")";
      }
      throw new IllegalStateException("unhandled filter node " + expr);
    }

    private boolean textual(FilterExpr left, FilterExpr right) {
      Type l = new Checker(columns).type(left);
      Type r = new Checker(columns).type(right);
      boolean leftText = l == Type.TEXT || l == Type.TEXT_LITERAL;
      boolean rightText = r == Type.TEXT || r == Type.TEXT_LITERAL;
      return leftText && rightText;
    }

    private static String literal(Object value) {
      if (value == null) {
        return "NULL";
      }
      if (value instanceof String s) {
        return SqlQuoting.literal(s);
      }
      if (value instanceof Boolean b) {
        return b ? "TRUE" : "FALSE";
      }
      if (value instanceof BigDecimal d) {
        String plain = d.toPlainString();
        String numeric = plain.contains(".") ? plain : plain + ".0";
        return d.signum() < 0 ? "(" + numeric + ")" : numeric;
      }
      long l = (Long) value;
      return l < 0 ? "(" + l + ")" : Long.toString(l);
    }
  }
}
