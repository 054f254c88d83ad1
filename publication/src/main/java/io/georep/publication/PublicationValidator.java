package io.georep.publication;

import io.georep.publication.internal.FilterExpr;
import io.georep.publication.internal.FilterSql;
import io.georep.publication.spi.ColumnDescription;
import io.georep.publication.spi.ReplicaIdentity;
import io.georep.publication.spi.SchemaCatalog;
import io.georep.publication.spi.TableDescription;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Checks parsed publications against a live schema: tables and columns exist, every table has a
 * primary key or {@code REPLICA IDENTITY FULL}, resolvers and masks fit the column types, masks
 * stay off key columns, delta-shipped columns have the old row they need, and row filters only read
 * what PostgreSQL can evaluate for updates and deletes.
 *
 * <p>Every problem is reported at once, positioned in the file. Stateless and thread-safe (the
 * catalog is read, never written).
 */
public final class PublicationValidator {

  /** The oldest PostgreSQL major version georep supports. */
  public static final int MIN_SERVER_VERSION = 14;

  private PublicationValidator() {}

  /**
   * Validates {@code publications} against {@code catalog}.
   *
   * @throws PublicationException listing every problem, if there is any
   * @throws NullPointerException if an argument is null
   */
  public static void validate(List<Publication> publications, SchemaCatalog catalog) {
    List<Problem> problems = problems(publications, catalog);
    if (!problems.isEmpty()) {
      throw new PublicationException(problems);
    }
  }

  /**
   * Returns what validation accepted but an operator should know: the semantics chosen for tables
   * that replicate differently from keyed tables (a table without a primary key under {@code
   * REPLICA IDENTITY FULL} replicates as a multiset of whole rows). Each note starts with the table
   * entry's position.
   *
   * @param publications the publications; never null
   * @param catalog the live schema; never null
   * @return the notes in file order; may be empty
   */
  public static List<String> notes(List<Publication> publications, SchemaCatalog catalog) {
    List<String> notes = new ArrayList<>();
    for (Publication publication : publications) {
      notes.add(
          publication.position()
              + ": "
              + (publication.operations().contains(Operation.TRUNCATE)
                  ? "a TRUNCATE of a table of publication '"
                      + publication.name()
                      + "' replicates as the deletes of the rows it removes (rows"
                      + " inserted concurrently in other regions stay; see docs/conflicts.md,"
                      + " \"Truncate\")"
                  : "a TRUNCATE of a table of publication '"
                      + publication.name()
                      + "' is refused (operations leave truncate out); use DELETE, or"
                      + " add delete and truncate to operations"));
      for (TableRule rule : publication.tables()) {
        Optional<TableDescription> table = catalog.describe(rule.table());
        if (table.isPresent()
            && table.get().primaryKey().isEmpty()
            && table.get().replicaIdentity() == ReplicaIdentity.FULL) {
          notes.add(
              rule.position()
                  + ": table '"
                  + rule.table()
                  + "' has no primary key: it replicates as a multiset of whole rows (equal rows"
                  + " allowed; a delete removes one copy, an update replaces one copy; see"
                  + " docs/conflicts.md, \"Tables without a key\")");
        }
      }
    }
    return notes;
  }

  /**
   * Returns every problem of {@code publications} against {@code catalog}, sorted; may be empty.
   */
  public static List<Problem> problems(List<Publication> publications, SchemaCatalog catalog) {
    List<Problem> problems = new ArrayList<>();
    int version = catalog.serverMajorVersion();
    for (Publication publication : publications) {
      if (version < MIN_SERVER_VERSION) {
        problems.add(
            new Problem(
                publication.position(),
                "the database runs PostgreSQL "
                    + version
                    + ", but georep needs "
                    + MIN_SERVER_VERSION
                    + " or newer",
                "upgrade the server"));
        continue;
      }
      for (TableRule rule : publication.tables()) {
        new TableCheck(publication, rule, catalog, problems).run();
      }
    }
    return problems.stream().sorted().toList();
  }

  /** The checks of one table rule; single-use. */
  private static final class TableCheck {
    private final Publication publication;
    private final TableRule rule;
    private final SchemaCatalog catalog;
    private final List<Problem> problems;
    private TableDescription table;

    TableCheck(
        Publication publication, TableRule rule, SchemaCatalog catalog, List<Problem> problems) {
      this.publication = publication;
      this.rule = rule;
      this.catalog = catalog;
      this.problems = problems;
    }

    void run() {
      Optional<TableDescription> found = catalog.describe(rule.table());
      if (found.isEmpty()) {
        List<String> names = catalog.tables().stream().map(TableName::toString).toList();
        problem(
            rule.position(),
            "table '" + rule.table() + "' does not exist in the database",
            DidYouMean.fix(
                rule.table().toString(),
                names,
                "create it first, or correct the name (schema.table, exact case)"));
        return;
      }
      table = found.get();
      identity();
      columnList();
      filter();
      masks();
      resolvers();
    }

    private void identity() {
      String sql = rule.table().sql();
      boolean full = table.replicaIdentity() == ReplicaIdentity.FULL;
      if (table.primaryKey().isEmpty() && !full) {
        problem(
            rule.position(),
            "table '"
                + rule.table()
                + "' has neither a primary key nor REPLICA IDENTITY FULL, so its rows cannot be"
                + " matched across regions",
            "add a primary key (ALTER TABLE "
                + sql
                + " ADD PRIMARY KEY (...);) or run ALTER TABLE "
                + sql
                + " REPLICA IDENTITY FULL;");
      } else if (table.replicaIdentity() == ReplicaIdentity.NOTHING
          && publication.replicatesOldRows()) {
        problem(
            rule.position(),
            "table '"
                + rule.table()
                + "' has REPLICA IDENTITY NOTHING, so its updates and deletes cannot be published",
            "run ALTER TABLE " + sql + " REPLICA IDENTITY DEFAULT; (or FULL)");
      }
    }

    /** A table without a primary key under FULL: a multiset identified by all of its columns. */
    private boolean keyless() {
      return table.primaryKey().isEmpty() && table.replicaIdentity() == ReplicaIdentity.FULL;
    }

    private void columnList() {
      for (ColumnRef column : rule.columns().listed()) {
        exists(column);
      }
      if (keyless() && !rule.columns().listed().isEmpty()) {
        problem(
            rule.columns().listed().get(0).position(),
            "'"
                + rule.table()
                + "' has no primary key, so its rows are identified by all of their columns"
                + " (docs/conflicts.md, \"Tables without a key\"); a column list would make"
                + " different rows equal in other regions",
            "replicate every column, or give it a primary key (ALTER TABLE "
                + rule.table().sql()
                + " ADD PRIMARY KEY (...);)");
      }
      for (String key : table.primaryKey()) {
        if (!rule.columns().selects(key)) {
          Optional<ColumnRef> ref =
              rule.columns().listed().stream().filter(c -> c.name().equals(key)).findFirst();
          problem(
              ref.map(ColumnRef::position).orElse(rule.position()),
              "primary key column '"
                  + key
                  + "' of '"
                  + rule.table()
                  + "' is left out of the replicated columns",
              rule.columns() instanceof ColumnSelection.Exclude
                  ? "remove '" + key + "' from 'exclude'; rows are matched by their key"
                  : "add '" + key + "' to 'include'; rows are matched by their key");
        }
      }
    }

    private void filter() {
      if (rule.filter().isEmpty()) {
        return;
      }
      RowFilter filter = rule.filter().get();
      boolean allKnown = true;
      for (FilterExpr.Column column : FilterExpr.columns(filter.expr())) {
        if (table.column(column.name()).isEmpty()) {
          allKnown = false;
          problem(
              filter.positionOf(column.offset()),
              "row filter uses unknown column '" + column.name() + "' of '" + rule.table() + "'",
              DidYouMean.fix(
                  column.name(), columnNames(), "columns are " + String.join(", ", columnNames())));
        }
      }
      for (FilterSql.Issue issue : FilterSql.check(filter.expr(), table::column)) {
        problem(filter.positionOf(issue.offset()), issue.message(), issue.fix());
      }
      if (!allKnown || !publication.replicatesOldRows()) {
        return;
      }
      Set<String> identity = new HashSet<>(table.replicaIdentityColumns());
      Set<String> reported = new HashSet<>();
      for (FilterExpr.Column column : FilterExpr.columns(filter.expr())) {
        if (!identity.contains(column.name()) && reported.add(column.name())) {
          problem(
              filter.positionOf(column.offset()),
              "row filter uses column '"
                  + column.name()
                  + "', which is not part of the replica identity of '"
                  + rule.table()
                  + "'; the old row of an update or delete does not carry it",
              "run ALTER TABLE "
                  + rule.table().sql()
                  + " REPLICA IDENTITY FULL;, or filter only on key columns ("
                  + String.join(", ", table.replicaIdentityColumns())
                  + "), or replicate only inserts");
        }
      }
    }

    private void masks() {
      Set<String> keys = new HashSet<>(table.primaryKey());
      if (table.replicaIdentity() == ReplicaIdentity.INDEX) {
        keys.addAll(table.replicaIdentityIndex());
      }
      for (ColumnMask mask : rule.masks()) {
        Optional<ColumnDescription> column = exists(mask.column());
        if (column.isEmpty()) {
          continue;
        }
        String name = mask.column().name();
        if (keyless()) {
          problem(
              mask.column().position(),
              "column '"
                  + name
                  + "' of '"
                  + rule.table()
                  + "' cannot be masked: the table has no primary key, so every column is part of"
                  + " a row's identity, and masked values would not match rows across regions",
              "remove the mask, or give the table a primary key (ALTER TABLE "
                  + rule.table().sql()
                  + " ADD PRIMARY KEY (...);)");
        } else if (keys.contains(name)) {
          problem(
              mask.column().position(),
              "column '"
                  + name
                  + "' is a key column of '"
                  + rule.table()
                  + "' and cannot be masked: masked keys would not match rows across regions",
              "remove the mask, or exclude the table from this publication");
        } else if (!rule.columns().selects(name)) {
          problem(
              mask.column().position(),
              "column '" + name + "' is masked but not replicated",
              "remove the mask, or stop excluding the column");
        } else if (mask.mask().producesText()
            && column.get().category() != io.georep.publication.spi.TypeCategory.TEXT) {
          problem(
              mask.column().position(),
              "mask '"
                  + mask.mask().kind()
                  + "' produces text, but column '"
                  + name
                  + "' has type "
                  + column.get().typeName(),
              "use kind: null for non-text columns, or mask a text column");
        } else if (mask.mask() instanceof Mask.Nullify && !column.get().nullable()) {
          problem(
              mask.column().position(),
              "mask 'null' on column '" + name + "', which is NOT NULL",
              "use another mask kind, or run ALTER TABLE "
                  + rule.table().sql()
                  + " ALTER COLUMN "
                  + io.georep.publication.internal.SqlQuoting.identifier(name)
                  + " DROP NOT NULL;");
        }
      }
    }

    private void resolvers() {
      Set<String> keys = new HashSet<>(table.primaryKey());
      for (ColumnResolver entry : rule.columnResolvers()) {
        Optional<ColumnDescription> column = exists(entry.column());
        if (column.isEmpty()) {
          continue;
        }
        String name = entry.column().name();
        Optional<BuiltInResolver> builtIn = entry.resolver().builtIn();
        if (keyless()) {
          problem(
              entry.column().position(),
              "column '"
                  + name
                  + "' has a resolver, but '"
                  + rule.table()
                  + "' has no primary key: it replicates as a multiset of whole rows"
                  + " (docs/conflicts.md, \"Tables without a key\"), in which an update replaces"
                  + " one copy of a row by another and no column has a version of its own",
              "remove column-resolvers for this table, or give it a primary key (ALTER TABLE "
                  + rule.table().sql()
                  + " ADD PRIMARY KEY (...);)");
        } else if (keys.contains(name)) {
          problem(
              entry.column().position(),
              "column '"
                  + name
                  + "' is a key column of '"
                  + rule.table()
                  + "' and cannot have a resolver",
              "remove it from column-resolvers; keys identify rows and never conflict");
        } else if (!rule.columns().selects(name)) {
          problem(
              entry.column().position(),
              "column '" + name + "' has a resolver but is not replicated",
              "remove the resolver, or stop excluding the column");
        } else if (builtIn.isPresent() && !builtIn.get().fits(column.get().category())) {
          problem(
              entry.resolver().position(),
              "resolver '"
                  + builtIn.get().fileName()
                  + "' does not fit column '"
                  + name
                  + "' of type "
                  + column.get().typeName(),
              fitHint(builtIn.get()));
        } else if (builtIn.isPresent() && builtIn.get().deltaShipped()) {
          if (table.replicaIdentity() != ReplicaIdentity.FULL) {
            problem(
                entry.resolver().position(),
                "resolver '"
                    + builtIn.get().fileName()
                    + "' on column '"
                    + name
                    + "' ships deltas, which need the old row, but '"
                    + rule.table()
                    + "' has REPLICA IDENTITY "
                    + table.replicaIdentity(),
                "run ALTER TABLE " + rule.table().sql() + " REPLICA IDENTITY FULL;");
          }
        }
      }
    }

    private static String fitHint(BuiltInResolver resolver) {
      return switch (resolver) {
        case COUNTER -> "counter needs an integer or numeric column; use column-lww or max here";
        case G_COUNTER ->
            "g-counter needs an int2, int4 or int8 column; use counter for numeric columns";
        case MAX, MIN ->
            resolver.fileName() + " needs a number, date/time or text column; use column-lww here";
        case OR_SET, G_SET, TWO_PHASE_SET ->
            resolver.fileName() + " needs an array column such as text[]; use column-lww here";
        default -> "use column-lww here";
      };
    }

    private Optional<ColumnDescription> exists(ColumnRef ref) {
      Optional<ColumnDescription> column = table.column(ref.name());
      if (column.isEmpty()) {
        problem(
            ref.position(),
            "unknown column '" + ref.name() + "' in table '" + rule.table() + "'",
            DidYouMean.fix(
                ref.name(), columnNames(), "columns are " + String.join(", ", columnNames())));
      }
      return column;
    }

    private List<String> columnNames() {
      return table.columns().stream().map(ColumnDescription::name).collect(Collectors.toList());
    }

    private void problem(SourcePosition at, String message, String fix) {
      problems.add(new Problem(at, message, fix));
    }
  }
}
