package io.georep.testkit;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ScramCredentialInfo;
import org.apache.kafka.clients.admin.ScramMechanism;
import org.apache.kafka.clients.admin.UserScramCredentialAlteration;
import org.apache.kafka.clients.admin.UserScramCredentialUpsertion;
import org.apache.kafka.common.test.KafkaClusterTestKit;

/**
 * Creates the SCRAM-SHA-512 users of an {@link EmbeddedKafka}'s TLS listener.
 *
 * <p>In KRaft, SCRAM credentials are metadata records. There are two ways to get them in: at format
 * time ({@code kafka-storage format --add-scram}), or with {@link Admin#alterUserScramCredentials}
 * once the cluster runs. The test kit's format step takes no bootstrap records besides the feature
 * levels, so the users are created here, after start, over the broker's own PLAINTEXT listener
 * (which needs no credentials, so there is no chicken-and-egg). The controller commits them before
 * the call returns, but each broker learns of them when it applies that metadata, a moment later;
 * until then a SCRAM login is refused, and a test that expects a refusal only for a wrong password
 * would be flaky. So this logs in as every user over the TLS listener itself until each login
 * succeeds: the users exist from a client's point of view when {@link
 * EmbeddedKafka.Builder#start()} returns.
 */
final class ScramUsers {
  private static final ScramMechanism MECHANISM = ScramMechanism.SCRAM_SHA_512;

  private ScramUsers() {}

  static void create(KafkaClusterTestKit cluster, TlsListener listener, String secureServers)
      throws Exception {
    List<UserScramCredentialAlteration> upserts = new ArrayList<>();
    listener
        .users()
        .forEach(
            (user, password) ->
                upserts.add(
                    new UserScramCredentialUpsertion(
                        user, new ScramCredentialInfo(MECHANISM, 4096), password)));
    Properties p = new Properties();
    p.put("bootstrap.servers", cluster.bootstrapServers());
    try (Admin admin = Admin.create(p)) {
      admin.alterUserScramCredentials(upserts).all().get();
    }
    String authority = listener.authorityPem();
    try {
      listener
          .users()
          .forEach(
              (user, password) ->
                  Await.until(
                      "a SCRAM login of user " + user + " at " + secureServers,
                      Duration.ofSeconds(30),
                      () -> logsIn(secureServers, authority, user, password)));
    } catch (AssertionError e) {
      // The broker is stopped by the caller on an exception; a timed-out wait is an error.
      throw new IllegalStateException(e.getMessage(), e);
    }
  }

  private static boolean logsIn(String servers, String authorityPem, String user, String password)
      throws Exception {
    Properties p = new Properties();
    p.put("bootstrap.servers", servers);
    p.put("security.protocol", "SASL_SSL");
    p.put("sasl.mechanism", MECHANISM.mechanismName());
    p.put(
        "sasl.jaas.config",
        "org.apache.kafka.common.security.scram.ScramLoginModule required username=\""
            + user
            + "\" password=\""
            + password
            + "\";");
    p.put("ssl.truststore.type", "PEM");
    p.put("ssl.truststore.certificates", authorityPem);
    p.put("default.api.timeout.ms", "5000");
    p.put("request.timeout.ms", "5000");
    // A fresh client per attempt: one whose login was refused does not try that broker again
    // at once.
    try (Admin admin = Admin.create(p)) {
      admin.describeCluster().clusterId().get(10, TimeUnit.SECONDS);
      return true;
    }
  }
}
