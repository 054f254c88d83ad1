package io.georep.publication;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Consumer;
import org.snakeyaml.engine.v2.api.LoadSettings;
import org.snakeyaml.engine.v2.api.lowlevel.Compose;
import org.snakeyaml.engine.v2.common.ScalarStyle;
import org.snakeyaml.engine.v2.exceptions.Mark;
import org.snakeyaml.engine.v2.exceptions.MarkedYamlEngineException;
import org.snakeyaml.engine.v2.exceptions.YamlEngineException;
import org.snakeyaml.engine.v2.nodes.MappingNode;
import org.snakeyaml.engine.v2.nodes.Node;
import org.snakeyaml.engine.v2.nodes.ScalarNode;
import org.snakeyaml.engine.v2.nodes.SequenceNode;
import org.snakeyaml.engine.v2.nodes.Tag;
import org.snakeyaml.engine.v2.schema.CoreSchema;

/**
 * What every georep YAML file (publication files and {@code agent.yaml}) says about its syntax:
 * parser errors turned into a {@link Problem} a person can act on (where, what, and how to fix it;
 * tabs in indentation and unclosed quotes are named as such), and nodes described in error
 * messages.
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

  /**
   * Composes every document of a georep YAML file, with the settings all of them are read with:
   * YAML 1.2's core schema (so {@code yes}/{@code no} stay strings), at most 50 aliases per
   * collection and no recursive keys (no alias bombs).
   *
   * @param file the file name, for error positions
   * @param text the file's text
   * @return the documents' root nodes, in order
   * @throws YamlEngineException on a syntax error ({@link MarkedYamlEngineException} with a
   *     position, for {@link #problem})
   */
  public static List<Node> composeAll(String file, String text) {
    LoadSettings settings =
        LoadSettings.builder()
            .setLabel(file)
            .setSchema(new CoreSchema())
            .setMaxAliasesForCollections(50)
            .setAllowRecursiveKeys(false)
            .build();
    List<Node> documents = new ArrayList<>();
    for (Node node : new Compose(settings).composeAllFromString(text)) {
      documents.add(node);
    }
    return documents;
  }

  /**
   * Composes every document of a georep YAML file like {@link #composeAll}, reporting a syntax
   * error as a {@link Problem} instead of throwing.
   *
   * @param file the file name, for positions
   * @param text the file's text
   * @param lines the file's lines, to recognise a tab at an error's position
   * @param problems receives the error, if any
   * @return the documents' root nodes, or empty after a syntax error
   */
  public static Optional<List<Node>> compose(
      String file, String text, List<String> lines, Consumer<Problem> problems) {
    try {
      return Optional.of(composeAll(file, text));
    } catch (MarkedYamlEngineException e) {
      problems.accept(problem(file, lines, e));
    } catch (YamlEngineException e) {
      problems.accept(
          new Problem(
              SourcePosition.startOf(file),
              "YAML error: " + e.getMessage(),
              "check the file with a YAML linter"));
    }
    return Optional.empty();
  }

  /**
   * Tells whether a node is YAML's null: a plain (unquoted) {@code null}, {@code ~} or nothing.
   *
   * @param node the node
   * @return true for a null
   */
  public static boolean isNull(Node node) {
    return node instanceof ScalarNode s
        && Tag.NULL.equals(s.getTag())
        && s.getScalarStyle() == ScalarStyle.PLAIN;
  }

  /**
   * Describes a node for an error message ("found the number '3'"): its kind and, for a scalar, its
   * value cut to 60 characters, with every {@code ${…}} reference hidden, as it may resolve to a
   * secret.
   *
   * @param node the node
   * @return e.g. {@code a mapping}, {@code nothing (null)}, {@code the string 'x'}
   */
  public static String describe(Node node) {
    if (node instanceof MappingNode) {
      return "a mapping";
    }
    if (node instanceof SequenceNode) {
      return "a list";
    }
    ScalarNode scalar = (ScalarNode) node;
    if (isNull(scalar)) {
      return "nothing (null)";
    }
    Tag tag = scalar.getTag();
    String kind =
        Tag.INT.equals(tag) || Tag.FLOAT.equals(tag)
            ? "the number"
            : Tag.BOOL.equals(tag) ? "the boolean" : "the string";
    String value = scalar.getValue();
    if (value.contains("${")) {
      return kind + " '" + value.replaceAll("\\$\\{[^}]*}", "\\${…}") + "'";
    }
    return kind + " '" + (value.length() > 60 ? value.substring(0, 57) + "…" : value) + "'";
  }

  private static int codePointAt(List<String> lines, SourcePosition at) {
    if (at.line() < 1 || at.line() - 1 >= lines.size()) {
      return -1;
    }
    int[] points = lines.get(at.line() - 1).codePoints().toArray();
    return at.column() >= 1 && at.column() - 1 < points.length ? points[at.column() - 1] : -1;
  }
}
