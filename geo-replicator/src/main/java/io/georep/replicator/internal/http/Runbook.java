package io.georep.replicator.internal.http;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The runbook line of each status alert, for the dashboard: the heading of its entry in
 * docs/operations.md and what to do, in one line. The first rule whose words the alert contains
 * wins, so the specific rules come first.
 */
final class Runbook {
  private Runbook() {}

  /**
   * A rule: the words an alert contains, the runbook heading, the action.
   *
   * @param words all must appear in the alert
   * @param section the heading in docs/operations.md
   * @param action what to do, in one line
   */
  record Rule(List<String> words, String section, String action) {}

  static final List<Rule> RULES =
      List.of(
          new Rule(
              List.of("capture halted: a TRUNCATE"),
              "capture halted: a TRUNCATE of published table(s) with pg_class oid … ran without"
                  + " georep's trigger georep_truncate …",
              "Re-create this region from the others: stop the agent, drop its slot, start it"
                  + " again (the new slot starts with an initial copy)."),
          new Rule(
              List.of("capture halted"),
              "capture halted: …",
              "Fix the cause the message names, then restart the agent: the capture resumes from"
                  + " its slot and nothing is lost. Watch the database's disk meanwhile (the slot"
                  + " keeps the WAL)."),
          new Rule(
              List.of("capture restarting"),
              "capture restarting: …",
              "Transient: nothing is needed if it clears; if it persists, fix what it names"
                  + " (database.url, regions[].kafka, the right to create topics)."),
          new Rule(
              List.of("receiver of origin", "restarting"),
              "receiver of origin <origin> restarting: …",
              "Transient: the receiver restarts from the stored position; nothing is needed if it"
                  + " clears."),
          new Rule(
              List.of("halted", "gone"),
              "apply of origin <origin> halted: the stream … has a gap after seq S … gone …",
              "Re-synchronise this region from a region past the gap: stop this agent, run"
                  + " georep resync <this region> --from <origin> -c this.yaml -c origin.yaml"
                  + " (docs/verify.md), start it again; raise topics.retention."),
          new Rule(
              List.of("halted", "poison record"),
              "apply of origin <origin> halted: poison record in topic … offset N: …",
              "Find what wrote the record (the topic's producers) and stop it, then"
                  + " re-synchronise this region: stop this agent, run georep resync <this region>"
                  + " --from <origin> -c this.yaml -c origin.yaml (docs/verify.md), start it"
                  + " again."),
          new Rule(
              List.of("halted: receiving"),
              "apply of origin <origin> halted: receiving georep.<origin>.changes failed at offset"
                  + " N unexpectedly: …",
              "Fix the cause quoted (an OutOfMemoryError: raise -Xmx or lower"
                  + " apply.window.bytes) and restart the agent: the origin resumes at that record;"
                  + " other origins go on."),
          new Rule(
              List.of("halted: poison transaction"),
              "apply of origin <origin> halted: poison transaction … failed 5 times with an"
                  + " unexpected error …",
              "Fix the cause quoted and restart the agent: the origin resumes at that"
                  + " transaction; other origins go on."),
          new Rule(
              List.of("apply of origin", "halted"),
              "GeorepOriginHalted",
              "Fix the cause quoted (an OutOfMemoryError: raise -Xmx or lower"
                  + " apply.window.bytes) and restart the agent: the origin resumes where it"
                  + " stopped; other origins go on."),
          new Rule(
              List.of("apply of origin", "stalled"),
              "apply of origin <origin> stalled: the stream georep.<origin>.changes has a gap"
                  + " after seq S …",
              "Clears when the origin re-ships the missing transaction; if it lasts, check the"
                  + " origin's capture."),
          new Rule(
              List.of("parked"),
              "apply of origin <origin>: table <table> parked: table <table> differs from the"
                  + " origin's: …",
              "Run the same DDL here: the next retry applies the waiting transactions. No"
                  + " restart."),
          new Rule(
              List.of("which is not in agent.yaml's regions"),
              "origin <origin>'s transactions wait for region <region>, which is not in"
                  + " agent.yaml's regions …",
              "Add the region (with its kafka settings) to regions in agent.yaml and restart the"
                  + " agent."),
          new Rule(
              List.of("over control.max.lag"),
              "origin <origin> lags here by N s, over control.max.lag (…)",
              "Find out whether the origin is down, halted here, or the apply is too slow; it"
                  + " clears when the lag falls below the bound."));

  /**
   * Returns an alert with its runbook line.
   *
   * @param alert the alert's text
   * @return {@code alert}, {@code section} and {@code action} ({@code section} and {@code action}
   *     absent when no rule matches)
   */
  static Map<String, String> annotate(String alert) {
    Map<String, String> m = new LinkedHashMap<>();
    m.put("alert", alert);
    for (Rule r : RULES) {
      if (r.words().stream().allMatch(alert::contains)) {
        m.put("section", "docs/operations.md: " + r.section());
        m.put("action", r.action());
        break;
      }
    }
    return m;
  }
}
