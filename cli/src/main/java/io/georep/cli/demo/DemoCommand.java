package io.georep.cli.demo;

import java.io.PrintWriter;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import java.util.concurrent.CancellationException;
import java.util.function.LongSupplier;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code georep demo}: several regions on this machine with a conflicting write load, a live status
 * and a convergence verdict (see {@link Demo}). Exit codes: 0 converged, 1 diverged or failed, 2
 * usage error, 130 stopped by Ctrl-C.
 */
@Command(
    name = "demo",
    mixinStandardHelpOptions = true,
    sortOptions = false,
    usageHelpAutoWidth = true,
    description = {
      "Runs several regions on this machine under a conflicting write load, with a live status"
          + " and a convergence verdict.",
      "Starts one embedded PostgreSQL server and one agent per region and an in-process Kafka"
          + " broker, and writes in every region so that the writes conflict (concurrent edits of"
          + " the same profile fields, counter increments, tag adds and removes, orders placed and"
          + " cancelled under the same ids, clashing e-mails).",
      "Prints each agent's dashboard, /metrics, /health and /api/status address and a live status (rows,"
          + " lag per region pair, conflicts per type); at the end waits until every region has"
          + " applied everything and compares every table: CONVERGED (exit 0) or DIVERGED (exit"
          + " 1). Ctrl-C stops everything and deletes the data."
    },
    footer = {
      "",
      "Examples:",
      "  georep demo",
      "  georep demo --duration 2m --rate 100 --regions 4",
      "  georep demo --fault cut:us-east@20s+15s"
    })
public final class DemoCommand implements Callable<Integer> {
  /** Exit code when Ctrl-C stopped the demo. */
  public static final int STOPPED = 130;

  private static final List<String> LEVELS = List.of("trace", "debug", "info", "warn", "error");

  @Option(
      names = "--duration",
      defaultValue = "60s",
      paramLabel = "DURATION",
      converter = DurationConverter.class,
      description =
          "How long the write load runs: a number and a unit (ms, s, m, h), e.g. 20s, 2m, 1m30s."
              + " Default: ${DEFAULT-VALUE}.")
  Duration duration;

  @Option(
      names = "--rate",
      defaultValue = "50",
      paramLabel = "N",
      description =
          "Writes (transactions) per second in each region, 1 to "
              + DemoOptions.MAX_RATE
              + ". Default: ${DEFAULT-VALUE}.")
  int rate;

  @Option(
      names = "--regions",
      defaultValue = "3",
      paramLabel = "N",
      description =
          "How many regions, 2 to 5; they are named eu-west, us-east, ap-south, sa-east,"
              + " af-south, in that order. Default: ${DEFAULT-VALUE}.")
  int regions;

  @Option(
      names = "--latency",
      defaultValue = "50ms",
      paramLabel = "DURATION",
      converter = DurationConverter.class,
      description =
          "One-way network latency added between each region's agent and Kafka (in its loopback"
              + " proxy), as between distant regions; 0ms for none, at most 1s. Default:"
              + " ${DEFAULT-VALUE}.")
  Duration latency;

  @Option(
      names = "--fault",
      paramLabel = "SPEC",
      converter = FaultConverter.class,
      description =
          "A fault to inject; repeatable. cut:<region>@<start>+<length> cuts the region's agent"
              + " off from Kafka <start> into the load for <length> (its connections through a"
              + " loopback proxy are closed and refused), then heals it: e.g."
              + " cut:us-east@20s+15s. Default: none.")
  List<Fault> faults = new ArrayList<>();

  @Option(
      names = "--seed",
      paramLabel = "N",
      description =
          "Seed of the write load's random choices (each region's sequence of writes depends only"
              + " on it). Default: a new seed, printed at the start.")
  Long seed;

  @Option(
      names = "--keep",
      description =
          "Keep the data directory (databases and broker) after the run and print its path."
              + " Default: it is deleted.")
  boolean keep;

  @Option(
      names = "--status-interval",
      defaultValue = "2s",
      paramLabel = "DURATION",
      converter = DurationConverter.class,
      description = "How often the live status prints, 200ms to 1m. Default: ${DEFAULT-VALUE}.")
  Duration statusInterval;

  @Option(
      names = "--quiescence-timeout",
      defaultValue = "60s",
      paramLabel = "DURATION",
      converter = DurationConverter.class,
      description =
          "After the load, how long to wait for every region to apply everything before"
              + " comparing. Default: ${DEFAULT-VALUE}.")
  Duration quiescenceTimeout;

  @Spec CommandSpec spec;

  private final LongSupplier nanoClock;
  private final LongSupplier seedSource;
  private volatile DemoResult result;

  /** Creates the command with the system clock and a random default seed. */
  public DemoCommand() {
    this(System::nanoTime, () -> Math.floorMod(new SplittableRandom().nextLong(), 1_000_000_000L));
  }

  /**
   * Creates the command with the given clock and source of default seeds.
   *
   * @param nanoClock a monotonic clock in nanoseconds
   * @param seedSource the seed used when {@code --seed} is not given
   */
  DemoCommand(LongSupplier nanoClock, LongSupplier seedSource) {
    this.nanoClock = nanoClock;
    this.seedSource = seedSource;
  }

  /**
   * Returns the validated options of the parsed command line.
   *
   * @return the options
   * @throws CommandLine.ParameterException naming every invalid option and what to do
   */
  DemoOptions options() {
    try {
      return new DemoOptions(
          regions,
          duration,
          rate,
          latency,
          faults,
          seed != null ? seed : seedSource.getAsLong(),
          keep,
          statusInterval,
          quiescenceTimeout);
    } catch (IllegalArgumentException e) {
      throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage(), e);
    }
  }

  /**
   * Returns the outcome of the last run, if it got to the comparison.
   *
   * @return the result, or null
   */
  DemoResult result() {
    return result;
  }

  @Override
  public Integer call() {
    DemoOptions o = options();
    configureLogging();
    PrintWriter out = spec.commandLine().getOut();
    Demo demo = new Demo(o, out, nanoClock);
    Thread hook =
        new Thread(
            () -> {
              demo.interrupt();
              synchronized (out) {
                out.println();
                out.println("stopping: agents, Kafka broker, databases ...");
                out.flush();
              }
              demo.close();
            },
            "georep-demo-shutdown");
    Runtime.getRuntime().addShutdownHook(hook);
    try {
      result = demo.run();
      return result.converged() ? 0 : 1;
    } catch (CancellationException e) {
      return STOPPED;
    } catch (RuntimeException e) {
      PrintWriter err = spec.commandLine().getErr();
      err.println("georep demo failed: " + e.getMessage());
      err.flush();
      return 1;
    } finally {
      try {
        Runtime.getRuntime().removeShutdownHook(hook);
        demo.close();
      } catch (IllegalStateException e) {
        // The JVM is shutting down: the hook closes the demo.
      }
    }
  }

  /**
   * Quiets the libraries' logging unless configured otherwise: the live status is the demo's
   * output, and warnings of the agents still show. Takes effect only if nothing has logged yet.
   */
  private static void configureLogging() {
    quieter("org.slf4j.simpleLogger.defaultLogLevel", "warn");
    // The brokers' and clients' warnings while a region is cut off are expected; the status shows
    // the cut.
    quieter("org.slf4j.simpleLogger.log.org.apache.kafka", "error");
    quieter("org.slf4j.simpleLogger.log.kafka", "error");
    quieter("org.slf4j.simpleLogger.log.org.apache.pekko", "error");
  }

  /** Sets a log level unless one was chosen that is already as quiet or quieter. */
  private static void quieter(String key, String level) {
    String current = System.getProperty(key);
    if (current == null || LEVELS.indexOf(current) < LEVELS.indexOf(level)) {
      System.setProperty(key, level);
    }
  }

  /** Reads a {@link Duration} in the form of {@link Durations#parse}. */
  static final class DurationConverter implements CommandLine.ITypeConverter<Duration> {
    @Override
    public Duration convert(String value) {
      try {
        return Durations.parse(value);
      } catch (IllegalArgumentException e) {
        throw new CommandLine.TypeConversionException(e.getMessage());
      }
    }
  }

  /** Reads a {@link Fault} in the form of {@link Fault#parse}. */
  static final class FaultConverter implements CommandLine.ITypeConverter<Fault> {
    @Override
    public Fault convert(String value) {
      try {
        return Fault.parse(value);
      } catch (IllegalArgumentException e) {
        throw new CommandLine.TypeConversionException(e.getMessage());
      }
    }
  }
}
