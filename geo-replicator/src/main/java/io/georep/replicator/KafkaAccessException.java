package io.georep.replicator;

import io.georep.vectorclock.GeorepException;
import java.util.List;

/**
 * Thrown by {@link Agent#start} when a region's Kafka cluster refuses the agent: SASL credentials
 * the broker rejects, a broker certificate the agent does not trust or whose names do not match the
 * host it connected to, a client certificate the broker does not trust, a key or trust store that
 * cannot be read, or an operation the agent's user is not allowed. The message names each region,
 * its bootstrap servers and the {@code agent.yaml} settings to fix, and says what to do; it never
 * contains a secret (passwords, JAAS configuration, key material).
 *
 * <p>Permanent: retrying meets the same refusal, so the agent does not start; fixing the settings
 * (or the cluster's users and certificates) resolves it. A cluster that merely does not answer is
 * not a refusal and never raises this: the agent starts and retries in the background.
 */
public final class KafkaAccessException extends GeorepException {
  private static final long serialVersionUID = 1L;

  private final List<String> settings;

  /**
   * Creates the exception.
   *
   * @param message the user-facing message: every refused region, what was refused, what to do;
   *     never null, never containing a secret
   * @param settings the {@code agent.yaml} keys to fix, such as {@code
   *     regions[eu-west].kafka.sasl.jaas.config}; copied
   * @param cause the client's failure, or null when its text could show a secret
   */
  public KafkaAccessException(String message, List<String> settings, Throwable cause) {
    super(message, cause);
    this.settings = List.copyOf(settings);
  }

  /**
   * Returns the {@code agent.yaml} keys to fix, in the order of the message.
   *
   * @return the keys, such as {@code regions[eu-west].kafka.ssl.truststore.location}; not empty
   */
  public List<String> settings() {
    return settings;
  }
}
