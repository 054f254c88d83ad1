package io.georep.replicator.cli;

import io.georep.connector.DatabaseUrl;
import io.georep.connector.spi.Connector;
import io.georep.publication.Problem;
import io.georep.publication.Publication;
import io.georep.publication.PublicationException;
import io.georep.publication.PublicationParser;
import io.georep.publication.PublicationPlanner;
import io.georep.publication.PublicationValidator;
import io.georep.publication.spi.SchemaCatalog;
import io.georep.replicator.AgentConfig;
import io.georep.replicator.Connectors;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.Callable;
import java.util.function.Function;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code georep publication validate|plan}. */
@Command(
    name = "publication",
    mixinStandardHelpOptions = true,
    description = "Checks publication files and plans them into native PostgreSQL publications.",
    subcommands = {PublicationCommand.Validate.class, PublicationCommand.Plan.class})
final class PublicationCommand implements Runnable {
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
      err.println(problems.size() + (problems.size() == 1 ? " problem" : " problems") + " found.");
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
      Function<String, String> env = GeorepCommand.environment(spec);
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
        out.println("-- its function comes with schema georep, created at the agent's first start");
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
