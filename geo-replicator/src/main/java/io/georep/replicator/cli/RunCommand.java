package io.georep.replicator.cli;

import io.georep.replicator.Agent;
import io.georep.replicator.AgentSettings;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

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
final class RunCommand implements Callable<Integer> {
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
    AgentSettings settings = GeorepCommand.load(spec, config);
    PrintWriter err = spec.commandLine().getErr();
    if (settings == null) {
      err.println("The agent was not started.");
      return 1;
    }
    Agent agent;
    try {
      agent = Agent.start(settings);
    } catch (RuntimeException e) {
      err.println("cannot start the agent of region " + settings.region() + ": " + e.getMessage());
      return 1;
    }
    CountDownLatch stopped = new CountDownLatch(1);
    Thread hook =
        new Thread(
            () -> {
              GeorepCommand.shuttingDown = true;
              agent.close();
              stopped.countDown();
            },
            "georep-shutdown");
    Runtime.getRuntime().addShutdownHook(hook);
    PrintWriter out = spec.commandLine().getOut();
    out.println(
        "georep agent running: "
            + GeorepCommand.summary(settings, agent.httpPort())
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
