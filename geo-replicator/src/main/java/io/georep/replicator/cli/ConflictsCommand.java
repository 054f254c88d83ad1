package io.georep.replicator.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.georep.connector.DatabaseUrl;
import io.georep.connector.TableId;
import io.georep.connector.TableSchema;
import io.georep.connector.spi.ConflictQuery;
import io.georep.connector.spi.Connector;
import io.georep.connector.spi.LoggedConflict;
import io.georep.publication.ResolverRef;
import io.georep.publication.SourcePosition;
import io.georep.replicator.AgentKeys;
import io.georep.replicator.AgentSettings;
import io.georep.replicator.Connectors;
import io.georep.replicator.internal.conflicts.ConflictFilter;
import io.georep.replicator.internal.conflicts.ConflictRows;
import io.georep.replicator.internal.conflicts.WhatIfReplay;
import io.georep.resolver.ResolverConfigurationException;
import io.georep.resolver.ResolverRegistry;
import io.georep.resolver.spi.ConflictResolver;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code georep conflicts}: the region's conflict log ({@code georep.conflict_log}) as a tool: list
 * and filter it, as text, JSON lines or CSV, follow it, and replay it under another resolver
 * ({@code what-if}). Reads the database named in agent.yaml; writes nothing.
 */
@Command(
    name = "conflicts",
    mixinStandardHelpOptions = true,
    description = {
      "Lists the conflicts this region detected (georep.conflict_log), oldest first, with both"
          + " versions of each: the stored (local) one and the incoming (remote) one, the winner"
          + " marked *. Filters combine; with none, the first 100 rows. The same filter words work"
          + " on the agent's HTTP endpoint: /api/conflicts?table=…&type=…&since=…&until=…&key=…",
      "Rows are kept for apply.conflict.retention (docs/configuration.md)."
    },
    subcommands = {ConflictsCommand.WhatIfCommand.class},
    exitCodeListHeading = "%nExit codes:%n",
    exitCodeList = {
      "0:the rows were printed (possibly none)",
      "1:the configuration or the database could not be read",
      "2:usage error"
    })
final class ConflictsCommand implements Callable<Integer> {
  private static final ObjectMapper JSON = new ObjectMapper();

  @Mixin Filters filters;

  @ArgGroup(exclusive = true)
  Format format = new Format();

  @Option(
      names = "--latest",
      description =
          "Show the newest rows that match (the last --limit of them, still oldest first) instead"
              + " of the first ones.")
  boolean latest;

  @Option(
      names = "--follow",
      description =
          "After the matching rows, keep printing new ones as they are logged (like tail -f),"
              + " until interrupted. --limit then bounds each poll.")
  boolean follow;

  @Option(
      names = "--interval",
      defaultValue = "1s",
      paramLabel = "DURATION",
      description = "How often --follow polls the log. Default: ${DEFAULT-VALUE}.")
  String interval;

  @Spec CommandSpec spec;

  /** {@code --json} or {@code --csv}; text by default. */
  static final class Format {
    @Option(names = "--json", description = "One JSON object per line, as /api/conflicts gives.")
    boolean json;

    @Option(
        names = "--csv",
        description = "CSV with a header; the key, columns and versions as JSON fields.")
    boolean csv;
  }

  /** The filter words, shared by the listing and what-if. */
  static final class Filters {
    @Option(
        names = {"-c", "--config"},
        paramLabel = "FILE",
        description =
            "The region's agent configuration, for example --config agent.yaml (required).")
    Path config;

    @Option(
        names = "--table",
        paramLabel = "TABLE",
        description = "Only this table: schema.table, or a table name in any schema.")
    String table;

    @Option(
        names = "--type",
        paramLabel = "TYPE[,TYPE…]",
        description =
            "Only these conflict types: insert-insert, update-update-same-columns,"
                + " update-update-different-columns, update-delete, delete-update, delete-delete,"
                + " delete-missing, unique-key-clash, parent-deleted (docs/conflicts.md).")
    String types;

    @Option(
        names = "--since",
        paramLabel = "WHEN",
        description =
            "Only conflicts detected at or after WHEN: an instant (2026-12-07T10:00:00Z) or an age"
                + " (90s, 15m, 2h, 7d ago).")
    String since;

    @Option(
        names = "--until",
        paramLabel = "WHEN",
        description = "Only conflicts detected before WHEN; the same forms as --since.")
    String until;

    @Option(
        names = "--key",
        paramLabel = "KEY",
        description =
            "Only this row: its key as the log writes it, a JSON array ('[42]', '[\"eu\",7]') or"
                + " one value (42; a text key as '\"42\"' or abc).")
    String key;

    @Option(
        names = "--after",
        defaultValue = "0",
        paramLabel = "ID",
        description =
            "Only rows with an id above ID (to page on from the last id shown). Default:"
                + " ${DEFAULT-VALUE}, from the first row.")
    long after;

    @Option(
        names = "--limit",
        paramLabel = "N",
        description = "At most N rows. Default: 100 for the listing, every match for what-if.")
    Integer limit;

    /**
     * Loads the configuration the command names.
     *
     * @param spec the running command
     * @return the settings, or null if they could not be read (the error is printed)
     */
    AgentSettings settings(CommandSpec spec) {
      if (config == null) {
        // Not required by picocli: the parent's copy would then be required before 'what-if'.
        throw new CommandLine.ParameterException(
            spec.commandLine(), "Missing required option: '--config=FILE'");
      }
      return GeorepCommand.load(spec, config);
    }

    ConflictQuery query(int defaultLimit, boolean latest) {
      return ConflictFilter.of(
          table,
          types,
          since,
          until,
          key,
          after,
          limit == null ? defaultLimit : limit,
          latest,
          Instant.now());
    }
  }

  @Override
  public Integer call() throws Exception {
    AgentSettings settings = filters.settings(spec);
    if (settings == null) {
      return 1;
    }
    ConflictQuery query;
    Duration poll;
    try {
      query = filters.query(ConflictFilter.DEFAULT_LIMIT, latest);
      poll = AgentKeys.parseDuration(interval);
    } catch (IllegalArgumentException e) {
      throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
    }
    PrintWriter out = spec.commandLine().getOut();
    AgentSettings.Database db = settings.database();
    Connector connector = Connectors.forUrl(db.jdbcUrl());
    try (Connection c = db.connect("georep conflicts")) {
      if (format.csv) {
        out.println(ConflictRows.CSV_HEADER);
      }
      long last = query.afterId();
      int shown = 0;
      while (true) {
        List<LoggedConflict> rows =
            connector.readConflicts(c, (shown == 0 ? query : query.first()).after(last));
        for (LoggedConflict row : rows) {
          out.println(
              format.json
                  ? ConflictRows.jsonLine(row)
                  : format.csv ? ConflictRows.csv(row) : ConflictRows.text(row));
          last = row.id();
          shown++;
        }
        out.flush();
        if (!follow) {
          if (!format.json && !format.csv) {
            out.println(
                shown
                    + (shown == 1 ? " conflict" : " conflicts")
                    + " in region "
                    + settings.region()
                    + (shown == query.limit()
                        ? "; more may match: --after " + last + " shows the next ones"
                        : ""));
          }
          out.flush();
          return 0;
        }
        if (rows.isEmpty()) {
          try {
            Thread.sleep(Math.max(50, poll.toMillis()));
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return 0;
          }
        }
      }
    } catch (SQLException e) {
      spec.commandLine().getErr().println(readFailure(db, e));
      return 1;
    }
  }

  static String readFailure(AgentSettings.Database db, SQLException e) {
    return "cannot read the conflict log of "
        + DatabaseUrl.masked(db.jdbcUrl())
        + " as "
        + db.user()
        + ": "
        + e.getMessage()
        + ("42P01".equals(e.getSQLState())
            ? " — the agent creates georep.conflict_log at its first start: run it once"
            : "");
  }

  /** {@code georep conflicts what-if}: the logged conflicts replayed under another resolver. */
  @Command(
      name = "what-if",
      mixinStandardHelpOptions = true,
      description = {
        "Replays the logged conflicts that match the filter under another resolver and reports"
            + " which outcomes would change (the winner: local, remote or merged), without writing"
            + " anything. Each conflict is decided between its two logged versions, by the rules"
            + " the apply uses for its type; types no resolver decides (different columns, unique"
            + " key clashes, parent deletes, keyless deletes) never change.",
        "Use it before changing a table's resolver in a publication file."
      },
      exitCodeListHeading = "%nExit codes:%n",
      exitCodeList = {
        "0:the replay ran (whether or not outcomes would change)",
        "1:the configuration, the database or the resolver could not be loaded",
        "2:usage error"
      })
  static final class WhatIfCommand implements Callable<Integer> {
    @Mixin Filters filters;

    @Option(
        names = "--resolver",
        required = true,
        paramLabel = "NAME",
        description =
            "The resolver to replay under: lww, first-writer-wins, delete-wins, update-wins,"
                + " keep-both, region-priority (with --region-order), or custom:NAME for a plugin"
                + " on the classpath.")
    String resolver;

    @Option(
        names = "--region-order",
        paramLabel = "REGION[,REGION…]",
        split = ",",
        description = "For region-priority: the regions from the highest priority.")
    List<String> regionOrder = new ArrayList<>();

    @Option(names = "--json", description = "The report as one JSON document.")
    boolean json;

    @Spec CommandSpec spec;

    @Override
    public Integer call() throws Exception {
      AgentSettings settings = filters.settings(spec);
      if (settings == null) {
        return 1;
      }
      ConflictQuery query;
      try {
        query = filters.query(ConflictQuery.MAX_LIMIT, false);
      } catch (IllegalArgumentException e) {
        throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
      }
      ConflictResolver r;
      try {
        r =
            ResolverRegistry.load()
                .rowResolver(
                    new ResolverRef(
                        resolver, regionOrder, SourcePosition.startOf("--resolver " + resolver)));
      } catch (ResolverConfigurationException e) {
        spec.commandLine().getErr().println(e.getMessage());
        return 1;
      }
      AgentSettings.Database db = settings.database();
      Connector connector = Connectors.forUrl(db.jdbcUrl());
      List<LoggedConflict> rows = new ArrayList<>();
      Map<TableId, Optional<TableSchema>> schemas = new HashMap<>();
      try (Connection c = db.connect("georep conflicts what-if")) {
        int page = Math.min(query.limit(), 10_000);
        long last = query.afterId();
        while (rows.size() < query.limit()) {
          ConflictQuery q = query.after(last).limit(Math.min(page, query.limit() - rows.size()));
          List<LoggedConflict> got = connector.readConflicts(c, q);
          rows.addAll(got);
          if (got.size() < q.limit()) {
            break;
          }
          last = got.get(got.size() - 1).id();
        }
        for (LoggedConflict row : rows) {
          if (!schemas.containsKey(row.table())) {
            schemas.put(row.table(), connector.describeTable(c, row.table()));
          }
        }
      } catch (SQLException e) {
        spec.commandLine().getErr().println(readFailure(db, e));
        return 1;
      }
      WhatIfReplay.Report report = WhatIfReplay.run(rows, r, schemas::get, connector);
      PrintWriter out = spec.commandLine().getOut();
      if (json) {
        out.println(JSON.writeValueAsString(document(settings, report)));
      } else {
        out.println(
            "what-if "
                + report.resolver()
                + " in region "
                + settings.region()
                + ": "
                + rows.size()
                + (rows.size() == 1 ? " conflict" : " conflicts")
                + " matched, "
                + report.replayed()
                + " replayed, "
                + report.changes().size()
                + " would change"
                + (report.byType().isEmpty() ? "" : " " + report.byType())
                + (report.skipped().isEmpty()
                    ? ""
                    : ", " + report.skipped().size() + " could not be replayed"));
        for (WhatIfReplay.Change ch : report.changes()) {
          LoggedConflict c = ch.conflict();
          out.println(
              "  #"
                  + c.id()
                  + "  "
                  + c.type()
                  + "  "
                  + c.table()
                  + " "
                  + c.key()
                  + "  winner "
                  + c.winner()
                  + " by "
                  + c.resolver()
                  + " -> "
                  + ch.replayed()
                  + " by "
                  + report.resolver()
                  + "  ("
                  + c.conflictId()
                  + ")");
        }
        for (WhatIfReplay.Skipped s : report.skipped()) {
          out.println("  #" + s.conflict().id() + " not replayed: " + s.reason());
        }
      }
      out.flush();
      return 0;
    }

    private static Map<String, Object> document(
        AgentSettings settings, WhatIfReplay.Report report) {
      Map<String, Object> doc = new LinkedHashMap<>();
      doc.put("region", settings.region().name());
      doc.put("resolver", report.resolver());
      doc.put("replayed", report.replayed());
      doc.put("changed", report.changes().size());
      doc.put("changedByType", report.byType());
      List<Map<String, Object>> changes = new ArrayList<>();
      for (WhatIfReplay.Change ch : report.changes()) {
        Map<String, Object> m = ConflictRows.json(ch.conflict());
        m.put("replayedWinner", ch.replayed());
        changes.add(m);
      }
      doc.put("changes", changes);
      List<Map<String, Object>> skipped = new ArrayList<>();
      for (WhatIfReplay.Skipped s : report.skipped()) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("id", s.conflict().id());
        m.put("reason", s.reason());
        skipped.add(m);
      }
      doc.put("skipped", skipped);
      return doc;
    }
  }
}
