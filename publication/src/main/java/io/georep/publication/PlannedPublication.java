package io.georep.publication;

import java.util.List;
import java.util.Objects;

/**
 * The plan for one publication: SQL statements that create or alter its native publication, and the
 * rules the agent applies itself. Immutable and thread-safe.
 *
 * @param publication the parsed publication, never null
 * @param statements SQL statements to run in order, each without a trailing semicolon; copied
 * @param agentRules per-table work left to the agent, only for tables that have some; copied
 */
public record PlannedPublication(
    Publication publication, List<String> statements, List<AgentRule> agentRules) {

  /**
   * Creates a planned publication.
   *
   * @throws NullPointerException if an argument or element is null
   */
  public PlannedPublication {
    Objects.requireNonNull(publication, "publication");
    statements = List.copyOf(statements);
    agentRules = List.copyOf(agentRules);
  }
}
