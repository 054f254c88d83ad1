package io.georep.connectors.postgres.internal.capture;

import io.georep.connectors.postgres.CaptureException;
import io.georep.publication.AgentRule;
import io.georep.publication.ColumnMask;
import io.georep.publication.ColumnSelection;
import io.georep.publication.Mask;
import io.georep.publication.Operation;
import io.georep.publication.PlannedPublication;
import io.georep.publication.Publication;
import io.georep.publication.PublicationPlan;
import io.georep.publication.RowFilter;
import io.georep.publication.Secret;
import io.georep.publication.TableName;
import io.georep.publication.TableRule;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;
import java.util.function.Predicate;

/**
 * The publication rules the capture applies itself, per table: row filters, column lists and masks
 * that the native publication could not apply (PostgreSQL 14, a table in several publications, a
 * column list PostgreSQL would refuse) and every mask.
 *
 * <p>Two sets are built: the <em>live</em> rules come from the {@link PublicationPlan}'s {@link
 * AgentRule}s (what pgoutput already did is not done twice); the <em>copy</em> rules, for the
 * initial copy, are the publications' whole table rules, since a {@code SELECT} applies no
 * publication.
 *
 * <p>Several publications of one table: their filters combine per operation as PostgreSQL combines
 * them (OR; a publication without a filter, among those publishing the operation, passes every
 * row), but they must agree on the regions, the columns and the masks — one stream per region
 * carries one form of each change, so a table cannot be masked for one region and clear for another
 * ({@link #check} reports it). Salts of hash masks are read from the environment once, at start,
 * and the values are never printed. Immutable and thread-safe once built.
 */
public final class CaptureRules {

  /** What the capture does with one table's changes. */
  public static final class Table {
    private final TableName table;
    private final Map<Operation, List<RowFilter>> filters;
    private final ColumnSelection columns;
    private final Map<String, Mask> masks;
    private final Set<String> filterColumns;

    Table(
        TableName table,
        Map<Operation, List<RowFilter>> filters,
        ColumnSelection columns,
        Map<String, Mask> masks) {
      this.table = table;
      this.filters = filters;
      this.columns = columns;
      this.masks = masks;
      Set<String> read = new LinkedHashSet<>();
      filters.values().forEach(list -> list.forEach(f -> read.addAll(f.columns())));
      this.filterColumns = Set.copyOf(read);
    }

    /** Returns the table. */
    public TableName table() {
      return table;
    }

    /**
     * Returns whether changes of {@code operation} are filtered at all; false means every row of
     * that operation passes.
     */
    public boolean filters(Operation operation) {
      List<RowFilter> list = filters.get(operation);
      return list == null || !list.isEmpty();
    }

    /**
     * Returns whether a row passes the filters of {@code operation}: some publication that
     * publishes it has no filter or a filter that is TRUE for the row.
     *
     * @param operation the operation whose filters apply
     * @param row the values of {@link #filterColumns()}
     */
    public boolean passes(Operation operation, Map<String, ?> row) {
      List<RowFilter> list = filters.get(operation);
      if (list == null) {
        return false;
      }
      if (list.isEmpty()) {
        return true;
      }
      for (RowFilter filter : list) {
        if (filter.matches(row)) {
          return true;
        }
      }
      return false;
    }

    /** Returns the columns the filters read. */
    public Set<String> filterColumns() {
      return filterColumns;
    }

    /** Returns whether {@code column} is shipped. */
    public boolean selects(String column) {
      return columns.selects(column);
    }

    /** Returns the mask of {@code column}, or null. */
    public Mask mask(String column) {
      return masks.get(column);
    }
  }

  private final Map<TableName, Table> tables;
  private final Function<String, String> secrets;

  private CaptureRules(Map<TableName, Table> tables, Function<String, String> secrets) {
    this.tables = Map.copyOf(tables);
    this.secrets = secrets;
  }

  /**
   * Builds the live rules from a plan.
   *
   * @param plan the publication plan of the captured publications
   * @param environment reads environment variables (salts); returns null for an unset one
   * @return the rules
   * @throws CaptureException if a salt's variable is unset or publications of one table disagree
   */
  public static CaptureRules live(PublicationPlan plan, Function<String, String> environment) {
    List<Publication> publications =
        plan.publications().stream().map(PlannedPublication::publication).toList();
    check(publications);
    Map<TableName, Map<Operation, List<RowFilter>>> filters = new HashMap<>();
    Map<TableName, AgentRule> agent = new HashMap<>();
    for (PlannedPublication planned : plan.publications()) {
      for (AgentRule rule : planned.agentRules()) {
        agent.putIfAbsent(rule.table(), rule);
      }
    }
    for (PlannedPublication planned : plan.publications()) {
      Map<TableName, AgentRule> rules = new HashMap<>();
      planned.agentRules().forEach(r -> rules.put(r.table(), r));
      for (TableRule rule : planned.publication().tables()) {
        AgentRule a = rules.get(rule.table());
        Optional<RowFilter> filter = a == null ? Optional.empty() : a.filter();
        addFilters(filters, rule.table(), planned.publication().operations(), filter);
      }
    }
    Map<TableName, Table> tables = new HashMap<>();
    for (Map.Entry<TableName, AgentRule> entry : agent.entrySet()) {
      AgentRule rule = entry.getValue();
      Map<Operation, List<RowFilter>> byOperation = filters.get(entry.getKey());
      tables.put(
          entry.getKey(),
          new Table(entry.getKey(), byOperation, rule.columns(), masks(rule.masks())));
    }
    return new CaptureRules(tables, resolveSalts(publications, environment));
  }

  /**
   * Builds the rules of the initial copy: every table of every publication, with its whole rule.
   *
   * @param publications the captured publications
   * @param environment reads environment variables (salts)
   * @return the rules
   * @throws CaptureException if a salt's variable is unset or publications of one table disagree
   */
  public static CaptureRules copy(
      List<Publication> publications, Function<String, String> environment) {
    check(publications);
    Map<TableName, Map<Operation, List<RowFilter>>> filters = new HashMap<>();
    Map<TableName, TableRule> first = new LinkedHashMap<>();
    for (Publication publication : publications) {
      for (TableRule rule : publication.tables()) {
        // The copy is an insert of every row, whatever the publication publishes (as
        // PostgreSQL's table synchronisation copies with the OR of the row filters).
        addFilters(filters, rule.table(), Set.of(Operation.INSERT), rule.filter());
        first.putIfAbsent(rule.table(), rule);
      }
    }
    Map<TableName, Table> tables = new LinkedHashMap<>();
    for (TableRule rule : first.values()) {
      tables.put(
          rule.table(),
          new Table(rule.table(), filters.get(rule.table()), rule.columns(), masks(rule.masks())));
    }
    return new CaptureRules(tables, resolveSalts(publications, environment));
  }

  /** Returns the rules of no table: everything passes unchanged. */
  public static CaptureRules none() {
    return new CaptureRules(Map.of(), name -> null);
  }

  /**
   * Returns the rules of a table, or null if the capture leaves its changes as they are.
   *
   * @param table the table
   * @return the rules, or null
   */
  public Table table(TableName table) {
    return tables.get(table);
  }

  /**
   * Applies a mask to a value's text.
   *
   * @param mask the mask
   * @param text the value's text, or null for NULL
   * @return the masked text, or null for NULL
   */
  public String apply(Mask mask, String text) {
    Object masked = mask.apply(text, secrets);
    return masked == null ? null : masked.toString();
  }

  private static void addFilters(
      Map<TableName, Map<Operation, List<RowFilter>>> filters,
      TableName table,
      Set<Operation> operations,
      Optional<RowFilter> filter) {
    Map<Operation, List<RowFilter>> byOperation =
        filters.computeIfAbsent(table, t -> new EnumMap<>(Operation.class));
    for (Operation operation : operations) {
      List<RowFilter> list = byOperation.get(operation);
      if (filter.isEmpty()) {
        // An unfiltered publication passes every row: the OR is TRUE.
        byOperation.put(operation, List.of());
      } else if (list == null) {
        byOperation.put(operation, new ArrayList<>(List.of(filter.get())));
      } else if (!list.isEmpty()) {
        list.add(filter.get());
      }
    }
  }

  private static Map<String, Mask> masks(List<ColumnMask> masks) {
    Map<String, Mask> byColumn = new HashMap<>();
    masks.forEach(m -> byColumn.put(m.column().name(), m.mask()));
    return Map.copyOf(byColumn);
  }

  /**
   * Checks that the publications of every table agree on what a single stream can carry once.
   *
   * @param publications the captured publications
   * @throws CaptureException naming each table whose publications disagree
   */
  public static void check(List<Publication> publications) {
    Map<TableName, List<Map.Entry<Publication, TableRule>>> byTable = new LinkedHashMap<>();
    for (Publication publication : publications) {
      for (TableRule rule : publication.tables()) {
        byTable
            .computeIfAbsent(rule.table(), t -> new ArrayList<>())
            .add(Map.entry(publication, rule));
      }
    }
    List<String> problems = new ArrayList<>();
    for (var entry : byTable.entrySet()) {
      var rules = entry.getValue();
      if (rules.size() < 2) {
        continue;
      }
      var base = rules.get(0);
      for (var other : rules.subList(1, rules.size())) {
        List<String> differs = new ArrayList<>();
        if (!base.getKey().regions().equals(other.getKey().regions())) {
          differs.add("regions");
        }
        if (!sameColumns(base.getValue().columns(), other.getValue().columns())) {
          differs.add("columns");
        }
        if (!masks(base.getValue().masks()).equals(masks(other.getValue().masks()))) {
          differs.add("masks");
        }
        if (!differs.isEmpty()) {
          problems.add(
              "table "
                  + entry.getKey()
                  + " is in publications "
                  + base.getKey().name()
                  + " ("
                  + base.getValue().position()
                  + ") and "
                  + other.getKey().name()
                  + " ("
                  + other.getValue().position()
                  + ") with different "
                  + String.join(", ", differs)
                  + "; a region's change stream carries one form of each change, so the"
                  + " publications of one table must agree on regions, columns and masks (row"
                  + " filters may differ: they combine with OR) — move the table into one"
                  + " publication, or give both the same regions, columns and masks");
        }
      }
    }
    if (!problems.isEmpty()) {
      throw new CaptureException(String.join("\n", problems));
    }
  }

  private static boolean sameColumns(ColumnSelection a, ColumnSelection b) {
    if (a.getClass() != b.getClass()) {
      return false;
    }
    Predicate<ColumnSelection> all = s -> s instanceof ColumnSelection.All;
    if (all.test(a)) {
      return true;
    }
    return names(a).equals(names(b));
  }

  private static Set<String> names(ColumnSelection selection) {
    Set<String> names = new java.util.HashSet<>();
    selection.listed().forEach(c -> names.add(c.name()));
    return names;
  }

  private static Function<String, String> resolveSalts(
      List<Publication> publications, Function<String, String> environment) {
    Map<String, String> resolved = new HashMap<>();
    List<String> problems = new ArrayList<>();
    for (Publication publication : publications) {
      for (TableRule rule : publication.tables()) {
        for (ColumnMask mask : rule.masks()) {
          if (mask.mask() instanceof Mask.Hash hash
              && hash.salt() instanceof Secret.EnvironmentVariable variable
              && !resolved.containsKey(variable.variable())) {
            String value = environment.apply(variable.variable());
            if (value == null || value.isEmpty()) {
              problems.add(
                  "publication "
                      + publication.name()
                      + " ("
                      + mask.column().position()
                      + ") masks column "
                      + mask.column().name()
                      + " of "
                      + rule.table()
                      + " with a hash salted by ${env:"
                      + variable.variable()
                      + "}, but environment variable "
                      + variable.variable()
                      + " is not set in the agent's environment; set it (to the same value in"
                      + " every region, so hashed values still join) and restart the agent");
            } else {
              resolved.put(variable.variable(), value);
            }
          }
        }
      }
    }
    if (!problems.isEmpty()) {
      throw new CaptureException(String.join("\n", problems));
    }
    Map<String, String> frozen = Map.copyOf(resolved);
    return frozen::get;
  }
}
