package io.georep.replicator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.georep.vectorclock.ReplicaId;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
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
        AgentConfig.withEnvironment(
                Map.of(
                        "GEOREP_DB_PASSWORD",
                        "s3cret",
                        "GEOREP_KAFKA_PASSWORD",
                        "k4fka-s3cret",
                        "GEOREP_HTTP_TOKEN",
                        "token-s3cret-0123456789",
                        "GEOREP_SIGNING_KEY",
                        "signing-s3cret-0123456789abcdefghijklmnop")
                    ::get)
            .load(EXAMPLES.resolve("agents").resolve(region + ".yaml"));

    assertThat(settings.region()).isEqualTo(ReplicaId.of(region));
    assertThat(settings.regions())
        .extracting(r -> r.name().toString())
        .containsExactly("eu-west", "us-east", "ap-south");
    assertThat(settings.publications()).extracting(p -> p.name()).contains("orders", "profiles");
    assertThat(settings.toString()).doesNotContain("s3cret");
    assertThat(settings.http().token()).isEqualTo("token-s3cret-0123456789");
    assertThat(settings.signing().enabled()).isTrue();
    assertThat(settings.regions())
        .allSatisfy(
            r ->
                assertThat(r.kafka().get("sasl.jaas.config"))
                    .endsWith("username=\"georep\" password=\"k4fka-s3cret\";"));
  }

  /**
   * The alert rules load, and fire (and clear) as {@code georep-alerts.test.yml} expects: region
   * down, capture halted or not running, stream halted, lag high. Needs {@code promtool}, from the
   * Debian package {@code prometheus} ({@code .ci/run} installs it); skipped where it is absent.
   */
  @Test
  void alertRules_passPromtoolCheckAndUnitTests() throws Exception {
    Optional<Path> promtool = onPath("promtool");
    assumeTrue(
        promtool.isPresent(),
        "promtool not found on PATH: install the Debian package `prometheus`"
            + " (apt-get install prometheus) to test examples/monitoring/georep-alerts.yml");
    Path monitoring = EXAMPLES.resolve("monitoring");

    assertThat(run(monitoring, promtool.get().toString(), "check", "rules", "georep-alerts.yml"))
        .contains("SUCCESS");
    assertThat(
            run(monitoring, promtool.get().toString(), "test", "rules", "georep-alerts.test.yml"))
        .contains("SUCCESS");
  }

  @Test
  void alertRules_unitTestsCoverEveryAlert() throws IOException {
    Path monitoring = EXAMPLES.resolve("monitoring");
    Set<String> alerts = new TreeSet<>();
    Matcher m =
        Pattern.compile("(?m)^\\s*- alert: (\\w+)")
            .matcher(Files.readString(monitoring.resolve("georep-alerts.yml")));
    while (m.find()) {
      alerts.add(m.group(1));
    }
    String tests = Files.readString(monitoring.resolve("georep-alerts.test.yml"));

    assertThat(alerts)
        .contains(
            "GeorepRegionDown",
            "GeorepCaptureHalted",
            "GeorepOriginHalted",
            "GeorepReplicationLagHigh")
        .allSatisfy(a -> assertThat(tests).contains("alertname: " + a + "\n"));
  }

  private static Optional<Path> onPath(String command) {
    String path = System.getenv("PATH");
    if (path == null) {
      return Optional.empty();
    }
    for (String dir : path.split(Pattern.quote(java.io.File.pathSeparator), -1)) {
      Path candidate = Path.of(dir, command);
      if (Files.isExecutable(candidate)) {
        return Optional.of(candidate);
      }
    }
    return Optional.empty();
  }

  /**
   * Runs a command to its end (at most a minute) and returns its output; fails on a non-zero exit.
   */
  private static String run(Path dir, String... command) throws Exception {
    Process p =
        new ProcessBuilder(command)
            .directory(dir.toFile())
            .redirectErrorStream(true)
            .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
            .start();
    String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!p.waitFor(1, TimeUnit.MINUTES)) {
      p.destroyForcibly();
      throw new AssertionError(String.join(" ", command) + " did not finish: " + output);
    }
    assertThat(p.exitValue()).as("%s:%n%s", String.join(" ", command), output).isZero();
    return output;
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
