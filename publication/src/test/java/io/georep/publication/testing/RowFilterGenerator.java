package io.georep.publication.testing;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Generates well-typed row filters and rows over a fixed table, for checking that the agent's
 * evaluator agrees with PostgreSQL.
 *
 * <p>The table is {@code (id bigint primary key, a integer, b integer, n numeric(10,2), s text, t
 * text, flag boolean)}. Values are small (integers in [-5, 12]) so nested arithmetic stays within
 * PostgreSQL's 32-bit {@code integer}; division and remainder only take non-zero integer literals
 * as divisors and never apply to {@code numeric} (whose division scale differs by design); text
 * uses an ASCII alphabet including the LIKE wildcards, so case mapping and collation agree. Not
 * thread-safe: one generator per seed.
 */
public final class RowFilterGenerator {

  /** The columns of the generated table, in order. */
  public static final List<String> COLUMNS = List.of("id", "a", "b", "n", "s", "t", "flag");

  private static final String ALPHABET = "aAbBx%_ ";

  private final SplittableRandom random;

  /** Creates a generator drawing from {@code random}. */
  public RowFilterGenerator(SplittableRandom random) {
    this.random = random;
  }

  /** Returns the DDL of the generated table under {@code qualifiedName} (already quoted). */
  public static String createTable(String qualifiedName) {
    return "CREATE TABLE "
        + qualifiedName
        + " (id bigint PRIMARY KEY, a integer, b integer, n numeric(10,2), s text, t text,"
        + " flag boolean)";
  }

  /** Returns a random row with the given id; other values may be null. */
  public Map<String, Object> row(long id) {
    Map<String, Object> row = new LinkedHashMap<>();
    row.put("id", id);
    row.put("a", nullOr(() -> (long) small()));
    row.put("b", nullOr(() -> (long) small()));
    row.put("n", nullOr(() -> BigDecimal.valueOf(random.nextInt(-1000, 1001), 2)));
    row.put("s", nullOr(this::text));
    row.put("t", nullOr(this::text));
    row.put("flag", nullOr(random::nextBoolean));
    return row;
  }

  /** Returns a random boolean filter over the table's columns. */
  public String filter() {
    return bool(3);
  }

  private interface Supplier {
    Object get();
  }

  private Object nullOr(Supplier value) {
    return random.nextInt(5) == 0 ? null : value.get();
  }

  private int small() {
    return random.nextInt(-5, 13);
  }

  private String text() {
    StringBuilder text = new StringBuilder();
    int length = random.nextInt(4);
    for (int i = 0; i < length; i++) {
      text.append(ALPHABET.charAt(random.nextInt(ALPHABET.length())));
    }
    return text.toString();
  }

  private String textLiteral() {
    return "'" + text().replace("'", "''") + "'";
  }

  private String bool(int depth) {
    int choice = random.nextInt(depth <= 0 ? 9 : 13);
    String comparison = List.of("=", "<>", "<", "<=", ">", ">=", "!=").get(random.nextInt(7));
    return switch (choice) {
      case 0 -> number(depth - 1).sql() + " " + comparison + " " + number(depth - 1).sql();
      case 1 -> text(depth - 1) + " " + comparison + " " + text(depth - 1);
      case 2 -> random.nextBoolean() ? "flag" : "NOT flag";
      case 3 ->
          List.of("a", "b", "n", "s", "t", "flag").get(random.nextInt(6))
              + (random.nextBoolean() ? " IS NULL" : " IS NOT NULL");
      case 4 ->
          number(depth - 1).sql()
              + (random.nextBoolean() ? " NOT IN (" : " IN (")
              + numberList()
              + ")";
      case 5 ->
          number(depth - 1).sql()
              + (random.nextBoolean() ? " NOT BETWEEN " : " BETWEEN ")
              + small()
              + " AND "
              + small();
      case 6 -> text(depth - 1) + (random.nextBoolean() ? " NOT LIKE " : " LIKE ") + textLiteral();
      case 7 ->
          "flag IS "
              + (random.nextBoolean() ? "NOT " : "")
              + (random.nextBoolean() ? "TRUE" : "FALSE");
      case 8 ->
          text(depth - 1)
              + (random.nextBoolean() ? " IN (" : " NOT IN (")
              + textLiteral()
              + ", "
              + textLiteral()
              + ")";
      case 9 -> "(" + bool(depth - 1) + ") AND (" + bool(depth - 1) + ")";
      case 10 -> "(" + bool(depth - 1) + ") OR (" + bool(depth - 1) + ")";
      case 11 -> "NOT (" + bool(depth - 1) + ")";
      default -> "(" + bool(depth - 1) + ") IS " + (random.nextBoolean() ? "NOT " : "") + "NULL";
    };
  }

  private String numberList() {
    List<String> items = new ArrayList<>();
    int count = 1 + random.nextInt(3);
    for (int i = 0; i < count; i++) {
      items.add(random.nextInt(8) == 0 ? "NULL" : Integer.toString(small()));
    }
    return String.join(", ", items);
  }

  private record Num(String sql, boolean integer) {}

  private Num number(int depth) {
    int choice = random.nextInt(depth <= 0 ? 4 : 8);
    return switch (choice) {
      case 0 -> new Num(random.nextBoolean() ? "a" : "b", true);
      case 1 -> new Num("n", false);
      case 2 -> new Num(Integer.toString(small()), true);
      case 3 -> new Num(BigDecimal.valueOf(random.nextInt(-500, 501), 1).toPlainString(), false);
      case 4, 5 -> {
        Num left = number(depth - 1);
        Num right = number(depth - 1);
        String op = List.of("+", "-", "*").get(random.nextInt(3));
        yield new Num(
            "(" + left.sql() + " " + op + " " + right.sql() + ")",
            left.integer() && right.integer());
      }
      case 6 -> {
        Num left = number(depth - 1);
        if (!left.integer()) {
          yield new Num("(-(" + left.sql() + "))", false);
        }
        int divisor = random.nextInt(1, 6) * (random.nextBoolean() ? 1 : -1);
        yield new Num(
            "(" + left.sql() + (random.nextBoolean() ? " / " : " % ") + divisor + ")", true);
      }
      default -> new Num("id", true);
    };
  }

  private String text(int depth) {
    int choice = random.nextInt(depth <= 0 ? 3 : 5);
    return switch (choice) {
      case 0 -> random.nextBoolean() ? "s" : "t";
      case 1 -> textLiteral();
      case 2 -> random.nextBoolean() ? "s" : "t";
      case 3 -> (random.nextBoolean() ? "lower(" : "upper(") + text(depth - 1) + ")";
      default -> "(" + text(depth - 1) + " || " + text(depth - 1) + ")";
    };
  }
}
