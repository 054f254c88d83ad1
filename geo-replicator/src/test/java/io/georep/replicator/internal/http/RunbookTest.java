package io.georep.replicator.internal.http;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The dashboard's runbook lines against docs/operations.md and the agent's alert texts. */
class RunbookTest {
  @Test
  void everyRule_namesAHeadingOfTheRunbook() throws IOException {
    String doc = Files.readString(Path.of("..", "docs", "operations.md"));
    for (Runbook.Rule r : Runbook.RULES) {
      assertThat(doc)
          .as("docs/operations.md has the heading of %s", r)
          .contains("### `" + r.section());
    }
  }

  @Test
  void annotate_alerts_pickTheMostSpecificRule() {
    assertThat(
            Runbook.annotate(
                "capture halted: a TRUNCATE of published table(s) with pg_class oid 16384 ran"
                    + " without georep's trigger georep_truncate"))
        .containsEntry(
            "section",
            "docs/operations.md: capture halted: a TRUNCATE of published table(s) with pg_class"
                + " oid … ran without georep's trigger georep_truncate …");
    assertThat(Runbook.annotate("capture halted: cannot fold local transaction(s)").get("action"))
        .startsWith("Fix the cause the message names");
    assertThat(
            Runbook.annotate(
                    "apply of origin us-east halted: the stream georep.us-east.changes has a gap"
                        + " after seq 12 … the missing transactions are gone")
                .get("action"))
        .startsWith("Re-synchronise");
    assertThat(
            Runbook.annotate(
                    "apply of origin us-east: table public.items parked: table public.items"
                        + " differs from the origin's")
                .get("action"))
        .startsWith("Run the same DDL here");
    assertThat(
            Runbook.annotate(
                    "origin us-east lags here by 12.0 s, over control.max.lag (5s): georep.wait_for")
                .get("section"))
        .contains("over control.max.lag");
    assertThat(
            Runbook.annotate(
                    "apply of origin us-east halted: poison record in topic georep.us-east.changes")
                .get("section"))
        .isEqualTo(
            "docs/operations.md: apply of origin <origin> halted: poison record in topic …"
                + " offset N: …");
    assertThat(
            Runbook.annotate("apply of origin us-east halted: something unforeseen").get("section"))
        .isEqualTo("docs/operations.md: GeorepOriginHalted");
    Map<String, String> unknown = Runbook.annotate("something new");
    assertThat(unknown).containsOnlyKeys("alert");
  }
}
