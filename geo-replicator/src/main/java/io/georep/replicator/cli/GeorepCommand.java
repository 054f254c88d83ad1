package io.georep.replicator.cli;

import io.georep.connector.DatabaseUrl;
import io.georep.publication.DidYouMean;
import io.georep.publication.Publication;
import io.georep.replicator.AgentConfig;
import io.georep.replicator.AgentConfigException;
import io.georep.replicator.AgentSettings;
import io.georep.replicator.Connectors;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Set;
import java.util.function.Function;
import java.util.stream.Collectors;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.HelpCommand;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/**
 * The {@code georep} command line: {@code run} (the agent), {@code status} (a running agent's
 * state), {@code config check}, {@code publication validate|plan}, and {@code sequences
 * check|align}.
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
 * <p>Each command is a class of its own in this package ({@link RunCommand}, {@link StatusCommand},
 * {@link ConfigCommand}, {@link PublicationCommand}); this class holds the root command, the
 * command line's error handling and what the commands share.
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
      RunCommand.class,
      StatusCommand.class,
      ConfigCommand.class,
      PublicationCommand.class,
      SequencesCommand.class,
      ConflictsCommand.class,
      VerifyCommand.class,
      RepairCommand.class,
      ResyncCommand.class,
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
  static volatile boolean shuttingDown;

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

  static Function<String, String> environment(CommandSpec spec) {
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
  static AgentSettings load(CommandSpec spec, Path config) {
    try {
      return AgentConfig.withEnvironment(environment(spec)).load(config);
    } catch (AgentConfigException e) {
      spec.commandLine().getErr().println(e.getMessage());
      return null;
    }
  }
}
