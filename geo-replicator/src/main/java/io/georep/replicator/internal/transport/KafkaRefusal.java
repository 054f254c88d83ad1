package io.georep.replicator.internal.transport;

import io.georep.replicator.AgentSettings;
import java.security.cert.CertPathBuilderException;
import java.security.cert.CertPathValidatorException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.kafka.common.errors.AuthenticationException;
import org.apache.kafka.common.errors.AuthorizationException;
import org.apache.kafka.common.errors.SaslAuthenticationException;
import org.apache.kafka.common.errors.SslAuthenticationException;
import org.apache.kafka.common.errors.UnsupportedSaslMechanismException;

/**
 * Why a region's Kafka cluster refused the agent, in the operator's terms: what was refused, the
 * {@code agent.yaml} keys to fix and what to do. Built from the Kafka client's failure by {@link
 * #of}, which tells a refusal (permanent: credentials, certificates, stores, permissions) from
 * everything else (an outage, retried as before).
 *
 * <p>Nothing here shows a secret: the client's own text is included only after every secret value
 * of the region's settings (passwords, JAAS configuration and the passwords inside it, key
 * material) has been replaced by {@code ***}, and {@link #leaksSecret()} says whether anything had
 * to be replaced, so the caller can leave the raw failure out as well.
 *
 * @param message what was refused and what to do, naming region, bootstrap servers and keys
 * @param settings the keys to fix, as {@code regions[<name>].kafka.<setting>}
 * @param leaksSecret whether the client's failure text contained a secret value
 */
record KafkaRefusal(String message, List<String> settings, boolean leaksSecret) {
  private static final Pattern QUOTED = Pattern.compile("(\\w+)\\s*=\\s*\"([^\"]*)\"");

  /**
   * Classifies a failure of building a client or of its first request.
   *
   * @param region the region whose cluster was asked
   * @param regions the names of every region on that cluster (with the same client settings)
   * @param failure the failure (unwrapped from any {@code ExecutionException})
   * @param atCreation whether building the client failed (its settings could not be used)
   * @return the refusal, or empty if the failure is not one (an outage, a timeout)
   */
  static Optional<KafkaRefusal> of(
      AgentSettings.Region region, List<String> regions, Throwable failure, boolean atCreation) {
    String text = chain(failure);
    String safe = redact(text, region.kafka());
    boolean leaks = !safe.equals(text);
    String where =
        (regions.size() == 1 ? "region " : "regions ")
            + String.join(", ", regions)
            + " (Kafka at "
            + region.bootstrapServers()
            + ")";
    if (failure instanceof SslAuthenticationException) {
      return Optional.of(tls(regions, where, failure, safe, leaks));
    }
    if (failure instanceof UnsupportedSaslMechanismException) {
      return Optional.of(
          refusal(
              regions,
              where + ": the broker does not offer the SASL mechanism the agent asked for",
              "set sasl.mechanism to one the listener enables (SCRAM-SHA-512, SCRAM-SHA-256,"
                  + " PLAIN, ...) and a matching sasl.jaas.config",
              safe,
              leaks,
              "sasl.mechanism",
              "sasl.jaas.config"));
    }
    if (failure instanceof SaslAuthenticationException) {
      return Optional.of(
          refusal(
              regions,
              where + ": the broker rejected the agent's SASL credentials",
              "check the user name and password in sasl.jaas.config (a ${env:NAME} or ${file:PATH}"
                  + " reference must hold the right password) and that the user exists on the"
                  + " cluster for the mechanism in sasl.mechanism",
              safe,
              leaks,
              "sasl.jaas.config",
              "sasl.mechanism"));
    }
    if (failure instanceof AuthenticationException) {
      return Optional.of(
          refusal(
              regions,
              where + ": the broker refused to authenticate the agent",
              "check security.protocol and the sasl.* and ssl.* settings against the listener"
                  + " of bootstrap.servers",
              safe,
              leaks,
              "security.protocol",
              "sasl.jaas.config",
              "ssl.truststore.location"));
    }
    if (failure instanceof AuthorizationException) {
      return Optional.of(
          refusal(
              regions,
              where + ": the agent's Kafka user is not allowed to describe the cluster",
              "grant the user of sasl.jaas.config (or of the certificate in ssl.keystore.location)"
                  + " Describe on the cluster, and Read, Write, Describe and Create on the georep"
                  + " topics (docs/configuration.md)",
              safe,
              leaks,
              "sasl.jaas.config",
              "ssl.keystore.location"));
    }
    if (atCreation) {
      return Optional.of(unusableSettings(region, regions, where, text, safe, leaks));
    }
    return Optional.empty();
  }

  private static KafkaRefusal tls(
      List<String> regions, String where, Throwable failure, String safe, boolean leaks) {
    String lower = safe.toLowerCase(Locale.ROOT);
    if (has(failure, CertPathBuilderException.class)
        || has(failure, CertPathValidatorException.class)
        || lower.contains("unable to find valid certification path")) {
      return refusal(
          regions,
          where + ": the agent does not trust the broker's certificate",
          "point ssl.truststore.location (with ssl.truststore.password and ssl.truststore.type) at"
              + " a trust store holding the authority that signed the broker's certificate",
          safe,
          leaks,
          "ssl.truststore.location",
          "ssl.truststore.password");
    }
    if (lower.contains("no subject alternative") || lower.contains("no name matching")) {
      return refusal(
          regions,
          where + ": the broker's certificate does not name the host the agent connected to",
          "list the brokers in bootstrap.servers by a name their certificates hold, or reissue"
              + " the certificates with that name (turning off"
              + " ssl.endpoint.identification.algorithm would accept any server with a trusted"
              + " certificate)",
          safe,
          leaks,
          "bootstrap.servers",
          "ssl.endpoint.identification.algorithm");
    }
    if (lower.contains("unrecognized ssl message") || lower.contains("plaintext connection")) {
      return refusal(
          regions,
          where + ": the listener of bootstrap.servers does not speak TLS",
          "set security.protocol to the listener's protocol, or bootstrap.servers to the TLS"
              + " listener's port",
          safe,
          leaks,
          "security.protocol",
          "bootstrap.servers");
    }
    if (lower.contains("received fatal alert")) {
      return refusal(
          regions,
          where + ": the broker rejected the agent's client certificate (or its lack of one)",
          "point ssl.keystore.location (with ssl.keystore.password, ssl.key.password and"
              + " ssl.keystore.type) at a key store whose certificate is signed by an authority the"
              + " broker's ssl.truststore trusts",
          safe,
          leaks,
          "ssl.keystore.location",
          "ssl.keystore.password");
    }
    return refusal(
        regions,
        where + ": the TLS handshake with the broker failed",
        "check ssl.truststore.location (the authority of the broker's certificate) and, if the"
            + " broker requires client certificates, ssl.keystore.location",
        safe,
        leaks,
        "ssl.truststore.location",
        "ssl.keystore.location");
  }

  private static KafkaRefusal unusableSettings(
      AgentSettings.Region region,
      List<String> regions,
      String where,
      String text,
      String safe,
      boolean leaks) {
    Map<String, String> kafka = region.kafka();
    for (String store : List.of("ssl.truststore", "ssl.keystore")) {
      String location = kafka.get(store + ".location");
      if (location != null && text.contains(location)) {
        return refusal(
            regions,
            where + ": the agent cannot read " + store + ".location " + location,
            "make the file readable by the agent, a "
                + kafka.getOrDefault(store + ".type", "JKS")
                + " store, with the password in "
                + store
                + ".password",
            safe,
            leaks,
            store + ".location",
            store + ".password");
      }
    }
    if (text.toLowerCase(Locale.ROOT).contains("jaas")) {
      return refusal(
          regions,
          where + ": sasl.jaas.config is not a valid JAAS configuration",
          "write it as 'org.apache.kafka.common.security.scram.ScramLoginModule required"
              + " username=\"georep\" password=\"${env:KAFKA_PASSWORD}\";' (note the final ';')",
          safe,
          leaks,
          "sasl.jaas.config");
    }
    return refusal(
        regions,
        where + ": the Kafka client cannot be created from the region's settings",
        "correct the Kafka client settings the error names",
        safe,
        leaks,
        "kafka");
  }

  private static KafkaRefusal refusal(
      List<String> regions, String what, String fix, String safe, boolean leaks, String... keys) {
    List<String> settings = new ArrayList<>();
    List<String> shared = new ArrayList<>();
    List<String> own = new ArrayList<>();
    for (String k : keys) {
      String key = k.equals("kafka") ? "" : "." + k;
      shared.add("kafka" + key);
      for (String r : regions) {
        settings.add("regions[" + r + "].kafka" + key);
        own.add("regions[" + r + "].kafka" + key);
      }
    }
    return new KafkaRefusal(
        what
            + "\n    Kafka says: "
            + safe
            + "\n    settings: "
            + String.join(", ", shared)
            + " (shared by every region), or where a region sets its own: "
            + String.join(", ", own)
            + "\n    to do: "
            + fix,
        settings,
        leaks);
  }

  /**
   * The messages of the failure's cause chain with their class names, leaving out a message that
   * only repeats one before it (TLS failures wrap the same text three times).
   */
  private static String chain(Throwable failure) {
    StringBuilder sb = new StringBuilder();
    for (Throwable t = failure; t != null && sb.length() < 2000; t = t.getCause()) {
      String message = String.valueOf(t.getMessage());
      if (!sb.toString().contains(message)) {
        sb.append(sb.length() == 0 ? "" : "; caused by ");
        sb.append(t.getClass().getSimpleName()).append(": ").append(message);
      }
      if (t.getCause() == t) {
        break;
      }
    }
    return sb.toString();
  }

  private static boolean has(Throwable failure, Class<? extends Throwable> type) {
    for (Throwable t = failure; t != null; t = t.getCause() == t ? null : t.getCause()) {
      if (type.isInstance(t)) {
        return true;
      }
    }
    return false;
  }

  /**
   * Replaces every secret value of the settings in {@code text} by {@code ***}: values of keys
   * naming a password, JAAS configuration, key, secret or token, and the quoted values inside a
   * JAAS configuration other than the user name. A secret shorter than four characters cannot be
   * replaced without mangling the text around it; if one occurs, the whole text is withheld.
   */
  static String redact(String text, Map<String, String> kafka) {
    List<String> secrets = new ArrayList<>();
    kafka.forEach(
        (key, value) -> {
          String k = key.toLowerCase(Locale.ROOT);
          if (k.contains("password")
              || k.contains("jaas")
              || k.contains("secret")
              || k.contains("token")
              || k.endsWith(".key")
              || k.contains("credentials")) {
            secrets.add(value);
            Matcher m = QUOTED.matcher(value);
            while (m.find()) {
              if (!m.group(1).equalsIgnoreCase("username")) {
                secrets.add(m.group(2));
              }
            }
          }
        });
    // Longest first: a password inside the JAAS text goes with the whole text.
    secrets.sort((a, b) -> b.length() - a.length());
    String out = text;
    for (String s : secrets) {
      if (s == null || s.isEmpty() || !out.contains(s)) {
        continue;
      }
      if (s.length() < 4) {
        return "the client's message is withheld: it contains a secret value";
      }
      out = out.replace(s, "***");
    }
    return out;
  }
}
