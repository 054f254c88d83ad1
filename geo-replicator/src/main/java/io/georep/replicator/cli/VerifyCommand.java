package io.georep.replicator.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.georep.connector.RowKey;
import io.georep.connector.TableId;
import io.georep.connector.TableSchema;
import io.georep.connector.spi.Connector;
import io.georep.connector.spi.RegionApplier;
import io.georep.connector.spi.RowRestoring;
import io.georep.publication.Publication;
import io.georep.publication.TableRule;
import io.georep.replicator.AgentSettings;
import io.georep.replicator.Connectors;
import io.georep.replicator.internal.verify.TableShapes;
import io.georep.replicator.internal.verify.Verifier;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code georep verify -c A.yaml -c B.yaml …}: are the regions' published tables identical? Online,
 * at a common causal point, with chunk digests computed in each database and re-checks of rows that
 * were in flight (docs/verify.md).
 */
@Command(
    name = "verify",
    mixinStandardHelpOptions = true,
    description = {
      "Compares the published tables of two or more regions while applications keep writing."
          + " Every region first applies what every region had committed when the check began;"
          + " each region then hashes each whole table in its database (one scan), and a table"
          + " whose digests differ is compared in chunks of keys the same way; chunks that differ are compared row by row, and rows that differ are"
          + " re-checked at a new common point so that writes in flight settle. The rows that"
          + " still differ are listed with every region's values.",
      "Give each region's agent.yaml; the first one's publications name the tables. Sets (or-set,"
          + " g-set, 2p-set columns) compare as sets; masked and unreplicated columns are not"
          + " compared; tables with a row filter are skipped; tables without a key compare as"
          + " multisets of rows."
    },
    exitCodeListHeading = "%nExit codes:%n",
    exitCodeList = {
      "0:every region holds the same rows",
      "1:rows differ, a table is missing or differs in shape, or a region could not be read",
      "2:usage error",
      "3:no difference found, but some rows were written during every re-check: run again"
    })
final class VerifyCommand implements Callable<Integer> {
  private static final ObjectMapper JSON =
      new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  @Option(
      names = {"-c", "--config"},
      required = true,
      paramLabel = "FILE",
      description =
          "A region's agent configuration; give one per region, at least two, for example -c"
              + " eu-west.yaml -c us-east.yaml.")
  List<Path> configs = new ArrayList<>();

  @Option(
      names = "--tables",
      split = ",",
      paramLabel = "TABLE[,TABLE…]",
      description = "Only these tables (schema.table or table). Default: every published table.")
  List<String> tables = new ArrayList<>();

  @Option(
      names = "--chunk-rows",
      defaultValue = "10000",
      paramLabel = "N",
      description =
          "Rows per chunk: each region hashes a chunk in one query. Default: ${DEFAULT-VALUE}.")
  int chunkRows;

  @Option(
      names = "--max-rows-per-second",
      defaultValue = "0",
      paramLabel = "N",
      description =
          "Bound the load: at most N rows read per second from each database (0: no bound),"
              + " by chunks only (no whole-table pass)."
              + " Default: ${DEFAULT-VALUE}.")
  long maxRowsPerSecond;

  @Option(
      names = "--settle-timeout",
      defaultValue = "60s",
      paramLabel = "DURATION",
      description =
          "How long each region may take to reach the common causal point. Default:"
              + " ${DEFAULT-VALUE}.")
  String settleTimeout;

  @Option(
      names = "--rounds",
      defaultValue = "5",
      paramLabel = "N",
      description =
          "Re-checks of differing rows, each at a new common point, at least 2: a row differs when"
              + " its regions disagree in two consecutive re-checks and nothing changed it in"
              + " between; rows written continuously may need more. Default: ${DEFAULT-VALUE}.")
  int rounds;

  @Option(
      names = "--max-reported",
      defaultValue = "100",
      paramLabel = "N",
      description = "Rows listed per table with their values. Default: ${DEFAULT-VALUE}.")
  int maxReported;

  @Option(names = "--json", description = "The report as one JSON document on standard output.")
  boolean json;

  @Spec CommandSpec spec;

  @Override
  public Integer call() throws Exception {
    if (chunkRows < 1 || rounds < 2 || maxReported < 0 || maxRowsPerSecond < 0) {
      throw new CommandLine.ParameterException(
          spec.commandLine(),
          "--chunk-rows must be 1 or more, --rounds 2 or more, --max-reported and"
              + " --max-rows-per-second 0 or more");
    }
    Duration settle = RegionConfigs.duration(spec, "--settle-timeout", settleTimeout);
    List<AgentSettings> settings = RegionConfigs.load(spec, configs);
    if (settings == null) {
      return 1;
    }
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    List<Connection> connections = new ArrayList<>();
    Verifier verifier = null;
    try {
      List<Verifier.Region> regions = new ArrayList<>();
      for (AgentSettings s : settings) {
        Connection c = RegionConfigs.connect(s, "georep verify", err);
        if (c == null) {
          return 1;
        }
        connections.add(c);
        regions.add(new Verifier.Region(s.region().name(), c));
      }
      verifier =
          new Verifier(
              regions,
              new Verifier.Options(chunkRows, maxRowsPerSecond, settle, rounds, maxReported),
              err);
      List<TableRule> rules = rules(settings.get(0).publications());
      if (rules.isEmpty()) {
        err.println(
            "no table to verify"
                + (tables.isEmpty() ? "" : ": none of " + tables + " is published")
                + " in "
                + configs.get(0));
        return 1;
      }
      err.println("verifying " + regionNames(regions) + ": waiting for a common causal point");
      err.flush();
      String point = verifier.causalPoint();
      err.println("common causal point " + point);
      List<Verifier.TableResult> results = new ArrayList<>();
      for (TableRule rule : rules) {
        if (rule.filter().isPresent()) {
          results.add(
              new Verifier.TableResult(
                  rule.table().toString(),
                  0,
                  0,
                  "skipped",
                  "it has a row filter: regions hold different rows by design",
                  List.of(),
                  0,
                  0));
          continue;
        }
        results.add(verifier.verify(TableShapes.read(regions, rule)));
        Verifier.TableResult r = results.get(results.size() - 1);
        err.printf(
            Locale.ROOT,
            "  %s: %,d rows in %,d chunks: %s%s%n",
            r.table(),
            r.rows(),
            r.chunks(),
            r.status(),
            r.settled() > 0 ? " (" + r.settled() + " rows in flight settled on a re-check)" : "");
        err.flush();
      }
      results = withVersions(settings, regions, results, err);
      boolean identical =
          results.stream().allMatch(r -> r.identical() || r.status().equals("skipped"));
      boolean unsettled =
          !identical
              && results.stream()
                  .allMatch(
                      r ->
                          r.identical()
                              || r.status().equals("skipped")
                              || r.status().equals("unsettled"));
      if (json) {
        Map<String, Object> doc = new LinkedHashMap<>();
        doc.put("regions", regions.stream().map(Verifier.Region::name).toList());
        doc.put("identical", identical);
        doc.put("causalPoint", point);
        doc.put("tables", results);
        out.println(JSON.writeValueAsString(doc));
      } else {
        for (Verifier.TableResult r : results) {
          if (r.identical()) {
            continue;
          }
          out.println(
              r.table() + ": " + r.status() + (r.detail().isEmpty() ? "" : ": " + r.detail()));
          for (Verifier.Difference d : r.differences()) {
            out.println("  key " + d.key());
            d.rows()
                .forEach(
                    (region, row) ->
                        out.println(
                            "    "
                                + region
                                + ": "
                                + row
                                + (d.versions().containsKey(region)
                                    ? "  (last write " + d.versions().get(region) + ")"
                                    : "")));
          }
          if (r.differing() > r.differences().size()) {
            out.println(
                "  … " + (r.differing() - r.differences().size()) + " more (--max-reported)");
          }
        }
        long rows = results.stream().mapToLong(Verifier.TableResult::rows).sum();
        out.printf(
            Locale.ROOT,
            "%s: %,d rows in %d tables compared across %s%n",
            identical ? "IDENTICAL" : unsettled ? "UNSETTLED" : "DIFFERENT",
            rows,
            results.size(),
            regionNames(regions));
      }
      out.flush();
      return identical ? 0 : unsettled ? 3 : 1;
    } catch (SQLException e) {
      err.println("verify failed: " + e.getMessage());
      return 1;
    } finally {
      if (verifier != null) {
        verifier.close();
      }
      for (Connection c : connections) {
        try {
          c.close();
        } catch (SQLException e) {
          // closing after the report: nothing to do
        }
      }
    }
  }

  /**
   * Adds each region's row version (the latest write georep merged) to the rows that differ, read
   * through each region's applier. Without it (a region whose metadata cannot be read) the report
   * keeps the values only, and says why on standard error.
   */
  private static List<Verifier.TableResult> withVersions(
      List<AgentSettings> settings,
      List<Verifier.Region> regions,
      List<Verifier.TableResult> results,
      PrintWriter err) {
    if (results.stream().allMatch(r -> r.differences().isEmpty())) {
      return results;
    }
    Map<String, RowRestoring> readers = new LinkedHashMap<>();
    List<RegionApplier> opened = new ArrayList<>();
    try {
      for (AgentSettings s : settings) {
        RegionApplier applier =
            Connectors.forUrl(s.database().jdbcUrl()).open(s.databaseSettings()).openApplier();
        opened.add(applier);
        if (applier instanceof RowRestoring reader) {
          readers.put(s.region().name(), reader);
        }
      }
      Connector connector = Connectors.forUrl(settings.get(0).database().jdbcUrl());
      List<Verifier.TableResult> out = new ArrayList<>();
      for (Verifier.TableResult r : results) {
        if (r.differences().isEmpty()) {
          out.add(r);
          continue;
        }
        String[] name = r.table().split("\\.", 2);
        TableId id = new TableId(name[0], name[1]);
        Optional<TableSchema> schema = connector.describeTable(regions.get(0).connection(), id);
        if (schema.isEmpty() || schema.get().keyless()) {
          out.add(r);
          continue;
        }
        Map<List<String>, RowKey> keys = new LinkedHashMap<>();
        for (Verifier.Difference d : r.differences()) {
          keys.put(d.key(), RepairCommand.rowKey(connector, schema.get(), d.key()));
        }
        Map<String, Map<RowKey, String>> byRegion = new LinkedHashMap<>();
        readers.forEach(
            (region, reader) ->
                byRegion.put(region, reader.versions(id, List.copyOf(keys.values()))));
        List<Verifier.Difference> differences = new ArrayList<>();
        for (Verifier.Difference d : r.differences()) {
          Map<String, String> versions = new LinkedHashMap<>();
          byRegion.forEach(
              (region, v) -> {
                String version = v.get(keys.get(d.key()));
                if (version != null) {
                  versions.put(region, version);
                }
              });
          differences.add(d.withVersions(versions));
        }
        out.add(
            new Verifier.TableResult(
                r.table(),
                r.rows(),
                r.chunks(),
                r.status(),
                r.detail(),
                differences,
                r.differing(),
                r.settled()));
      }
      return out;
    } catch (SQLException | RuntimeException e) {
      err.println("row versions not read (the report lists values only): " + e.getMessage());
      return results;
    } finally {
      for (RegionApplier a : opened) {
        a.close();
      }
    }
  }

  private List<TableRule> rules(List<Publication> publications) {
    Map<String, TableRule> byTable = new LinkedHashMap<>();
    for (Publication p : publications) {
      for (TableRule r : p.tables()) {
        String qualified = r.table().schema() + "." + r.table().name();
        if (tables.isEmpty() || tables.contains(qualified) || tables.contains(r.table().name())) {
          byTable.putIfAbsent(qualified, r);
        }
      }
    }
    return new ArrayList<>(byTable.values());
  }

  private static String regionNames(List<Verifier.Region> regions) {
    return String.join(", ", regions.stream().map(Verifier.Region::name).toList());
  }
}
