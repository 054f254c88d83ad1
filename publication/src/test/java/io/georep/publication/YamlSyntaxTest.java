package io.georep.publication;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.snakeyaml.engine.v2.exceptions.MarkedYamlEngineException;
import org.snakeyaml.engine.v2.nodes.MappingNode;
import org.snakeyaml.engine.v2.nodes.Node;

class YamlSyntaxTest {

  /** The value node of the only key of a one-line mapping, read as georep's files are. */
  private static Node value(String yaml) {
    MappingNode mapping = (MappingNode) YamlSyntax.composeAll("t.yaml", yaml).get(0);
    return mapping.getValue().get(0).getValueNode();
  }

  @Test
  void describe_eachNodeKind_namesKindAndValue() {
    assertThat(YamlSyntax.describe(value("k: {a: 1}"))).isEqualTo("a mapping");
    assertThat(YamlSyntax.describe(value("k: [1]"))).isEqualTo("a list");
    assertThat(YamlSyntax.describe(value("k:"))).isEqualTo("nothing (null)");
    assertThat(YamlSyntax.describe(value("k: ~"))).isEqualTo("nothing (null)");
    assertThat(YamlSyntax.describe(value("k: 3"))).isEqualTo("the number '3'");
    assertThat(YamlSyntax.describe(value("k: 2.5"))).isEqualTo("the number '2.5'");
    assertThat(YamlSyntax.describe(value("k: true"))).isEqualTo("the boolean 'true'");
    assertThat(YamlSyntax.describe(value("k: x"))).isEqualTo("the string 'x'");
  }

  @Test
  void isNull_quotedNull_isAString() {
    assertThat(YamlSyntax.isNull(value("k: null"))).isTrue();
    assertThat(YamlSyntax.isNull(value("k: 'null'"))).isFalse();
    assertThat(YamlSyntax.describe(value("k: 'null'"))).isEqualTo("the string 'null'");
  }

  @Test
  void describe_reference_hidesWhatItMayResolveTo() {
    assertThat(YamlSyntax.describe(value("k: 'user:${env:DB_PASSWORD}@host'")))
        .isEqualTo("the string 'user:${…}@host'")
        .doesNotContain("DB_PASSWORD");
  }

  @Test
  void describe_longValue_isCutTo60Characters() {
    String described = YamlSyntax.describe(value("k: " + "a".repeat(100)));
    assertThat(described).isEqualTo("the string '" + "a".repeat(57) + "…'");
  }

  @Test
  void problem_tabIndentation_isNamedWithPosition() {
    String yaml = "a:\n\tb: 1\n";
    MarkedYamlEngineException error = null;
    try {
      YamlSyntax.composeAll("f.yaml", yaml);
    } catch (MarkedYamlEngineException e) {
      error = e;
    }
    assertThat(error).isNotNull();
    Problem problem = YamlSyntax.problem("f.yaml", List.of(yaml.split("\n")), error);
    assertThat(problem.message()).isEqualTo("tab character in indentation");
    assertThat(problem.position().file()).isEqualTo("f.yaml");
    assertThat(problem.position().line()).isEqualTo(2);
  }
}
