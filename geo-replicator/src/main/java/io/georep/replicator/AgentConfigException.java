package io.georep.replicator;

import io.georep.publication.Problem;
import io.georep.vectorclock.GeorepException;
import java.util.List;

/**
 * Thrown when {@code agent.yaml} (or a publication file it names) is malformed or invalid: carries
 * every problem found, each with its {@code file:line:column}, what is wrong and how to fix it.
 * Messages never contain secret values. Permanent: fixing the file, not retrying, resolves it.
 */
public final class AgentConfigException extends GeorepException {
  private static final long serialVersionUID = 1L;

  private final transient List<Problem> problems;

  /**
   * Creates the exception.
   *
   * @param problems the problems, sorted by position; not empty
   * @throws IllegalArgumentException if {@code problems} is empty
   */
  public AgentConfigException(List<Problem> problems) {
    super(message(problems));
    this.problems = List.copyOf(problems);
  }

  private static String message(List<Problem> problems) {
    if (problems.isEmpty()) {
      throw new IllegalArgumentException("an AgentConfigException needs at least one problem");
    }
    StringBuilder sb =
        new StringBuilder(
            problems.size()
                + (problems.size() == 1 ? " problem" : " problems")
                + " in the agent configuration:");
    for (Problem p : problems) {
      sb.append("\n  ").append(p);
    }
    return sb.toString();
  }

  /**
   * Returns the problems.
   *
   * @return the problems, sorted by position
   */
  public List<Problem> problems() {
    return problems;
  }
}
