package io.georep.replicator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.georep.testkit.Await;
import io.georep.testkit.Directories;
import io.georep.testkit.EmbeddedKafka;
import io.georep.testkit.EmbeddedRegionDatabase;
import io.georep.testkit.TestCertificates;
import io.georep.testkit.TlsListener;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * The agent talks to Kafka over TLS: SASL_SSL with SCRAM-SHA-512, and mutual TLS ({@code
 * ssl.client.auth=required}), each against a real broker set up that way with certificates and
 * credentials this test makes; two regions replicate a row each way through it, configured by an
 * {@code agent.yaml} whose secrets are {@code ${env:…}} and {@code ${file:…}} references. A wrong
 * password, a broker certificate the agent does not trust and a client certificate the broker does
 * not trust each fail {@link Agent#start} at once, naming the setting to fix and not the secret.
 *
 * <p>One broker per mode and one database per region and mode, shared by the tests.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class KafkaSecurityIT {
  private static final String STORE_PASSWORD = "store-pass-4711";
  private static final String SCRAM_PASSWORD = "scram-pass-0815";
  private static final String WRONG_PASSWORD = "not-the-scram-pass-42";
  private static final Duration FAIL_FAST = Duration.ofSeconds(15);

  private static final String SCHEMA = "CREATE TABLE items (id int PRIMARY KEY, name text)";
  private static final String PUBLICATION =
      """
      publication: secure
      regions: all
      operations: [insert, update, delete]
      tables:
        - table: public.items
      """;

  private Path dir;
  private Path brokerStore;
  private Path trustStore;
  private Path rogueTrustStore;
  private Path clientStore;
  private Path rogueClientStore;
  private EmbeddedKafka scramKafka;
  private EmbeddedKafka mtlsKafka;
  private final Map<String, EmbeddedRegionDatabase> databases = new LinkedHashMap<>();
  private final List<Agent> agents = new ArrayList<>();

  @BeforeAll
  void start() throws Exception {
    dir = Files.createTempDirectory("georep-kafka-security-it-");
    TestCertificates.Authority ca = TestCertificates.authority("georep-it-ca");
    TestCertificates.Authority rogue = TestCertificates.authority("rogue-ca");
    brokerStore =
        ca.issue("broker", "localhost", "127.0.0.1")
            .writePkcs12(dir.resolve("broker.p12"), STORE_PASSWORD);
    trustStore = ca.writeTrustStore(dir.resolve("truststore.p12"), STORE_PASSWORD);
    rogueTrustStore = rogue.writeTrustStore(dir.resolve("rogue-truststore.p12"), STORE_PASSWORD);
    clientStore = ca.issue("georep-agent").writePkcs12(dir.resolve("agent.p12"), STORE_PASSWORD);
    rogueClientStore =
        rogue.issue("georep-agent").writePkcs12(dir.resolve("rogue-agent.p12"), STORE_PASSWORD);
    Files.writeString(dir.resolve("store-password"), STORE_PASSWORD + "\n");
    Files.writeString(dir.resolve("secure.yaml"), PUBLICATION);

    scramKafka =
        EmbeddedKafka.builder()
            .tlsListener(
                TlsListener.scramOverTls(
                    brokerStore, STORE_PASSWORD, Map.of("georep", SCRAM_PASSWORD)))
            .start();
    mtlsKafka =
        EmbeddedKafka.builder()
            .tlsListener(
                TlsListener.mutualTls(brokerStore, STORE_PASSWORD, trustStore, STORE_PASSWORD))
            .start();
    for (String mode : List.of("scram", "mtls")) {
      for (String region : List.of("eu-west", "us-east")) {
        EmbeddedRegionDatabase db = EmbeddedRegionDatabase.start();
        databases.put(mode + "/" + region, db);
        db.execute(SCHEMA);
      }
    }
  }

  @AfterAll
  void stop() throws Exception {
    try {
      List<AutoCloseable> all = new ArrayList<>(agents);
      all.addAll(databases.values());
      all.add(scramKafka);
      all.add(mtlsKafka);
      Topology.closeAll(all.toArray(new AutoCloseable[0]));
    } finally {
      if (dir != null) {
        Directories.deleteRecursively(dir);
      }
    }
  }

  /** The {@code kafka:} section of SCRAM over TLS, with the given truststore and password. */
  private String scram(Path brokerAuthorities) {
    return """
        kafka:
          bootstrap.servers: %s
          security.protocol: SASL_SSL
          sasl.mechanism: SCRAM-SHA-512
          sasl.jaas.config: >-
            org.apache.kafka.common.security.scram.ScramLoginModule required
            username="georep" password="${env:KAFKA_PASSWORD}";
          ssl.truststore.type: PKCS12
          ssl.truststore.location: %s
          ssl.truststore.password: ${file:store-password}
        """
        .formatted(scramKafka.secureBootstrapServers(), brokerAuthorities);
  }

  /** The {@code kafka:} section of mutual TLS, with the given key store. */
  private String mutualTls(Path keystore) {
    return """
        kafka:
          bootstrap.servers: %s
          security.protocol: SSL
          ssl.keystore.type: PKCS12
          ssl.keystore.location: %s
          ssl.keystore.password: ${file:store-password}
          ssl.key.password: ${file:store-password}
          ssl.truststore.type: PKCS12
          ssl.truststore.location: %s
          ssl.truststore.password: ${file:store-password}
        """
        .formatted(mtlsKafka.secureBootstrapServers(), keystore, trustStore);
  }

  /** Loads a region's agent.yaml the way {@code georep run} does. */
  private AgentSettings settings(String mode, String region, String kafka, String password)
      throws Exception {
    Path config =
        Files.writeString(
            dir.resolve(mode + "-" + region + ".yaml"),
            """
            region: %s
            database: {url: '%s', user: postgres}
            publications: [secure.yaml]
            %sregions: [eu-west, us-east]
            topics: {prefix: %s, replication.factor: 1, retention: 1d}
            control: {heartbeat.interval: 200ms, region.timeout: 5s, gc.interval: 2s}
            apply: {retry.min: 20ms, retry.max: 1s}
            http: {host: 127.0.0.1, port: 0}
            """
                .formatted(
                    region, databases.get(mode + "/" + region).jdbcUrl(), kafka, "it-" + mode));
    return AgentConfig.withEnvironment(Map.of("KAFKA_PASSWORD", password)::get).load(config);
  }

  private void replicatesBothWays(String mode, String kafka) throws Exception {
    EmbeddedRegionDatabase eu = databases.get(mode + "/eu-west");
    EmbeddedRegionDatabase us = databases.get(mode + "/us-east");
    Agent euAgent = Agent.start(settings(mode, "eu-west", kafka, SCRAM_PASSWORD));
    agents.add(euAgent);
    Agent usAgent = Agent.start(settings(mode, "us-east", kafka, SCRAM_PASSWORD));
    agents.add(usAgent);
    Await.until(
        "both agents are ready over " + mode,
        Duration.ofSeconds(60),
        () -> euAgent.status().ready() && usAgent.status().ready());

    eu.execute("INSERT INTO items VALUES (1, 'written in eu-west')");
    us.execute("INSERT INTO items VALUES (2, 'written in us-east')");

    List<String> expected = List.of("id=1,name=written in eu-west", "id=2,name=written in us-east");
    Await.until(
        "both rows in both regions over " + mode,
        Duration.ofSeconds(60),
        () ->
            eu.rows("SELECT id, name FROM items ORDER BY id").equals(expected)
                && us.rows("SELECT id, name FROM items ORDER BY id").equals(expected));
    euAgent.close();
    usAgent.close();
  }

  /** Starts an agent that must be refused; returns the failure after checking it came soon. */
  private KafkaAccessException refused(AgentSettings settings) {
    long started = System.nanoTime();
    KafkaAccessException e =
        catchThrowableOfType(KafkaAccessException.class, () -> agents.add(Agent.start(settings)));
    Duration took = Duration.ofNanos(System.nanoTime() - started);
    assertThat(e).as("Agent.start's failure").isNotNull();
    assertThat(took).as("time to fail").isLessThan(FAIL_FAST);
    System.out.println("Agent.start refused as expected after " + took.toMillis() + " ms: " + e);
    String everything = stackTrace(e);
    for (String secret :
        List.of(SCRAM_PASSWORD, WRONG_PASSWORD, STORE_PASSWORD, "ScramLoginModule")) {
      assertThat(everything).as("the failure, causes included").doesNotContain(secret);
    }
    return e;
  }

  private static String stackTrace(Throwable t) {
    StringWriter out = new StringWriter();
    t.printStackTrace(new PrintWriter(out));
    return out.toString();
  }

  @Test
  void scramOverTls_twoRegions_replicateBothWays() throws Exception {
    replicatesBothWays("scram", scram(trustStore));
  }

  @Test
  void mutualTls_twoRegions_replicateBothWays() throws Exception {
    replicatesBothWays("mtls", mutualTls(clientStore));
  }

  @Test
  void scramOverTls_wrongPassword_failsAtStartNamingJaasConfig() throws Exception {
    KafkaAccessException e =
        refused(settings("scram", "eu-west", scram(trustStore), WRONG_PASSWORD));

    assertThat(e.getMessage())
        .contains("eu-west")
        .contains(scramKafka.secureBootstrapServers())
        .contains("regions[eu-west].kafka.sasl.jaas.config")
        .contains("rejected the agent's SASL credentials");
    assertThat(e.settings()).contains("regions[eu-west].kafka.sasl.jaas.config");
  }

  @Test
  void scramOverTls_brokerCertificateOfAnotherAuthority_failsAtStartNamingTruststore()
      throws Exception {
    KafkaAccessException e =
        refused(settings("scram", "us-east", scram(rogueTrustStore), SCRAM_PASSWORD));

    // Both regions share the cluster: the message names both, the agent's own included.
    assertThat(e.getMessage())
        .contains("regions eu-west, us-east")
        .contains(scramKafka.secureBootstrapServers())
        .contains("regions[us-east].kafka.ssl.truststore.location")
        .contains("does not trust the broker's certificate");
  }

  @Test
  void mutualTls_clientCertificateOfAnotherAuthority_failsAtStartNamingKeystore() throws Exception {
    KafkaAccessException e = refused(settings("mtls", "eu-west", mutualTls(rogueClientStore), ""));

    assertThat(e.getMessage())
        .contains("eu-west")
        .contains(mtlsKafka.secureBootstrapServers())
        .contains("regions[eu-west].kafka.ssl.keystore.location")
        .contains("rejected the agent's client certificate");
  }
}
