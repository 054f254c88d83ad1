package io.georep.cli;

import io.georep.cli.demo.DemoCommand;
import io.georep.replicator.cli.GeorepCommand;
import picocli.CommandLine;

/**
 * The entry point of {@code georep.jar}: the agent's command line ({@link GeorepCommand}: {@code
 * run}, {@code status}, {@code config}, {@code publication}) plus {@code demo}. Exit codes as
 * {@link GeorepCommand}'s: 0 success, 1 problems found (for {@code demo}: the regions diverged), 2
 * usage error.
 */
public final class Main {
  private Main() {}

  /**
   * Runs the command line and exits with its exit code.
   *
   * @param args the arguments
   */
  public static void main(String[] args) {
    System.exit(execute(args));
  }

  /**
   * Runs the command line and returns the exit code.
   *
   * @param args the arguments
   * @return the exit code
   */
  public static int execute(String... args) {
    return commandLine().execute(args);
  }

  /**
   * Returns the complete command line, ready to execute: {@link GeorepCommand#commandLine()} (its
   * subcommands, exit codes and error handling) with {@code demo} added.
   *
   * @return a new command line
   */
  public static CommandLine commandLine() {
    return GeorepCommand.commandLine().addSubcommand("demo", new DemoCommand());
  }
}
