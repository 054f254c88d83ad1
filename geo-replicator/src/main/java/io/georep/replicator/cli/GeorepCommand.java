package io.georep.replicator.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.georep.connector.DatabaseUrl;
import io.georep.connector.spi.Connector;
import io.georep.publication.DidYouMean;
import io.georep.publication.Problem;
import io.georep.publication.Publication;
import io.georep.publication.PublicationException;
import io.georep.publication.PublicationParser;
import io.georep.publication.PublicationPlanner;
import io.georep.publication.PublicationValidator;
import io.georep.publication.spi.SchemaCatalog;
import io.georep.replicator.Agent;
import io.georep.replicator.AgentConfig;
import io.georep.replicator.AgentConfigException;
import io.georep.replicator.AgentSettings;
import io.georep.replicator.Connectors;
import io.georep.replicator.internal.status.CopyProgress;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.function.Function;
import java.util.stream.Collectors;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.HelpCommand;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * The {@code georep} command line: {@code run} (the agent), {@code status} (a running agent's
 * state), {@code config check}, and {@code publication validate|plan}.
 *
 * <p>Exit codes: 0 success; 1 problems found (an invalid configuration or publication file, an
 * agent that is not ready or cannot be reached, a database that cannot be read); 2 usage error (an
 * unknown command or option, a missing or malformed argument). A process stopped by SIGTERM or
 * SIGINT stops the agent cleanly and exits with the JVM's code for the signal (143 or 130).
 *
 * <p>{@link #commandLine()} returns the configured command line, to which a launcher may add
 * subcommands. Secrets are never printed: the configuration is shown with the password and Kafka
 * client settings hidden.
 *
 * <p>About 900 lines: picocli wants each subcommand as a class, and they are nested here so the
 * whole command tree and its shared options read in one place. The seam is one file per command
 * ({@code run}, {@code status}, {@code config}, {@code publication}).
 */
@Command(
    name = "georep",
    mixinStandardHelpOptions = true,
    versionProvider = GeorepCommand.Version.class,
    description = {
      "Multi-master geo-replication for PostgreSQL: the agent and its tools.",
      "One agent runs next to each region's database; see docs/configuration.md."
    },
    subcommands = {
      GeorepCommand.Run.class,
      GeorepCommand.Status.class,
      GeorepCommand.ConfigCommands.class,
      GeorepCommand.PublicationCommands.class,
      HelpCommand.class
    },
    exitCodeListHeading = "%nExit codes:%n",
    exitCodeList = {
      "0:success",
      "1:problems found (invalid configuration or publication file, agent not ready or"
          + " unreachable, database unreadable)",
      "2:usage error (unknown command or option, missing or malformed argument)"
    },
    footer = {"", "Run 'georep COMMAND --help' for the options of a command."})
public final class GeorepCommand implements Runnable {
  /** The process is stopping: a SIGTERM/SIGINT shutdown hook runs. */
  private static volatile boolean shuttingDown;

  private final Function<String, String> environment;

  @Spec CommandSpec spec;

  private GeorepCommand(Function<String, String> environment) {
    this.environment = environment;
  }

  /**
   * Runs the command line and exits with its code.
   *
   * @param args the arguments
   */
  public static void main(String[] args) {
    int code = execute(args);
    if (!shuttingDown) {
      System.exit(code);
    }
  }

  /**
   * Runs the command line and returns the exit code; output goes to {@code System.out} and {@code
   * System.err}.
   *
   * @param args the arguments
   * @return the exit code (0, 1 or 2, see the class comment)
   */
  public static int execute(String... args) {
    return commandLine().execute(args);
  }

  /**
   * Returns the configured command line: subcommands, exit codes, error handlers. Add subcommands
   * with {@link CommandLine#addSubcommand}; redirect output with {@link CommandLine#setOut} and
   * {@link CommandLine#setErr}. Each call returns a new, independent instance. Also sets the
   * command line's logging defaults (Kafka and Pekko at WARN, timestamps) as system properties,
   * unless they are set already.
   *
   * @return the command line
   */
  public static CommandLine commandLine() {
    return commandLine(System::getenv);
  }

  /**
   * Returns the command line with another source of {@code ${env:NAME}} references.
   *
   * @param environment variable name to value, null when unset
   * @return the command line
   */
  static CommandLine commandLine(Function<String, String> environment) {
    quietLibraryLogging();
    CommandLine cl = new CommandLine(new GeorepCommand(environment));
    cl.setUsageHelpAutoWidth(true);
    cl.setParameterExceptionHandler(GeorepCommand::usageError);
    cl.setExecutionExceptionHandler(
        (e, commandLine, parseResult) -> {
          PrintWriter err = commandLine.getErr();
          err.println(
              commandLine.getCommandSpec().qualifiedName()
                  + ": unexpected failure: "
                  + e
                  + " (a bug; please report it with the stack trace below)");
          e.printStackTrace(err);
          err.flush();
          return 1;
        });
    return cl;
  }

  /**
   * Keeps the Kafka clients' and Pekko's INFO chatter out of an operator's terminal, unless the
   * {@code org.slf4j.simpleLogger.*} properties say otherwise (only the command line's logging
   * binding, slf4j-simple, reads them).
   */
  private static void quietLibraryLogging() {
    setIfAbsent("org.slf4j.simpleLogger.log.org.apache.kafka", "warn");
    setIfAbsent("org.slf4j.simpleLogger.log.org.apache.pekko", "warn");
    setIfAbsent("org.slf4j.simpleLogger.showDateTime", "true");
    setIfAbsent("org.slf4j.simpleLogger.dateTimeFormat", "yyyy-MM-dd'T'HH:mm:ss.SSSXXX");
  }

  private static void setIfAbsent(String key, String value) {
    if (System.getProperty(key) == null) {
      System.setProperty(key, value);
    }
  }

  private static int usageError(CommandLine.ParameterException e, String[] args) {
    CommandLine cl = e.getCommandLine();
    PrintWriter err = cl.getErr();
    String name = cl.getCommandSpec().qualifiedName();
    if (e instanceof CommandLine.UnmatchedArgumentException u
        && !cl.getSubcommands().isEmpty()
        && !u.getUnmatched().isEmpty()
        && !u.getUnmatched().get(0).startsWith("-")) {
      String word = u.getUnmatched().get(0);
      Set<String> commands = cl.getSubcommands().keySet();
      err.println(
          name
              + ": unknown command '"
              + word
              + "' — "
              + DidYouMean.fix(word, commands, "the commands are " + String.join(", ", commands)));
      err.println("Run '" + name + " --help' for the commands.");
      err.flush();
      return 2;
    }
    err.println(name + ": " + e.getMessage());
    if (!CommandLine.UnmatchedArgumentException.printSuggestions(e, err)) {
      err.println("Usage: " + cl.getHelp().synopsis(0).strip());
    }
    err.println("Run '" + name + " --help' for the options.");
    err.flush();
    return 2;
  }

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getOut());
  }

  private static Function<String, String> environment(CommandSpec spec) {
    return spec.root().userObject() instanceof GeorepCommand g ? g.environment : System::getenv;
  }

  /** The version from the jar's manifest. */
  static final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      String v = GeorepCommand.class.getPackage().getImplementationVersion();
      return new String[] {
        "georep " + (v == null ? "(development build)" : v),
        "Java "
            + System.getProperty("java.version")
            + " ("
            + System.getProperty("java.vm.name")
            + ")"
      };
    }
  }

  /**
   * Returns a one-line description of settings, without secrets: region, database, publications,
   * regions with their Kafka bootstrap servers, and the HTTP endpoint.
   *
   * @param s the settings
   * @param httpPort the bound HTTP port, or the configured one
   * @return the line
   */
  static String summary(AgentSettings s, int httpPort) {
    AgentSettings.Database db = s.database();
    String slot =
        db.slotName() == null
            ? Connectors.forUrl(db.jdbcUrl()).defaultCaptureName(s.region())
            : db.slotName();
    return "region "
        + s.region()
        + "; database "
        + DatabaseUrl.masked(db.jdbcUrl())
        + " as "
        + db.user()
        + ", slot "
        + slot
        + "; publications "
        + s.publications().stream().map(Publication::name).collect(Collectors.joining(", "))
        + "; regions "
        + s.regions().stream()
            .map(r -> r.name() + "@" + r.bootstrapServers())
            .collect(Collectors.joining(", "))
        + "; "
        + (s.http().enabled()
            ? "http://" + s.http().host() + ":" + httpPort + " (/metrics, /health, /api/status)"
            : "HTTP off");
  }

  /** Loads a configuration; prints the problems and returns null if it is invalid. */
  private static AgentSettings load(CommandSpec spec, Path config) {
    try {
      return AgentConfig.withEnvironment(environment(spec)).load(config);
    } catch (AgentConfigException e) {
      spec.commandLine().getErr().println(e.getMessage());
      return null;
    }
  }

  // ---------------------------------------------------------------------------------------------

  /** {@code georep run --config agent.yaml}: the agent, until stopped (SIGTERM/SIGINT). */
  @Command(
      name = "run",
      mixinStandardHelpOptions = true,
      description = {
        "Runs the agent next to this region's database until it is stopped with SIGTERM or"
            + " Ctrl-C (SIGINT).",
        "Captures local writes (after an initial copy when its slot is new, with progress in the"
            + " log), ships them to this region's Kafka stream, applies every other region's"
            + " stream, and serves /metrics, /health and /api/status (see 'georep status').",
        "Prints one line describing the configuration, secrets hidden; logs go to stderr."
      },
      exitCodeListHeading = "%nExit codes:%n",
      exitCodeList = {
        "0:stopped by an embedding application (the running thread was interrupted)",
        "1:invalid configuration (every problem is listed as file:line:column), or the agent"
            + " could not start (for example its HTTP port is taken)",
        "2:usage error",
        "130/143:stopped cleanly by SIGINT/SIGTERM (the JVM's codes for the signals)"
      })
  static final class Run implements Callable<Integer> {
    @Option(
        names = {"-c", "--config"},
        required = true,
        paramLabel = "FILE",
        description = {
          "The agent configuration, for example --config /etc/georep/agent.yaml (every key:"
              + " docs/configuration.md). Publication files it names are relative to it.",
          "Secrets may be written $${env:NAME} or $${file:/path}; they are never printed."
        })
    Path config;

    @Spec CommandSpec spec;

    @Override
    public Integer call() {
      AgentSettings settings = load(spec, config);
      PrintWriter err = spec.commandLine().getErr();
      if (settings == null) {
        err.println("The agent was not started.");
        return 1;
      }
      Agent agent;
      try {
        agent = Agent.start(settings);
      } catch (RuntimeException e) {
        err.println(
            "cannot start the agent of region " + settings.region() + ": " + e.getMessage());
        return 1;
      }
      CountDownLatch stopped = new CountDownLatch(1);
      Thread hook =
          new Thread(
              () -> {
                shuttingDown = true;
                agent.close();
                stopped.countDown();
              },
              "georep-shutdown");
      Runtime.getRuntime().addShutdownHook(hook);
      PrintWriter out = spec.commandLine().getOut();
      out.println(
          "georep agent running: "
              + summary(settings, agent.httpPort())
              + ". Stop with SIGTERM or Ctrl-C.");
      out.flush();
      try {
        stopped.await();
        return 0;
      } catch (InterruptedException e) {
        // Stopped by an embedding application: stop the agent, then keep the interrupt.
        try {
          Runtime.getRuntime().removeShutdownHook(hook);
        } catch (IllegalStateException shutdownStarted) {
          // The hook runs already and closes the agent; close() is idempotent.
        }
        agent.close();
        out.println("georep agent of region " + settings.region() + " stopped");
        out.flush();
        Thread.currentThread().interrupt();
        return 0;
      }
    }
  }

  // ---------------------------------------------------------------------------------------------

  /** {@code georep config check}. */
  @Command(
      name = "config",
      mixinStandardHelpOptions = true,
      description = "Checks agent configuration files.",
      subcommands = {ConfigCommands.Check.class})
  static final class ConfigCommands implements Runnable {
    @Spec CommandSpec spec;

    @Override
    public void run() {
      spec.commandLine().usage(spec.commandLine().getOut());
    }

    /** {@code georep config check --config agent.yaml}. */
    @Command(
        name = "check",
        mixinStandardHelpOptions = true,
        description = {
          "Loads and validates an agent configuration and the publication files it names,"
              + " resolving its secret references, without connecting to anything.",
          "Prints every problem as file:line:column: what is wrong — what to do; or, if there are"
              + " none, one line describing the configuration (secrets hidden)."
        },
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {"0:valid", "1:problems found", "2:usage error"})
    static final class Check implements Callable<Integer> {
      @Option(
          names = {"-c", "--config"},
          required = true,
          paramLabel = "FILE",
          description =
              "The agent configuration to check, for example --config agent.yaml. Secret references"
                  + " ($${env:NAME}, $${file:/path}) must resolve, as when the agent starts.")
      Path config;

      @Spec CommandSpec spec;

      @Override
      public Integer call() {
        AgentSettings settings = load(spec, config);
        if (settings == null) {
          return 1;
        }
        spec.commandLine()
            .getOut()
            .println(config + " is valid: " + summary(settings, settings.http().port()));
        return 0;
      }
    }
  }

  // ---------------------------------------------------------------------------------------------

  /** {@code georep status --url …}: a running agent's regions, lag and conflicts. */
  @Command(
      name = "status",
      mixinStandardHelpOptions = true,
      description = {
        "Shows a running agent's state from its /api/status: whether it is ready, the capture,"
            + " the lag of every origin in time and transactions, the regions' heartbeats,"
            + " conflicts per table, the initial copy's progress and alerts."
      },
      exitCodeListHeading = "%nExit codes:%n",
      exitCodeList = {
        "0:the agent is ready (every stream runs)",
        "1:the agent is not ready, cannot be reached, or did not answer with a status",
        "2:usage error"
      })
  static final class Status implements Callable<Integer> {
    @Option(
        names = {"-u", "--url"},
        defaultValue = "http://127.0.0.1:9464",
        paramLabel = "URL",
        description =
            "The agent's HTTP endpoint (its http.host and http.port), for example --url"
                + " http://10.0.0.5:9464. Default: ${DEFAULT-VALUE}.")
    String url;

    @Option(
        names = "--json",
        description =
            "Print the /api/status JSON document as it is (for scripts), instead of the summary.")
    boolean json;

    @Option(
        names = "--timeout",
        defaultValue = "10",
        paramLabel = "SECONDS",
        description = "How long to wait for the agent's answer. Default: ${DEFAULT-VALUE} s.")
    int timeoutSeconds;

    @Spec CommandSpec spec;

    @Override
    public Integer call() {
      PrintWriter err = spec.commandLine().getErr();
      URI uri;
      try {
        uri = URI.create(url.replaceAll("/+$", "") + "/api/status");
        if (uri.getScheme() == null || !uri.getScheme().startsWith("http")) {
          throw new IllegalArgumentException("not an http:// URL");
        }
      } catch (IllegalArgumentException e) {
        throw new CommandLine.ParameterException(
            spec.commandLine(),
            "--url '" + url + "' is not a valid URL (" + e.getMessage() + ")",
            e,
            null,
            url);
      }
      HttpResponse<String> response;
      try {
        response =
            HttpClient.newBuilder()
                .connectTimeout(Duration.ofSeconds(timeoutSeconds))
                .build()
                .send(
                    HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(timeoutSeconds)).build(),
                    HttpResponse.BodyHandlers.ofString());
      } catch (IOException e) {
        String why =
            e instanceof java.net.ConnectException
                ? "connection refused"
                : e instanceof java.net.http.HttpTimeoutException
                    ? "no answer within " + timeoutSeconds + " s"
                    : e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
        err.println(
            "cannot reach the agent at "
                + url
                + ": "
                + why
                + " — is it running, and is --url its http.host:http.port?");
        return 1;
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return 1;
      }
      JsonNode doc;
      try {
        doc = new ObjectMapper().readTree(response.body());
      } catch (JsonProcessingException e) {
        doc = null;
      }
      if (response.statusCode() != 200 || doc == null || !doc.has("region")) {
        err.println(
            uri
                + " answered HTTP "
                + response.statusCode()
                + " without an agent status — is --url a georep agent's http.host:http.port?");
        return 1;
      }
      boolean ready = doc.path("ready").asBoolean(false);
      PrintWriter out = spec.commandLine().getOut();
      if (json) {
        out.println(response.body());
      } else {
        render(doc, out);
      }
      out.flush();
      return ready ? 0 : 1;
    }

    private static void render(JsonNode doc, PrintWriter out) {
      boolean ready = doc.path("ready").asBoolean(false);
      out.println(
          "georep agent of region "
              + doc.path("region").asText()
              + ": "
              + (ready ? "READY" : "NOT READY (a stream is starting or halted; see below)"));
      JsonNode capture = doc.path("capture");
      out.printf(
          Locale.ROOT,
          "capture: %s, captured seq %d, shipped seq %d, %d transactions shipped%s%n",
          capture.path("state").asText("?"),
          capture.path("capturedSeq").asLong(),
          capture.path("shippedSeq").asLong(),
          capture.path("transactionsShipped").asLong(),
          capture.has("error") ? " — last error: " + capture.path("error").asText() : "");
      JsonNode copy = doc.path("initialCopy");
      if (copy.size() > 0) {
        out.println("initial copy:");
        for (Map.Entry<String, JsonNode> e : copy.properties()) {
          JsonNode t = e.getValue();
          int percent = t.path("percent").asInt(-1);
          long rate = t.path("rowsPerSecond").asLong(0);
          long eta = t.path("etaSeconds").asLong(-1);
          out.printf(
              Locale.ROOT,
              "  %-32s %,d rows%s%s%s%n",
              e.getKey(),
              t.path("rowsCopied").asLong(),
              t.path("done").asBoolean()
                  ? ", done"
                  : percent < 0 ? "" : String.format(Locale.ROOT, " (%d%%)", percent),
              rate > 0 ? String.format(Locale.ROOT, ", %,d rows/s", rate) : "",
              t.path("done").asBoolean() || eta < 0
                  ? ""
                  : ", about " + CopyProgress.duration(eta) + " left");
        }
      }
      out.println("origins (applied here):");
      out.printf(
          Locale.ROOT,
          "  %-16s %-10s %14s %10s %10s %10s%n",
          "ORIGIN",
          "STATE",
          "APPLIED SEQ",
          "LAG TX",
          "LAG S",
          "RECORDS");
      JsonNode origins = doc.path("origins");
      if (origins.size() == 0) {
        out.println("  (none)");
      }
      for (Map.Entry<String, JsonNode> e : origins.properties()) {
        JsonNode o = e.getValue();
        long records = o.path("lagRecords").asLong(-1);
        out.printf(
            Locale.ROOT,
            "  %-16s %-10s %14d %10d %10.1f %10s%n",
            e.getKey(),
            o.path("state").asText("?"),
            o.path("appliedSeq").asLong(),
            o.path("lagTransactions").asLong(),
            o.path("lagSeconds").asDouble(),
            records < 0 ? "?" : Long.toString(records));
        if (o.has("halt")) {
          out.println("    HALTED: " + o.path("halt").asText());
        }
      }
      out.println("regions (heartbeats):");
      for (Map.Entry<String, JsonNode> e : doc.path("regions").properties()) {
        JsonNode r = e.getValue();
        out.printf(
            Locale.ROOT,
            "  %-16s %-5s last heartbeat %s, shipped seq %d%n",
            e.getKey(),
            r.path("up").asBoolean() ? "up" : "DOWN",
            r.path("lastHeartbeat").asText("never"),
            r.path("shippedSeq").asLong());
      }
      JsonNode conflicts = doc.path("conflicts");
      if (conflicts.size() == 0) {
        out.println("conflicts since start: none");
      } else {
        out.println("conflicts since start (by table and type):");
        for (Map.Entry<String, JsonNode> e : conflicts.properties()) {
          List<String> parts = new ArrayList<>();
          long total = 0;
          for (Map.Entry<String, JsonNode> type : e.getValue().properties()) {
            parts.add(type.getKey() + "=" + type.getValue().asLong());
            total += type.getValue().asLong();
          }
          out.printf(Locale.ROOT, "  %-32s %6d  %s%n", e.getKey(), total, String.join(", ", parts));
        }
      }
      JsonNode alerts = doc.path("alerts");
      if (alerts.size() == 0) {
        out.println("alerts: none");
      } else {
        out.println("alerts:");
        alerts.forEach(a -> out.println("  " + a.asText()));
      }
      JsonNode warnings = doc.path("warnings");
      if (warnings.size() > 0) {
        out.println("warnings:");
        warnings.forEach(w -> out.println("  " + w.asText()));
      }
    }
  }

  // ---------------------------------------------------------------------------------------------

  /** {@code georep publication validate|plan}. */
  @Command(
      name = "publication",
      mixinStandardHelpOptions = true,
      description = "Checks publication files and plans them into native PostgreSQL publications.",
      subcommands = {PublicationCommands.Validate.class, PublicationCommands.Plan.class})
  static final class PublicationCommands implements Runnable {
    @Spec CommandSpec spec;

    @Override
    public void run() {
      spec.commandLine().usage(spec.commandLine().getOut());
    }

    /** The publication files and the database options of validate and plan. */
    abstract static class DatabaseCommand {
      @Parameters(
          paramLabel = "FILE",
          arity = "1..*",
          description =
              "Publication files (YAML, see docs/publications.md), for example orders.yaml.")
      List<Path> files;

      @Option(
          names = {"-U", "--user"},
          defaultValue = "${env:PGUSER:-postgres}",
          paramLabel = "USER",
          description =
              "Database user for --db. Default: the PGUSER environment variable, else postgres.")
      String user;

      @Option(
          names = {"-W", "--password"},
          paramLabel = "PASSWORD",
          description = {
            "Database password for --db, best as a reference: --password '$${env:NAME}' or"
                + " --password '$${file:/run/secrets/db}' (a literal password is visible in the"
                + " process list).",
            "Default: the PGPASSWORD environment variable, else none."
          })
      String password;

      @Spec CommandSpec spec;

      abstract String url();

      List<Publication> parse() {
        try {
          return PublicationParser.create().parseFiles(files);
        } catch (PublicationException e) {
          printProblems(e.problems());
          return null;
        }
      }

      void printProblems(List<Problem> problems) {
        PrintWriter err = spec.commandLine().getErr();
        problems.forEach(err::println);
        err.println(
            problems.size() + (problems.size() == 1 ? " problem" : " problems") + " found.");
      }

      /** Connects to {@link #url()}; prints why not and returns null if it fails. */
      Connection connect() {
        String url = url();
        if (Connectors.find(url).isEmpty()) {
          throw new CommandLine.ParameterException(
              spec.commandLine(),
              "--db must be "
                  + Connectors.supportedForms()
                  + ", got '"
                  + DatabaseUrl.masked(url)
                  + "'");
        }
        Function<String, String> env = environment(spec);
        String secret;
        try {
          secret =
              password != null
                  ? AgentConfig.withEnvironment(env).resolveReferences(password, "--password")
                  : env.apply("PGPASSWORD");
        } catch (IllegalArgumentException e) {
          spec.commandLine().getErr().println(e.getMessage());
          return null;
        }
        Properties props = new Properties();
        props.setProperty("user", user);
        props.setProperty("password", secret == null ? "" : secret);
        props.setProperty("ApplicationName", "georep publication");
        props.setProperty("connectTimeout", "10");
        try {
          return DriverManager.getConnection(url, props);
        } catch (SQLException e) {
          spec.commandLine()
              .getErr()
              .println(
                  "cannot connect to "
                      + DatabaseUrl.masked(url)
                      + " as "
                      + user
                      + ": "
                      + e.getMessage()
                      + " — check --db, --user and the password (--password or PGPASSWORD)");
          return null;
        }
      }

      String reading(SQLException e) {
        return "cannot read the schema of "
            + DatabaseUrl.masked(url())
            + ": "
            + e.getMessage()
            + " — the user needs to read the system catalogs (pg_class, pg_attribute,"
            + " pg_publication)";
      }
    }

    /** {@code georep publication validate <files> [--db …]}. */
    @Command(
        name = "validate",
        mixinStandardHelpOptions = true,
        description = {
          "Checks publication files: syntax, keys, row filters, masks and resolvers; with --db"
              + " also against the live schema (tables and columns exist, keys or replica"
              + " identities are present, types fit the masks and resolvers).",
          "Prints every problem as file:line:column: what is wrong — what to do."
        },
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {
          "0:every file is valid",
          "1:problems found, or the database cannot be reached",
          "2:usage error"
        })
    static final class Validate extends DatabaseCommand implements Callable<Integer> {
      @Option(
          names = "--db",
          paramLabel = "JDBC-URL",
          description =
              "Also check against this database's live schema, for example --db"
                  + " jdbc:postgresql://127.0.0.1:5432/app. Without it, only the files are"
                  + " checked.")
      String db;

      @Override
      String url() {
        return db;
      }

      @Override
      public Integer call() {
        List<Publication> pubs = parse();
        if (pubs == null) {
          return 1;
        }
        if (db != null) {
          try (Connection c = connect()) {
            if (c == null) {
              return 1;
            }
            SchemaCatalog catalog = Connectors.forUrl(db).readSchema(c);
            List<Problem> problems = PublicationValidator.problems(pubs, catalog);
            if (!problems.isEmpty()) {
              printProblems(problems);
              return 1;
            }
            PublicationValidator.notes(pubs, catalog).forEach(spec.commandLine().getOut()::println);
          } catch (SQLException e) {
            spec.commandLine().getErr().println(reading(e));
            return 1;
          }
        }
        PrintWriter out = spec.commandLine().getOut();
        for (Publication p : pubs) {
          out.println(
              p.position().file()
                  + ": publication '"
                  + p.name()
                  + "' is valid ("
                  + p.tables().size()
                  + (p.tables().size() == 1 ? " table)" : " tables)"));
        }
        out.println(
            db == null
                ? "Checked the files only; add --db JDBC-URL to check them against a live schema."
                : "Checked against the live schema of " + DatabaseUrl.masked(db) + ".");
        return 0;
      }
    }

    /** {@code georep publication plan <files> --db …}. */
    @Command(
        name = "plan",
        mixinStandardHelpOptions = true,
        description = {
          "Validates publication files against a live schema and prints the SQL that creates or"
              + " aligns their native PostgreSQL publications (CREATE/ALTER PUBLICATION), then"
              + " what the agent applies itself (row filters, column lists and masks the server"
              + " cannot) and why, and the truncate trigger the agent puts on each table.",
          "Nothing is executed: review the SQL, then let the agent apply it or run it yourself."
        },
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {
          "0:the plan was printed",
          "1:problems found, or the database cannot be reached",
          "2:usage error"
        })
    static final class Plan extends DatabaseCommand implements Callable<Integer> {
      @Option(
          names = "--db",
          required = true,
          paramLabel = "JDBC-URL",
          description =
              "The database whose schema the plan is for, for example --db"
                  + " jdbc:postgresql://127.0.0.1:5432/app.")
      String db;

      @Override
      String url() {
        return db;
      }

      @Override
      public Integer call() {
        List<Publication> pubs = parse();
        if (pubs == null) {
          return 1;
        }
        try (Connection c = connect()) {
          if (c == null) {
            return 1;
          }
          PrintWriter out = spec.commandLine().getOut();
          Connector connector = Connectors.forUrl(db);
          out.print(PublicationPlanner.plan(pubs, connector.readSchema(c)).render());
          out.println();
          out.println(
              "-- the agent also puts this trigger on every published table: a TRUNCATE"
                  + " replicates as the");
          out.println(
              "-- deletes of its rows, or is refused where operations leave truncate out"
                  + " (docs/conflicts.md);");
          out.println(
              "-- its function comes with schema georep, created at the agent's first start");
          connector.setupStatements(pubs).forEach(sql -> out.println(sql + ";"));
          out.flush();
          return 0;
        } catch (PublicationException e) {
          printProblems(e.problems());
          return 1;
        } catch (SQLException e) {
          spec.commandLine().getErr().println(reading(e));
          return 1;
        }
      }
    }
  }
}
