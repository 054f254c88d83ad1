package io.georep.replicator.internal.transport;

import io.georep.replicator.AgentSettings;
import io.georep.replicator.internal.UnclassifiedFailure;
import io.georep.vectorclock.RetriableGeorepException;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.errors.TopicExistsException;

/**
 * Creates the agent's topics when missing: one single-partition changes topic per origin ({@code
 * <prefix>.<origin>.changes}, {@code cleanup.policy=delete} with the configured retention, the
 * Kafka buffer that covers a region's outage) and the control topic ({@code <prefix>.control},
 * short retention). Existing topics are left as they are.
 */
public final class TopicProvisioner {
  private TopicProvisioner() {}

  /**
   * Creates a changes topic if missing.
   *
   * @param region the cluster
   * @param topics the settings
   * @param topic the topic
   * @throws RetriableGeorepException if the cluster cannot be reached
   */
  public static void ensureChanges(
      AgentSettings.Region region, AgentSettings.Topics topics, String topic) {
    long retention = topics.retention().isZero() ? -1 : topics.retention().toMillis();
    ensure(
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
   * @throws RetriableGeorepException if the cluster cannot be reached
   */
  public static void ensureControl(AgentSettings.Region region, AgentSettings.Topics topics) {
    ensure(
        region,
        topics,
        topics.control(),
        Map.of("cleanup.policy", "delete", "retention.ms", String.valueOf(3_600_000L)));
  }

  private static void ensure(
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
      if (admin.listTopics().names().get().contains(topic)) {
        return;
      }
      Optional<Short> rf =
          topics.replicationFactor() < 0
              ? Optional.empty()
              : Optional.of((short) topics.replicationFactor());
      NewTopic t = new NewTopic(topic, Optional.of(topics.partitions()), rf).configs(config);
      try {
        admin.createTopics(List.of(t)).all().get();
      } catch (ExecutionException e) {
        if (!(e.getCause() instanceof TopicExistsException)) {
          throw e;
        }
      }
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
}
