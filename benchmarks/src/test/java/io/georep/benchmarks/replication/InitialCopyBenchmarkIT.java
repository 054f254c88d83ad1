package io.georep.benchmarks.replication;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * Smoke test of the initial-copy benchmark at {@code --scale 1} (100,000 accounts): every system
 * copies, and the harness compares every copied table with the source (row count and sum of row
 * hashes) and fails otherwise. {@code pg_dump} joins when Debian's {@code postgresql-client-15} is
 * installed. No timing is asserted.
 */
class InitialCopyBenchmarkIT {
  private static final Path PG_BIN = Path.of("/usr/lib/postgresql/15/bin");

  @Test
  void scaleOne_everySystem_copiesIdenticalTables(@TempDir Path dir) throws Exception {
    List<String> systems = new ArrayList<>(List.of("native", "georep"));
    if (Files.isExecutable(PG_BIN.resolve("pg_dump"))) {
      systems.add(0, "dump");
    } else {
      System.out.println(
          "InitialCopyBenchmarkIT: no pg_dump in "
              + PG_BIN
              + " (Debian package"
              + " postgresql-client-15): the dump system is left out");
    }
    Path markdown = dir.resolve("copy.md");
    int exit =
        new CommandLine(new InitialCopyBenchmark())
            .execute(
                "--scale=1",
                "--systems=" + String.join(",", systems),
                "--binaries-jar=target/pg-binaries/pg15-binaries.jar",
                "--pg-bin=" + PG_BIN,
                "--timeout-minutes=5",
                "--agent-heap=512m",
                "--markdown=" + markdown);

    assertThat(exit).isZero();
    String md = Files.readString(markdown);
    assertThat(md).contains("pgbench -s 1: 100,011 rows");
    for (String system : systems) {
      assertThat(md).contains("| " + system + " | ");
    }
  }
}
