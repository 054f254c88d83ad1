package io.georep.replicator.internal.transport;

import static org.assertj.core.api.Assertions.assertThat;

import io.georep.replicator.AgentSettings;
import io.georep.vectorclock.ReplicaId;
import java.net.ServerSocket;
import java.util.List;
import java.util.Map;
import javax.net.ssl.SSLHandshakeException;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.errors.SaslAuthenticationException;
import org.apache.kafka.common.errors.SslAuthenticationException;
import org.apache.kafka.common.errors.TimeoutException;
import org.junit.jupiter.api.Test;

class KafkaRefusalTest {
  private static final String PASSWORD = "hunter2-but-longer";
  private static final String JAAS =
      "org.apache.kafka.common.security.scram.ScramLoginModule required username=\"georep\""
          + " password=\""
          + PASSWORD
          + "\";";

  private static final AgentSettings.Region SCRAM =
      new AgentSettings.Region(
          ReplicaId.of("eu-west"),
          Map.of(
              "bootstrap.servers", "kafka-eu:9093",
              "security.protocol", "SASL_SSL",
              "sasl.jaas.config", JAAS,
              "ssl.truststore.location", "/etc/georep/truststore.p12",
              "ssl.truststore.password", "trust-store-secret"));

  @Test
  void of_saslRefusal_namesJaasConfigRegionAndServers() {
    KafkaRefusal r =
        KafkaRefusal.of(
                SCRAM,
                List.of("eu-west"),
                new SaslAuthenticationException("invalid credentials with SCRAM-SHA-512"),
                false)
            .orElseThrow();

    assertThat(r.message())
        .contains("region eu-west (Kafka at kafka-eu:9093)")
        .contains("kafka.sasl.jaas.config")
        .contains("regions[eu-west].kafka.sasl.jaas.config")
        .doesNotContain(PASSWORD);
    assertThat(r.settings()).contains("regions[eu-west].kafka.sasl.jaas.config");
    assertThat(r.leaksSecret()).isFalse();
  }

  @Test
  void of_untrustedBrokerCertificate_namesTruststore() {
    SslAuthenticationException e =
        new SslAuthenticationException(
            "SSL handshake failed",
            new SSLHandshakeException(
                "PKIX path building failed: unable to find valid certification path"));

    KafkaRefusal r = KafkaRefusal.of(SCRAM, List.of("eu-west"), e, false).orElseThrow();

    assertThat(r.message()).contains("does not trust the broker's certificate");
    assertThat(r.settings()).contains("regions[eu-west].kafka.ssl.truststore.location");
  }

  @Test
  void of_hostNameMismatch_namesBootstrapServers() {
    SslAuthenticationException e =
        new SslAuthenticationException(
            "SSL handshake failed",
            new SSLHandshakeException("No subject alternative DNS name matching kafka-eu found."));

    KafkaRefusal r = KafkaRefusal.of(SCRAM, List.of("eu-west"), e, false).orElseThrow();

    assertThat(r.settings())
        .contains(
            "regions[eu-west].kafka.bootstrap.servers",
            "regions[eu-west].kafka.ssl.endpoint.identification.algorithm");
  }

  @Test
  void of_timeout_isNoRefusal() {
    assertThat(
            KafkaRefusal.of(
                SCRAM, List.of("eu-west"), new TimeoutException("timed out waiting"), false))
        .isEmpty();
  }

  @Test
  void of_unreadableTrustStoreAtCreation_namesTruststoreWithoutItsPassword() {
    KafkaException e =
        new KafkaException(
            "Failed to load SSL keystore /etc/georep/truststore.p12 of type PKCS12",
            new java.io.IOException("keystore password was incorrect"));

    KafkaRefusal r = KafkaRefusal.of(SCRAM, List.of("eu-west"), e, true).orElseThrow();

    assertThat(r.message())
        .contains("cannot read ssl.truststore.location")
        .doesNotContain("trust-store-secret");
    assertThat(r.settings())
        .containsExactly(
            "regions[eu-west].kafka.ssl.truststore.location",
            "regions[eu-west].kafka.ssl.truststore.password");
  }

  @Test
  void redact_passwordInsideJaasConfig_isReplaced() {
    String text = "login failed for password " + PASSWORD + " in " + JAAS;

    String safe = KafkaRefusal.redact(text, SCRAM.kafka());

    assertThat(safe).doesNotContain(PASSWORD).doesNotContain("ScramLoginModule").contains("***");
  }

  @Test
  void redact_shortSecret_withholdsTheWholeText() {
    Map<String, String> kafka = Map.of("bootstrap.servers", "k:1", "ssl.key.password", "abc");

    assertThat(KafkaRefusal.redact("bad key abc", kafka)).doesNotContain("abc");
    assertThat(KafkaRefusal.redact("bad key", kafka)).isEqualTo("bad key");
  }

  @Test
  void anyAcceptsConnections_listeningThenClosedPort_trueThenFalse() throws Exception {
    int port;
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort();
      assertThat(KafkaPreflight.anyAcceptsConnections("127.0.0.1:" + port)).isTrue();
    }
    assertThat(KafkaPreflight.anyAcceptsConnections("127.0.0.1:" + port)).isFalse();
  }
}
