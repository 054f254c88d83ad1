package io.georep.cli.demo;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/**
 * {@code georep demo} in a short run, in-process: three regions with real PostgreSQL servers, a
 * real Kafka broker and real agents, the conflicting load, and one region cut off from Kafka for a
 * few seconds. The regions must converge, with conflicts of several types detected and resolved,
 * and the run must leave no data behind. Replay a run's load with {@code -Dgeorep.seed=<seed>}.
 */
class DemoIT {

  @Test
  void shortRunWithACut_converges_afterResolvingConflictsOfSeveralTypes() {
    long seed = Long.getLong("georep.seed", Math.floorMod(System.nanoTime(), 1_000_000_000L));
    System.out.println("DemoIT seed=" + seed + " (replay: -Dgeorep.seed=" + seed + ")");
    DemoCommand command = new DemoCommand();
    StringWriter text = new StringWriter();
    StringWriter err = new StringWriter();
    CommandLine line = new CommandLine(command);
    line.setOut(new PrintWriter(text, true));
    line.setErr(new PrintWriter(err, true));

    int exit =
        line.execute(
            "--duration", "15s",
            "--rate", "40",
            "--seed", String.valueOf(seed),
            "--fault", "cut:us-east@4s+5s");

    String output = text.toString();
    System.out.println(output);
    System.out.println(err);
    DemoResult result = command.result();
    assertThat(result).as("the demo's result (seed %d); stderr: %s", seed, err).isNotNull();
    assertThat(result.problems()).as("problems (seed %d)", seed).isEmpty();
    assertThat(result.verdict()).isEqualTo(DemoResult.Verdict.CONVERGED);
    assertThat(exit).isZero();
    assertThat(result.seed()).isEqualTo(seed);

    // Conflicts of at least three types, each detected by the agents and recorded with its
    // winner in the conflict logs, while the regions still converged.
    Map<String, Long> resolved = result.conflictsResolved();
    assertThat(resolved.entrySet().stream().filter(e -> e.getValue() > 0).map(Map.Entry::getKey))
        .as("conflict types resolved (seed %d): %s", seed, resolved)
        .hasSizeGreaterThanOrEqualTo(3);
    for (Map.Entry<String, Long> e : resolved.entrySet()) {
      assertThat(result.conflictsDetected()).containsKey(e.getKey());
    }
    assertThat(result.writes()).isPositive();
    assertThat(result.firstReplicatedChange()).isPresent();
    assertThat(result.rows()).containsKeys("accounts", "profiles", "orders", "checkpoints");
    assertThat(result.rows().get("profiles")).isEqualTo((long) DemoSchema.PROFILES);

    assertThat(output)
        .contains("/metrics", "/health", "/api/status")
        .contains("first replicated change")
        .contains("us-east cut off from Kafka")
        .contains("us-east reconnected to Kafka")
        .contains("verdict: CONVERGED")
        .contains("data directory deleted");
    Matcher dir = Pattern.compile("data directory (\\S+)").matcher(output);
    assertThat(dir.find()).isTrue();
    assertThat(Path.of(dir.group(1))).doesNotExist();
  }
}
