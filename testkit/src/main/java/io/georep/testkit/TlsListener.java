package io.georep.testkit;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.util.Base64;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * The TLS listener an {@link EmbeddedKafka} offers its clients besides its PLAINTEXT one: either
 * {@code SASL_SSL} with SCRAM-SHA-512 users ({@link #scramOverTls}) or {@code SSL} that requires a
 * client certificate signed by a trusted authority ({@link #mutualTls}). Key and trust stores are
 * PKCS#12 files, such as {@link TestCertificates} writes. The broker's controller and inter-broker
 * listeners stay PLAINTEXT: what is tested is the client's side.
 *
 * <p>Immutable and thread-safe. {@link #toString()} shows neither passwords nor users' passwords.
 */
public final class TlsListener {
  /** The SASL mechanism of {@link #scramOverTls}. */
  public static final String SCRAM_MECHANISM = "SCRAM-SHA-512";

  private final String protocol;
  private final Path keyStore;
  private final String keyStorePassword;
  private final Path trustStore;
  private final String trustStorePassword;
  private final Map<String, String> users;

  private TlsListener(
      String protocol,
      Path keyStore,
      String keyStorePassword,
      Path trustStore,
      String trustStorePassword,
      Map<String, String> users) {
    this.protocol = protocol;
    this.keyStore = Objects.requireNonNull(keyStore, "keyStore");
    this.keyStorePassword = Objects.requireNonNull(keyStorePassword, "keyStorePassword");
    this.trustStore = trustStore;
    this.trustStorePassword = trustStorePassword;
    this.users = Map.copyOf(users);
  }

  /**
   * A {@code SASL_SSL} listener: TLS with the broker's key, then SCRAM-SHA-512 with one of the
   * given users, whom the broker knows from its start on.
   *
   * @param keyStore the broker's PKCS#12 key store (its key and certificate chain); never null
   * @param keyStorePassword the store's and the key's password; never null
   * @param users user name to password, at least one; copied
   * @return the listener
   * @throws IllegalArgumentException if there is no user
   */
  public static TlsListener scramOverTls(
      Path keyStore, String keyStorePassword, Map<String, String> users) {
    if (users.isEmpty()) {
      throw new IllegalArgumentException("a SCRAM listener needs at least one user");
    }
    return new TlsListener("SASL_SSL", keyStore, keyStorePassword, null, null, users);
  }

  /**
   * An {@code SSL} listener with {@code ssl.client.auth=required}: a client must present a
   * certificate signed by an authority in {@code trustStore}.
   *
   * @param keyStore the broker's PKCS#12 key store; never null
   * @param keyStorePassword the store's and the key's password; never null
   * @param trustStore the PKCS#12 trust store of the authorities whose client certificates are
   *     accepted; never null
   * @param trustStorePassword its password; never null
   * @return the listener
   */
  public static TlsListener mutualTls(
      Path keyStore, String keyStorePassword, Path trustStore, String trustStorePassword) {
    return new TlsListener(
        "SSL",
        keyStore,
        keyStorePassword,
        Objects.requireNonNull(trustStore, "trustStore"),
        Objects.requireNonNull(trustStorePassword, "trustStorePassword"),
        Map.of());
  }

  /**
   * Returns the listener's security protocol.
   *
   * @return {@code SASL_SSL} or {@code SSL}
   */
  public String protocol() {
    return protocol;
  }

  /**
   * Returns the SCRAM users the broker knows.
   *
   * @return user name to password; empty for mutual TLS
   */
  public Map<String, String> users() {
    return users;
  }

  /**
   * Returns, as PEM, the last certificate of the broker's chain — the authority that signed it,
   * which a client must trust ({@code ssl.truststore.type=PEM}, {@code
   * ssl.truststore.certificates}).
   */
  String authorityPem() {
    try (InputStream in = Files.newInputStream(keyStore)) {
      KeyStore store = KeyStore.getInstance("PKCS12");
      store.load(in, keyStorePassword.toCharArray());
      for (String alias : Collections.list(store.aliases())) {
        Certificate[] chain = store.getCertificateChain(alias);
        if (chain != null && chain.length > 0) {
          return "-----BEGIN CERTIFICATE-----\n"
              + Base64.getMimeEncoder(64, new byte[] {'\n'})
                  .encodeToString(chain[chain.length - 1].getEncoded())
              + "\n-----END CERTIFICATE-----\n";
        }
      }
      throw new IllegalStateException("the key store " + keyStore + " holds no certificate chain");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("cannot read the key store " + keyStore + ": " + e, e);
    }
  }

  /** The broker properties of this listener, all prefixed {@code listener.name.<name>.}. */
  Map<String, String> brokerProperties(String listenerName) {
    String p = "listener.name." + listenerName.toLowerCase(java.util.Locale.ROOT) + ".";
    Map<String, String> props = new LinkedHashMap<>();
    props.put(p + "ssl.keystore.type", "PKCS12");
    props.put(p + "ssl.keystore.location", keyStore.toString());
    props.put(p + "ssl.keystore.password", keyStorePassword);
    props.put(p + "ssl.key.password", keyStorePassword);
    if (trustStore != null) {
      props.put(p + "ssl.truststore.type", "PKCS12");
      props.put(p + "ssl.truststore.location", trustStore.toString());
      props.put(p + "ssl.truststore.password", trustStorePassword);
      props.put(p + "ssl.client.auth", "required");
    }
    if (!users.isEmpty()) {
      props.put(p + "sasl.enabled.mechanisms", SCRAM_MECHANISM);
      // The broker verifies SCRAM logins against the credentials in its metadata; the login module
      // itself needs no options on the server side.
      props.put(
          p + SCRAM_MECHANISM.toLowerCase(java.util.Locale.ROOT) + ".sasl.jaas.config",
          "org.apache.kafka.common.security.scram.ScramLoginModule required;");
    }
    return props;
  }

  @Override
  public String toString() {
    return "TlsListener[" + protocol + (users.isEmpty() ? "" : ", users " + users.keySet()) + "]";
  }
}
