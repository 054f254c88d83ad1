package io.georep.replicator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.georep.connector.spi.DatabaseRefusedException;
import io.georep.testkit.Await;
import io.georep.testkit.EmbeddedKafka;
import io.georep.testkit.EmbeddedRegionDatabase;
import io.georep.testkit.TestCertificates;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * Agents on a PostgreSQL server that accepts TLS connections only ({@code hostssl}), with a
 * certificate of a certificate authority the test makes, issued for {@code localhost} only. Two
 * regions, two databases of that server: {@code east} logs in by client certificate ({@code
 * database.tls.cert}/{@code key}), {@code west} by password; both verify the server with {@code
 * database.tls.mode: verify-full}, and each captures and applies the other's rows over TLS. A root
 * certificate of another authority, a host name the certificate does not hold, and a wrong password
 * each stop {@link Agent#start} at once with an error naming the setting to fix — never a retry
 * loop — and the error never shows the password.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class PostgresTlsIT {
  private static final String PASSWORD = "s3cret-pw-4d1f";
  private static final String WRONG_PASSWORD = "wrong-pw-9c2e";
  private static final String SCHEMA = "CREATE TABLE public.items (id int PRIMARY KEY, note text)";
  private static final Duration START_BOUND = Duration.ofSeconds(30);

  @TempDir static Path dir;
  private EmbeddedKafka kafka;
  private EmbeddedRegionDatabase server;
  private TestCertificates.Issued client;

  @BeforeAll
  void start() throws Exception {
    TestCertificates.Authority ca = TestCertificates.authority("georep-test-ca");
    ca.writeCertificatePem(dir.resolve("ca.pem"));
    TestCertificates.Issued serverCert = ca.issue("georep-test-server", "localhost");
    serverCert.writeCertificatePem(dir.resolve("server.pem"));
    serverCert.writeKeyPem(dir.resolve("server.key"));
    client = ca.issue("georep_cert");
    client.writeCertificatePem(dir.resolve("client.pem"));
    client.writeKeyDer(dir.resolve("client.pk8"));
    TestCertificates.authority("another-ca").writeCertificatePem(dir.resolve("other-ca.pem"));
    Files.writeString(
        dir.resolve("items.yaml"), "publication: items\ntables:\n  - table: public.items\n");

    kafka = EmbeddedKafka.start();
    server =
        EmbeddedRegionDatabase.builder()
            .tls(dir.resolve("server.pem"), dir.resolve("server.key"), dir.resolve("ca.pem"))
            .certificateLogin("georep_cert")
            .start();
    server.execute(
        "CREATE ROLE georep_cert LOGIN SUPERUSER",
        "CREATE ROLE georep_pw LOGIN SUPERUSER PASSWORD '" + PASSWORD + "'",
        "CREATE DATABASE east",
        "CREATE DATABASE west");
    for (String database : List.of("east", "west")) {
      try (Connection c =
              java.sql.DriverManager.getConnection(
                  server.jdbcUrl(database), EmbeddedRegionDatabase.USER, "");
          java.sql.Statement s = c.createStatement()) {
        s.execute(SCHEMA);
      }
    }
  }

  @AfterAll
  void stop() throws Exception {
    Topology.closeAll(server, kafka);
  }

  @Test
  void verifyFull_certificateAndPasswordLogins_replicateBothWays() throws Exception {
    AgentSettings east =
        load(
            "east",
            "url: jdbc:postgresql://localhost:" + server.port() + "/east",
            "user: georep_cert",
            "tls:",
            "  mode: verify-full",
            "  root-cert: ca.pem",
            "  cert: client.pem",
            "  key: client.pk8");
    AgentSettings west = load("west", passwordLogin("localhost", "/west", "${env:DB_PASSWORD}"));
    try (Agent e = Agent.start(east);
        Agent w = Agent.start(west)) {
      execute("east", "INSERT INTO items VALUES (1, 'from east')");
      execute("west", "INSERT INTO items VALUES (2, 'from west')");
      for (String database : List.of("east", "west")) {
        Await.until(
            "both rows in " + database,
            Duration.ofSeconds(40),
            () ->
                rows(database, "SELECT id, note FROM items ORDER BY id")
                    .equals(List.of("id=1,note=from east", "id=2,note=from west")));
      }
      assertThat(
              rows(
                  "east",
                  "SELECT DISTINCT s.ssl FROM pg_stat_ssl s JOIN pg_stat_activity a USING (pid)"
                      + " WHERE a.usename IN ('georep_cert', 'georep_pw')"))
          .as("every session of the agents is encrypted")
          .containsExactly("ssl=t");
      assertThat(e.status()).isNotNull();
      assertThat(w.status()).isNotNull();
    }
  }

  @Test
  void verifyFull_rootCertOfAnotherAuthority_startFailsNamingRootCert() throws Exception {
    AgentSettings settings =
        load(
            "east",
            "url: jdbc:postgresql://localhost:" + server.port() + "/east",
            "user: georep_cert",
            "tls:",
            "  mode: verify-full",
            "  root-cert: other-ca.pem",
            "  cert: client.pem",
            "  key: client.pk8");

    assertStartRefused(settings)
        .hasMessageContaining("does not verify against database.tls.root-cert")
        .hasMessageContaining("other-ca.pem");
  }

  @Test
  void verifyFull_hostNotInCertificate_startFailsNamingTheHost() throws Exception {
    AgentSettings settings = load("west", passwordLogin("127.0.0.1", "/west", PASSWORD));

    assertStartRefused(settings)
        .hasMessageContaining("does not name the host database.url connects to")
        .hasMessageContaining("127.0.0.1")
        .hasMessageNotContaining(PASSWORD);
  }

  @Test
  void wrongPassword_startFailsWithoutShowingIt() throws Exception {
    AgentSettings settings = load("west", passwordLogin("localhost", "/west", WRONG_PASSWORD));

    assertStartRefused(settings)
        .hasMessageContaining("refused the login of user 'georep_pw'")
        .hasMessageContaining("database.password")
        .hasMessageNotContaining(WRONG_PASSWORD);
  }

  @Test
  void wrongPasswordInUrl_neitherErrorNorLogShowsIt() throws Exception {
    AgentSettings settings =
        load(
            "west",
            "url: jdbc:postgresql://localhost:"
                + server.port()
                + "/west?password="
                + WRONG_PASSWORD,
            "user: georep_pw",
            "tls:",
            "  mode: verify-full",
            "  root-cert: ca.pem");
    PrintStream err = System.err;
    ByteArrayOutputStream logged = new ByteArrayOutputStream();
    System.setErr(new PrintStream(logged, true, StandardCharsets.UTF_8));
    try {
      assertStartRefused(settings)
          .hasMessageContaining("password=***")
          .hasMessageNotContaining(WRONG_PASSWORD);
    } finally {
      System.setErr(err);
    }
    assertThat(settings.toString()).doesNotContain(WRONG_PASSWORD);
    assertThat(settings.databaseSettings().toString()).doesNotContain(WRONG_PASSWORD);
    assertThat(logged.toString(StandardCharsets.UTF_8)).doesNotContain(WRONG_PASSWORD);
  }

  @Test
  void commandLineConnection_usesTheTlsSettings() throws Exception {
    AgentSettings settings = load("west", passwordLogin("localhost", "/west", PASSWORD));
    try (Connection c = settings.database().connect("georep test");
        java.sql.Statement s = c.createStatement();
        java.sql.ResultSet rs =
            s.executeQuery("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()")) {
      assertThat(rs.next()).isTrue();
      assertThat(rs.getBoolean(1)).as("the command line's session is encrypted").isTrue();
    }
  }

  @Test
  void pkcs12ClientKey_namedUser_logsInByCertificate() throws Exception {
    Path p12 = dir.resolve("client.p12");
    java.security.KeyStore store = java.security.KeyStore.getInstance("PKCS12");
    store.load(null, null);
    store.setKeyEntry(
        "user",
        client.keys().getPrivate(),
        PASSWORD.toCharArray(),
        client.chain().toArray(new java.security.cert.Certificate[0]));
    try (java.io.OutputStream out = Files.newOutputStream(p12)) {
      store.store(out, PASSWORD.toCharArray());
    }
    AgentSettings settings =
        load(
            "east",
            "url: jdbc:postgresql://localhost:" + server.port() + "/east",
            "user: georep_cert",
            "tls:",
            "  mode: verify-full",
            "  root-cert: ca.pem",
            "  key: client.p12",
            "  key-password: ${env:DB_PASSWORD}");

    try (Connection c = settings.database().connect("georep test")) {
      assertThat(EmbeddedRegionDatabase.rows(c, "SELECT current_user AS u"))
          .containsExactly("u=georep_cert");
    }
  }

  @Test
  void pkcs12ClientKey_notNamedUser_isAConfigProblem() throws Exception {
    client.writePkcs12(dir.resolve("other.p12"), PASSWORD);

    assertThatThrownBy(
            () ->
                load(
                    "east",
                    "url: jdbc:postgresql://localhost:" + server.port() + "/east",
                    "user: georep_cert",
                    "tls:",
                    "  mode: verify-full",
                    "  root-cert: ca.pem",
                    "  key: other.p12",
                    "  key-password: ${env:DB_PASSWORD}"))
        .isInstanceOf(AgentConfigException.class)
        .hasMessageContaining("database.tls.key")
        .hasMessageContaining("holds no key named 'user'")
        .hasMessageNotContaining(PASSWORD);
  }

  private org.assertj.core.api.AbstractThrowableAssert<?, ? extends Throwable> assertStartRefused(
      AgentSettings settings) {
    long started = System.nanoTime();
    return assertThatThrownBy(
            () -> {
              try {
                Agent.start(settings).close();
              } finally {
                assertThat(Duration.ofNanos(System.nanoTime() - started))
                    .as("time to fail")
                    .isLessThan(START_BOUND);
              }
            })
        .isInstanceOf(DatabaseRefusedException.class);
  }

  private String[] passwordLogin(String host, String path, String password) {
    return new String[] {
      "url: jdbc:postgresql://" + host + ":" + server.port() + path,
      "user: georep_pw",
      "password: " + password,
      "tls:",
      "  mode: verify-full",
      "  root-cert: ca.pem"
    };
  }

  /** Loads an agent.yaml of region {@code region} whose database section has these lines. */
  private AgentSettings load(String region, String... databaseLines) throws Exception {
    StringBuilder yaml = new StringBuilder("region: " + region + "\ndatabase:\n");
    for (String line : databaseLines) {
      yaml.append("  ").append(line).append('\n');
    }
    yaml.append("publications: [items.yaml]\nregions:\n");
    for (String r : List.of("east", "west")) {
      yaml.append("  - name: ").append(r).append('\n');
      yaml.append("    kafka: {bootstrap.servers: '")
          .append(kafka.bootstrapServers())
          .append("'}\n");
    }
    yaml.append("topics: {replication.factor: 1, partitions: 1}\nhttp: {enabled: false}\n");
    Path file = Files.writeString(dir.resolve(region + ".yaml"), yaml);
    return AgentConfig.withEnvironment(Map.of("DB_PASSWORD", PASSWORD)::get)
        .load(file)
        .withApply(
            new AgentSettings.Apply(
                2, 20, 2_000, 16L << 20, Duration.ofMillis(20), Duration.ofSeconds(1)));
  }

  private void execute(String database, String sql) throws SQLException {
    try (Connection c =
            java.sql.DriverManager.getConnection(
                server.jdbcUrl(database), EmbeddedRegionDatabase.USER, "");
        java.sql.Statement s = c.createStatement()) {
      s.execute(sql);
    }
  }

  private List<String> rows(String database, String sql) throws SQLException {
    try (Connection c =
        java.sql.DriverManager.getConnection(
            server.jdbcUrl(database), EmbeddedRegionDatabase.USER, "")) {
      return EmbeddedRegionDatabase.rows(c, sql);
    }
  }
}
