package io.georep.publication;

import static io.georep.publication.YamlSyntax.describe;
import static io.georep.publication.YamlSyntax.isNull;

import io.georep.publication.internal.SourceText;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.UnaryOperator;
import org.snakeyaml.engine.v2.nodes.MappingNode;
import org.snakeyaml.engine.v2.nodes.Node;
import org.snakeyaml.engine.v2.nodes.NodeTuple;
import org.snakeyaml.engine.v2.nodes.ScalarNode;

/**
 * One walk over one georep YAML file's node tree (a publication file, {@code agent.yaml}): the
 * positions of nodes, the problems found so far, and the checks every mapping of keys needs (plain
 * names, no duplicates, no unknown keys, each with a fix). The readers of the two formats extend it
 * and add their own keys and values; {@link YamlSyntax} is what they share below it (composing,
 * syntax errors, how a node is described).
 *
 * <p>Confined to the thread that walks.
 */
public abstract class YamlWalk {
  /** The file's name as problems show it. */
  protected final String file;

  /** The problems found so far, in the order found. */
  protected final List<Problem> problems;

  /**
   * Starts a walk.
   *
   * @param file the file's name as problems show it; never null
   * @param problems where problems go; never null, modifiable
   */
  protected YamlWalk(String file, List<Problem> problems) {
    this.file = Objects.requireNonNull(file, "file");
    this.problems = Objects.requireNonNull(problems, "problems");
  }

  /**
   * Returns where a node starts, or the start of the file if the node has no position.
   *
   * @param node the node
   * @return the position, lines and columns from 1
   */
  protected final SourcePosition position(Node node) {
    return node.getStartMark()
        .map(m -> new SourcePosition(file, m.getLine() + 1, m.getColumn() + 1))
        .orElse(SourcePosition.startOf(file));
  }

  /**
   * Returns the line a node starts on.
   *
   * @param node the node
   * @return the line, from 1
   */
  protected final int line(Node node) {
    return position(node).line();
  }

  /**
   * Records a problem.
   *
   * @param at where
   * @param message what is wrong
   * @param fix what to do
   */
  protected final void problem(SourcePosition at, String message, String fix) {
    problems.add(new Problem(at, message, fix));
  }

  /**
   * Decodes a file's bytes as strict UTF-8, without a leading byte-order mark; where they are not
   * UTF-8, records a problem naming the byte and its place.
   *
   * @param bytes the file's content
   * @return the text, or empty if the bytes are not UTF-8
   */
  protected final Optional<String> decode(byte[] bytes) {
    SourceText.Decoded decoded = SourceText.decode(bytes);
    if (decoded.error().isPresent()) {
      SourceText.EncodingError error = decoded.error().get();
      problem(
          new SourcePosition(file, error.line(), error.column()),
          error.message(),
          "save the file as UTF-8");
      return Optional.empty();
    }
    return Optional.of(decoded.text().orElseThrow().text());
  }

  /**
   * Returns the keys of a mapping in file order, reporting keys that are not plain names, duplicate
   * keys and (if {@code allowed} is not null) unknown keys, which are all left out.
   *
   * @param mapping the mapping
   * @param where what the mapping is, for messages ({@code "table 'public.orders'"}, {@code "a
   *     region"})
   * @param allowed the keys the mapping may have, or null for any
   * @param unknownFix the fix for an unknown key, or null for a suggestion among {@code allowed}
   * @return the tuples by key
   */
  protected final Map<String, NodeTuple> keys(
      MappingNode mapping, String where, Set<String> allowed, UnaryOperator<String> unknownFix) {
    Map<String, NodeTuple> keys = new LinkedHashMap<>();
    for (NodeTuple tuple : mapping.getValue()) {
      Node keyNode = tuple.getKeyNode();
      if (!(keyNode instanceof ScalarNode scalar) || isNull(scalar)) {
        problem(
            position(keyNode),
            "keys in " + where + " must be plain names, found " + describe(keyNode),
            "write 'name: value'");
        continue;
      }
      String key = scalar.getValue();
      NodeTuple first = keys.get(key);
      if (first != null) {
        problem(
            position(keyNode),
            "duplicate key '"
                + key
                + "' in "
                + where
                + " (first at line "
                + line(first.getKeyNode())
                + ")",
            "remove one of them; YAML keeps only one value per key");
        continue;
      }
      if (allowed != null && !allowed.contains(key)) {
        problem(
            position(keyNode),
            "unknown key '" + key + "' in " + where,
            unknownFix != null
                ? unknownFix.apply(key)
                : DidYouMean.fix(
                    key, allowed, "allowed keys are " + String.join(", ", new TreeSet<>(allowed))));
        continue;
      }
      keys.put(key, tuple);
    }
    return keys;
  }
}
