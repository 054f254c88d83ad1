package io.georep.replicator.internal.transport;

import io.georep.replicator.AgentSettings;
import io.georep.replicator.KafkaAccessException;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.DescribeClusterOptions;
import org.apache.kafka.common.KafkaException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The check an agent makes of every region's Kafka cluster before anything starts: can it build a
 * client from the region's settings, and does the cluster accept it (TLS handshake, SASL login,
 * describing the cluster)? A refusal — wrong password, untrusted or misnamed certificate,
 * unreadable key or trust store, a missing permission — is permanent, so it fails the start with a
 * {@link KafkaAccessException} naming the settings to fix; without this check the agent's streams
 * would retry it with backoff for ever, visible only as a stream that never becomes ready.
 *
 * <p>A cluster that does not answer is different: an outage is temporary, and the agent has always
 * started anyway and retried in the background, so it still does, after a WARN line. A cluster none
 * of whose bootstrap addresses accepts a TCP connection is skipped at once (no TLS or SASL could be
 * checked anyway); one that accepts connections gets at most {@link #TIMEOUT} to answer. Regions on
 * the same cluster (the same client settings) are checked once; distinct clusters in parallel, so
 * the start waits at most about {@link #TIMEOUT} in all.
 */
public final class KafkaPreflight {
  /** How long a cluster that accepts connections may take to answer before the check gives up. */
  public static final Duration TIMEOUT = Duration.ofSeconds(10);

  private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(2);
  private static final Logger LOG = LoggerFactory.getLogger(KafkaPreflight.class);

  private KafkaPreflight() {}

  /**
   * Checks every region's cluster.
   *
   * @param settings the agent's settings; never null
   * @throws KafkaAccessException listing every region whose cluster refused the agent
   */
  public static void check(AgentSettings settings) {
    Map<Map<String, String>, List<AgentSettings.Region>> clusters = new LinkedHashMap<>();
    for (AgentSettings.Region r : settings.regions()) {
      clusters.computeIfAbsent(r.kafka(), k -> new ArrayList<>()).add(r);
    }
    ExecutorService pool =
        Executors.newFixedThreadPool(
            clusters.size(),
            task -> {
              Thread t = new Thread(task, "georep-kafka-preflight");
              t.setDaemon(true);
              return t;
            });
    List<KafkaRefusal> refusals = new ArrayList<>();
    Throwable firstCause = null;
    try {
      List<Future<Optional<Failure>>> checks = new ArrayList<>();
      for (List<AgentSettings.Region> sharing : clusters.values()) {
        checks.add(pool.submit(() -> check(settings.region().name(), sharing)));
      }
      for (Future<Optional<Failure>> c : checks) {
        Optional<Failure> failure = c.get();
        if (failure.isPresent()) {
          refusals.add(failure.get().refusal());
          if (firstCause == null && !failure.get().refusal().leaksSecret()) {
            firstCause = failure.get().cause();
          }
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while checking the Kafka clusters", e);
    } catch (ExecutionException e) {
      throw new IllegalStateException("cannot check the Kafka clusters: " + e.getCause(), e);
    } finally {
      pool.shutdownNow();
    }
    if (refusals.isEmpty()) {
      return;
    }
    List<String> keys = new ArrayList<>();
    StringBuilder message =
        new StringBuilder(
            "Kafka refused the agent; it was not started, since retrying would meet the same"
                + " refusal:");
    for (KafkaRefusal r : refusals) {
      message.append("\n  - ").append(r.message());
      keys.addAll(r.settings());
    }
    throw new KafkaAccessException(message.toString(), keys, firstCause);
  }

  private record Failure(KafkaRefusal refusal, Throwable cause) {}

  private static Optional<Failure> check(String localRegion, List<AgentSettings.Region> sharing) {
    AgentSettings.Region region = sharing.get(0);
    List<String> names = sharing.stream().map(r -> r.name().name()).toList();
    if (!anyAcceptsConnections(region.bootstrapServers())) {
      LOG.warn(
          "regions {}: no Kafka bootstrap server at {} accepts connections; the agent starts and"
              + " retries (its security settings are checked when the cluster answers)",
          names,
          region.bootstrapServers());
      return Optional.empty();
    }
    Admin admin;
    try {
      admin = KafkaClients.admin(region, "georep-" + localRegion + "-preflight");
    } catch (KafkaException e) {
      return KafkaRefusal.of(region, names, e.getCause() == null ? e : e.getCause(), true)
          .map(r -> new Failure(r, e));
    }
    long started = System.nanoTime();
    try {
      admin
          .describeCluster(new DescribeClusterOptions().timeoutMs((int) TIMEOUT.toMillis()))
          .clusterId()
          .get(TIMEOUT.toMillis() + 5_000, TimeUnit.MILLISECONDS);
      LOG.debug(
          "regions {}: Kafka at {} accepted the agent in {} ms",
          names,
          region.bootstrapServers(),
          TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started));
      return Optional.empty();
    } catch (ExecutionException e) {
      Optional<KafkaRefusal> refusal = KafkaRefusal.of(region, names, e.getCause(), false);
      if (refusal.isEmpty()) {
        notAnswering(names, region, e.getCause());
      }
      return refusal.map(r -> new Failure(r, e.getCause()));
    } catch (TimeoutException e) {
      notAnswering(names, region, e);
      return Optional.empty();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return Optional.empty();
    } finally {
      admin.close(Duration.ofSeconds(5));
    }
  }

  private static void notAnswering(List<String> names, AgentSettings.Region region, Throwable why) {
    LOG.warn(
        "regions {}: Kafka at {} did not answer within {} s ({}); the agent starts and retries — if"
            + " this persists, check bootstrap.servers and security.protocol",
        names,
        region.bootstrapServers(),
        TIMEOUT.toSeconds(),
        why.getClass().getSimpleName());
  }

  /** Whether any of the bootstrap servers accepts a TCP connection. */
  static boolean anyAcceptsConnections(String bootstrapServers) {
    for (String server : bootstrapServers.split(",", -1)) {
      String s = server.trim();
      int colon = s.lastIndexOf(':');
      if (colon <= 0) {
        continue;
      }
      String host = s.substring(0, colon).replace("[", "").replace("]", "");
      int port;
      try {
        port = Integer.parseInt(s.substring(colon + 1));
      } catch (NumberFormatException e) {
        continue;
      }
      try (Socket socket = new Socket()) {
        socket.connect(new InetSocketAddress(host, port), (int) CONNECT_TIMEOUT.toMillis());
        return true;
      } catch (IOException | IllegalArgumentException e) {
        // Not this one: an unresolvable name, a refused or timed-out connection; try the next.
      }
    }
    return false;
  }
}
