package io.georep.publication;

import java.util.List;
import java.util.stream.Collectors;

/**
 * The output of {@link PublicationPlanner}: per publication, the SQL to run and the work left to
 * the agent. Immutable and thread-safe.
 *
 * @param serverMajorVersion the PostgreSQL major version planned for
 * @param publications one entry per publication, in input order; copied
 */
public record PublicationPlan(int serverMajorVersion, List<PlannedPublication> publications) {

  /** Copies the list. */
  public PublicationPlan {
    publications = List.copyOf(publications);
  }

  /** Returns every SQL statement, in order. */
  public List<String> statements() {
    return publications.stream().flatMap(p -> p.statements().stream()).toList();
  }

  /** Returns the statements as one script, each ending with {@code ;} on its own line. */
  public String sql() {
    return statements().stream().map(s -> s + ";\n").collect(Collectors.joining());
  }

  /**
   * Returns the plan as text for people: the SQL, then what the agent applies itself and why. This
   * is what {@code georep publication plan} prints.
   */
  public String render() {
    StringBuilder out = new StringBuilder();
    out.append("-- georep publication plan for PostgreSQL ")
        .append(serverMajorVersion)
        .append('\n');
    for (PlannedPublication planned : publications) {
      Publication publication = planned.publication();
      out.append("\n-- publication ")
          .append(publication.name())
          .append(" (")
          .append(publication.position().file())
          .append(")\n");
      planned.statements().forEach(s -> out.append(s).append(";\n"));
      for (AgentRule rule : planned.agentRules()) {
        out.append("-- agent applies for ").append(rule.table()).append(":\n");
        rule.filter().ifPresent(f -> out.append("--   row filter: ").append(f.sql()).append('\n'));
        if (rule.columns() instanceof ColumnSelection.Include include) {
          out.append("--   only columns: ").append(names(include.columns())).append('\n');
        } else if (rule.columns() instanceof ColumnSelection.Exclude exclude) {
          out.append("--   without columns: ").append(names(exclude.columns())).append('\n');
        }
        for (ColumnMask mask : rule.masks()) {
          out.append("--   mask ")
              .append(mask.column().name())
              .append(": ")
              .append(mask.mask().kind())
              .append('\n');
        }
        rule.reasons().forEach(r -> out.append("--   (").append(r).append(")\n"));
      }
    }
    return out.toString();
  }

  private static String names(List<ColumnRef> columns) {
    return columns.stream().map(ColumnRef::name).collect(Collectors.joining(", "));
  }
}
