package io.georep.publication;

import io.georep.publication.internal.SqlQuoting;
import io.georep.publication.spi.ColumnDescription;
import io.georep.publication.spi.ReplicaIdentity;
import io.georep.publication.spi.SchemaCatalog;
import io.georep.publication.spi.TableDescription;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * Plans publications into native PostgreSQL publications plus the work the agent does itself.
 *
 * <p>Design: each publication becomes one native publication named {@code georep_<name>}, created,
 * or altered in place with {@code SET TABLE} if it exists (so a running slot keeps its
 * publication). Operations always go into {@code publish}. Column lists and row filters are pushed
 * down only where the server applies them exactly as the agent would: PostgreSQL 15 or newer, the
 * table in only one publication of the set (the server ORs row filters and rejects differing column
 * lists across the publications of one subscription), and, for column lists on tables that
 * replicate updates or deletes, a replica identity the list covers (PostgreSQL refuses updates
 * otherwise, and with {@code REPLICA IDENTITY FULL} any list is refused). Everything else, and all
 * masks, is listed as agent work. Stateless and thread-safe.
 */
public final class PublicationPlanner {

  /** The first PostgreSQL major version with publication column lists and row filters. */
  public static final int PUSH_DOWN_VERSION = 15;

  private PublicationPlanner() {}

  /**
   * Validates {@code publications} against {@code catalog} and plans them.
   *
   * @throws PublicationException if validation finds problems
   * @throws NullPointerException if an argument is null
   */
  public static PublicationPlan plan(List<Publication> publications, SchemaCatalog catalog) {
    PublicationValidator.validate(publications, catalog);
    int version = catalog.serverMajorVersion();
    Map<TableName, Integer> uses = new HashMap<>();
    publications.forEach(p -> p.tables().forEach(t -> uses.merge(t.table(), 1, Integer::sum)));
    List<PlannedPublication> planned = new ArrayList<>();
    for (Publication publication : publications) {
      List<String> tableClauses = new ArrayList<>();
      List<AgentRule> agentRules = new ArrayList<>();
      for (TableRule rule : publication.tables()) {
        TableDescription table = catalog.describe(rule.table()).orElseThrow();
        List<String> reasons = new ArrayList<>();
        String blocker = null;
        if (version < PUSH_DOWN_VERSION) {
          blocker = "PostgreSQL " + version + " has no publication column lists or row filters";
        } else if (uses.get(rule.table()) > 1) {
          blocker =
              "the table is in several publications, whose filters and column lists PostgreSQL"
                  + " would merge";
        }
        StringBuilder clause = new StringBuilder(rule.table().sql());
        ColumnSelection agentColumns = new ColumnSelection.All();
        if (!(rule.columns() instanceof ColumnSelection.All)) {
          String columnBlocker = blocker;
          if (columnBlocker == null
              && publication.replicatesOldRows()
              && table.replicaIdentity() == ReplicaIdentity.FULL) {
            columnBlocker =
                "PostgreSQL refuses updates and deletes of a REPLICA IDENTITY FULL table whose"
                    + " publication has a column list";
          } else if (columnBlocker == null
              && publication.replicatesOldRows()
              && !table.replicaIdentityColumns().stream().allMatch(rule.columns()::selects)) {
            columnBlocker = "the column list does not cover the replica identity";
          }
          if (columnBlocker == null) {
            clause
                .append(" (")
                .append(
                    table.columns().stream()
                        .map(ColumnDescription::name)
                        .filter(rule.columns()::selects)
                        .map(SqlQuoting::identifier)
                        .collect(Collectors.joining(", ")))
                .append(')');
          } else {
            agentColumns = rule.columns();
            reasons.add("columns not pushed down: " + columnBlocker);
          }
        }
        Optional<RowFilter> agentFilter = Optional.empty();
        if (rule.filter().isPresent()) {
          if (blocker == null) {
            clause.append(" WHERE (").append(rule.filter().get().toSql(table)).append(')');
          } else {
            agentFilter = rule.filter();
            reasons.add("row filter not pushed down: " + blocker);
          }
        }
        tableClauses.add(clause.toString());
        AgentRule agentRule =
            new AgentRule(rule.table(), agentFilter, agentColumns, rule.masks(), reasons);
        if (!agentRule.isEmpty()) {
          agentRules.add(agentRule);
        }
      }
      planned.add(
          new PlannedPublication(
              publication, statements(publication, tableClauses, catalog), agentRules));
    }
    return new PublicationPlan(version, planned);
  }

  private static List<String> statements(
      Publication publication, List<String> tableClauses, SchemaCatalog catalog) {
    String name = SqlQuoting.identifier(publication.nativeName());
    String tables = String.join(", ", tableClauses);
    String publish =
        SqlQuoting.literal(
            publication.operations().stream()
                .map(Operation::fileName)
                .collect(Collectors.joining(", ")));
    if (catalog.publicationExists(publication.nativeName())) {
      return List.of(
          "ALTER PUBLICATION " + name + " SET TABLE " + tables,
          "ALTER PUBLICATION " + name + " SET (publish = " + publish + ")");
    }
    return List.of(
        "CREATE PUBLICATION "
            + name
            + " FOR TABLE "
            + tables
            + " WITH (publish = "
            + publish
            + ")");
  }
}
