package io.georep.cli.demo;

import static org.assertj.core.api.Assertions.assertThat;

import io.georep.cli.Main;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import picocli.CommandLine;

/** Option parsing of {@code georep demo}: defaults, forms, and what a bad value tells the user. */
class DemoCommandTest {
  private final DemoCommand command = new DemoCommand(() -> 0L, () -> 4242L);
  private final CommandLine line = new CommandLine(command);
  private final StringWriter err = new StringWriter();

  DemoCommandTest() {
    line.setErr(new PrintWriter(err, true));
    line.setOut(new PrintWriter(new StringWriter(), true));
  }

  private DemoOptions parse(String... args) {
    line.parseArgs(args);
    return command.options();
  }

  /** Runs the command; every case here fails validation before anything starts. */
  private int execute(String... args) {
    return line.execute(args);
  }

  @Test
  void options_defaults() {
    DemoOptions o = parse();

    assertThat(o.duration()).isEqualTo(Duration.ofSeconds(60));
    assertThat(o.rate()).isEqualTo(50);
    assertThat(o.regions()).isEqualTo(3);
    assertThat(o.regionNames()).containsExactly("eu-west", "us-east", "ap-south");
    assertThat(o.latency()).isEqualTo(Duration.ofMillis(50));
    assertThat(o.faults()).isEmpty();
    assertThat(o.seed()).isEqualTo(4242L);
    assertThat(o.keep()).isFalse();
    assertThat(o.statusInterval()).isEqualTo(Duration.ofSeconds(2));
    assertThat(o.quiescenceTimeout()).isEqualTo(Duration.ofSeconds(60));
  }

  @Test
  void options_everyOptionGiven() {
    DemoOptions o =
        parse(
            "--duration",
            "2m",
            "--rate",
            "10",
            "--regions",
            "5",
            "--latency",
            "0ms",
            "--fault",
            "cut:af-south@20s+15s",
            "--fault",
            "cut:us-east@1m+10s",
            "--seed",
            "7",
            "--keep",
            "--status-interval",
            "1s",
            "--quiescence-timeout",
            "90s");

    assertThat(o.duration()).isEqualTo(Duration.ofMinutes(2));
    assertThat(o.rate()).isEqualTo(10);
    assertThat(o.regionNames())
        .containsExactly("eu-west", "us-east", "ap-south", "sa-east", "af-south");
    assertThat(o.latency()).isZero();
    assertThat(o.faults())
        .containsExactly(Fault.parse("cut:af-south@20s+15s"), Fault.parse("cut:us-east@1m+10s"));
    assertThat(o.seed()).isEqualTo(7);
    assertThat(o.keep()).isTrue();
    assertThat(o.statusInterval()).isEqualTo(Duration.ofSeconds(1));
    assertThat(o.quiescenceTimeout()).isEqualTo(Duration.ofSeconds(90));
  }

  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      value = {
        "--duration|soon|Invalid value for option '--duration': 'soon' is not a duration",
        "--duration|60|'60' has no unit",
        "--latency|1.5s|Invalid value for option '--latency': '1.5s' is not a duration",
        "--status-interval|2|Invalid value for option '--status-interval': '2' has no unit",
        "--fault|cut:us-east@20s|Invalid value for option '--fault' (SPEC): 'cut:us-east@20s' is not a"
            + " fault; write cut:<region>@<start>+<length>, e.g. cut:us-east@20s+15s",
        "--fault|drop:us-east@20s+5s|the only kind is 'cut'",
        "--rate|fast|Invalid value for option '--rate': 'fast' is not an int",
      })
  void execute_malformedValue_usageErrorNamingOptionValueAndForm(
      String option, String value, String message) {
    assertThat(execute(option, value)).isEqualTo(2);
    assertThat(err.toString()).contains(message);
  }

  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      value = {
        "--regions 1|--regions 1 is out of range; give 2 to 5",
        "--regions 6|--regions 6 is out of range; give 2 to 5",
        "--rate 0|--rate 0 is out of range; give 1 to 2000",
        "--duration 0s|--duration 0s is out of range; give 1s to 24h",
        "--duration 25h|--duration 25h is out of range; give 1s to 24h",
        "--latency 2s|--latency 2s is out of range; give 0ms to 1s",
        "--status-interval 100ms|--status-interval 100ms is out of range; give 200ms to 1m",
        "--fault cut:sa-east@5s+5s|--fault cut:sa-east@5s+5s names region sa-east, which does not"
            + " run; the regions are eu-west, us-east, ap-south (add regions with --regions 4)",
        "--fault cut:mars@5s+5s|names region mars, which does not run",
        "--fault cut:us-east@50s+15s|--fault cut:us-east@50s+15s heals at 1m5s, after the load"
            + " stops at 1m; start it earlier, shorten it or raise --duration",
        "--fault cut:us-east@5s+10s --fault cut:us-east@10s+5s|overlap",
      })
  void execute_invalidCombination_usageErrorSayingWhatToDo(String args, String message) {
    assertThat(execute(args.split(" "))).isEqualTo(2);
    assertThat(err.toString()).contains(message);
  }

  @Test
  void execute_severalInvalidOptions_reportsEveryOne() {
    assertThat(execute("--regions", "9", "--rate", "0")).isEqualTo(2);
    assertThat(err.toString()).contains("--regions 9").contains("--rate 0");
  }

  @Test
  void main_badDemoOption_printsTheMessageAndAHintWithoutTheUsage() {
    CommandLine main = Main.commandLine();
    StringWriter mainErr = new StringWriter();
    main.setErr(new PrintWriter(mainErr, true));

    assertThat(main.execute("demo", "--duration", "1.5s")).isEqualTo(2);

    assertThat(mainErr.toString())
        .startsWith("georep demo: Invalid value for option '--duration': '1.5s' is not a duration")
        .contains("Run 'georep demo --help' for the options.")
        .doesNotContain("Prints each agent's");
  }

  @Test
  void main_misspeltDemoOption_suggestsTheRightOne() {
    CommandLine main = Main.commandLine();
    StringWriter mainErr = new StringWriter();
    main.setErr(new PrintWriter(mainErr, true));

    assertThat(main.execute("demo", "--regoins", "4")).isEqualTo(2);

    assertThat(mainErr.toString())
        .contains("Unknown options: '--regoins'")
        .contains("Possible solutions: --regions");
  }

  @Test
  void main_hasDemoBesideTheAgentCommands() {
    CommandLine main = Main.commandLine();

    assertThat(main.getSubcommands().keySet()).contains("demo", "run", "status", "publication");
    StringWriter help = new StringWriter();
    main.getSubcommands().get("demo").usage(new PrintWriter(help));
    for (String option :
        List.of(
            "--duration",
            "--rate",
            "--regions",
            "--latency",
            "--fault",
            "--seed",
            "--keep",
            "--status-interval",
            "--quiescence-timeout")) {
      assertThat(help.toString()).contains(option);
    }
    assertThat(help.toString()).contains("Default: 60s").contains("Default: 50");
  }
}
