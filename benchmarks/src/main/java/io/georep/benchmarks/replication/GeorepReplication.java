package io.georep.benchmarks.replication;

import io.georep.testkit.EmbeddedRegionDatabase;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.LogDirDescription;
import org.apache.kafka.clients.admin.ReplicaInfo;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.TopicPartition;

/**
 * georep: capture at the source → Kafka → apply at the target, with two agents ({@link AgentHost},
 * one child JVM, so their CPU and heap are measured apart from the harness and the broker) and the
 * in-process broker.
 *
 * <p><b>Bytes shipped</b> are the bytes of the source region's changes topic on Kafka (the
 * partition's log size: record batches with their headers and georep's record headers around the
 * LZ4 frames); the agent's {@code georep_wire_bytes_total} meter (frames only) is reported beside
 * it.
 */
final class GeorepReplication implements ReplicationSystem {
  private static final String TOPIC = "georep." + AgentHost.SOURCE + ".changes";

  private final EmbeddedRegionDatabase source;
  private final EmbeddedRegionDatabase target;
  private final String database;
  private final String targetDatabase;
  private final List<String> tables;
  private final String bootstrap;
  private final Path workDirectory;
  private final ReplicationBenchmark.GeorepOptions options;
  private final BlockingQueue<String> replies = new LinkedBlockingQueue<>();
  private Duration readyTimeout = Duration.ofMinutes(2);
  private Process process;
  private Writer commands;
  private Admin admin;

  /** Replicates {@code database} at the source into {@code targetDatabase} at the target. */
  GeorepReplication(
      EmbeddedRegionDatabase source,
      EmbeddedRegionDatabase target,
      String database,
      List<String> tables,
      String bootstrap,
      Path workDirectory,
      ReplicationBenchmark.GeorepOptions options,
      String targetDatabase) {
    this.source = source;
    this.target = target;
    this.database = database;
    this.targetDatabase = targetDatabase;
    this.tables = List.copyOf(tables);
    this.bootstrap = bootstrap;
    this.workDirectory = workDirectory;
    this.options = options;
  }

  @Override
  public String name() {
    return "georep";
  }

  /** Returns the publication file: every benchmark table, all regions, inserts/updates/deletes. */
  String publication() {
    StringBuilder yaml =
        new StringBuilder(
            "publication: bench\nregions: all\noperations: [insert, update, delete]\ntables:\n");
    for (String t : tables) {
      yaml.append("  - table: public.").append(t).append('\n');
    }
    return yaml.toString();
  }

  /**
   * Sets how long the agents may take to become ready (two minutes by default); a source region
   * with data becomes ready only once its initial copy is applied.
   */
  void readyTimeout(Duration timeout) {
    this.readyTimeout = timeout;
  }

  @Override
  public void start() throws Exception {
    Properties p = new Properties();
    p.setProperty("ready.timeout.seconds", Long.toString(readyTimeout.toSeconds()));
    p.setProperty("bootstrap", bootstrap);
    p.setProperty("source.url", BenchDatabases.jdbcUrl(source, database));
    p.setProperty("target.url", BenchDatabases.jdbcUrl(target, targetDatabase));
    p.setProperty("publication", publication());
    p.setProperty("apply.workers", Integer.toString(options.applyWorkers));
    p.setProperty("apply.group.max.transactions", Integer.toString(options.groupMaxTransactions));
    p.setProperty("apply.window.transactions", Integer.toString(options.windowTransactions));
    p.setProperty(
        "shipping.batch.max.transactions", Integer.toString(options.batchMaxTransactions));
    p.setProperty("shipping.batch.max.changes", Integer.toString(options.batchMaxChanges));
    p.setProperty("shipping.linger.ms", Long.toString(options.lingerMillis));
    Path config = workDirectory.resolve("agents.properties");
    try (Writer w = Files.newBufferedWriter(config, StandardCharsets.UTF_8)) {
      p.store(w, "georep replication benchmark agents");
    }
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.add("-Xmx" + options.agentHeap);
    for (String o : options.agentJvmOptions.trim().split("\\s+", -1)) {
      if (!o.isEmpty()) {
        command.add(o);
      }
    }
    command.add("-Dorg.slf4j.simpleLogger.defaultLogLevel=warn");
    command.add("-Dorg.slf4j.simpleLogger.log.org.apache.kafka=error");
    command.add("-Dorg.slf4j.simpleLogger.showDateTime=true");
    command.add("-cp");
    command.add(System.getProperty("java.class.path"));
    command.add(AgentHost.class.getName());
    command.add(config.toString());
    process =
        new ProcessBuilder(command)
            .redirectError(workDirectory.resolve("agents.log").toFile())
            .start();
    commands = new OutputStreamWriter(process.getOutputStream(), StandardCharsets.UTF_8);
    Thread reader =
        new Thread(
            () -> {
              try (BufferedReader in =
                  new BufferedReader(
                      new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                String line;
                while ((line = in.readLine()) != null) {
                  if (line.startsWith("@@ ")) {
                    replies.add(line.substring(3));
                  }
                }
              } catch (IOException e) {
                replies.add("FAILED reading the agents' output: " + e);
              }
              replies.add("EXITED");
            },
            "agent-host-reader");
    reader.setDaemon(true);
    reader.start();
    String ready = reply(readyTimeout.toSeconds() + 60);
    if (!ready.equals("READY")) {
      throw new IllegalStateException("the agents did not start: " + ready + "\n" + logTail());
    }
    admin =
        Admin.create(Map.<String, Object>of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap));
  }

  private String reply(long timeoutSeconds) throws InterruptedException {
    String r = replies.poll(timeoutSeconds, TimeUnit.SECONDS);
    if (r == null) {
      throw new IllegalStateException(
          "the agents did not answer in " + timeoutSeconds + " s\n" + logTail());
    }
    return r;
  }

  private String send(String command) throws IOException, InterruptedException {
    commands.write(command + "\n");
    commands.flush();
    return reply(60);
  }

  /** Returns the last lines of the agents' log, for failure messages. */
  String logTail() {
    try {
      List<String> lines = Files.readAllLines(workDirectory.resolve("agents.log"));
      return "agents.log (last lines):\n  "
          + String.join("\n  ", lines.subList(Math.max(0, lines.size() - 30), lines.size()));
    } catch (IOException e) {
      return "(no agents.log: " + e.getMessage() + ")";
    }
  }

  @Override
  public Counters counters() throws Exception {
    String stats = send("STATS");
    if (!stats.startsWith("STATS ")) {
      throw new IllegalStateException("unexpected reply " + stats);
    }
    long heapPeak = -1;
    long wire = 0;
    for (String kv : stats.substring(6).split(" ", -1)) {
      String[] parts = kv.split("=", 2);
      if (parts[0].equals("heapPeak")) {
        heapPeak = Long.parseLong(parts[1]);
      } else if (parts[0].equals("wireSent")) {
        wire = Long.parseLong(parts[1]);
      }
    }
    return new Counters(topicBytes(), wire, stats.substring(6), process.pid(), heapPeak);
  }

  private long topicBytes() throws Exception {
    Collection<Node> nodes = admin.describeCluster().nodes().get(30, TimeUnit.SECONDS);
    List<Integer> ids = nodes.stream().map(Node::id).toList();
    long size = 0;
    for (Map<String, LogDirDescription> dirs :
        admin.describeLogDirs(ids).allDescriptions().get(30, TimeUnit.SECONDS).values()) {
      for (LogDirDescription d : dirs.values()) {
        ReplicaInfo r = d.replicaInfos().get(new TopicPartition(TOPIC, 0));
        if (r != null) {
          size += r.size();
        }
      }
    }
    return size;
  }

  @Override
  public void resetPeak() throws Exception {
    send("RESETPEAK");
  }

  @Override
  public String diagnostics() {
    try {
      return send("STATUS") + "\n" + logTail();
    } catch (Exception e) {
      return "cannot read the agents' status: " + e + "\n" + logTail();
    }
  }

  @Override
  public void close() {
    if (admin != null) {
      admin.close();
      admin = null;
    }
    if (process != null) {
      try {
        if (process.isAlive()) {
          commands.write("QUIT\n");
          commands.flush();
        }
      } catch (IOException e) {
        // The process already exited; nothing to ask.
      }
      try {
        if (!process.waitFor(90, TimeUnit.SECONDS)) {
          process.destroyForcibly();
          process.waitFor(10, TimeUnit.SECONDS);
        }
      } catch (InterruptedException e) {
        process.destroyForcibly();
        Thread.currentThread().interrupt();
      }
      process = null;
      if (options.agentLog != null) {
        try {
          Files.copy(
              workDirectory.resolve("agents.log"),
              options.agentLog,
              java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
          System.err.println("cannot copy the agents' log to " + options.agentLog + ": " + e);
        }
      }
    }
  }
}
