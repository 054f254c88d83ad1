package io.georep.replicator.cli;

import io.georep.replicator.AgentSettings;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code georep config check}. */
@Command(
    name = "config",
    mixinStandardHelpOptions = true,
    description = "Checks agent configuration files.",
    subcommands = {ConfigCommand.Check.class})
final class ConfigCommand implements Runnable {
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
      AgentSettings settings = GeorepCommand.load(spec, config);
      if (settings == null) {
        return 1;
      }
      spec.commandLine()
          .getOut()
          .println(
              config + " is valid: " + GeorepCommand.summary(settings, settings.http().port()));
      return 0;
    }
  }
}
