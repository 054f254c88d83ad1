package io.georep.publication.internal;

import io.georep.publication.DidYouMean;
import io.georep.publication.internal.FilterExpr.And;
import io.georep.publication.internal.FilterExpr.Arithmetic;
import io.georep.publication.internal.FilterExpr.ArithmeticOperator;
import io.georep.publication.internal.FilterExpr.Between;
import io.georep.publication.internal.FilterExpr.Call;
import io.georep.publication.internal.FilterExpr.Column;
import io.georep.publication.internal.FilterExpr.Comparison;
import io.georep.publication.internal.FilterExpr.ComparisonOperator;
import io.georep.publication.internal.FilterExpr.In;
import io.georep.publication.internal.FilterExpr.IsKind;
import io.georep.publication.internal.FilterExpr.IsTest;
import io.georep.publication.internal.FilterExpr.Like;
import io.georep.publication.internal.FilterExpr.Literal;
import io.georep.publication.internal.FilterExpr.Negate;
import io.georep.publication.internal.FilterExpr.Not;
import io.georep.publication.internal.FilterExpr.Or;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Parses a row filter, a SQL boolean expression, into a {@link FilterExpr}.
 *
 * <p>Design: a hand-written lexer and recursive-descent parser whose precedence levels follow
 * PostgreSQL's (from loosest: OR, AND, NOT, IS, comparison, BETWEEN/IN/LIKE, {@code ||}, {@code +
 * -}, {@code * / %}, unary minus), so a filter means the same here as on the server. Comparisons do
 * not chain, as in PostgreSQL. Anything outside the subset (subqueries, casts, other functions,
 * parameters, qualified names) is rejected with the offset of the offending token and a fix. The
 * parser stops at the first error: a filter is short, and later errors would mostly be echoes.
 * Unquoted identifiers fold to lower case (ASCII only, as PostgreSQL does in UTF-8 databases);
 * double-quoted identifiers are exact. Instances are single-use and not thread-safe; use {@link
 * #parse(String)}.
 *
 * <p>About 660 lines: a lexer and one recursive-descent method per precedence level of one grammar;
 * splitting the lexer off would be the first seam.
 */
public final class FilterParser {

  /** Functions allowed in filters: immutable, built-in, one text argument. */
  public static final Set<String> FUNCTIONS = Set.of("lower", "upper");

  private static final Set<String> KEYWORDS =
      Set.of("and", "or", "not", "is", "null", "true", "false", "unknown", "in", "between", "like");

  private static final Map<String, String> UNSUPPORTED_KEYWORDS =
      Map.ofEntries(
          Map.entry(
              "select",
              "a row filter sees only the changed row; compare its columns with literals instead"),
          Map.entry(
              "exists",
              "a row filter sees only the changed row; compare its columns with literals instead"),
          Map.entry("case", "rewrite the condition with AND, OR and NOT"),
          Map.entry("cast", "compare with a literal of the column's type, e.g. amount > 10"),
          Map.entry("ilike", "use lower(column) LIKE 'pattern' instead"),
          Map.entry("similar", "use LIKE with % and _ instead"),
          Map.entry("any", "list the values: column IN ('a', 'b')"),
          Map.entry("all", "combine the comparisons with AND"),
          Map.entry("some", "list the values: column IN ('a', 'b')"),
          Map.entry("from", "a row filter is an expression, not a query"),
          Map.entry("where", "write only the condition, without WHERE"));

  private enum Kind {
    IDENTIFIER,
    QUOTED_IDENTIFIER,
    STRING,
    NUMBER,
    SYMBOL,
    END
  }

  private record Token(Kind kind, String text, int offset) {
    boolean is(String symbolOrKeyword) {
      return (kind == Kind.SYMBOL || kind == Kind.IDENTIFIER) && text.equals(symbolOrKeyword);
    }
  }

  private final String sql;
  private final List<Token> tokens;
  private int next;

  private FilterParser(String sql) {
    this.sql = sql;
    this.tokens = tokenize(sql);
  }

  /**
   * Parses {@code sql}.
   *
   * @throws FilterSyntaxException if the text is not a filter in the supported subset
   */
  public static FilterExpr parse(String sql) {
    FilterParser parser = new FilterParser(sql);
    if (parser.peek().kind() == Kind.END) {
      throw new FilterSyntaxException(
          0,
          "row filter is empty",
          "write a boolean expression such as status = 'paid', or remove the filter key");
    }
    FilterExpr expr = parser.parseOr();
    Token extra = parser.peek();
    if (extra.kind() != Kind.END) {
      if (extra.is(")")) {
        throw new FilterSyntaxException(
            extra.offset(), "unbalanced parenthesis: ')' has no matching '('", "remove the ')'");
      }
      throw new FilterSyntaxException(
          extra.offset(),
          "unexpected " + describe(extra) + " after a complete expression",
          "join conditions with AND or OR");
    }
    return expr;
  }

  // ---- lexer ----

  private static List<Token> tokenize(String sql) {
    List<Token> out = new ArrayList<>();
    int i = 0;
    int n = sql.length();
    while (i < n) {
      char c = sql.charAt(i);
      if (Character.isWhitespace(c)) {
        i++;
      } else if (c == '-' && i + 1 < n && sql.charAt(i + 1) == '-') {
        while (i < n && sql.charAt(i) != '\n') {
          i++;
        }
      } else if (c == '/' && i + 1 < n && sql.charAt(i + 1) == '*') {
        int end = sql.indexOf("*/", i + 2);
        if (end < 0) {
          throw new FilterSyntaxException(i, "comment is not closed", "end it with */");
        }
        i = end + 2;
      } else if (c == '\'') {
        int start = i;
        StringBuilder value = new StringBuilder();
        i++;
        while (true) {
          if (i >= n) {
            throw new FilterSyntaxException(
                start,
                "string literal is not closed",
                "end it with ' (write '' for a quote inside the string)");
          }
          char d = sql.charAt(i);
          if (d == '\'') {
            if (i + 1 < n && sql.charAt(i + 1) == '\'') {
              value.append('\'');
              i += 2;
              continue;
            }
            i++;
            break;
          }
          value.append(d);
          i++;
        }
        out.add(new Token(Kind.STRING, value.toString(), start));
      } else if (c == '"') {
        int start = i;
        int end = sql.indexOf('"', i + 1);
        StringBuilder value = new StringBuilder();
        while (end >= 0 && end + 1 < n && sql.charAt(end + 1) == '"') {
          value.append(sql, i + 1, end + 1);
          i = end + 1;
          end = sql.indexOf('"', i + 1);
        }
        if (end < 0) {
          throw new FilterSyntaxException(
              start, "quoted identifier is not closed", "end it with \" (write \"\" inside)");
        }
        value.append(sql, i + 1, end);
        if (value.length() == 0) {
          throw new FilterSyntaxException(
              start, "empty quoted identifier \"\"", "write the column name between the quotes");
        }
        out.add(new Token(Kind.QUOTED_IDENTIFIER, value.toString(), start));
        i = end + 1;
      } else if (Character.isDigit(c)
          || (c == '.' && i + 1 < n && Character.isDigit(sql.charAt(i + 1)))) {
        int start = i;
        while (i < n && Character.isDigit(sql.charAt(i))) {
          i++;
        }
        if (i < n && sql.charAt(i) == '.') {
          i++;
          while (i < n && Character.isDigit(sql.charAt(i))) {
            i++;
          }
        }
        if (i < n && (sql.charAt(i) == 'e' || sql.charAt(i) == 'E')) {
          int mark = i;
          i++;
          if (i < n && (sql.charAt(i) == '+' || sql.charAt(i) == '-')) {
            i++;
          }
          if (i < n && Character.isDigit(sql.charAt(i))) {
            while (i < n && Character.isDigit(sql.charAt(i))) {
              i++;
            }
          } else {
            i = mark;
          }
        }
        if (i < n && (Character.isLetter(sql.charAt(i)) || sql.charAt(i) == '_')) {
          throw new FilterSyntaxException(
              start,
              "malformed number '" + sql.substring(start, wordEnd(sql, i)) + "'",
              "separate the number from the following word with a space, or quote the string");
        }
        out.add(new Token(Kind.NUMBER, sql.substring(start, i), start));
      } else if (Character.isLetter(c) || c == '_') {
        int start = i;
        i = wordEnd(sql, i);
        out.add(
            new Token(Kind.IDENTIFIER, sql.substring(start, i).toLowerCase(Locale.ROOT), start));
      } else {
        int start = i;
        String two = i + 1 < n ? sql.substring(i, i + 2) : "";
        switch (two) {
          case "<=", ">=", "<>", "||", "::" -> {
            out.add(new Token(Kind.SYMBOL, two, start));
            i += 2;
            continue;
          }
          case "!=" -> {
            out.add(new Token(Kind.SYMBOL, "<>", start));
            i += 2;
            continue;
          }
          case "==" ->
              throw new FilterSyntaxException(
                  start,
                  "unknown operator '=='",
                  "did you mean '='? SQL compares with a single '='");
          case "&&" ->
              throw new FilterSyntaxException(start, "unknown operator '&&'", "did you mean AND?");
          default -> {}
        }
        switch (c) {
          case '=', '<', '>', '+', '-', '*', '/', '%', '(', ')', ',', '.', '[' -> {
            out.add(new Token(Kind.SYMBOL, String.valueOf(c), start));
            i++;
          }
          case ';' ->
              throw new FilterSyntaxException(
                  start,
                  "';' is not allowed in a row filter",
                  "a row filter is one boolean expression, not a statement; remove the ';'");
          case '$' ->
              throw new FilterSyntaxException(
                  start,
                  "parameters ('$1') are not allowed in row filters",
                  "write the value as a literal");
          case '!' ->
              throw new FilterSyntaxException(
                  start, "unknown operator '!'", "did you mean NOT, or '<>' for not equal?");
          default ->
              throw new FilterSyntaxException(
                  start,
                  "unknown operator '" + new String(Character.toChars(sql.codePointAt(i))) + "'",
                  "use =, <>, <, <=, >, >=, +, -, *, /, %, ||, AND, OR, NOT, IS, IN, BETWEEN or LIKE");
        }
      }
    }
    out.add(new Token(Kind.END, "", n));
    return out;
  }

  private static int wordEnd(String sql, int from) {
    int i = from;
    while (i < sql.length()
        && (Character.isLetterOrDigit(sql.charAt(i))
            || sql.charAt(i) == '_'
            || sql.charAt(i) == '$')) {
      i++;
    }
    return i;
  }

  // ---- parser ----

  private Token peek() {
    return tokens.get(next);
  }

  private Token take() {
    return tokens.get(next++);
  }

  private boolean accept(String symbolOrKeyword) {
    if (peek().is(symbolOrKeyword)) {
      next++;
      return true;
    }
    return false;
  }

  private FilterExpr parseOr() {
    FilterExpr left = parseAnd();
    while (peek().is("or")) {
      int at = take().offset();
      left = new Or(left, parseAnd(), at);
    }
    return left;
  }

  private FilterExpr parseAnd() {
    FilterExpr left = parseNot();
    while (peek().is("and")) {
      int at = take().offset();
      left = new And(left, parseNot(), at);
    }
    return left;
  }

  private FilterExpr parseNot() {
    if (peek().is("not")) {
      int at = take().offset();
      return new Not(parseNot(), at);
    }
    return parseIs();
  }

  private FilterExpr parseIs() {
    FilterExpr operand = parseComparison();
    while (peek().is("is")) {
      int at = take().offset();
      boolean negated = accept("not");
      Token what = take();
      IsKind kind;
      if (what.is("null")) {
        kind = IsKind.NULL;
      } else if (what.is("true")) {
        kind = IsKind.TRUE;
      } else if (what.is("false")) {
        kind = IsKind.FALSE;
      } else if (what.is("unknown")) {
        kind = IsKind.UNKNOWN;
      } else {
        throw new FilterSyntaxException(
            what.offset(),
            "expected NULL, TRUE, FALSE or UNKNOWN after IS, found " + describe(what),
            "write IS NULL or IS NOT NULL");
      }
      operand = new IsTest(operand, kind, negated, at);
    }
    return operand;
  }

  private FilterExpr parseComparison() {
    FilterExpr left = parseRange();
    ComparisonOperator operator = comparisonOperator(peek());
    if (operator == null) {
      return left;
    }
    int at = take().offset();
    FilterExpr right = parseRange();
    Token chained = peek();
    if (comparisonOperator(chained) != null) {
      throw new FilterSyntaxException(
          chained.offset(),
          "comparisons cannot be chained",
          "combine them with AND, e.g. a < b AND b < c");
    }
    return new Comparison(operator, left, right, at);
  }

  private static ComparisonOperator comparisonOperator(Token token) {
    if (token.kind() != Kind.SYMBOL) {
      return null;
    }
    for (ComparisonOperator operator : ComparisonOperator.values()) {
      if (operator.symbol().equals(token.text())) {
        return operator;
      }
    }
    return null;
  }

  private FilterExpr parseRange() {
    FilterExpr operand = parseConcat();
    while (true) {
      Token token = peek();
      boolean negated = false;
      if (token.is("not")) {
        Token after = tokens.get(next + 1);
        if (!(after.is("in") || after.is("between") || after.is("like"))) {
          return operand;
        }
        next++;
        negated = true;
        token = peek();
      }
      if (token.is("between")) {
        next++;
        FilterExpr low = parseConcat();
        if (!accept("and")) {
          throw new FilterSyntaxException(
              peek().offset(),
              "BETWEEN needs AND between its bounds, found " + describe(peek()),
              "write x BETWEEN low AND high");
        }
        operand = new Between(operand, low, parseConcat(), negated, token.offset());
      } else if (token.is("in")) {
        next++;
        Token open = peek();
        if (!accept("(")) {
          throw new FilterSyntaxException(
              open.offset(),
              "IN needs a parenthesized list of values, found " + describe(open),
              "write x IN ('a', 'b')");
        }
        if (peek().is("select")) {
          throw unsupportedKeyword(peek());
        }
        List<FilterExpr> items = new ArrayList<>();
        do {
          items.add(parseConcat());
        } while (accept(","));
        expectClose(open);
        operand = new In(operand, items, negated, token.offset());
      } else if (token.is("like")) {
        next++;
        operand = new Like(operand, parseConcat(), negated, token.offset());
      } else {
        return operand;
      }
    }
  }

  private FilterExpr parseConcat() {
    FilterExpr left = parseAdditive();
    while (peek().is("||")) {
      int at = take().offset();
      left = new Arithmetic(ArithmeticOperator.CONCAT, left, parseAdditive(), at);
    }
    return left;
  }

  private FilterExpr parseAdditive() {
    FilterExpr left = parseMultiplicative();
    while (peek().is("+") || peek().is("-")) {
      Token op = take();
      ArithmeticOperator operator =
          op.text().equals("+") ? ArithmeticOperator.ADD : ArithmeticOperator.SUBTRACT;
      left = new Arithmetic(operator, left, parseMultiplicative(), op.offset());
    }
    return left;
  }

  private FilterExpr parseMultiplicative() {
    FilterExpr left = parseUnary();
    while (peek().is("*") || peek().is("/") || peek().is("%")) {
      Token op = take();
      ArithmeticOperator operator =
          switch (op.text()) {
            case "*" -> ArithmeticOperator.MULTIPLY;
            case "/" -> ArithmeticOperator.DIVIDE;
            default -> ArithmeticOperator.MODULO;
          };
      left = new Arithmetic(operator, left, parseUnary(), op.offset());
    }
    return left;
  }

  private FilterExpr parseUnary() {
    if (peek().is("-")) {
      int at = take().offset();
      FilterExpr operand = parseUnary();
      if (operand instanceof Literal literal && literal.value() instanceof Long value) {
        return new Literal(-value, at);
      }
      if (operand instanceof Literal literal && literal.value() instanceof BigDecimal value) {
        return new Literal(value.negate(), at);
      }
      return new Negate(operand, at);
    }
    if (peek().is("+")) {
      take();
      return parseUnary();
    }
    return parsePostfix(parsePrimary());
  }

  private FilterExpr parsePostfix(FilterExpr expr) {
    Token token = peek();
    if (token.is("collate")) {
      next++;
      Token collation = take();
      if (!(collation.kind() == Kind.QUOTED_IDENTIFIER && collation.text().equals("C"))) {
        throw new FilterSyntaxException(
            collation.offset(),
            "only COLLATE \"C\" is supported in row filters",
            "remove the COLLATE clause; text is always compared by code point (COLLATE \"C\")");
      }
      // Text always orders by code point here and in the pushed-down SQL, so "C" changes nothing.
      return parsePostfix(expr);
    }
    if (token.is("::")) {
      throw new FilterSyntaxException(
          token.offset(),
          "casts ('::') are not supported in row filters",
          "compare with a literal of the column's type, e.g. amount > 10");
    }
    if (token.is("[")) {
      throw new FilterSyntaxException(
          token.offset(),
          "array subscripts are not supported in row filters",
          "filter on scalar columns");
    }
    if (token.is(".")) {
      throw new FilterSyntaxException(
          token.offset(),
          "qualified names are not allowed in row filters",
          "write just the column name; a filter always refers to its own table");
    }
    return expr;
  }

  private FilterExpr parsePrimary() {
    Token token = take();
    switch (token.kind()) {
      case NUMBER:
        return new Literal(number(token.text()), token.offset());
      case STRING:
        return new Literal(token.text(), token.offset());
      case QUOTED_IDENTIFIER:
        return new Column(token.text(), token.offset());
      case IDENTIFIER:
        return identifier(token);
      case END:
        throw new FilterSyntaxException(
            token.offset(),
            "row filter ends where a value was expected",
            "complete the expression after '" + lastTokenText() + "'");
      case SYMBOL:
      default:
        if (token.is("(")) {
          if (peek().is("select")) {
            throw unsupportedKeyword(peek());
          }
          FilterExpr inner = parseOr();
          expectClose(token);
          return inner;
        }
        if (token.is(")")) {
          throw new FilterSyntaxException(
              token.offset(),
              "unbalanced parenthesis: ')' has no matching '('",
              "remove the ')' or add a value before it");
        }
        throw new FilterSyntaxException(
            token.offset(),
            "expected a column, a literal or '(', found " + describe(token),
            "check the expression near this position");
    }
  }

  private String lastTokenText() {
    return next >= 2 ? sql.substring(tokens.get(next - 2).offset()).strip() : sql.strip();
  }

  private FilterExpr identifier(Token token) {
    String word = token.text();
    if (UNSUPPORTED_KEYWORDS.containsKey(word)) {
      throw unsupportedKeyword(token);
    }
    if (word.equals("null") || word.equals("true") || word.equals("false")) {
      return new Literal(word.equals("null") ? null : Boolean.valueOf(word), token.offset());
    }
    if (KEYWORDS.contains(word)) {
      throw new FilterSyntaxException(
          token.offset(),
          "expected a column, a literal or '(', found keyword " + word.toUpperCase(Locale.ROOT),
          "put a value before " + word.toUpperCase(Locale.ROOT));
    }
    if (peek().is("(")) {
      Token open = take();
      if (!FUNCTIONS.contains(word)) {
        String suggestion = DidYouMean.suggest(word, FUNCTIONS).map(s -> s + "() or ").orElse("");
        throw new FilterSyntaxException(
            token.offset(),
            "function '" + word + "' is not allowed in row filters",
            "use "
                + suggestion
                + "only lower() and upper(); PostgreSQL accepts only immutable built-in"
                + " functions here, and the agent must compute the same answer");
      }
      if (peek().is(")")) {
        throw new FilterSyntaxException(
            peek().offset(), word + "() needs one argument", "write " + word + "(column)");
      }
      FilterExpr argument = parseOr();
      if (peek().is(",")) {
        throw new FilterSyntaxException(
            peek().offset(), word + "() takes one argument", "remove the extra arguments");
      }
      expectClose(open);
      return new Call(word, argument, token.offset());
    }
    return new Column(word, token.offset());
  }

  private void expectClose(Token open) {
    Token token = peek();
    if (token.is(")")) {
      next++;
      return;
    }
    if (token.kind() == Kind.END) {
      throw new FilterSyntaxException(
          open.offset(),
          "unbalanced parenthesis: '(' is never closed",
          "add ')' at the end of the grouped expression");
    }
    throw new FilterSyntaxException(
        token.offset(),
        "expected ')' to close the '(', found " + describe(token),
        "check the parentheses and operators");
  }

  private static FilterSyntaxException unsupportedKeyword(Token token) {
    String word = token.text();
    String what =
        word.equals("select") || word.equals("exists")
            ? "subqueries are not allowed in row filters"
            : "'" + word.toUpperCase(Locale.ROOT) + "' is not supported in row filters";
    return new FilterSyntaxException(token.offset(), what, UNSUPPORTED_KEYWORDS.get(word));
  }

  private static Object number(String text) {
    if (text.chars().allMatch(Character::isDigit)) {
      try {
        return Long.parseLong(text);
      } catch (NumberFormatException tooLong) {
        return new BigDecimal(text);
      }
    }
    return new BigDecimal(text);
  }

  private static String describe(Token token) {
    return switch (token.kind()) {
      case END -> "the end of the filter";
      case STRING -> "string '" + token.text() + "'";
      case IDENTIFIER ->
          KEYWORDS.contains(token.text())
              ? token.text().toUpperCase(Locale.ROOT)
              : "'" + token.text() + "'";
      default -> "'" + token.text() + "'";
    };
  }
}
