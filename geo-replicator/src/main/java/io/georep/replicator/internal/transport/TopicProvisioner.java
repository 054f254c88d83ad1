package io.georep.replicator.internal.transport;

import io.georep.replicator.AgentSettings;
import io.georep.replicator.internal.UnclassifiedFailure;
import io.georep.vectorclock.RetriableGeorepException;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.errors.AuthorizationException;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Creates the agent's topics when missing: one single-partition changes topic per origin ({@code
 * <prefix>.<origin>.changes}, {@code cleanup.policy=delete} with the configured retention, the
 * Kafka buffer that covers a region's outage) and the control topic ({@code <prefix>.control},
 * short retention). Existing topics are left as they are.
 *
 * <p>Durability is never left to broker defaults: a created topic gets {@code min.insync.replicas}
 * = min(2, replication factor), so the producer's {@code acks=all} means two copies wherever there
 * are two (with the broker default of 1, {@code acks=all} is satisfied by the leader alone while
 * the followers lag, and a leader loss then loses acknowledged transactions). The replication
 * factor is {@code topics.replication.factor}, or the broker's {@code default.replication.factor}
 * when that is -1, read before creating so that both settings are part of the one creation request
 * (a topic is never seen half-configured). A topic, created or found, with a single replica, or
 * with fewer in-sync replicas required than min(2, RF), is reported with a WARN line and returned
 * as a warning for the status: it keeps working, since one broker is a valid development setup.
 */
public final class TopicProvisioner {
  private static final Logger LOG = LoggerFactory.getLogger(TopicProvisioner.class);
  private static final String MIN_INSYNC = "min.insync.replicas";
  private static final String DEFAULT_RF = "default.replication.factor";

  private TopicProvisioner() {}

  /**
   * How durable a topic is, as the cluster reports it.
   *
   * @param topic the topic
   * @param replicationFactor its replicas per partition, or -1 if the agent may not read it
   * @param minInsyncReplicas its {@code min.insync.replicas}, or -1 if the agent may not read it
   */
  public record Durability(String topic, int replicationFactor, int minInsyncReplicas) {
    /**
     * Returns the operator-facing warning if the topic is less durable than the agent creates
     * topics, or empty.
     *
     * @return one line naming the topic, the risk and the fix
     */
    public Optional<String> warning() {
      if (replicationFactor < 0 || minInsyncReplicas < 0) {
        return Optional.of(
            "cannot check the durability of topic "
                + topic
                + ": the agent's Kafka user may not describe it or the cluster's configuration"
                + " (grant it DescribeConfigs) — check its replication factor and"
                + " min.insync.replicas yourself");
      }
      if (replicationFactor == 1) {
        return Optional.of(
            "topic "
                + topic
                + " has replication factor 1: losing its broker loses acknowledged transactions"
                + " — set topics.replication.factor (3 recommended) and reassign the topic's"
                + " replicas (kafka-reassign-partitions)");
      }
      if (minInsyncReplicas < Math.min(2, replicationFactor)) {
        return Optional.of(
            "topic "
                + topic
                + " has min.insync.replicas="
                + minInsyncReplicas
                + " with "
                + replicationFactor
                + " replicas: acks=all may mean one copy — set it with kafka-configs --alter"
                + " --entity-type topics --entity-name "
                + topic
                + " --add-config min.insync.replicas=2");
      }
      return Optional.empty();
    }
  }

  /**
   * Creates a changes topic if missing.
   *
   * @param region the cluster
   * @param topics the settings
   * @param topic the topic
   * @return the topic's durability
   * @throws RetriableGeorepException if the cluster cannot be reached
   */
  public static Durability ensureChanges(
      AgentSettings.Region region, AgentSettings.Topics topics, String topic) {
    long retention = topics.retention().isZero() ? -1 : topics.retention().toMillis();
    return ensure(
        region,
        topics,
        topic,
        Map.of(
            "cleanup.policy",
            "delete",
            "retention.ms",
            String.valueOf(retention),
            "retention.bytes",
            "-1",
            "max.message.bytes",
            String.valueOf(topics.maxMessageBytes())));
  }

  /**
   * Creates the control topic if missing.
   *
   * @param region the cluster
   * @param topics the settings
   * @return the topic's durability
   * @throws RetriableGeorepException if the cluster cannot be reached
   */
  public static Durability ensureControl(AgentSettings.Region region, AgentSettings.Topics topics) {
    return ensure(
        region,
        topics,
        topics.control(),
        Map.of("cleanup.policy", "delete", "retention.ms", String.valueOf(3_600_000L)));
  }

  private static Durability ensure(
      AgentSettings.Region region,
      AgentSettings.Topics topics,
      String topic,
      Map<String, String> config) {
    Admin client;
    try {
      client = KafkaClients.admin(region, "georep-admin");
    } catch (KafkaException e) {
      // The constructor connects nowhere: this is the configuration (a keystore that cannot be
      // read, an unknown SASL mechanism), not the network, so it is not retried as transient.
      throw new UnclassifiedFailure(
          "cannot create a Kafka client for regions["
              + region.name()
              + "].kafka (check its TLS and SASL settings)",
          e.getCause() == null ? e : e.getCause());
    }
    try (Admin admin = client) {
      if (!admin.listTopics().names().get().contains(topic)) {
        Optional<Short> rf = replicationFactor(admin, topics);
        Map<String, String> withDurability = new HashMap<>(config);
        // Unknown RF (no right to read the broker's default): leave min.insync.replicas to the
        // broker rather than risk 2 on a single replica, which would refuse every write.
        rf.ifPresent(r -> withDurability.put(MIN_INSYNC, String.valueOf(Math.min(2, r))));
        NewTopic t =
            new NewTopic(topic, Optional.of(topics.partitions()), rf).configs(withDurability);
        try {
          admin.createTopics(List.of(t)).all().get();
        } catch (ExecutionException e) {
          if (!(e.getCause() instanceof TopicExistsException)) {
            throw e;
          }
        }
      }
      Durability durability = describe(admin, topic);
      durability.warning().ifPresent(LOG::warn);
      return durability;
    } catch (ExecutionException | RuntimeException e) {
      throw new RetriableGeorepException(
          "cannot create topic "
              + topic
              + " on "
              + region.bootstrapServers()
              + ": "
              + (e.getCause() == null ? e : e.getCause())
              + "; retrying (check regions["
              + region.name()
              + "].kafka and that the user may create topics, or create it yourself)",
          e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new RetriableGeorepException("interrupted creating topic " + topic, e);
    }
  }

  /**
   * The configured replication factor, or the broker's default when it is -1; empty if the agent
   * may not read the broker's configuration.
   */
  private static Optional<Short> replicationFactor(Admin admin, AgentSettings.Topics topics)
      throws ExecutionException, InterruptedException {
    if (topics.replicationFactor() > 0) {
      return Optional.of((short) topics.replicationFactor());
    }
    Node node = admin.describeCluster().nodes().get().iterator().next();
    ConfigResource broker = new ConfigResource(ConfigResource.Type.BROKER, node.idString());
    try {
      ConfigEntry entry =
          admin.describeConfigs(List.of(broker)).all().get().get(broker).get(DEFAULT_RF);
      return entry == null || entry.value() == null
          ? Optional.empty()
          : Optional.of(Short.valueOf(entry.value()));
    } catch (ExecutionException e) {
      if (e.getCause() instanceof AuthorizationException) {
        return Optional.empty();
      }
      throw e;
    }
  }

  private static Durability describe(Admin admin, String topic)
      throws ExecutionException, InterruptedException {
    // A topic just created may be unknown to the broker answering for a moment (its metadata has
    // not propagated): ask again briefly, and if it stays unknown report the durability as
    // unchecked rather than fail the start of the stream.
    for (int attempt = 1; ; attempt++) {
      try {
        return describeOnce(admin, topic);
      } catch (ExecutionException e) {
        if (!(e.getCause() instanceof UnknownTopicOrPartitionException)) {
          throw e;
        }
        if (attempt == 20) {
          return new Durability(topic, -1, -1);
        }
        Thread.sleep(100);
      }
    }
  }

  private static Durability describeOnce(Admin admin, String topic)
      throws ExecutionException, InterruptedException {
    try {
      TopicDescription description =
          admin.describeTopics(List.of(topic)).allTopicNames().get().get(topic);
      int replicas =
          description.partitions().stream().mapToInt(p -> p.replicas().size()).min().orElse(-1);
      ConfigResource resource = new ConfigResource(ConfigResource.Type.TOPIC, topic);
      ConfigEntry entry =
          admin.describeConfigs(List.of(resource)).all().get().get(resource).get(MIN_INSYNC);
      int minInsync = entry == null || entry.value() == null ? -1 : Integer.parseInt(entry.value());
      return new Durability(topic, replicas, minInsync);
    } catch (ExecutionException e) {
      if (e.getCause() instanceof AuthorizationException) {
        return new Durability(topic, -1, -1);
      }
      throw e;
    }
  }
}
