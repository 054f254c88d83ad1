package io.georep.replicator.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.georep.connector.ColumnSchema;
import io.georep.connector.RowKey;
import io.georep.connector.ScalarType;
import io.georep.connector.TableId;
import io.georep.connector.TableSchema;
import io.georep.connector.Value;
import io.georep.connector.spi.Connector;
import io.georep.connector.spi.RegionApplier;
import io.georep.connector.spi.RegionDatabase;
import io.georep.connector.spi.RowRestoring;
import io.georep.publication.Publication;
import io.georep.publication.TableRule;
import io.georep.replicator.AgentSettings;
import io.georep.replicator.Connectors;
import io.georep.replicator.internal.verify.Repairer;
import io.georep.replicator.internal.verify.TableShape;
import io.georep.replicator.internal.verify.TableShapes;
import io.georep.replicator.internal.verify.Verifier;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code georep repair --from REGION -c A.yaml -c B.yaml … (--report FILE | --tables T --keys K)}:
 * makes the other regions match the chosen one for named rows, by restoring every row changed
 * behind georep's back to its replicated state (docs/verify.md).
 */
@Command(
    name = "repair",
    mixinStandardHelpOptions = true,
    description = {
      "Makes the other regions match the chosen region (--from) for the rows that verify reported"
          + " (--report) or that you name (--tables T --keys K). Every region waits until it has"
          + " applied what every region had committed, then each region whose row was changed"
          + " behind georep's back (a session the capture skipped, a write while its agent was"
          + " stopped and its slot advanced) has the row restored to its replicated state: the"
          + " merge of every write georep knows, which at that point is the chosen region's."
          + " Counters and sets are restored as their merged states, never corrected by a delta."
          + " Each restored row is logged in the region's conflict log as type repair.",
      "A dry run by default: it lists what it would restore. --apply writes. Every region's agent"
          + " must be running: a row is restored only once its region's capture has folded every"
          + " local transaction before, so no write georep knows of is discarded.",
      "Rows whose regions differ without a change behind georep's back (states that differ: a"
          + " halted or lost stream) are reported, not touched; re-seed such a region with the"
          + " procedure in docs/verify.md."
    },
    exitCodeListHeading = "%nExit codes:%n",
    exitCodeList = {
      "0:every named row is identical in every region, or (dry run) would be after --apply",
      "1:some rows were not repaired (the report says why), or a region could not be read",
      "2:usage error"
    })
final class RepairCommand implements Callable<Integer> {
  private static final ObjectMapper JSON =
      new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  @Option(
      names = {"-c", "--config"},
      required = true,
      paramLabel = "FILE",
      description = "A region's agent configuration; give one per region, at least two.")
  List<Path> configs = new ArrayList<>();

  @Option(
      names = "--from",
      required = true,
      paramLabel = "REGION",
      description = "The region the others are made to match; one of the configurations' regions.")
  String from;

  @Option(
      names = "--report",
      paramLabel = "FILE",
      description = "The rows to repair: a report of georep verify --json.")
  Path report;

  @Option(
      names = "--tables",
      split = ",",
      paramLabel = "TABLE[,TABLE…]",
      description =
          "With --report: only these tables. With --keys: the one table the keys are of"
              + " (schema.table or table).")
  List<String> tables = new ArrayList<>();

  @Option(
      names = "--keys",
      split = ",(?![^\\[]*\\])",
      paramLabel = "KEY[,KEY…]",
      description =
          "The rows to repair, by key: a value for a one-column key (--keys 7,201), a JSON array"
              + " for a key of several columns (--keys '[1,\"a\"]','[2,\"b\"]').")
  List<String> keys = new ArrayList<>();

  @Option(
      names = "--apply",
      description = "Write. Without it, a dry run that lists what would be restored.")
  boolean apply;

  @Option(
      names = "--capture-timeout",
      defaultValue = "60s",
      paramLabel = "DURATION",
      description =
          "How long each region's capture may take to fold the local writes before the repair."
              + " Default: ${DEFAULT-VALUE}.")
  String captureTimeout;

  @Option(
      names = "--settle-timeout",
      defaultValue = "60s",
      paramLabel = "DURATION",
      description =
          "How long each region may take to reach the common causal point. Default:"
              + " ${DEFAULT-VALUE}.")
  String settleTimeout;

  @Option(names = "--json", description = "The report as one JSON document on standard output.")
  boolean json;

  @Spec CommandSpec spec;

  @Override
  public Integer call() throws Exception {
    if ((report == null) == keys.isEmpty()) {
      throw usage(
          "name the rows: --report FILE (from georep verify --json) or --tables TABLE --keys K,"
              + " not both");
    }
    if (!keys.isEmpty() && tables.size() != 1) {
      throw usage("--keys needs exactly one --tables TABLE: the table the keys are of");
    }
    Duration capture = duration("--capture-timeout", captureTimeout);
    Duration settle = duration("--settle-timeout", settleTimeout);
    List<AgentSettings> settings = RegionConfigs.load(spec, configs);
    if (settings == null) {
      return 1;
    }
    List<String> names = settings.stream().map(s -> s.region().name()).toList();
    if (!names.contains(from)) {
      throw usage("--from " + from + " is none of the configurations' regions " + names);
    }
    Map<String, List<List<String>>> rows;
    try {
      rows = report != null ? fromReport() : fromKeys();
    } catch (IllegalArgumentException e) {
      throw usage(e.getMessage());
    }
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    List<Connection> connections = new ArrayList<>();
    Verifier verifier = null;
    List<RegionApplier> appliers = new ArrayList<>();
    try {
      List<Verifier.Region> verifierRegions = new ArrayList<>();
      List<Repairer.Region> repairRegions = new ArrayList<>();
      for (AgentSettings s : settings) {
        Connection c = RegionConfigs.connect(s, "georep repair", err);
        if (c == null) {
          return 1;
        }
        connections.add(c);
        verifierRegions.add(new Verifier.Region(s.region().name(), c));
        RegionDatabase database =
            Connectors.forUrl(s.database().jdbcUrl()).open(s.databaseSettings());
        RegionApplier applier = database.openApplier();
        appliers.add(applier);
        if (!(applier instanceof RowRestoring restorer)) {
          err.println(
              "region "
                  + s.region()
                  + "'s connector cannot restore rows: repair is not available for it");
          return 1;
        }
        repairRegions.add(new Repairer.Region(s.region().name(), restorer, database.captureName()));
      }
      verifier = new Verifier(verifierRegions, new Verifier.Options(1, 0, settle, 2, 0), err);
      Repairer repairer = new Repairer(verifier, repairRegions, from, apply, capture, err);
      err.println(
          (apply ? "repairing" : "dry run: checking")
              + " rows of "
              + rows.size()
              + " tables in "
              + String.join(", ", names)
              + " from "
              + from
              + ": waiting for a common causal point");
      err.flush();
      err.println("common causal point " + verifier.causalPoint());
      Map<String, List<Repairer.RowResult>> results = new LinkedHashMap<>();
      Map<String, TableRule> rules = rules(settings.get(0).publications());
      Connector connector = Connectors.forUrl(settings.get(0).database().jdbcUrl());
      for (Map.Entry<String, List<List<String>>> e : rows.entrySet()) {
        TableRule rule = rules.get(e.getKey());
        if (rule == null) {
          err.println("table " + e.getKey() + " is not published in " + configs.get(0));
          return 1;
        }
        TableId id = new TableId(rule.table().schema(), rule.table().name());
        Map<String, TableShape> shapes = TableShapes.read(verifierRegions, rule);
        TableShape shape = shapes.get(names.get(0));
        Optional<TableSchema> schema = connector.describeTable(connections.get(0), id);
        if (shape == null || schema.isEmpty()) {
          err.println("table " + id + " is missing in region " + names.get(0));
          return 1;
        }
        if (schema.get().keyless()) {
          err.println(
              "table "
                  + id
                  + " has no key: its rows cannot be named one by one; re-seed the region that"
                  + " differs (docs/verify.md, resync)");
          return 1;
        }
        results.put(
            e.getKey(),
            repairer.repair(id, shape, e.getValue(), key -> rowKey(connector, schema.get(), key)));
      }
      boolean ok = true;
      for (List<Repairer.RowResult> table : results.values()) {
        for (Repairer.RowResult r : table) {
          ok &=
              r.status().equals("identical")
                  || r.status().equals("repaired")
                  || r.status().equals("would repair");
        }
      }
      print(out, results, ok);
      return ok ? 0 : 1;
    } catch (SQLException | IllegalStateException e) {
      err.println("repair failed: " + e.getMessage());
      return 1;
    } finally {
      if (verifier != null) {
        verifier.close();
      }
      for (RegionApplier a : appliers) {
        a.close();
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

  private void print(PrintWriter out, Map<String, List<Repairer.RowResult>> results, boolean ok)
      throws IOException {
    if (json) {
      Map<String, Object> doc = new LinkedHashMap<>();
      doc.put("from", from);
      doc.put("applied", apply);
      doc.put("ok", ok);
      List<Object> tablesOut = new ArrayList<>();
      results.forEach((t, rs) -> tablesOut.add(Map.of("table", t, "rows", rs)));
      doc.put("tables", tablesOut);
      out.println(JSON.writeValueAsString(doc));
      out.flush();
      return;
    }
    int count = 0;
    for (Map.Entry<String, List<Repairer.RowResult>> e : results.entrySet()) {
      for (Repairer.RowResult r : e.getValue()) {
        count++;
        out.println(
            e.getKey()
                + " key "
                + r.key()
                + ": "
                + r.status()
                + (r.detail().isEmpty() ? "" : ": " + r.detail()));
        r.actions().forEach((region, action) -> out.println("    " + region + ": " + action));
        if (!r.status().equals("identical")) {
          r.before().forEach((region, row) -> out.println("    before, " + region + ": " + row));
        }
      }
    }
    out.println(
        (ok ? (apply ? "REPAIRED: " : "DRY RUN: ") : "NOT ALL REPAIRED: ")
            + count
            + " rows from "
            + from
            + (apply || !ok ? "" : "; run again with --apply to write"));
    out.flush();
  }

  private Map<String, List<List<String>>> fromReport() throws IOException {
    JsonNode doc;
    try {
      doc = JSON.readTree(Files.readString(report));
    } catch (IOException e) {
      throw new IllegalArgumentException(
          "cannot read --report " + report + ": " + e.getMessage(), e);
    }
    if (doc == null || !doc.path("tables").isArray()) {
      throw new IllegalArgumentException(
          "--report " + report + " is not a report of georep verify --json (no \"tables\" list)");
    }
    Map<String, List<List<String>>> out = new LinkedHashMap<>();
    for (JsonNode t : doc.get("tables")) {
      String table = t.path("table").asText();
      String bare = table.substring(table.indexOf('.') + 1);
      if (!tables.isEmpty() && !tables.contains(table) && !tables.contains(bare)) {
        continue;
      }
      List<List<String>> keysOf = new ArrayList<>();
      for (JsonNode d : t.path("differences")) {
        List<String> key = new ArrayList<>();
        d.path("key").forEach(v -> key.add(v.asText()));
        keysOf.add(key);
      }
      if (!keysOf.isEmpty()) {
        out.put(table, keysOf);
      }
    }
    if (out.isEmpty()) {
      throw new IllegalArgumentException(
          "--report "
              + report
              + " lists no differing row"
              + (tables.isEmpty() ? "" : " of " + tables));
    }
    return out;
  }

  private Map<String, List<List<String>>> fromKeys() {
    List<List<String>> out = new ArrayList<>();
    for (String k : keys) {
      String text = k.strip();
      List<String> key = new ArrayList<>();
      if (text.startsWith("[")) {
        JsonNode array;
        try {
          array = JSON.readTree(text);
        } catch (IOException e) {
          throw new IllegalArgumentException(
              "--keys " + text + " is not a JSON array of values", e);
        }
        array.forEach(v -> key.add(v.asText()));
      } else {
        key.add(text);
      }
      out.add(key);
    }
    String table = tables.get(0);
    return Map.of(table.contains(".") ? table : "public." + table, out);
  }

  /** A key as text (as verify reports it) as the connector's key of the table. */
  static RowKey rowKey(Connector connector, TableSchema schema, List<String> key) {
    List<ColumnSchema> columns = schema.keyColumns();
    if (columns.size() != key.size()) {
      throw new IllegalArgumentException(
          "key "
              + key
              + " of "
              + schema.id()
              + " has "
              + key.size()
              + " values; its key has "
              + columns.size()
              + " columns "
              + columns.stream().map(ColumnSchema::name).toList());
    }
    List<Value> values = new ArrayList<>();
    for (int i = 0; i < key.size(); i++) {
      values.add(connector.loggedValue((ScalarType) columns.get(i).type(), key.get(i)));
    }
    return new RowKey(values);
  }

  private Map<String, TableRule> rules(List<Publication> publications) {
    Map<String, TableRule> byTable = new LinkedHashMap<>();
    for (Publication p : publications) {
      for (TableRule r : p.tables()) {
        byTable.putIfAbsent(r.table().schema() + "." + r.table().name(), r);
      }
    }
    return byTable;
  }

  private Duration duration(String option, String text) {
    return RegionConfigs.duration(spec, option, text);
  }

  private CommandLine.ParameterException usage(String message) {
    return new CommandLine.ParameterException(spec.commandLine(), message);
  }
}
