package io.georep.resolver;

import io.georep.vectorclock.GeorepException;
import java.util.List;

/**
 * A conflict resolver configuration that cannot work: an unknown or duplicate resolver name, a
 * resolver that does not fit its column, a plugin that breaks the SPI's rules. Thrown when the
 * agent loads its configuration, before anything is applied; the message lists every problem found.
 * Permanent.
 */
public class ResolverConfigurationException extends GeorepException {
  private static final long serialVersionUID = 1L;

  /** The problems, one sentence each. */
  @SuppressWarnings("serial") // an immutable List.copyOf list, serializable in practice
  private final List<String> problems;

  /**
   * Creates the exception from one or more problems.
   *
   * @param problems what is wrong, one user-facing sentence each (with the fix); never empty
   */
  public ResolverConfigurationException(List<String> problems) {
    super(message(problems));
    this.problems = List.copyOf(problems);
  }

  /**
   * Returns the problems, one sentence each.
   *
   * @return the problems; never empty
   */
  public List<String> problems() {
    return problems;
  }

  private static String message(List<String> problems) {
    if (problems.isEmpty()) {
      throw new IllegalArgumentException("a configuration exception needs at least one problem");
    }
    if (problems.size() == 1) {
      return problems.get(0);
    }
    StringBuilder sb = new StringBuilder(problems.size() + " resolver configuration problems:");
    for (String p : problems) {
      sb.append("\n  - ").append(p);
    }
    return sb.toString();
  }
}
