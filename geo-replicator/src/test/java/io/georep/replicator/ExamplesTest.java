package io.georep.replicator;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.georep.vectorclock.ReplicaId;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The files in {@code examples/}: the agent configurations load and agree on the topology, and
 * every meter the Grafana dashboard and the alert rules query is one the agent documents in {@code
 * docs/metrics.md}.
 */
class ExamplesTest {
  private static final Path EXAMPLES = Path.of("../examples");
  private static final Pattern METER = Pattern.compile("\\bgeorep_[a-z_]+");

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"eu-west", "us-east", "ap-south"})
  void agentConfigurationLoads(String region) {
    AgentSettings settings =
        AgentConfig.withEnvironment(name -> name.equals("GEOREP_DB_PASSWORD") ? "s3cret" : null)
            .load(EXAMPLES.resolve("agents").resolve(region + ".yaml"));

    assertThat(settings.region()).isEqualTo(ReplicaId.of(region));
    assertThat(settings.regions())
        .extracting(r -> r.name().toString())
        .containsExactly("eu-west", "us-east", "ap-south");
    assertThat(settings.publications()).extracting(p -> p.name()).contains("orders", "profiles");
    assertThat(settings.toString()).doesNotContain("s3cret");
  }

  @Test
  void dashboardAndAlertsQueryDocumentedMeters() throws IOException {
    Set<String> documented = new TreeSet<>();
    Matcher doc = METER.matcher(Files.readString(Path.of("../docs/metrics.md")));
    while (doc.find()) {
      documented.add(doc.group());
    }

    List<String> queries = new ArrayList<>();
    JsonNode dashboard =
        new ObjectMapper().readTree(EXAMPLES.resolve("monitoring/grafana-dashboard.json").toFile());
    for (JsonNode panel : dashboard.get("panels")) {
      for (JsonNode target : panel.path("targets")) {
        queries.add(target.get("expr").asText());
      }
    }
    queries.add(Files.readString(EXAMPLES.resolve("monitoring/georep-alerts.yml")));
    assertThat(queries).hasSizeGreaterThan(10);

    Set<String> used = new TreeSet<>();
    for (String query : queries) {
      Matcher m = METER.matcher(query);
      while (m.find()) {
        used.add(m.group().replaceFirst("_(bucket|count|sum)$", ""));
      }
    }
    assertThat(used).isNotEmpty().allSatisfy(name -> assertThat(documented).contains(name));
  }
}
