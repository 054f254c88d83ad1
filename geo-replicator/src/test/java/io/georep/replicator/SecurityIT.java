package io.georep.replicator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.georep.connector.RowChange;
import io.georep.connector.SourceTransaction;
import io.georep.replicator.codec.BatchCodec;
import io.georep.replicator.codec.WireBatch;
import io.georep.replicator.internal.transport.RecordSigner;
import io.georep.testkit.Await;
import io.georep.testkit.Directories;
import io.georep.testkit.EmbeddedKafka;
import io.georep.testkit.TestCertificates;
import io.georep.vectorclock.HybridTimestamp;
import io.georep.vectorclock.ReplicaId;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * Signed records and the guarded HTTP port, on three regions whose agents sign with a shared key
 * ({@code signing.*}) and serve HTTPS behind a token ({@code http.token}, {@code http.tls.*}):
 *
 * <ol>
 *   <li>key rotation: a region restarted to sign with the second key keeps replicating;
 *   <li>a record forged with a wrong key (a valid frame: a far-future delete of a replicated row)
 *       halts only its origin, in every region, with the alert naming topic, partition and offset;
 *       nothing of it is applied;
 *   <li>the HTTP API refuses a request without the token and serves it with one, over TLS;
 *   <li>no secret of the test's configuration appears in what the agents logged, their status or
 *       their settings' text, across these scenarios.
 * </ol>
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class SecurityIT {
  private static final String KEY_ONE = "key-one-Secret-0123456789abcdefghij";
  private static final String KEY_TWO = "key-two-Secret-klmnopqrstuvwxyz9876";
  private static final String WRONG_KEY = "wrong-Secret-0000000000000000000000";
  private static final String TOKEN = "http-token-Secret-4711-abcdef";
  private static final String STORE_PASSWORD = "store-Secret-0815";
  private static final List<String> SECRETS =
      List.of(KEY_ONE, KEY_TWO, WRONG_KEY, TOKEN, STORE_PASSWORD);

  private final Map<String, AgentSettings.Signing> signing = new ConcurrentHashMap<>();
  private OutputCapture logged;
  private Path dir;
  private Path caPem;
  private SSLContext trusting;
  private EmbeddedKafka kafka;
  private Topology topology;

  @BeforeAll
  void start() throws Exception {
    // Everything the agents log (slf4j-simple writes to System.err) is kept for the last test.
    logged = OutputCapture.start();

    dir = Files.createTempDirectory("georep-security");
    TestCertificates.Authority ca = TestCertificates.authority("georep-test-ca");
    caPem = ca.writeCertificatePem(dir.resolve("ca.pem"));
    Path store =
        ca.issue("agent", "localhost", "127.0.0.1")
            .writePkcs12(dir.resolve("agent.p12"), STORE_PASSWORD);
    trusting = trusting(ca.writeTrustStore(dir.resolve("trust.p12"), "trust"));

    for (String r : Topology.REGIONS) {
      signing.put(r, new AgentSettings.Signing("k1", KEY_ONE, "k2", KEY_TWO));
    }
    kafka = EmbeddedKafka.start();
    topology =
        Topology.start(
            region -> kafka.bootstrapServers(),
            s ->
                s.withSigning(signing.get(s.region().name()))
                    .withHttp(
                        new AgentSettings.Http(
                            true, "127.0.0.1", 0, TOKEN, store.toString(), STORE_PASSWORD)));
  }

  @AfterAll
  void stop() throws Exception {
    try {
      Topology.closeAll(topology, kafka);
    } finally {
      logged.close();
      Directories.deleteRecursively(dir);
    }
  }

  @Test
  @Order(1)
  void rotation_aRegionSigningWithTheSecondKey_keepsReplicating() throws Exception {
    topology.db("us-east").execute("INSERT INTO parents (id, name) VALUES (1, 'signed k1')");
    awaitRow("eu-west", "SELECT name FROM parents WHERE id = 1", "name=signed k1");

    // The rotation's middle step: us-east signs with k2 while the others still sign with k1;
    // every region holds both.
    topology.stopAgent("us-east");
    signing.put("us-east", new AgentSettings.Signing("k2", KEY_TWO, "k1", KEY_ONE));
    topology.startAgent("us-east");
    topology.db("us-east").execute("INSERT INTO parents (id, name) VALUES (2, 'signed k2')");
    topology.db("eu-west").execute("INSERT INTO parents (id, name) VALUES (3, 'to k2 signer')");
    awaitRow("eu-west", "SELECT name FROM parents WHERE id = 2", "name=signed k2");
    awaitRow("sa-east", "SELECT name FROM parents WHERE id = 2", "name=signed k2");
    awaitRow("us-east", "SELECT name FROM parents WHERE id = 3", "name=to k2 signer");
    assertThat(lastRecordKeyId("us-east")).isEqualTo("k2");
    for (String region : Topology.REGIONS) {
      assertThat(topology.agent(region).status().origins().values())
          .allSatisfy(o -> assertThat(o.halt()).isEmpty());
    }
  }

  @Test
  @Order(2)
  void forgedRecord_haltsOnlyItsOrigin_andNothingOfItIsApplied() throws Exception {
    topology.db("us-east").execute("INSERT INTO parents (id, name) VALUES (10, 'keep me')");
    for (String region : List.of("eu-west", "sa-east")) {
      awaitRow(region, "SELECT name FROM parents WHERE id = 10", "name=keep me");
    }
    long offset = writeForgedDelete("us-east", 10);
    topology.db("us-east").execute("INSERT INTO parents (id, name) VALUES (11, 'after forgery')");
    topology.db("sa-east").execute("INSERT INTO parents (id, name) VALUES (12, 'from sa-east')");

    String expected = "topic georep.us-east.changes partition 0 offset " + offset;
    for (String region : List.of("eu-west", "sa-east")) {
      Agent agent = topology.agent(region);
      Await.until(
          region + " halts us-east",
          Duration.ofMinutes(1),
          () -> agent.status().origins().get("us-east").halt().isPresent());
      assertThat(agent.status().origins().get("us-east").halt().get())
          .contains("poison record in " + expected)
          .contains("signature (key 'k1') does not match");
      HttpResponse<String> health = get(agent, "/health", TOKEN);
      assertThat(health.statusCode()).isEqualTo(503);
      assertThat(health.body()).contains(expected);
      assertThat(get(agent, "/metrics", TOKEN).body())
          .contains(
              "georep_records_rejected_total{origin=\"us-east\",region=\"" + region + "\"} 1.0");
    }
    // The other origin flows; nothing of the forged record, nor after it, is applied.
    awaitRow("eu-west", "SELECT name FROM parents WHERE id = 12", "name=from sa-east");
    for (String region : List.of("eu-west", "sa-east")) {
      assertThat(topology.db(region).rows("SELECT name FROM parents WHERE id = 10"))
          .containsExactly("name=keep me");
      assertThat(topology.db(region).rows("SELECT name FROM parents WHERE id = 11")).isEmpty();
    }
  }

  @Test
  @Order(3)
  void http_refusesARequestWithoutTheToken_andServesItWithOne_overTls() throws Exception {
    Agent agent = topology.agent("eu-west");
    HttpResponse<String> refused = get(agent, "/api/status", null);
    assertThat(refused.statusCode()).isEqualTo(401);
    assertThat(refused.headers().allValues("WWW-Authenticate"))
        .anySatisfy(v -> assertThat(v).startsWith("Bearer"));
    assertThat(refused.body()).doesNotContain("eu-west");
    assertThat(get(agent, "/api/status", "wrong-token-0000000000").statusCode()).isEqualTo(401);

    HttpResponse<String> served = get(agent, "/api/status", TOKEN);
    assertThat(served.statusCode()).isEqualTo(200);
    assertThat(served.body()).contains("\"region\" : \"eu-west\"");
    String basic =
        "Basic "
            + Base64.getEncoder()
                .encodeToString(("anyone:" + TOKEN).getBytes(StandardCharsets.UTF_8));
    assertThat(send(agent, "/ui/", "Authorization", basic).statusCode()).isEqualTo(200);
    for (String path : List.of("/metrics", "/health", "/api/conflicts", "/ui/", "/nope")) {
      assertThat(get(agent, path, null).statusCode()).as(path).isEqualTo(401);
    }
    // Liveness answers without the token (a probe has none), still over TLS.
    assertThat(get(agent, "/health/live", null).statusCode()).isEqualTo(200);
    // Plain HTTP to the TLS port gets no answer.
    assertThatThrownBy(
            () ->
                HttpClient.newHttpClient()
                    .send(
                        HttpRequest.newBuilder(
                                URI.create("http://127.0.0.1:" + agent.httpPort() + "/health/live"))
                            .timeout(Duration.ofSeconds(10))
                            .build(),
                        HttpResponse.BodyHandlers.ofString()))
        .isInstanceOf(IOException.class);
    // A client that does not trust the agent's certificate authority is refused by TLS.
    assertThatThrownBy(
            () ->
                HttpClient.newHttpClient()
                    .send(
                        HttpRequest.newBuilder(
                                URI.create(
                                    "https://127.0.0.1:" + agent.httpPort() + "/health/live"))
                            .timeout(Duration.ofSeconds(10))
                            .build(),
                        HttpResponse.BodyHandlers.ofString()))
        .isInstanceOf(IOException.class);
    assertThat(caPem).exists();
  }

  @Test
  @Order(4)
  void probesAreAnswered_whileClientsStallMidRequest() throws Exception {
    Agent agent = topology.agent("eu-west");
    List<java.net.Socket> stalled = new ArrayList<>();
    try {
      // Each sends the first byte of a TLS handshake and nothing more: the JDK server reads a
      // request on a thread of its pool, so each holds one until the request times out (10 s).
      for (int i = 0; i < 16; i++) {
        java.net.Socket socket =
            new java.net.Socket(java.net.InetAddress.getLoopbackAddress(), agent.httpPort());
        socket.getOutputStream().write(0x16);
        socket.getOutputStream().flush();
        stalled.add(socket);
      }
      Thread.sleep(500);
      // A probe's own timeout, below the 10 s the stalled requests may hold their threads.
      HttpResponse<String> live =
          HttpClient.newBuilder()
              .sslContext(trusting)
              .build()
              .send(
                  HttpRequest.newBuilder(
                          URI.create("https://127.0.0.1:" + agent.httpPort() + "/health/live"))
                      .timeout(Duration.ofSeconds(8))
                      .build(),
                  HttpResponse.BodyHandlers.ofString());
      assertThat(live.statusCode()).isEqualTo(200);
      assertThat(get(agent, "/api/status", TOKEN).statusCode()).isEqualTo(200);
    } finally {
      for (java.net.Socket socket : stalled) {
        socket.close();
      }
    }
  }

  @Test
  @Order(5)
  void noSecretAppears_inLogs_statusOrSettings() throws Exception {
    List<String> shown = new ArrayList<>();
    shown.add(logged.text());
    for (String region : Topology.REGIONS) {
      Agent agent = topology.agent(region);
      shown.add(agent.settings().toString());
      shown.add(get(agent, "/api/status", TOKEN).body());
      shown.add(get(agent, "/health", TOKEN).body());
      shown.add(get(agent, "/metrics", TOKEN).body());
    }
    assertThat(shown.get(0))
        .as("the agents' log of these scenarios")
        .contains("poison record in topic georep.us-east.changes");
    for (String text : shown) {
      for (String secret : SECRETS) {
        assertThat(text).doesNotContain(secret);
      }
    }
  }

  /** Writes a valid frame deleting a row of {@code origin}, signed as k1 with a wrong key. */
  private long writeForgedDelete(String origin, int id) throws Exception {
    SourceTransaction insert = null;
    try (KafkaConsumer<byte[], byte[]> c = consumer()) {
      TopicPartition tp = new TopicPartition("georep." + origin + ".changes", 0);
      c.assign(List.of(tp));
      c.seekToBeginning(List.of(tp));
      long end = c.endOffsets(List.of(tp)).get(tp);
      BatchCodec codec = BatchCodec.create();
      while (c.position(tp) < end) {
        for (ConsumerRecord<byte[], byte[]> r : c.poll(Duration.ofMillis(500))) {
          for (SourceTransaction tx : codec.decode(r.value()).transactions()) {
            for (RowChange change : tx.changes()) {
              if (change instanceof RowChange.Insert i
                  && i.table().id().toString().contains("parents")
                  && String.valueOf(i.values().get("id")).contains(String.valueOf(id))) {
                insert = tx;
              }
            }
          }
        }
      }
    }
    assertThat(insert).as("the insert of parents row %s in %s's stream", id, origin).isNotNull();
    RowChange.Insert row = (RowChange.Insert) insert.changes().get(0);
    SourceTransaction forged =
        new SourceTransaction(
            insert.origin(),
            insert.seq() + 1,
            new HybridTimestamp(
                System.currentTimeMillis() + Duration.ofDays(365).toMillis(),
                0,
                ReplicaId.of(origin)),
            insert.causalContext(),
            insert.horizon(),
            List.of(new RowChange.Delete(row.table(), row.key())));
    byte[] frame = BatchCodec.create().encode(WireBatch.of(forged));
    RecordSigner wrong = RecordSigner.of(new AgentSettings.Signing("k1", WRONG_KEY, null, null));
    try (KafkaProducer<byte[], byte[]> producer =
        new KafkaProducer<>(
            Map.of("bootstrap.servers", kafka.bootstrapServers()),
            new ByteArraySerializer(),
            new ByteArraySerializer())) {
      return producer
          .send(
              new ProducerRecord<>(
                  "georep." + origin + ".changes", 0, (byte[]) null, frame, wrong.sign(frame)))
          .get()
          .offset();
    }
  }

  private String lastRecordKeyId(String origin) {
    try (KafkaConsumer<byte[], byte[]> c = consumer()) {
      TopicPartition tp = new TopicPartition("georep." + origin + ".changes", 0);
      c.assign(List.of(tp));
      long end = c.endOffsets(List.of(tp)).get(tp);
      c.seek(tp, end - 1);
      for (int i = 0; i < 20; i++) {
        for (ConsumerRecord<byte[], byte[]> r : c.poll(Duration.ofMillis(500))) {
          return new String(
              r.headers().lastHeader(RecordSigner.KEY).value(), StandardCharsets.UTF_8);
        }
      }
    }
    throw new AssertionError("no record in " + origin + "'s stream");
  }

  private KafkaConsumer<byte[], byte[]> consumer() {
    return new KafkaConsumer<>(
        Map.of("bootstrap.servers", kafka.bootstrapServers()),
        new ByteArrayDeserializer(),
        new ByteArrayDeserializer());
  }

  private HttpResponse<String> get(Agent agent, String path, String token) throws Exception {
    return token == null
        ? send(agent, path, null, null)
        : send(agent, path, "Authorization", "Bearer " + token);
  }

  private HttpResponse<String> send(Agent agent, String path, String header, String value)
      throws Exception {
    HttpRequest.Builder request =
        HttpRequest.newBuilder(URI.create("https://127.0.0.1:" + agent.httpPort() + path))
            .timeout(Duration.ofSeconds(30));
    if (header != null) {
      request.header(header, value);
    }
    return HttpClient.newBuilder()
        .sslContext(trusting)
        .build()
        .send(request.build(), HttpResponse.BodyHandlers.ofString());
  }

  private static SSLContext trusting(Path trustStore) throws Exception {
    KeyStore store = KeyStore.getInstance("PKCS12");
    try (var in = Files.newInputStream(trustStore)) {
      store.load(in, "trust".toCharArray());
    }
    TrustManagerFactory tmf =
        TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    tmf.init(store);
    SSLContext context = SSLContext.getInstance("TLS");
    context.init(null, tmf.getTrustManagers(), null);
    return context;
  }

  private void awaitRow(String region, String sql, String row) throws Exception {
    Await.until(
        row + " in " + region,
        Duration.ofMinutes(1),
        () -> topology.db(region).rows(sql).contains(row));
  }
}
