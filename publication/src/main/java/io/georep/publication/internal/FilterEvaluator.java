package io.georep.publication.internal;

import io.georep.publication.internal.FilterExpr.And;
import io.georep.publication.internal.FilterExpr.Arithmetic;
import io.georep.publication.internal.FilterExpr.Between;
import io.georep.publication.internal.FilterExpr.Call;
import io.georep.publication.internal.FilterExpr.Column;
import io.georep.publication.internal.FilterExpr.Comparison;
import io.georep.publication.internal.FilterExpr.ComparisonOperator;
import io.georep.publication.internal.FilterExpr.In;
import io.georep.publication.internal.FilterExpr.IsTest;
import io.georep.publication.internal.FilterExpr.Like;
import io.georep.publication.internal.FilterExpr.Literal;
import io.georep.publication.internal.FilterExpr.Negate;
import io.georep.publication.internal.FilterExpr.Not;
import io.georep.publication.internal.FilterExpr.Or;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.math.MathContext;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeFormatterBuilder;
import java.time.temporal.ChronoField;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Evaluates a row filter over one row with SQL semantics, so the agent filters exactly as
 * PostgreSQL would when the filter cannot be pushed down.
 *
 * <p>Design: values are {@link Long} (all integer types), {@link BigDecimal} ({@code numeric}),
 * {@link Double} (floating point), {@link String}, {@link Boolean}, {@link LocalDate}, {@link
 * LocalDateTime}, {@link OffsetDateTime}, or null for SQL NULL. Logic is three-valued: any
 * comparison with NULL is NULL, AND/OR/NOT follow the SQL truth tables, {@code IN} is a chain of
 * ORed equalities and {@code BETWEEN} an AND of two comparisons. Integer arithmetic is exact 64-bit
 * (overflow and division by zero throw {@link ArithmeticException}, as they raise an error on the
 * server); integer division truncates toward zero. Text orders by Unicode code point, which is what
 * the pushed-down SQL asks for with {@code COLLATE "C"}. {@code lower}/{@code upper} use Unicode
 * case mapping; PostgreSQL's result for non-ASCII text depends on the database's {@code LC_CTYPE}.
 * Stateless and thread-safe.
 */
public final class FilterEvaluator {

  private static final DateTimeFormatter TIMESTAMP =
      new DateTimeFormatterBuilder()
          .append(DateTimeFormatter.ISO_LOCAL_DATE)
          .optionalStart()
          .optionalStart()
          .appendLiteral('T')
          .optionalEnd()
          .optionalStart()
          .appendLiteral(' ')
          .optionalEnd()
          .append(DateTimeFormatter.ISO_LOCAL_TIME)
          .optionalEnd()
          .optionalStart()
          .appendOffset("+HH:mm", "Z")
          .optionalEnd()
          .optionalStart()
          .appendOffset("+HH", "Z")
          .optionalEnd()
          .parseDefaulting(ChronoField.HOUR_OF_DAY, 0)
          .toFormatter(Locale.ROOT);

  private FilterEvaluator() {}

  /**
   * Evaluates a boolean filter: TRUE, FALSE, or null for UNKNOWN.
   *
   * @param row column name to value; every column the filter uses must be present (a value may be
   *     null)
   * @throws IllegalArgumentException if the row lacks a column or holds a value of an unsupported
   *     type, or if the filter compares values of incompatible types
   * @throws ArithmeticException on division by zero or integer overflow
   */
  public static Boolean test(FilterExpr expr, Map<String, ?> row) {
    Object value = evaluate(expr, row);
    if (value != null && !(value instanceof Boolean)) {
      throw new IllegalArgumentException("row filter is not boolean; it gives " + value);
    }
    return (Boolean) value;
  }

  static Object evaluate(FilterExpr expr, Map<String, ?> row) {
    if (expr instanceof Literal literal) {
      return literal.value();
    } else if (expr instanceof Column column) {
      if (!row.containsKey(column.name())) {
        throw new IllegalArgumentException(
            "the row has no column '" + column.name() + "', which the row filter uses");
      }
      return normalize(row.get(column.name()), column.name());
    } else if (expr instanceof Negate negate) {
      Object value = evaluate(negate.operand(), row);
      if (value == null) {
        return null;
      }
      if (value instanceof Long l) {
        return Math.negateExact(l);
      } else if (value instanceof BigDecimal d) {
        return d.negate();
      } else if (value instanceof Double d) {
        return -d;
      }
      throw typeError("-", value, value);
    } else if (expr instanceof Arithmetic arithmetic) {
      return arithmetic(
          arithmetic.operator(),
          evaluate(arithmetic.left(), row),
          evaluate(arithmetic.right(), row));
    } else if (expr instanceof Comparison comparison) {
      return compare(
          comparison.operator(),
          evaluate(comparison.left(), row),
          evaluate(comparison.right(), row));
    } else if (expr instanceof Not not) {
      Boolean value = bool(evaluate(not.operand(), row));
      return value == null ? null : !value;
    } else if (expr instanceof And and) {
      return and(bool(evaluate(and.left(), row)), bool(evaluate(and.right(), row)));
    } else if (expr instanceof Or or) {
      return or(bool(evaluate(or.left(), row)), bool(evaluate(or.right(), row)));
    } else if (expr instanceof IsTest test) {
      Object value = evaluate(test.operand(), row);
      boolean result =
          switch (test.kind()) {
            case NULL, UNKNOWN -> value == null;
            case TRUE -> Boolean.TRUE.equals(bool(value));
            case FALSE -> Boolean.FALSE.equals(bool(value));
          };
      return result != test.negated();
    } else if (expr instanceof In in) {
      Object value = evaluate(in.operand(), row);
      Boolean any = Boolean.FALSE;
      for (FilterExpr item : in.items()) {
        any = or(any, compare(ComparisonOperator.EQ, value, evaluate(item, row)));
      }
      return in.negated() ? not(any) : any;
    } else if (expr instanceof Between between) {
      Object value = evaluate(between.operand(), row);
      Boolean inside =
          and(
              compare(ComparisonOperator.GE, value, evaluate(between.low(), row)),
              compare(ComparisonOperator.LE, value, evaluate(between.high(), row)));
      return between.negated() ? not(inside) : inside;
    } else if (expr instanceof Like like) {
      Object value = evaluate(like.operand(), row);
      Object pattern = evaluate(like.pattern(), row);
      if (value == null || pattern == null) {
        return null;
      }
      if (!(value instanceof String text) || !(pattern instanceof String p)) {
        throw typeError("LIKE", value, pattern);
      }
      boolean matches = likePattern(p).matcher(text).matches();
      return matches != like.negated();
    } else if (expr instanceof Call call) {
      Object value = evaluate(call.argument(), row);
      if (value == null) {
        return null;
      }
      if (!(value instanceof String text)) {
        throw typeError(call.function() + "()", value, value);
      }
      return call.function().equals("lower")
          ? text.toLowerCase(Locale.ROOT)
          : text.toUpperCase(Locale.ROOT);
    }
    throw new IllegalStateException("unhandled filter node " + expr);
  }

  private static Object normalize(Object value, String column) {
    if (value == null
        || value instanceof Long
        || value instanceof BigDecimal
        || value instanceof Double
        || value instanceof String
        || value instanceof Boolean
        || value instanceof LocalDate
        || value instanceof LocalDateTime
        || value instanceof OffsetDateTime) {
      return value;
    }
    if (value instanceof Integer || value instanceof Short || value instanceof Byte) {
      return ((Number) value).longValue();
    }
    if (value instanceof Float f) {
      return f.doubleValue();
    }
    if (value instanceof BigInteger b) {
      return new BigDecimal(b);
    }
    if (value instanceof Character c) {
      return c.toString();
    }
    throw new IllegalArgumentException(
        "column '"
            + column
            + "' holds a "
            + value.getClass().getName()
            + ", which row filters cannot evaluate");
  }

  private static Boolean bool(Object value) {
    if (value == null || value instanceof Boolean) {
      return (Boolean) value;
    }
    throw new IllegalArgumentException("expected a boolean in the row filter, got " + value);
  }

  private static Boolean not(Boolean value) {
    return value == null ? null : !value;
  }

  private static Boolean and(Boolean left, Boolean right) {
    if (Boolean.FALSE.equals(left) || Boolean.FALSE.equals(right)) {
      return false;
    }
    return (left == null || right == null) ? null : Boolean.TRUE;
  }

  private static Boolean or(Boolean left, Boolean right) {
    if (Boolean.TRUE.equals(left) || Boolean.TRUE.equals(right)) {
      return true;
    }
    return (left == null || right == null) ? null : Boolean.FALSE;
  }

  private static Object arithmetic(
      FilterExpr.ArithmeticOperator operator, Object left, Object right) {
    if (left == null || right == null) {
      return null;
    }
    if (operator == FilterExpr.ArithmeticOperator.CONCAT) {
      if (left instanceof String l && right instanceof String r) {
        return l + r;
      }
      throw typeError("||", left, right);
    }
    if (!(left instanceof Number leftNumber) || !(right instanceof Number rightNumber)) {
      throw typeError(operator.symbol(), left, right);
    }
    if (left instanceof Long l && right instanceof Long r) {
      return switch (operator) {
        case ADD -> Math.addExact(l, r);
        case SUBTRACT -> Math.subtractExact(l, r);
        case MULTIPLY -> Math.multiplyExact(l, r);
        case DIVIDE -> {
          if (r == 0) {
            throw new ArithmeticException("division by zero in row filter");
          }
          if (l == Long.MIN_VALUE && r == -1) {
            throw new ArithmeticException("integer out of range in row filter");
          }
          yield l / r;
        }
        case MODULO -> {
          if (r == 0) {
            throw new ArithmeticException("division by zero in row filter");
          }
          yield r == -1 ? 0L : l % r;
        }
        case CONCAT -> throw new IllegalStateException("handled above");
      };
    }
    if (left instanceof Double || right instanceof Double) {
      double l = leftNumber.doubleValue();
      double r = rightNumber.doubleValue();
      return switch (operator) {
        case ADD -> l + r;
        case SUBTRACT -> l - r;
        case MULTIPLY -> l * r;
        case DIVIDE -> {
          if (r == 0) {
            throw new ArithmeticException("division by zero in row filter");
          }
          yield l / r;
        }
        case MODULO -> throw typeError("%", left, right);
        case CONCAT -> throw new IllegalStateException("handled above");
      };
    }
    BigDecimal l = decimal(left);
    BigDecimal r = decimal(right);
    return switch (operator) {
      case ADD -> l.add(r);
      case SUBTRACT -> l.subtract(r);
      case MULTIPLY -> l.multiply(r);
      case DIVIDE -> {
        if (r.signum() == 0) {
          throw new ArithmeticException("division by zero in row filter");
        }
        yield l.divide(r, MathContext.DECIMAL128);
      }
      case MODULO -> {
        if (r.signum() == 0) {
          throw new ArithmeticException("division by zero in row filter");
        }
        yield l.remainder(r);
      }
      case CONCAT -> throw new IllegalStateException("handled above");
    };
  }

  private static BigDecimal decimal(Object number) {
    if (number instanceof BigDecimal d) {
      return d;
    }
    if (number instanceof Long l) {
      return BigDecimal.valueOf(l);
    }
    return new BigDecimal(((Number) number).doubleValue());
  }

  private static Boolean compare(ComparisonOperator operator, Object left, Object right) {
    if (left == null || right == null) {
      return null;
    }
    int order = order(left, right);
    return switch (operator) {
      case EQ -> order == 0;
      case NE -> order != 0;
      case LT -> order < 0;
      case LE -> order <= 0;
      case GT -> order > 0;
      case GE -> order >= 0;
    };
  }

  private static int order(Object left, Object right) {
    if (left instanceof Number l && right instanceof Number r) {
      if (left instanceof Double || right instanceof Double) {
        return Double.compare(l.doubleValue(), r.doubleValue());
      }
      return decimal(left).compareTo(decimal(right));
    }
    if (left instanceof String l && right instanceof String r) {
      return codePointOrder(l, r);
    }
    if (left instanceof Boolean l && right instanceof Boolean r) {
      return Boolean.compare(l, r);
    }
    if (left instanceof String text && !(right instanceof String)) {
      return order(temporal(text, right, left, right), right);
    }
    if (right instanceof String text && !(left instanceof String)) {
      return order(left, temporal(text, left, left, right));
    }
    if (left instanceof LocalDate l && right instanceof LocalDate r) {
      return l.compareTo(r);
    }
    if (left instanceof LocalDateTime l && right instanceof LocalDateTime r) {
      return l.compareTo(r);
    }
    if (left instanceof OffsetDateTime l && right instanceof OffsetDateTime r) {
      return l.toInstant().compareTo(r.toInstant());
    }
    throw typeError("comparison", left, right);
  }

  private static Object temporal(String text, Object like, Object left, Object right) {
    try {
      if (like instanceof LocalDate) {
        return LocalDate.parse(text.strip(), DateTimeFormatter.ISO_LOCAL_DATE);
      } else if (like instanceof LocalDateTime) {
        return LocalDateTime.parse(text.strip(), TIMESTAMP);
      } else if (like instanceof OffsetDateTime) {
        return OffsetDateTime.parse(text.strip(), TIMESTAMP);
      }
    } catch (java.time.format.DateTimeParseException e) {
      throw new IllegalArgumentException(
          "row filter compares a date/time with '" + text + "', which is not an ISO date/time", e);
    }
    throw typeError("comparison", left, right);
  }

  static int codePointOrder(String left, String right) {
    int i = 0;
    int j = 0;
    while (i < left.length() && j < right.length()) {
      int a = left.codePointAt(i);
      int b = right.codePointAt(j);
      if (a != b) {
        return Integer.compare(a, b);
      }
      i += Character.charCount(a);
      j += Character.charCount(b);
    }
    return Boolean.compare(i < left.length(), j < right.length());
  }

  private static Pattern likePattern(String pattern) {
    StringBuilder regex = new StringBuilder();
    for (int i = 0; i < pattern.length(); i++) {
      char c = pattern.charAt(i);
      if (c == '\\' && i + 1 < pattern.length()) {
        regex.append(Pattern.quote(String.valueOf(pattern.charAt(++i))));
      } else if (c == '%') {
        regex.append(".*");
      } else if (c == '_') {
        regex.append('.');
      } else {
        regex.append(Pattern.quote(String.valueOf(c)));
      }
    }
    return Pattern.compile(regex.toString(), Pattern.DOTALL);
  }

  private static IllegalArgumentException typeError(String operator, Object left, Object right) {
    return new IllegalArgumentException(
        "row filter applies "
            + operator
            + " to incompatible values "
            + describe(left)
            + " and "
            + describe(right));
  }

  private static String describe(Object value) {
    return value.getClass().getSimpleName() + " " + value;
  }
}
