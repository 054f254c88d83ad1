package io.georep.connectors.postgres;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import io.georep.connector.DatabaseUrl;
import io.georep.connector.spi.DatabaseSettings;
import io.georep.connector.spi.DatabaseTls;
import io.georep.publication.Publication;
import io.georep.publication.PublicationParser;
import io.georep.resolver.ResolverRegistry;
import io.georep.vectorclock.ReplicaId;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class PostgresUrlTest {
  private static final String SECRET = "hunter2";

  private static final Publication PUBLICATION =
      PublicationParser.create()
          .parse(
              "p.yaml",
              "publication: p\ntables:\n  - table: public.t\n".getBytes(StandardCharsets.UTF_8));

  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      value = {
        "jdbc:postgresql://h/db?password=hunter2|jdbc:postgresql://h/db?password=***",
        "jdbc:postgresql://h/db?user=u&PASSWORD=hunter2&ssl=true"
            + "|jdbc:postgresql://h/db?user=u&PASSWORD=***&ssl=true",
        "jdbc:postgresql://h/db?sslpassword=hunter2&password=hunter2"
            + "|jdbc:postgresql://h/db?sslpassword=***&password=***",
        "jdbc:postgresql://h/db?password=hun;ter#2&x=1|jdbc:postgresql://h/db?password=***&x=1",
        "jdbc:postgresql://u:hunter2@h:5432/db|jdbc:postgresql://u:***@h:5432/db",
        "jdbc:postgresql://u:hun@t:er2@h/db?a=b|jdbc:postgresql://u:***@h/db?a=b",
        "postgresql://u:hunter2@h/db|postgresql://u:***@h/db",
        "jdbc:postgresql://h:5432/db?user=u|jdbc:postgresql://h:5432/db?user=u",
        "jdbc:postgresql://[::1]:5432/db|jdbc:postgresql://[::1]:5432/db",
      })
  void masked_everyPasswordForm_isHidden(String url, String shown) {
    assertThat(DatabaseUrl.masked(url)).isEqualTo(shown);
  }

  @Test
  void masked_null_isShownAsNull() {
    assertThat(DatabaseUrl.masked(null)).isEqualTo("null");
  }

  @Test
  void sourceConfigToString_passwordInUrl_isMasked() {
    PostgresSourceConfig config =
        PostgresSourceConfig.of(
            "jdbc:postgresql://h/db?password=" + SECRET,
            "georep",
            "",
            ReplicaId.of("eu-west"),
            List.of(PUBLICATION));

    assertThat(config.toString()).contains("password=***").doesNotContain(SECRET);
  }

  @Test
  void sinkConfigToString_passwordInUserInfo_isMasked() {
    PostgresSinkConfig config =
        PostgresSinkConfig.of(
            "jdbc:postgresql://georep:" + SECRET + "@h/db",
            "georep",
            "",
            ReplicaId.of("eu-west"),
            List.of(PUBLICATION),
            ResolverRegistry.load());

    assertThat(config.toString()).contains("georep:***@h").doesNotContain(SECRET);
  }

  @Test
  void sourceConfig_invalidUrlWithPassword_problemMasksIt() {
    Throwable thrown =
        catchThrowable(
            () ->
                PostgresSourceConfig.of(
                    "postgresql://georep:" + SECRET + "@h/db",
                    "georep",
                    "",
                    ReplicaId.of("eu-west"),
                    List.of(PUBLICATION)));

    assertThat(thrown)
        .isInstanceOf(CaptureException.class)
        .hasMessageContaining("postgresql://georep:***@h/db")
        .hasMessageNotContaining(SECRET);
  }

  @Test
  void start_unreachableDatabase_messageMasksPassword() throws IOException {
    int closedPort;
    try (ServerSocket socket = new ServerSocket(0)) {
      closedPort = socket.getLocalPort();
    }
    PostgresChangeSource source =
        new PostgresChangeSource(
            PostgresSourceConfig.of(
                "jdbc:postgresql://127.0.0.1:"
                    + closedPort
                    + "/db?connectTimeout=2&password="
                    + SECRET,
                "georep",
                "",
                ReplicaId.of("eu-west"),
                List.of(PUBLICATION)));
    try {
      Throwable thrown = catchThrowable(() -> source.start(new RecordingHandler(), 0));

      assertThat(thrown)
          .isInstanceOf(CaptureUnavailableException.class)
          .hasMessageContaining("cannot start capture from jdbc:postgresql://127.0.0.1:")
          .hasMessageContaining("password=***")
          .hasMessageNotContaining(SECRET);
    } finally {
      source.close();
    }
  }

  @Test
  void tlsSettings_keyPasswordAndUrlPassword_neverShown() {
    DatabaseTls tls =
        new DatabaseTls(
            DatabaseTls.Mode.VERIFY_FULL,
            Path.of("ca.pem"),
            Path.of("client.pem"),
            Path.of("client.pk8"),
            SECRET);
    DatabaseSettings settings =
        new DatabaseSettings(
            "jdbc:postgresql://georep:" + SECRET + "@h/db?password=" + SECRET,
            "georep",
            SECRET,
            ReplicaId.of("eu-west"),
            List.of(PUBLICATION),
            null,
            DatabaseSettings.DEFAULT_COPY_CHUNK_ROWS,
            DatabaseSettings.DEFAULT_COPY_PARALLEL,
            DatabaseSettings.DEFAULT_MAX_GROUP_TRANSACTIONS,
            tls);

    assertThat(tls.toString()).contains("keyPassword=***").doesNotContain(SECRET);
    assertThat(settings.toString()).contains("mode=verify-full").doesNotContain(SECRET);
    assertThat(
            PostgresSourceConfig.of(
                    settings.url(), "georep", SECRET, ReplicaId.of("eu-west"), List.of(PUBLICATION))
                .withTls(tls)
                .toString())
        .doesNotContain(SECRET);
  }

  @Test
  void connect_unreachableDatabase_messageMasksPassword() throws IOException {
    int closedPort;
    try (ServerSocket socket = new ServerSocket(0)) {
      closedPort = socket.getLocalPort();
    }
    String url = "jdbc:postgresql://127.0.0.1:" + closedPort + "/db?password=" + SECRET;

    Throwable thrown =
        catchThrowable(
            () ->
                new PostgresConnector()
                    .connect(url, "georep", SECRET, DatabaseTls.DEFAULT, "test")
                    .close());

    assertThat(thrown).isInstanceOf(java.sql.SQLException.class);
    assertThat(thrown.toString()).doesNotContain(SECRET);
  }

  @Test
  void tlsProperties_urlSetsTlsToo_isRefusedNamingBoth() {
    DatabaseTls tls =
        new DatabaseTls(DatabaseTls.Mode.VERIFY_FULL, Path.of("ca.pem"), null, null, null);

    assertThat(
            catchThrowable(
                () ->
                    new PostgresConnector()
                        .tlsProperties("jdbc:postgresql://h/db?SSLMODE=require", tls)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("database.url sets TLS itself ('SSLMODE')")
        .hasMessageContaining("database.tls.mode");
    assertThat(new PostgresConnector().tlsProperties("jdbc:postgresql://h/db", tls))
        .containsExactly(
            java.util.Map.entry("sslmode", "verify-full"),
            java.util.Map.entry("sslrootcert", "ca.pem"));
    assertThat(
            new PostgresConnector()
                .tlsProperties("jdbc:postgresql://h/db?sslmode=require", DatabaseTls.DEFAULT))
        .isEmpty();
  }
}
