package io.georep.publication;

import java.util.List;
import java.util.Optional;
import org.snakeyaml.engine.v2.exceptions.Mark;
import org.snakeyaml.engine.v2.exceptions.MarkedYamlEngineException;

/**
 * Turns a YAML parser error into a {@link Problem} a person can act on: where, what, and how to fix
 * it (tabs in indentation and unclosed quotes are named as such). Shared by every georep YAML file:
 * publication files and {@code agent.yaml}.
 */
public final class YamlSyntax {
  private YamlSyntax() {}

  /**
   * Describes a YAML syntax error.
   *
   * @param file the file name, for the position
   * @param lines the file's lines, to recognise a tab at the error's position
   * @param e the parser's error
   * @return the problem
   */
  public static Problem problem(String file, List<String> lines, MarkedYamlEngineException e) {
    Optional<Mark> mark = e.getProblemMark().or(e::getContextMark);
    SourcePosition at =
        mark.map(m -> new SourcePosition(file, m.getLine() + 1, m.getColumn() + 1))
            .orElse(SourcePosition.startOf(file));
    String problem = e.getProblem() == null ? "" : e.getProblem();
    boolean tab =
        problem.contains("\\t")
            || problem.contains("\t")
            || problem.contains("TAB")
            || codePointAt(lines, at) == '\t';
    if (tab) {
      return new Problem(
          at,
          "tab character in indentation",
          "indent with spaces; YAML does not allow tabs for indentation");
    }
    String context = e.getContext() == null ? "" : e.getContext();
    if (context.contains("quoted scalar") && e.getContextMark().isPresent()) {
      Mark quote = e.getContextMark().get();
      return new Problem(
          new SourcePosition(file, quote.getLine() + 1, quote.getColumn() + 1),
          "quoted string is never closed",
          "add the closing quote; inside a string, double a single quote ('') or escape a double"
              + " quote (\\\")");
    }
    return new Problem(
        at,
        "YAML syntax error: " + (context.isEmpty() ? "" : context + ": ") + problem,
        "check indentation, colons and quotes near this position");
  }

  private static int codePointAt(List<String> lines, SourcePosition at) {
    if (at.line() < 1 || at.line() - 1 >= lines.size()) {
      return -1;
    }
    int[] points = lines.get(at.line() - 1).codePoints().toArray();
    return at.column() >= 1 && at.column() - 1 < points.length ? points[at.column() - 1] : -1;
  }
}
