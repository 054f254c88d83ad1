package io.georep.publication;

import java.util.List;

/**
 * Thrown when publication files are malformed or do not fit the live schema; carries every problem
 * found, sorted by position.
 *
 * <p>Parsing and validation never stop at the first problem: they collect all of them and throw one
 * exception, so a user fixes a file in one round. A half-valid file is never returned. The
 * exception is unchecked and permanent (fixing the file, not retrying, resolves it).
 */
public final class PublicationException extends RuntimeException {

  private static final long serialVersionUID = 1L;

  /** The problems, sorted; transient because {@link Problem} is a plain record. */
  private final transient List<Problem> problems;

  /**
   * Creates the exception.
   *
   * @param problems the problems found, at least one; copied and sorted by position
   * @throws IllegalArgumentException if {@code problems} is empty
   * @throws NullPointerException if {@code problems} or an element is null
   */
  public PublicationException(List<Problem> problems) {
    super(render(problems));
    this.problems = problems.stream().sorted().toList();
  }

  /** Returns the problems, sorted by position; never empty, immutable. */
  public List<Problem> problems() {
    return problems;
  }

  private static String render(List<Problem> problems) {
    if (problems.isEmpty()) {
      throw new IllegalArgumentException("a PublicationException needs at least one problem");
    }
    List<Problem> sorted = problems.stream().sorted().toList();
    if (sorted.size() == 1) {
      return sorted.get(0).toString();
    }
    StringBuilder text =
        new StringBuilder(sorted.size() + " problems in publication files; nothing was used:");
    for (Problem problem : sorted) {
      text.append(System.lineSeparator()).append("  ").append(problem);
    }
    return text.toString();
  }
}
