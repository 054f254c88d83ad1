package io.georep.replicator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.georep.connector.spi.DatabaseSettings;
import java.time.Duration;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * Each setting is declared once: the settings records take their defaults from the keys and reject
 * what the loader rejects, with the key's own words.
 */
class AgentKeysTest {

  @Test
  void keys_haveUniqueNames_andTypedDefaults() {
    Set<String> names = new HashSet<>();
    for (AgentKeys.Key<?> k : AgentKeys.ALL) {
      assertThat(names.add(k.name())).as("%s declared twice", k).isTrue();
      if (k.defaultYaml().isPresent() && k.scalar()) {
        assertThat(k.defaultValue()).as("default of %s", k).isNotNull();
      }
    }
    assertThat(AgentKeys.SHIPPING_MAX_IN_FLIGHT_BYTES.defaultValue()).isEqualTo(32L << 20);
    assertThat(AgentKeys.SHIPPING_LINGER.defaultValue()).isEqualTo(Duration.ofMillis(20));
    assertThat(AgentKeys.APPLY_GROUP_MAX_TRANSACTIONS.defaultValue())
        .as("the connector SPI's default, not a second declaration")
        .isEqualTo(DatabaseSettings.DEFAULT_MAX_GROUP_TRANSACTIONS);
    assertThat(AgentKeys.DATABASE_COPY_CHUNK_ROWS.defaultValue())
        .isEqualTo(DatabaseSettings.DEFAULT_COPY_CHUNK_ROWS);
    assertThatThrownBy(AgentKeys.REGION::defaultValue)
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("region has no default");
  }

  @Test
  void records_takeTheirDefaultsFromTheKeys() {
    assertThat(AgentSettings.Apply.DEFAULT.workers())
        .isEqualTo(AgentKeys.APPLY_WORKERS.defaultValue());
    assertThat(AgentSettings.Apply.DEFAULT.windowBytes())
        .isEqualTo(AgentKeys.APPLY_WINDOW_BYTES.defaultValue());
    assertThat(AgentSettings.Topics.DEFAULT.maxMessageBytes())
        .isEqualTo(AgentKeys.TOPICS_MAX_MESSAGE_BYTES.defaultValue().intValue());
    assertThat(AgentSettings.Control.DEFAULT.conflictLogRetention())
        .isEqualTo(AgentKeys.CONTROL_CONFLICT_LOG_RETENTION.defaultValue());
    assertThat(AgentSettings.Http.DEFAULT.port()).isEqualTo(AgentKeys.HTTP_PORT.defaultValue());
  }

  @Test
  void records_rejectWhatTheKeysReject_inTheKeysWords() {
    AgentSettings.Apply a = AgentSettings.Apply.DEFAULT;
    assertThatThrownBy(
            () ->
                new AgentSettings.Apply(
                    65,
                    a.maxGroupTransactions(),
                    a.window(),
                    a.windowBytes(),
                    a.retryMin(),
                    a.retryMax()))
        .hasMessage("apply.workers must be 1 to 64");
    // A bound the loader enforced and the record did not, before both read the key.
    AgentSettings.Control c = AgentSettings.Control.DEFAULT;
    assertThatThrownBy(
            () ->
                new AgentSettings.Control(Duration.ofHours(2), Duration.ofHours(3), c.gcInterval()))
        .hasMessage("control.heartbeat.interval must be 10ms to 1h");
    AgentSettings.Topics t = AgentSettings.Topics.DEFAULT;
    assertThatThrownBy(
            () ->
                new AgentSettings.Topics(
                    t.prefix(),
                    t.partitions(),
                    t.replicationFactor(),
                    t.retention(),
                    Integer.MAX_VALUE))
        .hasMessage("topics.max.message.bytes must be 64KiB to 1GiB");
    assertThatThrownBy(
            () -> new AgentSettings.Database("jdbc:postgresql://db/x", "u", "", "x", 5, 2))
        .hasMessage("database.copy.chunk.rows must be 100 to 1000000");
  }

  @Test
  void databaseUrl_acceptsWhatAnInstalledConnectorAccepts() {
    assertThat(AgentKeys.DATABASE_URL.check("jdbc:postgresql://db:5432/app")).isNull();
    assertThat(AgentKeys.DATABASE_URL.check("jdbc:mysql://db:3306/app"))
        .startsWith("database.url must be a ")
        .contains("jdbc:postgresql:");
  }
}
