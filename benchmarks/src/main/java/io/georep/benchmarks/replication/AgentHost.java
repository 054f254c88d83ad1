package io.georep.benchmarks.replication;

import io.georep.publication.Publication;
import io.georep.publication.PublicationParser;
import io.georep.replicator.Agent;
import io.georep.replicator.AgentSettings;
import io.georep.vectorclock.ReplicaId;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.io.Reader;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The child JVM of the replication benchmark that runs both georep agents (the source region's and
 * the target region's), so that their CPU time and heap are measured apart from the harness, the
 * Kafka broker and the load generator. Talks to the harness over standard input and output, one
 * command per line; replies start with {@code @@} (everything else on standard output is ignored):
 *
 * <ul>
 *   <li>{@code STATS}: {@code @@ STATS heapPeak=… heapCommitted=… wireSent=… wireUncompressed=…
 *       changesShipped=… changesApplied=…} (heap peak since the last {@code RESETPEAK}, sampled
 *       every 10 ms; the counters from the agents' meters);
 *   <li>{@code RESETPEAK}: {@code @@ OK};
 *   <li>{@code STATUS}: both agents' status on one line;
 *   <li>{@code QUIT}: stops the agents, {@code @@ BYE}, exits.
 * </ul>
 *
 * <p>Run by {@link GeorepReplication}; the only argument is a properties file (see there).
 */
public final class AgentHost {
  static final String SOURCE = "source";
  static final String TARGET = "target";

  private AgentHost() {}

  /**
   * Starts both agents and serves commands until {@code QUIT} or the end of input.
   *
   * @param args the properties file
   * @throws Exception if the agents cannot start
   */
  public static void main(String[] args) throws Exception {
    PrintStream out = System.out;
    Properties p = new Properties();
    try (Reader r = Files.newBufferedReader(Path.of(args[0]), StandardCharsets.UTF_8)) {
      p.load(r);
    }
    Publication publication =
        PublicationParser.create()
            .parse("bench.yaml", p.getProperty("publication").getBytes(StandardCharsets.UTF_8));
    List<AgentSettings.Region> regions =
        List.of(
            AgentSettings.Region.of(SOURCE, p.getProperty("bootstrap")),
            AgentSettings.Region.of(TARGET, p.getProperty("bootstrap")));
    Agent source =
        Agent.start(settings(SOURCE, p.getProperty("source.url"), publication, regions, p));
    Agent target =
        Agent.start(settings(TARGET, p.getProperty("target.url"), publication, regions, p));
    MemoryMXBean memory = ManagementFactory.getMemoryMXBean();
    AtomicLong peak = new AtomicLong();
    Thread sampler =
        new Thread(
            () -> {
              while (!Thread.currentThread().isInterrupted()) {
                long used = memory.getHeapMemoryUsage().getUsed();
                peak.accumulateAndGet(used, Math::max);
                try {
                  Thread.sleep(10);
                } catch (InterruptedException e) {
                  return;
                }
              }
            },
            "heap-sampler");
    sampler.setDaemon(true);
    sampler.start();
    long deadline =
        System.nanoTime()
            + Duration.ofSeconds(Long.parseLong(p.getProperty("ready.timeout.seconds", "120")))
                .toNanos();
    while (!(source.status().ready() && target.status().ready())) {
      if (System.nanoTime() > deadline) {
        out.println("@@ FAILED agents not ready: " + source.status() + " / " + target.status());
        out.flush();
        System.exit(2);
      }
      Thread.sleep(50);
    }
    out.println("@@ READY");
    out.flush();
    BufferedReader in =
        new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
    try {
      String line;
      while ((line = in.readLine()) != null) {
        switch (line.trim()) {
          case "STATS" -> {
            String s = source.scrapeMetrics();
            String t = target.scrapeMetrics();
            out.println(
                "@@ STATS heapPeak="
                    + peak.get()
                    + " heapCommitted="
                    + memory.getHeapMemoryUsage().getCommitted()
                    + " wireSent="
                    + sum(s, "georep_wire_bytes_total{", "direction=\"sent\"")
                    + " wireUncompressed="
                    + sum(s, "georep_wire_uncompressed_bytes_total{", "direction=\"sent\"")
                    + " changesShipped="
                    + sum(s, "georep_changes_shipped_total{", "")
                    + " changesApplied="
                    + sum(t, "georep_changes_applied_total{", ""));
          }
          case "RESETPEAK" -> {
            peak.set(memory.getHeapMemoryUsage().getUsed());
            out.println("@@ OK");
          }
          case "STATUS" -> out.println("@@ STATUS " + source.status() + " | " + target.status());
          case "QUIT" -> {
            return;
          }
          default -> out.println("@@ ERROR unknown command " + line);
        }
        out.flush();
      }
    } finally {
      sampler.interrupt();
      List<Thread> stops = new ArrayList<>();
      for (Agent a : List.of(source, target)) {
        Thread t = new Thread(a::close, "stop-agent");
        t.start();
        stops.add(t);
      }
      for (Thread t : stops) {
        t.join();
      }
      out.println("@@ BYE");
      out.flush();
    }
  }

  private static AgentSettings settings(
      String region,
      String url,
      Publication publication,
      List<AgentSettings.Region> regions,
      Properties p) {
    int batchTransactions = Integer.parseInt(p.getProperty("shipping.batch.max.transactions"));
    return AgentSettings.of(
            ReplicaId.of(region),
            new AgentSettings.Database(url, "postgres", "", null),
            List.of(publication),
            regions)
        .withHttp(new AgentSettings.Http(false, "127.0.0.1", 0))
        .withTopics(new AgentSettings.Topics("georep", 1, 1, Duration.ofDays(1), 8 << 20))
        .withShipping(
            new AgentSettings.Shipping(
                batchTransactions,
                Integer.parseInt(p.getProperty("shipping.batch.max.changes")),
                Duration.ofMillis(Long.parseLong(p.getProperty("shipping.linger.ms"))),
                Math.max(
                    AgentSettings.Shipping.DEFAULT.maxInFlightTransactions(), batchTransactions),
                AgentSettings.Shipping.DEFAULT.maxInFlightBytes()))
        .withApply(
            new AgentSettings.Apply(
                Integer.parseInt(p.getProperty("apply.workers")),
                Integer.parseInt(p.getProperty("apply.group.max.transactions")),
                Integer.parseInt(p.getProperty("apply.window.transactions")),
                AgentSettings.Apply.DEFAULT.windowBytes(),
                AgentSettings.Apply.DEFAULT.retryMin(),
                AgentSettings.Apply.DEFAULT.retryMax()));
  }

  /** Sums the values of the scrape's samples of a meter whose labels contain {@code label}. */
  static long sum(String scrape, String prefix, String label) {
    double total = 0;
    for (String line : scrape.lines().toList()) {
      if (line.startsWith(prefix) && line.contains(label)) {
        total += Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
      }
    }
    return Math.round(total);
  }
}
