package io.georep.replicator;

import static org.assertj.core.api.Assertions.assertThat;

import io.georep.replicator.internal.transport.TopicProvisioner;
import io.georep.testkit.EmbeddedKafka;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Properties;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.config.ConfigResource;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Topics the agent creates carry their durability settings ({@code min.insync.replicas} = min(2,
 * RF)) instead of the broker's defaults, on a real two-broker cluster whose default replication
 * factor is 2.
 */
class TopicDurabilityIT {
  private static EmbeddedKafka kafka;

  @BeforeAll
  static void startBrokers() throws Exception {
    kafka =
        EmbeddedKafka.builder()
            .brokers(2)
            .brokerProperty("default.replication.factor", "2")
            .start();
  }

  @AfterAll
  static void stopBrokers() {
    if (kafka != null) {
      kafka.close();
    }
  }

  private static AgentSettings.Topics topics(String prefix, int replicationFactor) {
    return new AgentSettings.Topics(prefix, 1, replicationFactor, Duration.ofDays(7), 8 << 20);
  }

  private static Config topicConfig(String topic) throws Exception {
    Properties p = new Properties();
    p.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
    try (Admin admin = Admin.create(p)) {
      ConfigResource resource = new ConfigResource(ConfigResource.Type.TOPIC, topic);
      return admin.describeConfigs(List.of(resource)).all().get().get(resource);
    }
  }

  @Test
  void ensureChanges_brokerDefaultReplicationFactor2_createsWithMinInsync2() throws Exception {
    AgentSettings.Region region = AgentSettings.Region.of("eu-west", kafka.bootstrapServers());
    AgentSettings.Topics topics = topics("durable", -1);
    String topic = topics.changes(region.name());

    TopicProvisioner.Durability durability = TopicProvisioner.ensureChanges(region, topics, topic);

    ConfigEntry minInsync = topicConfig(topic).get("min.insync.replicas");
    assertThat(minInsync.value()).isEqualTo("2");
    assertThat(minInsync.source()).isEqualTo(ConfigEntry.ConfigSource.DYNAMIC_TOPIC_CONFIG);
    assertThat(durability).isEqualTo(new TopicProvisioner.Durability(topic, 2, 2));
    assertThat(durability.warning()).isEmpty();
  }

  @Test
  void ensureControl_replicationFactor1_setsMinInsync1AndWarns() throws Exception {
    AgentSettings.Region region = AgentSettings.Region.of("eu-west", kafka.bootstrapServers());
    AgentSettings.Topics topics = topics("single", 1);

    TopicProvisioner.Durability durability = TopicProvisioner.ensureControl(region, topics);

    ConfigEntry minInsync = topicConfig(topics.control()).get("min.insync.replicas");
    assertThat(minInsync.value()).isEqualTo("1");
    assertThat(minInsync.source()).isEqualTo(ConfigEntry.ConfigSource.DYNAMIC_TOPIC_CONFIG);
    assertThat(durability.replicationFactor()).isEqualTo(1);
    assertThat(durability.warning())
        .hasValueSatisfying(
            w ->
                assertThat(w)
                    .contains("single.control")
                    .contains("replication factor 1")
                    .contains("topics.replication.factor"));
  }

  @Test
  void ensureChanges_existingTopicWithoutMinInsync_isLeftAsIsAndWarned() throws Exception {
    AgentSettings.Region region = AgentSettings.Region.of("eu-west", kafka.bootstrapServers());
    String topic = "legacy.eu-west.changes";
    Properties p = new Properties();
    p.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
    try (Admin admin = Admin.create(p)) {
      admin
          .createTopics(List.of(new NewTopic(topic, Optional.of(1), Optional.of((short) 2))))
          .all()
          .get();
    }

    TopicProvisioner.Durability durability =
        TopicProvisioner.ensureChanges(region, topics("legacy", -1), topic);

    assertThat(durability).isEqualTo(new TopicProvisioner.Durability(topic, 2, 1));
    assertThat(durability.warning())
        .hasValueSatisfying(w -> assertThat(w).contains(topic).contains("min.insync.replicas=2"));
  }
}
