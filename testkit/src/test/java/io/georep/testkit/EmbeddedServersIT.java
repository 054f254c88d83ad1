package io.georep.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The test kit's servers, started for real: what they promise and what they leave behind. */
class EmbeddedServersIT {

  @Test
  void regionDatabase_isConfiguredForLogicalReplication_andCleansUp() throws Exception {
    EmbeddedRegionDatabase db = EmbeddedRegionDatabase.start();
    Path data = db.dataDirectory();
    try {
      assertThat(db.jdbcUrl()).startsWith("jdbc:postgresql://127.0.0.1:" + db.port() + "/");
      try (Connection c = db.connect();
          Statement s = c.createStatement();
          ResultSet rs =
              s.executeQuery(
                  "SELECT current_setting('wal_level'), current_setting('track_commit_timestamp'),"
                      + " current_setting('max_replication_slots')::int,"
                      + " current_setting('max_wal_senders')::int,"
                      + " current_setting('synchronous_commit'),"
                      + " current_setting('server_version_num')::int")) {
        rs.next();
        assertThat(rs.getString(1)).isEqualTo("logical");
        assertThat(rs.getString(2)).isEqualTo("on");
        assertThat(rs.getInt(3)).isGreaterThanOrEqualTo(4);
        assertThat(rs.getInt(4)).isGreaterThanOrEqualTo(4);
        assertThat(rs.getString(5)).isEqualTo("on");
        assertThat(rs.getInt(6)).isGreaterThanOrEqualTo(170000);
      }
      db.execute("CREATE TABLE t (id int PRIMARY KEY)", "INSERT INTO t VALUES (1)");
      assertThat(Files.isDirectory(data)).isTrue();
    } finally {
      db.close();
    }
    db.close();
    assertThat(data).doesNotExist();
  }

  @Test
  void regionDatabase_givenDirectory_isKept(@TempDir Path dir) {
    Path data = dir.resolve("pg");
    try (EmbeddedRegionDatabase db =
        EmbeddedRegionDatabase.builder()
            .dataDirectory(data)
            .serverConfig("max_connections", "20")
            .start()) {
      assertThat(db.dataDirectory()).isEqualTo(data);
    }
    assertThat(data.resolve("PG_VERSION")).exists();
  }

  @Test
  void regionDatabase_restartAndCrash_keepPortAndCommittedData() throws Exception {
    try (EmbeddedRegionDatabase db = EmbeddedRegionDatabase.start()) {
      int port = db.port();
      db.execute("CREATE TABLE t (id int PRIMARY KEY, v text)", "INSERT INTO t VALUES (1, NULL)");

      db.restart();
      db.execute("INSERT INTO t VALUES (2, 'b')");
      db.crash();
      assertThatThrownBy(db::connect).isInstanceOf(java.sql.SQLException.class);
      db.startAgain();

      assertThat(db.port()).isEqualTo(port);
      assertThat(db.rows("SELECT id, v FROM t ORDER BY id"))
          .containsExactly("id=1,v=null", "id=2,v=b");
    }
  }

  @Test
  void regionDatabase_stopKeepingData_leavesTheDirectory() {
    EmbeddedRegionDatabase db = EmbeddedRegionDatabase.start();
    Path data = db.stopKeepingData();
    try {
      assertThat(data.resolve("PG_VERSION")).exists();
      db.close();
      assertThat(data).exists();
    } finally {
      Directories.deleteRecursively(data);
    }
  }

  @Test
  void kafka_advertisedListener_sendsClientsThroughTheProxy() throws Exception {
    try (LoopbackProxy proxy = LoopbackProxy.open("r1")) {
      Path directory;
      try (EmbeddedKafka kafka =
          EmbeddedKafka.builder().advertisedListener("r1", proxy.port()).start()) {
        directory = kafka.directory();
        proxy.forwardTo(kafka.listenerPort("R1"));
        Map<String, Object> client = Map.of("bootstrap.servers", proxy.address());

        try (Admin admin = Admin.create(client)) {
          List<Node> nodes = List.copyOf(admin.describeCluster().nodes().get(1, TimeUnit.MINUTES));
          assertThat(nodes).extracting(Node::port).containsExactly(proxy.port());
          admin
              .createTopics(List.of(new NewTopic("t", 1, (short) 1)))
              .all()
              .get(1, TimeUnit.MINUTES);
        }
        try (KafkaProducer<String, String> producer =
            new KafkaProducer<>(client, new StringSerializer(), new StringSerializer())) {
          producer
              .send(new ProducerRecord<>("t", "k", "through the proxy"))
              .get(1, TimeUnit.MINUTES);
        }
        try (KafkaConsumer<String, String> consumer =
            new KafkaConsumer<>(client, new StringDeserializer(), new StringDeserializer())) {
          TopicPartition tp = new TopicPartition("t", 0);
          consumer.assign(List.of(tp));
          consumer.seekToBeginning(List.of(tp));
          ConsumerRecords<String, String> records = ConsumerRecords.empty();
          for (int i = 0; i < 120 && records.isEmpty(); i++) {
            records = consumer.poll(Duration.ofMillis(500));
          }
          assertThat(records.records(tp)).extracting(r -> r.value()).contains("through the proxy");
        }
        assertThat(proxy.connectionsForwarded()).isPositive();
        assertThatThrownBy(() -> kafka.listenerPort("r2"))
            .isInstanceOf(IllegalArgumentException.class)
            .hasMessageContaining("no advertised listener r2");
      }
      assertThat(directory).doesNotExist();
    }
  }

  @Test
  void kafka_listenerNames_areValidated() {
    EmbeddedKafka.Builder b = EmbeddedKafka.builder();

    assertThatThrownBy(() -> b.advertisedListener("eu-west", 1000))
        .hasMessageContaining("listener name 'eu-west' must be a letter");
    assertThatThrownBy(() -> b.advertisedListener("external", 1000))
        .hasMessageContaining("already taken");
    assertThatThrownBy(() -> b.advertisedListener("R1", 0))
        .hasMessageContaining("must be 1 to 65535");
    assertThatThrownBy(() -> b.brokers(0)).hasMessageContaining("brokers must be 1 to 5");
  }
}
