package io.georep.replicator.cli;

import io.georep.connector.DatabaseUrl;
import io.georep.publication.Publication;
import io.georep.replicator.AgentSettings;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code georep sequences check|align}: interleaved sequences for the serial and identity columns
 * of the published tables, so that regions that insert concurrently never hand out the same value
 * (docs/consistency.md). Runs {@code georep.align_sequences} in the region's database.
 */
@Command(
    name = "sequences",
    mixinStandardHelpOptions = true,
    description = {
      "Checks or aligns the sequences of the published tables' serial and identity columns so that"
          + " no two regions hand out the same value: in every region, increment = the stride"
          + " (default: the number of regions) and values congruent to the region's number (its"
          + " place in 'regions' of agent.yaml, from 1) modulo the stride.",
      "Run it in every region with that region's agent.yaml, after the agent's first start."
    },
    subcommands = {SequencesCommand.Check.class, SequencesCommand.Align.class})
final class SequencesCommand implements Runnable {
  @Spec CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getOut());
  }

  /** What check and align share: the configuration, the stride, the call. */
  abstract static class Base {
    @Option(
        names = {"-c", "--config"},
        required = true,
        paramLabel = "FILE",
        description = "The region's agent configuration, for example --config agent.yaml.")
    Path config;

    @Option(
        names = "--stride",
        paramLabel = "N",
        description =
            "The increment of every aligned sequence, at least the number of regions; a larger one"
                + " leaves room for regions added later. Default: the number of regions.")
    Integer stride;

    @Spec CommandSpec spec;

    /** Runs the function; prints the report; returns the exit code. */
    int run(boolean apply) {
      AgentSettings settings = GeorepCommand.load(spec, config);
      if (settings == null) {
        return 1;
      }
      List<AgentSettings.Region> regions = settings.regions();
      int number = 0;
      for (int i = 0; i < regions.size(); i++) {
        if (regions.get(i).name().equals(settings.region())) {
          number = i + 1;
        }
      }
      int n = stride == null ? regions.size() : stride;
      if (n < regions.size()) {
        throw new CommandLine.ParameterException(
            spec.commandLine(),
            "--stride "
                + n
                + " is below the number of regions ("
                + regions.size()
                + "): two regions would share values");
      }
      AgentSettings.Database db = settings.database();
      PrintWriter out = spec.commandLine().getOut();
      PrintWriter err = spec.commandLine().getErr();
      try (Connection c = db.connect("georep sequences")) {
        List<String> natives = new ArrayList<>();
        for (Publication p : settings.publications()) {
          natives.add(p.nativeName());
        }
        List<String> tables = new ArrayList<>();
        try (PreparedStatement q =
            c.prepareStatement(
                "SELECT DISTINCT format('%I.%I', schemaname, tablename)"
                    + " FROM pg_publication_tables WHERE pubname = ANY (?) ORDER BY 1")) {
          q.setArray(1, c.createArrayOf("text", natives.toArray()));
          try (ResultSet rs = q.executeQuery()) {
            while (rs.next()) {
              tables.add(rs.getString(1));
            }
          }
        }
        if (tables.isEmpty()) {
          err.println(
              "no published tables in "
                  + DatabaseUrl.masked(db.jdbcUrl())
                  + " (native publications "
                  + String.join(", ", natives)
                  + "): start this region's agent once (georep run -c "
                  + config
                  + "), which creates them and the georep schema");
          return 1;
        }
        int problems = 0;
        int sequences = 0;
        Array array = c.createArrayOf("text", tables.toArray());
        try (PreparedStatement call =
            c.prepareStatement(
                "SELECT table_name, column_name, sequence_name, increment, next_value,"
                    + " restart_with, status"
                    + " FROM georep.align_sequences(?::regclass[], ?, ?, ?)")) {
          call.setArray(1, array);
          call.setInt(2, number);
          call.setInt(3, n);
          call.setBoolean(4, apply);
          try (ResultSet rs = call.executeQuery()) {
            while (rs.next()) {
              sequences++;
              String status = rs.getString(7);
              if (!status.equals("aligned") && !status.startsWith("realigned")) {
                problems++;
              }
              out.println(
                  rs.getString(1)
                      + "."
                      + rs.getString(2)
                      + " ("
                      + rs.getString(3)
                      + ", increment "
                      + rs.getLong(4)
                      + ", next "
                      + rs.getLong(5)
                      + "): "
                      + status
                      + (!apply && rs.getObject(6) != null
                          ? " — align restarts it at " + rs.getLong(6) + " with increment " + n
                          : ""));
            }
          }
        }
        out.println(
            sequences
                + (sequences == 1 ? " sequence" : " sequences")
                + " in "
                + tables.size()
                + (tables.size() == 1 ? " table" : " tables")
                + " of region "
                + settings.region()
                + " (number "
                + number
                + ", stride "
                + n
                + "): "
                + (problems == 0
                    ? apply ? "aligned" : "all aligned"
                    : problems
                        + " not aligned; run 'georep sequences align -c "
                        + config
                        + (stride == null ? "" : " --stride " + n)
                        + " --apply'"));
        out.flush();
        return problems == 0 ? 0 : 1;
      } catch (SQLException e) {
        err.println(
            "cannot check the sequences of "
                + DatabaseUrl.masked(db.jdbcUrl())
                + " as "
                + db.user()
                + ": "
                + e.getMessage()
                + (apply ? " — aligning needs the ownership of each sequence" : ""));
        return 1;
      }
    }
  }

  /** {@code georep sequences check -c agent.yaml}. */
  @Command(
      name = "check",
      mixinStandardHelpOptions = true,
      description =
          "Reports each sequence of the published tables: aligned, misaligned (an increment below"
              + " the stride, another region's class), or colliding (the table already holds a"
              + " value the sequence will hand out, written in another region). Changes nothing.",
      exitCodeListHeading = "%nExit codes:%n",
      exitCodeList = {"0:all aligned", "1:some are not, or the database cannot be read", "2:usage"})
  static final class Check extends Base implements Callable<Integer> {
    @Override
    public Integer call() {
      return run(false);
    }
  }

  /** {@code georep sequences align -c agent.yaml [--apply]}. */
  @Command(
      name = "align",
      mixinStandardHelpOptions = true,
      description = {
        "Shows, or with --apply does, what aligns each sequence: ALTER SEQUENCE … INCREMENT BY the"
            + " stride RESTART WITH the first value of this region's class above both the"
            + " sequence's next value and the column's greatest value (the table is locked"
            + " against writes for the moment it takes).",
        "Without --apply nothing changes (a dry run)."
      },
      exitCodeListHeading = "%nExit codes:%n",
      exitCodeList = {
        "0:aligned (or, without --apply, already aligned)",
        "1:some are not aligned (dry run), or the database refused",
        "2:usage"
      })
  static final class Align extends Base implements Callable<Integer> {
    @Option(names = "--apply", description = "Alter the sequences (default: a dry run).")
    boolean apply;

    @Override
    public Integer call() {
      return run(apply);
    }
  }
}
