package io.georep.replicator;

import io.georep.replicator.cli.GeorepCommand;
import io.georep.testkit.Await;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One region's agent as an operator runs it, {@code georep run --config agent.yaml}, in a child JVM
 * started from this JVM's class path: it can be killed (SIGKILL, no shutdown hook runs) and started
 * again on the same configuration. Standard output and the log (standard error) of every start are
 * appended to {@code <region>.out} and {@code <region>.log} in the given directory; the HTTP port
 * is the one the agent prints on its summary line (the configuration asks for port 0).
 */
final class AgentProcess implements AutoCloseable {
  private static final Pattern HTTP = Pattern.compile("http://127\\.0\\.0\\.1:(\\d+)");

  private final String region;
  private final Path config;
  private final Path out;
  private final Path log;
  private final String heap;
  private final HttpClient http =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
  private Process process;
  private long outStart;
  private volatile String url;

  /**
   * @param region the region's name (for messages and file names)
   * @param config the agent's configuration file
   * @param dir where the output and log files go
   * @param heap the child JVM's maximum heap, such as {@code 256m}
   */
  AgentProcess(String region, Path config, Path dir, String heap) {
    this.region = region;
    this.config = config;
    this.out = dir.resolve(region + ".out");
    this.log = dir.resolve(region + ".log");
    this.heap = heap;
  }

  /** Starts the agent; returns at once (see {@link #url()} for when it serves HTTP). */
  synchronized void start() throws IOException {
    if (isAlive()) {
      throw new IllegalStateException("the agent of " + region + " runs already");
    }
    outStart = Files.exists(out) ? Files.size(out) : 0;
    url = null;
    List<String> command =
        List.of(
            Path.of(System.getProperty("java.home"), "bin", "java").toString(),
            "-Xmx" + heap,
            "-XX:+UseSerialGC",
            "-cp",
            System.getProperty("java.class.path"),
            "-Dorg.slf4j.simpleLogger.defaultLogLevel=info",
            "-Dorg.slf4j.simpleLogger.showDateTime=true",
            GeorepCommand.class.getName(),
            "run",
            "--config",
            config.toString());
    process =
        new ProcessBuilder(command)
            .redirectOutput(ProcessBuilder.Redirect.appendTo(out.toFile()))
            .redirectError(ProcessBuilder.Redirect.appendTo(log.toFile()))
            .start();
    // A test JVM that dies must not leave its agents behind.
    Process started = process;
    Runtime.getRuntime().addShutdownHook(new Thread(started::destroyForcibly, "kill-agent"));
  }

  /** Kills the agent with SIGKILL and waits until it is gone. */
  synchronized void kill() throws InterruptedException {
    if (process != null) {
      process.destroyForcibly();
      if (!process.waitFor(30, TimeUnit.SECONDS)) {
        throw new IllegalStateException("the agent of " + region + " outlived SIGKILL for 30 s");
      }
    }
    url = null;
  }

  /** Whether each agent is ready, and the end of its log: for a failure's message. */
  static String describe(Map<String, AgentProcess> agents) throws IOException {
    StringBuilder out = new StringBuilder();
    for (Map.Entry<String, AgentProcess> e : agents.entrySet()) {
      out.append("\n== ")
          .append(e.getKey())
          .append(e.getValue().ready() ? ", ready" : ", not ready")
          .append("; its log ends with:\n")
          .append(e.getValue().tail(40));
    }
    return out.toString();
  }

  /**
   * Keeps the agents' logs ({@code *.log}, {@code *.out}) of a run's directory in {@code
   * target/<keep>/} and deletes the directory.
   */
  static void keepLogs(Path dir, String keep) throws IOException {
    if (dir == null) {
      return;
    }
    Path target = Files.createDirectories(Path.of("target", keep));
    try (var files = Files.walk(dir)) {
      for (Path f : files.sorted(Comparator.reverseOrder()).toList()) {
        String name = f.getFileName().toString();
        if (name.endsWith(".log") || name.endsWith(".out")) {
          Files.copy(f, target.resolve(name), StandardCopyOption.REPLACE_EXISTING);
        }
        Files.delete(f);
      }
    }
  }

  /** The agent process's id (for {@code jcmd}); -1 if it was never started. */
  synchronized long pid() {
    return process == null ? -1 : process.pid();
  }

  synchronized boolean isAlive() {
    return process != null && process.isAlive();
  }

  /** The agent's HTTP base URL, waiting up to a minute for its summary line. */
  String url() throws Exception {
    if (url != null) {
      return url;
    }
    Await.until(
        region + "'s agent prints its summary line",
        Duration.ofMinutes(1),
        () -> {
          if (!isAlive()) {
            throw new IllegalStateException(
                "the agent of " + region + " exited; its log ends with:\n" + tail(40));
          }
          String printed = Files.readString(out).substring((int) outStart);
          Matcher m = HTTP.matcher(printed);
          if (m.find()) {
            url = m.group();
            return true;
          }
          return false;
        });
    return url;
  }

  /** GET of a path of the agent's HTTP endpoint. */
  HttpResponse<String> get(String path) throws Exception {
    return http.send(
        HttpRequest.newBuilder(URI.create(url() + path)).timeout(Duration.ofSeconds(10)).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  /** Whether {@code /health} answers 200 (ready). */
  boolean ready() {
    try {
      return isAlive() && get("/health").statusCode() == 200;
    } catch (Exception e) {
      return false;
    }
  }

  /** The last lines of the agent's log, over every start. */
  String tail(int lines) throws IOException {
    if (!Files.exists(log)) {
      return "(no log)";
    }
    List<String> all = Files.readAllLines(log);
    return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
  }

  @Override
  public void close() {
    try {
      kill();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
