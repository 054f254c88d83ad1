package io.georep.benchmarks.replication;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

class ReportTest {

  private static Report.WorkloadFigures figures(String workload, String system, double seconds) {
    return new Report.WorkloadFigures(
        workload,
        "title of " + workload,
        system,
        1_000,
        10,
        seconds,
        seconds / 4,
        100_000,
        90_000,
        system.equals("georep") ? 2.0 : Double.NaN,
        0.5,
        1.5,
        system.equals("georep") ? 64L << 20 : -1);
  }

  private static List<String> tableRows(String markdown, String heading) {
    String section = markdown.substring(markdown.indexOf(heading));
    int end = section.indexOf("\n\n", section.indexOf("|"));
    String table = section.substring(section.indexOf("|"), end < 0 ? section.length() : end);
    return Arrays.stream(table.strip().split("\n")).toList();
  }

  private static int cells(String row) {
    return row.split("\\|", -1).length - 2;
  }

  @Test
  void markdown_everyTableRowHasItsHeadersCells_andRatiosAreGeorepOverNative() {
    Report report = new Report();
    report.workloads.add(figures("a", "native", 1.0));
    report.workloads.add(figures("a", "georep", 4.0));
    report.workloads.add(figures("d", "georep", 2.0));
    report.lags.add(
        new Report.LagFigures(
            "oltp", 1, "georep", new LagProbe.Result(100, 90, 900, 5, 50, 60, 4, 49, true)));

    String md = report.markdown();

    for (String heading :
        List.of(
            "### Apply throughput",
            "### Bytes shipped per change",
            "### CPU seconds and heap",
            "### Replication lag",
            "### Details")) {
      List<String> rows = tableRows(md, heading);
      int columns = cells(rows.get(0));
      assertThat(rows).as(heading).allSatisfy(r -> assertThat(cells(r)).isEqualTo(columns));
    }
    // (a): georep 1,000 rows in 5 s, native in 1.25 s.
    assertThat(tableRows(md, "### Apply throughput").get(2))
        .isEqualTo("| (a) title of a | 200 | 800 | 0.25× | ≥ 1.0× | 4.00 + 1.00 | 1.00 + 0.25 |");
    // (d) ran with georep only: native's cells and the ratio are dashes.
    assertThat(tableRows(md, "### Apply throughput").get(3))
        .startsWith("| (d) title of d | 400 | — | — | ≥ 1.0× |");
    assertThat(tableRows(md, "### Replication lag").get(2))
        .isEqualTo(
            "| oltp (1 row per transaction) | 100 | 90 | 5.00 | 50.00 | 60.00 | 4.00 / 49.00"
                + " | — | — | — | — |");
  }
}
