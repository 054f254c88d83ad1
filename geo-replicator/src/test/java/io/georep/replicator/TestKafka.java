package io.georep.replicator;

import java.util.Map;
import org.apache.kafka.common.test.KafkaClusterTestKit;
import org.apache.kafka.common.test.TestKitNodes;

/**
 * A real in-process Kafka broker for integration tests: one combined KRaft node (broker and
 * controller) on loopback with free ports, from {@code kafka-test-common-runtime}; {@link #close()}
 * stops it and deletes its directories.
 */
final class TestKafka implements AutoCloseable {
  private final KafkaClusterTestKit cluster;

  private TestKafka(KafkaClusterTestKit cluster) {
    this.cluster = cluster;
  }

  static TestKafka start() throws Exception {
    return start(1, Map.of());
  }

  /**
   * Starts a cluster of several brokers (the first also the controller).
   *
   * @param brokers how many brokers
   * @param brokerConfig more broker settings, e.g. {@code default.replication.factor}
   */
  static TestKafka start(int brokers, Map<String, String> brokerConfig) throws Exception {
    TestKitNodes nodes =
        new TestKitNodes.Builder()
            .setCombined(true)
            .setNumBrokerNodes(brokers)
            .setNumControllerNodes(1)
            .build();
    KafkaClusterTestKit.Builder builder =
        new KafkaClusterTestKit.Builder(nodes)
            .setConfigProp("offsets.topic.replication.factor", "1")
            .setConfigProp("transaction.state.log.replication.factor", "1")
            .setConfigProp("transaction.state.log.min.isr", "1")
            .setConfigProp("group.initial.rebalance.delay.ms", "0")
            .setConfigProp("auto.create.topics.enable", "false")
            .setConfigProp("message.max.bytes", String.valueOf(16 << 20));
    brokerConfig.forEach(builder::setConfigProp);
    KafkaClusterTestKit cluster = builder.build();
    cluster.format();
    cluster.startup();
    cluster.waitForReadyBrokers();
    return new TestKafka(cluster);
  }

  String bootstrapServers() {
    return cluster.bootstrapServers();
  }

  @Override
  public void close() {
    try {
      cluster.close();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (Exception e) {
      throw new IllegalStateException("cannot stop the test broker", e);
    }
  }
}
