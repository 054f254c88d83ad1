package io.georep.replicator;

import static org.assertj.core.api.Assertions.assertThat;

import io.georep.replicator.internal.transport.StreamRecords;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Transactions far larger than one Kafka record replicate: with {@code topics.max.message.bytes} at
 * its minimum (64 KiB), a transaction of 30,000 inserts (which the capture hands on in fragments of
 * 10,000), one {@code UPDATE} of all of those rows, and a transaction of 3,000 rows with 2 KB
 * values (handed on whole, too heavy for one record) each cross the stream as many fragment records
 * and are applied whole in the other regions. Before fragments, each stopped shipping for good
 * ("encodes to … bytes, more than topics.max.message.bytes"). The writing agent is also stopped
 * while it ships a large transaction and started again: the stream then holds an incomplete run of
 * fragments followed by the whole transaction again, and receivers apply it once.
 */
class FragmentShippingIT {
  private static final int MAX_MESSAGE_BYTES = 64 << 10;

  private TestKafka kafka;
  private Topology topology;

  @BeforeEach
  void start() throws Exception {
    kafka = TestKafka.start();
    topology =
        Topology.start(
            region -> kafka.bootstrapServers(),
            s ->
                s.withTopics(
                    new AgentSettings.Topics(
                        "georep", 1, 1, Duration.ofDays(1), MAX_MESSAGE_BYTES)));
  }

  @AfterEach
  void stop() throws Exception {
    Topology.closeAll(topology, kafka);
  }

  @Test
  void transactionsLargerThanARecord_shipInFragments_andApplyWhole() throws Exception {
    RegionDatabase eu = topology.db("eu-west");
    eu.execute(
        "INSERT INTO items (id, name, qty, tags) SELECT g, 'row-' || g, g, '{a}'"
            + " FROM generate_series(1, 30000) g");
    eu.execute("UPDATE items SET qty = qty + 1, tags = tags || '{b}'::text[]");
    eu.execute(
        "INSERT INTO accounts (id, email, note) SELECT g, 'a' || g || '@example.com',"
            + " repeat(md5(g::text), 64) FROM generate_series(1, 3000) g");
    topology.awaitQuiescence(Duration.ofMinutes(3));
    topology.assertConverged();
    for (String region : Topology.REGIONS) {
      assertThat(
              topology
                  .db(region)
                  .rows(
                      "SELECT count(*) AS n, sum(qty) AS q, count(*) FILTER (WHERE"
                          + " 'b' = ANY (tags)) AS b FROM items"))
          .as(region)
          .containsExactly("n=30000,q=450045000,b=30000");
      assertThat(topology.db(region).rows("SELECT count(*) AS n FROM accounts"))
          .as(region)
          .containsExactly("n=3000");
    }
    Map<Long, Integer> fragments = fragmentRecords("georep.eu-west.changes");
    // Three large transactions (the inserts, the update, the accounts), each in many records.
    assertThat(fragments).hasSizeGreaterThanOrEqualTo(3);
    assertThat(fragments.values()).allSatisfy(n -> assertThat(n).isGreaterThan(10));

    // Stopped while shipping a large transaction: the restart ships it again from fragment 0.
    eu.execute(
        "INSERT INTO items (id, name, qty, tags) SELECT g, 'late-' || g, 1, '{c}'"
            + " FROM generate_series(100001, 140000) g");
    topology.stopAgent("eu-west");
    topology.startAgent("eu-west");
    topology.awaitReady(Duration.ofMinutes(1));
    topology.awaitQuiescence(Duration.ofMinutes(3));
    topology.assertConverged();
    for (String region : Topology.REGIONS) {
      assertThat(topology.db(region).rows("SELECT count(*) AS n, sum(qty) AS q FROM items"))
          .as(region)
          .containsExactly("n=70000,q=450085000");
    }
  }

  /** Counts the fragment records per transaction seq in a changes topic. */
  private Map<Long, Integer> fragmentRecords(String topic) {
    Properties p = new Properties();
    p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
    p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
    p.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
    Map<Long, Integer> out = new HashMap<>();
    try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(p)) {
      TopicPartition tp = new TopicPartition(topic, 0);
      c.assign(List.of(tp));
      c.seekToBeginning(List.of(tp));
      long end = c.endOffsets(List.of(tp)).get(tp);
      while (c.position(tp) < end) {
        for (ConsumerRecord<byte[], byte[]> r : c.poll(Duration.ofMillis(500))) {
          assertThat(r.serializedValueSize()).isLessThanOrEqualTo(MAX_MESSAGE_BYTES);
          if (StreamRecords.header(r.headers(), StreamRecords.FRAGMENT) != null) {
            long seq = Long.parseLong(StreamRecords.header(r.headers(), StreamRecords.FIRST_SEQ));
            out.merge(seq, 1, Integer::sum);
          }
        }
      }
    }
    return out;
  }
}
