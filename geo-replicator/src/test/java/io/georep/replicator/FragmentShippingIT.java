package io.georep.replicator;

import static org.assertj.core.api.Assertions.assertThat;

import io.georep.replicator.internal.transport.StreamRecords;
import io.georep.testkit.Await;
import io.georep.testkit.EmbeddedKafka;
import io.georep.testkit.EmbeddedRegionDatabase;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
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

  private EmbeddedKafka kafka;
  private Topology topology;

  /** The spill files in the temporary directory before the test (other runs may leave some). */
  private Set<Path> spillsBefore;

  /** The fragments' spill files ({@code FragmentSpill}) now in the temporary directory. */
  private static Set<Path> spills() throws IOException {
    try (Stream<Path> files = Files.list(Path.of(System.getProperty("java.io.tmpdir")))) {
      return files
          .filter(f -> f.getFileName().toString().startsWith("georep-spill-"))
          .collect(Collectors.toSet());
    }
  }

  /** Every spill file a transaction in parts used is deleted once it is applied or folded. */
  private void assertSpillsDeleted() throws IOException {
    Set<Path> left = new HashSet<>(spills());
    left.removeAll(spillsBefore);
    assertThat(left).as("spill files left behind").isEmpty();
  }

  @BeforeEach
  void start() throws Exception {
    spillsBefore = spills();
    kafka = EmbeddedKafka.start();
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
    EmbeddedRegionDatabase eu = topology.db("eu-west");
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
    assertSpillsDeleted();
  }

  @Test
  void brokenOffRunOfFragments_isDropped_andTheTransactionAppliedOnce() throws Exception {
    topology.stopAgent("us-east");
    EmbeddedRegionDatabase eu = topology.db("eu-west");
    eu.execute("INSERT INTO counters (id, n) SELECT g, 1 FROM generate_series(1, 20000) g");
    eu.execute("UPDATE counters SET n = n + 1");
    Await.until(
        "sa-east applies both transactions",
        Duration.ofMinutes(2),
        () ->
            topology
                .db("sa-east")
                .rows("SELECT sum(n) AS s FROM counters")
                .equals(List.of("s=40000")));

    // The stream as an origin restart leaves it: the update's first fragments again (a run that
    // breaks off), then its whole run again from fragment 0.
    String topic = "georep.eu-west.changes";
    List<ConsumerRecord<byte[], byte[]>> records = records(topic);
    long updateSeq = 0;
    for (ConsumerRecord<byte[], byte[]> r : records) {
      if (StreamRecords.header(r.headers(), StreamRecords.FRAGMENT) != null) {
        updateSeq =
            Math.max(
                updateSeq,
                Long.parseLong(StreamRecords.header(r.headers(), StreamRecords.FIRST_SEQ)));
      }
    }
    List<ConsumerRecord<byte[], byte[]>> run = new ArrayList<>();
    for (ConsumerRecord<byte[], byte[]> r : records) {
      String seq = StreamRecords.header(r.headers(), StreamRecords.FIRST_SEQ);
      if (StreamRecords.header(r.headers(), StreamRecords.FRAGMENT) != null
          && Long.parseLong(seq) == updateSeq) {
        run.add(r);
      }
    }
    assertThat(run).hasSizeGreaterThan(4);
    int brokenOff = run.size() / 2;
    try (KafkaProducer<byte[], byte[]> producer =
        new KafkaProducer<>(
            Map.of("bootstrap.servers", kafka.bootstrapServers()),
            new ByteArraySerializer(),
            new ByteArraySerializer())) {
      for (ConsumerRecord<byte[], byte[]> r : run.subList(0, brokenOff)) {
        producer.send(new ProducerRecord<>(topic, 0, (byte[]) null, r.value(), r.headers())).get();
      }
      for (ConsumerRecord<byte[], byte[]> r : run) {
        producer.send(new ProducerRecord<>(topic, 0, (byte[]) null, r.value(), r.headers())).get();
      }
    }

    topology.startAgent("us-east");
    topology.awaitReady(Duration.ofMinutes(1));
    eu.execute("INSERT INTO counters (id, n) VALUES (0, 7)");
    topology.awaitQuiescence(Duration.ofMinutes(3));
    topology.assertConverged();
    for (String region : Topology.REGIONS) {
      // Applied once: a second apply of the update would make every n 3.
      assertThat(topology.db(region).rows("SELECT count(*) AS c, sum(n) AS s FROM counters"))
          .as(region)
          .containsExactly("c=20001,s=40007");
    }
    for (String region : List.of("us-east", "sa-east")) {
      assertThat(topology.agent(region).scrapeMetrics())
          .as(region)
          .contains(
              "georep_fragments_dropped_total{origin=\"eu-west\",region=\""
                  + region
                  + "\"} "
                  + brokenOff
                  + ".0");
    }
    assertSpillsDeleted();
  }

  private List<ConsumerRecord<byte[], byte[]>> records(String topic) {
    Properties p = new Properties();
    p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
    p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
    p.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
    List<ConsumerRecord<byte[], byte[]>> out = new ArrayList<>();
    try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(p)) {
      TopicPartition tp = new TopicPartition(topic, 0);
      c.assign(List.of(tp));
      c.seekToBeginning(List.of(tp));
      long end = c.endOffsets(List.of(tp)).get(tp);
      while (c.position(tp) < end) {
        for (ConsumerRecord<byte[], byte[]> r : c.poll(Duration.ofMillis(500))) {
          out.add(r);
        }
      }
    }
    return out;
  }

  /** Counts the fragment records per transaction seq in a changes topic. */
  private Map<Long, Integer> fragmentRecords(String topic) {
    Map<Long, Integer> out = new HashMap<>();
    for (ConsumerRecord<byte[], byte[]> r : records(topic)) {
      assertThat(r.serializedValueSize()).isLessThanOrEqualTo(MAX_MESSAGE_BYTES);
      if (StreamRecords.header(r.headers(), StreamRecords.FRAGMENT) != null) {
        long seq = Long.parseLong(StreamRecords.header(r.headers(), StreamRecords.FIRST_SEQ));
        out.merge(seq, 1, Integer::sum);
      }
    }
    return out;
  }
}
