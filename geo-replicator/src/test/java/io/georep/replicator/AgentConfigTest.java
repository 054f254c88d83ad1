package io.georep.replicator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.georep.connector.spi.DatabaseTls;
import io.georep.publication.Problem;
import io.georep.testkit.TestCertificates;
import io.georep.vectorclock.ReplicaId;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * {@code agent.yaml}: the table of malformed files, each with the exact problems (file:line:column:
 * message — fix) it must produce; secret references; redaction; the reference table in {@code
 * docs/configuration.md}.
 */
class AgentConfigTest {
  private static final String DB_SECRET = "pw-Secret-4711";
  private static final String JAAS_SECRET = "jaas-Secret-0815";
  private static final String FILE_SECRET = "file-Secret-2342";
  private static final Map<String, String> ENV =
      Map.of("DB_PASSWORD", DB_SECRET, "JAAS", JAAS_SECRET, "DB_URL", "postgres://" + DB_SECRET);

  /** A valid file of 12 lines; cases append to it from line 13. */
  private static final String BASE =
      """
      region: eu-west
      database:
        url: jdbc:postgresql://127.0.0.1:5432/app
        user: georep
        password: ${env:DB_PASSWORD}
      publications: [orders.yaml]
      regions:
        - name: eu-west
          kafka:
            bootstrap.servers: k1:9092
        - name: us-east
          kafka: {bootstrap.servers: k2:9092}
      """;

  @TempDir Path dir;

  @BeforeEach
  void files() throws IOException {
    write("orders.yaml", "publication: orders\ntables:\n  - table: public.orders\n");
    write("secret.txt", FILE_SECRET + "\n");
  }

  private Path write(String name, String text) throws IOException {
    Path p = dir.resolve(name);
    Files.createDirectories(p.getParent());
    Files.writeString(p, text);
    return p;
  }

  private AgentSettings load(String yaml) throws IOException {
    return AgentConfig.withEnvironment(ENV::get).load(write("agent.yaml", yaml));
  }

  /** The problems of a file, with the temporary directory removed from every path. */
  private List<String> problems(String name, byte[] content) throws IOException {
    Path file = dir.resolve(name + ".yaml");
    Files.write(file, content);
    AgentConfigException e =
        catchThrowableOfType(
            AgentConfigException.class, () -> AgentConfig.withEnvironment(ENV::get).load(file));
    assertThat(e).as("expected problems for %s", name).isNotNull();
    assertThat(e.getMessage())
        .as("no secret in the message of %s", name)
        .doesNotContain(DB_SECRET, JAAS_SECRET, FILE_SECRET);
    return e.problems().stream().map(Problem::toString).map(p -> p.replace(dir + "/", "")).toList();
  }

  // The bytes are test input, never compared or mutated.
  @SuppressWarnings("ArrayRecordComponent")
  private record Case(String name, byte[] content, List<String> expected) {
    @Override
    public String toString() {
      return name;
    }
  }

  private static Arguments of(String name, String yaml, String... expected) {
    return Arguments.of(new Case(name, yaml.getBytes(StandardCharsets.UTF_8), List.of(expected)));
  }

  static Stream<Arguments> malformed() {
    return Stream.of(
        of(
            "unclosed-quote",
            "region: \"eu-west\ndatabase:\n",
            "unclosed-quote.yaml:1:9: quoted string is never closed — add the closing quote;"
                + " inside a string, double a single quote ('') or escape a double quote (\\\")"),
        of(
            "tab-indentation",
            "region: eu-west\ndatabase:\n\turl: x\n",
            "tab-indentation.yaml:3:1: tab character in indentation — indent with spaces; YAML"
                + " does not allow tabs for indentation"),
        of(
            "empty",
            "",
            "empty.yaml:1:1: the file is empty — start with 'region: <name>'; see"
                + " docs/configuration.md for a complete example"),
        of(
            "only-comments",
            "# region: eu-west\n",
            "only-comments.yaml:1:1: the file contains only comments — start with 'region:"
                + " <name>'; see docs/configuration.md for a complete example"),
        of(
            "a-list",
            "- region: eu-west\n",
            "a-list.yaml:1:1: agent.yaml must be a mapping of keys, found a list — start with"
                + " 'region: <name>'; see docs/configuration.md for a complete example"),
        of(
            "two-documents",
            BASE + "---\nregion: us-east\n",
            "two-documents.yaml:13:1: the file holds 2 YAML documents; agent.yaml holds one —"
                + " remove the '---' separator; each agent has its own file"),
        of(
            "misspelt-top-level-key",
            BASE.replace("region: eu-west", "regoin: eu-west"),
            "misspelt-top-level-key.yaml:1:1: missing required key 'region' — add 'region:"
                + " eu-west' (this agent's region: the origin of everything its database's"
                + " applications write; used in topic names, metric tags and metadata, and must"
                + " appear in regions)",
            "misspelt-top-level-key.yaml:1:1: unknown key 'regoin' — did you mean 'region'?"),
        of(
            "misspelt-nested-key",
            BASE + "apply:\n  wrokers: 8\n",
            "misspelt-nested-key.yaml:14:3: unknown key 'apply.wrokers' — did you mean"
                + " 'apply.workers'?"),
        of(
            "misspelt-dotted-key",
            BASE + "shipping.linger.ms: 5\n",
            "misspelt-dotted-key.yaml:13:1: unknown key 'shipping.linger.ms' — did you mean"
                + " 'shipping.linger'?"),
        of(
            "unknown-key-in-section",
            BASE.replace("  user: georep", "  user: georep\n  hostname: pg1"),
            "unknown-key-in-section.yaml:5:3: unknown key 'database.hostname' — 'database' has"
                + " the keys url, user, password, slot, copy.chunk.rows, copy.parallel, tls.mode,"
                + " tls.root-cert, tls.cert, tls.key, tls.key-password; see docs/configuration.md"),
        of(
            "kafka-setting-at-top-level",
            BASE + "security.protocol: SSL\n",
            "kafka-setting-at-top-level.yaml:13:1: unknown key 'security.protocol' — Kafka"
                + " client settings go under 'kafka:' (shared by every region) or a region's"
                + " 'kafka:'"),
        of(
            "duplicate-key-dotted-and-nested",
            BASE + "apply.workers: 4\napply:\n  workers: 5\n",
            "duplicate-key-dotted-and-nested.yaml:15:3: duplicate key 'apply.workers' (first at"
                + " line 13) — remove one of them; YAML keeps only one value per key"),
        of(
            "not-a-number",
            BASE + "apply:\n  workers: four\n",
            "not-a-number.yaml:14:12: 'apply.workers' must be a whole number, found the string"
                + " 'four' — for example 'apply.workers: 4'"),
        of(
            "out-of-range",
            BASE + "apply:\n  workers: 100\n",
            "out-of-range.yaml:14:12: 'apply.workers' must be 1 to 64, found '100' — write a"
                + " value in that range, or remove the key for the default (4)"),
        of(
            "sample-ratio-over-one",
            BASE + "tracing.sample.ratio: '1.5'\n",
            "sample-ratio-over-one.yaml:13:23: 'tracing.sample.ratio' must be a number from 0 to"
                + " 1, found '1.5' — write a value in that range, or remove the key for the"
                + " default (0.01)"),
        of(
            "too-large-for-an-int",
            BASE + "http.port: 99999999999\n",
            "too-large-for-an-int.yaml:13:12: 'http.port' must be a whole number, found the"
                + " number '99999999999' — for example 'http.port: 9464'"),
        of(
            "ambiguous-byte-unit",
            BASE + "apply.window.bytes: 32MB\n",
            "ambiguous-byte-unit.yaml:13:21: 'apply.window.bytes' has the unit 'MB', which is"
                + " ambiguous — write 32MiB; the units are B, KiB, MiB, GiB and TiB (powers of"
                + " 1024)"),
        of(
            "duration-without-unit",
            BASE + "shipping:\n  linger: 20\n",
            "duration-without-unit.yaml:14:11: 'shipping.linger' is the number 20 without a unit"
                + " — write a duration with its unit, such as 20ms or 20s"),
        of(
            "not-a-duration",
            BASE + "apply.retry.min: soon\n",
            "not-a-duration.yaml:13:18: 'apply.retry.min' must be a duration such as 500ms, 30s,"
                + " 5m, 2h, 7d or PT1S, found the string 'soon' — for example 'apply.retry.min:"
                + " 50ms'"),
        of(
            "duration-out-of-range",
            BASE + "topics.retention: 30m\n",
            "duration-out-of-range.yaml:13:19: 'topics.retention' must be 0 (unlimited) or at"
                + " least 1h, found '30m' — write a value in that range, or remove the key for"
                + " the default (7d)"),
        of(
            "yes-is-not-a-boolean",
            BASE + "http:\n  enabled: yes\n",
            "yes-is-not-a-boolean.yaml:14:12: 'http.enabled' must be true or false, found the"
                + " string 'yes' — for example 'http.enabled: true'"),
        of(
            "no-value",
            BASE + "apply:\n  workers:\n",
            "no-value.yaml:14:11: 'apply.workers' has no value — write a whole number, or remove"
                + " the key for the default (4)"),
        of(
            "section-given-a-value",
            BASE + "apply: 4\n",
            "section-given-a-value.yaml:13:8: 'apply' is a section of keys, found the number '4'"
                + " — indent its keys under it, for example 'apply: {workers: …}'"),
        of(
            "list-for-a-single-value",
            BASE + "http.port: [9464, 9465]\n",
            "list-for-a-single-value.yaml:13:12: 'http.port' must be a whole number, found a"
                + " list — write a single value, for example 'http.port: 9464'"),
        of(
            "missing-key-in-section",
            BASE.replace("  url: jdbc:postgresql://127.0.0.1:5432/app\n", ""),
            "missing-key-in-section.yaml:2:1: missing required key 'database.url' — add 'url:"
                + " jdbc:postgresql://127.0.0.1:5432/app' under 'database:' (JDBC URL of the"
                + " local PostgreSQL (14+, wal_level=logical); a password= parameter in it is"
                + " masked wherever the URL is shown)"),
        of(
            "only-a-region",
            "region: eu-west\n",
            "only-a-region.yaml:1:1: missing required key 'database.url' — add 'database.url:"
                + " jdbc:postgresql://127.0.0.1:5432/app' (JDBC URL of the local PostgreSQL (14+,"
                + " wal_level=logical); a password= parameter in it is masked wherever the URL is"
                + " shown)",
            "only-a-region.yaml:1:1: missing required key 'database.user' — add 'database.user:"
                + " georep' (database user: needs REPLICATION, owns the published tables and may"
                + " create schema georep)",
            "only-a-region.yaml:1:1: missing required key 'publications' — add 'publications:"
                + " [orders.yaml]' listing the publication files (paths relative to this file)",
            "only-a-region.yaml:1:1: missing required key 'regions' — list every region of the"
                + " topology, this one included, e.g. 'regions: [{name: eu-west, kafka:"
                + " {bootstrap.servers: kafka-eu:9092}}, {name: us-east, kafka:"
                + " {bootstrap.servers: kafka-us:9092}}]'"),
        of(
            "invalid-region-name",
            BASE.replace("region: eu-west", "region: eu west"),
            "invalid-region-name.yaml:1:9: region name 'eu west' is not valid — use 1 to 64"
                + " characters from A-Z, a-z, 0-9, '.', '_' and '-' (for example 'us-east')"),
        of(
            "own-region-not-listed",
            BASE.replace("region: eu-west", "region: ap-south"),
            "own-region-not-listed.yaml:1:9: region 'ap-south' is not listed in 'regions' (line"
                + " 8) — add '- name: ap-south' with the Kafka cluster that holds its stream"),
        of(
            "one-region",
            BASE.substring(0, BASE.indexOf("  - name: us-east")),
            "one-region.yaml:8:3: 'regions' lists 1 region; replication needs at least two —"
                + " list every region of the topology, this one included, each with its Kafka"
                + " cluster"),
        of(
            "duplicate-region",
            BASE + "  - name: us-east\n    kafka: {bootstrap.servers: k3:9092}\n",
            "duplicate-region.yaml:13:5: region 'us-east' is listed twice (first at line 11) —"
                + " list each region once"),
        of(
            "region-without-kafka",
            BASE + "  - name: ap-south\n",
            "region-without-kafka.yaml:13:11: region 'ap-south' has no Kafka bootstrap.servers —"
                + " add 'kafka: {bootstrap.servers: host:9092}' to the region, or a shared"
                + " 'kafka:' section at the top"),
        of(
            "misspelt-region-key",
            BASE + "  - nmae: ap-south\n",
            "misspelt-region-key.yaml:13:5: a region needs a name — add 'name: eu-west' to the"
                + " entry",
            "misspelt-region-key.yaml:13:5: unknown key 'nmae' in a region — did you mean"
                + " 'name'?"),
        of(
            "duplicate-region-name-key",
            BASE
                + "  - name: ap-south\n    name: sa-east\n    kafka: {bootstrap.servers: k3:9092}\n",
            "duplicate-region-name-key.yaml:14:5: duplicate key 'name' in a region (first at line"
                + " 13) — remove one of them; YAML keeps only one value per key"),
        of(
            "kafka-setting-beside-the-name",
            BASE + "  - name: ap-south\n    bootstrap.servers: k3:9092\n",
            "kafka-setting-beside-the-name.yaml:13:11: region 'ap-south' has no Kafka"
                + " bootstrap.servers — add 'kafka: {bootstrap.servers: host:9092}' to the"
                + " region, or a shared 'kafka:' section at the top",
            "kafka-setting-beside-the-name.yaml:14:5: unknown key 'bootstrap.servers' in a"
                + " region — Kafka client settings go under the region's 'kafka:'"),
        of(
            "kafka-setting-the-agent-owns",
            BASE + "kafka:\n  acks: 1\n  group.id: mine\n",
            "kafka-setting-the-agent-owns.yaml:14:3: Kafka setting 'acks' is set by the agent"
                + " itself: the producer always uses acks=all; the stream's durability rests on"
                + " it — remove it from kafka",
            "kafka-setting-the-agent-owns.yaml:15:3: Kafka setting 'group.id' is set by the"
                + " agent itself: consumers have no group: positions come from the database —"
                + " remove it from kafka"),
        of(
            "misspelt-kafka-setting",
            BASE.replace(
                "bootstrap.servers: k1:9092",
                "bootstrap.servers: k1:9092\n      ssl.truststore.pasword: x"),
            "misspelt-kafka-setting.yaml:11:7: unknown Kafka client setting"
                + " 'ssl.truststore.pasword' in regions[eu-west].kafka — did you mean"
                + " 'ssl.truststore.password'?"),
        of(
            "publication-file-missing",
            BASE.replace("[orders.yaml]", "[orders.yaml, payments.yaml]"),
            "publication-file-missing.yaml:6:29: publication file 'payments.yaml' does not exist"
                + " (looked for payments.yaml) — paths are relative to the directory of"
                + " publication-file-missing.yaml; correct the path"),
        of(
            "publication-listed-twice",
            BASE.replace("[orders.yaml]", "[orders.yaml, ./orders.yaml]"),
            "publication-listed-twice.yaml:6:29: publication file './orders.yaml' is listed"
                + " twice (first at line 6) — list each file once"),
        of(
            "publications-not-a-list",
            BASE.replace("[orders.yaml]", "orders.yaml"),
            "publications-not-a-list.yaml:6:15: 'publications' must be a list of files, found"
                + " the string 'orders.yaml' — write publications: [orders.yaml] (paths relative"
                + " to this file)"),
        of(
            "publication-for-an-unknown-region",
            BASE.replace("[orders.yaml]", "[emea.yaml]"),
            "emea.yaml:2:11: unknown region 'ap-south' — known regions are eu-west, us-east"),
        of(
            "unset-environment-variable",
            BASE.replace("${env:DB_PASSWORD}", "${env:NO_SUCH_VARIABLE}"),
            "unset-environment-variable.yaml:5:13: environment variable NO_SUCH_VARIABLE (for"
                + " database.password) is not set — set NO_SUCH_VARIABLE in the agent's"
                + " environment, or use ${file:PATH}"),
        of(
            "missing-secret-file",
            BASE.replace("${env:DB_PASSWORD}", "${file:no-such-secret.txt}"),
            "missing-secret-file.yaml:5:13: secret file no-such-secret.txt (for"
                + " database.password) does not exist — create it, or correct the path (relative"
                + " paths start at the configuration file's directory)"),
        of(
            "unknown-reference-kind",
            BASE.replace("${env:DB_PASSWORD}", "${vault:db/password}"),
            "unknown-reference-kind.yaml:5:13: unknown reference ${vault:…} in database.password"
                + " — write ${env:NAME} or ${file:PATH}; for a literal '${' write '$${'"),
        of(
            "reference-without-kind",
            BASE.replace("${env:DB_PASSWORD}", "${DB_PASSWORD}"),
            "reference-without-kind.yaml:5:13: unknown reference ${DB_PASSWORD} in"
                + " database.password — write ${env:DB_PASSWORD} or ${file:PATH}; for a literal"
                + " '${' write '$${'"),
        of(
            "unclosed-reference",
            BASE.replace("${env:DB_PASSWORD}", "${env:DB_PASSWORD"),
            "unclosed-reference.yaml:5:13: a reference in database.password has no closing '}'"
                + " — write ${env:NAME} or ${file:PATH}; for a literal '${' write '$${'"),
        of(
            "reference-in-a-plain-setting",
            BASE + "http.host: ${env:HOST}\n",
            "reference-in-a-plain-setting.yaml:13:12: 'http.host' cannot hold a reference"
                + " (${env:…}, ${file:…}) — references are accepted in database.url,"
                + " database.user, database.password, database.tls.key-password, http.token,"
                + " http.tls.keystore-password, signing.*.secret and Kafka settings; write the value"
                + " itself"),
        of(
            "unknown-kafka-variable",
            BASE.replace(
                "bootstrap.servers: k1:9092",
                "bootstrap.servers: k1:9092\n      sasl.jaas.config: ${env:NO_JAAS}"),
            "unknown-kafka-variable.yaml:11:25: environment variable NO_JAAS (for"
                + " regions[eu-west].kafka.sasl.jaas.config) is not set — set NO_JAAS in the"
                + " agent's environment, or use ${file:PATH}"),
        of(
            "retry-min-above-max",
            BASE + "apply:\n  retry.min: 10s\n",
            "retry-min-above-max.yaml:14:14: apply.retry.max must be at least apply.retry.min"),
        of(
            "timeout-not-above-heartbeat",
            BASE + "control:\n  heartbeat.interval: 20s\n",
            "timeout-not-above-heartbeat.yaml:14:23: control.region.timeout must be longer than"
                + " control.heartbeat.interval"),
        of(
            "in-flight-below-batch",
            BASE + "shipping:\n  batch.max.transactions: 1000\n  max.in.flight.transactions: 500\n",
            "in-flight-below-batch.yaml:15:31: shipping.max.in.flight.transactions must be at"
                + " least shipping.batch.max.transactions"),
        of(
            "invalid-slot-name",
            BASE.replace("  user: georep", "  user: georep\n  slot: Georep-EU"),
            "invalid-slot-name.yaml:5:9: 'database.slot' must be 1 to 63 characters of a-z, 0-9"
                + " and _, found 'Georep-EU' — see docs/configuration.md"),
        of(
            "partitions-not-one",
            BASE + "topics.partitions: 3\n",
            "partitions-not-one.yaml:13:20: 'topics.partitions' must be 1 (an origin's stream is"
                + " one ordered partition), found '3' — write a value in that range, or remove"
                + " the key for the default (1)"),
        of(
            "url-not-jdbc-password-masked",
            BASE.replace(
                "jdbc:postgresql://127.0.0.1:5432/app", "postgres://h/app?password=" + DB_SECRET),
            "url-not-jdbc-password-masked.yaml:3:8: 'database.url' must be a PostgreSQL URL"
                + " such as jdbc:postgresql://127.0.0.1:5432/app, found 'postgres://h/app?password=***' —"
                + " see docs/configuration.md"),
        of(
            "url-user-info-password-masked",
            BASE.replace(
                "jdbc:postgresql://127.0.0.1:5432/app",
                "postgresql://georep:" + DB_SECRET + "@h/app"),
            "url-user-info-password-masked.yaml:3:8: 'database.url' must be a PostgreSQL URL"
                + " such as jdbc:postgresql://127.0.0.1:5432/app, found 'postgresql://georep:***@h/app' —"
                + " see docs/configuration.md"),
        of(
            "url-from-environment-not-shown",
            BASE.replace("jdbc:postgresql://127.0.0.1:5432/app", "${env:DB_URL}"),
            "url-from-environment-not-shown.yaml:3:8: 'database.url' must be a PostgreSQL URL"
                + " such as jdbc:postgresql://127.0.0.1:5432/app, found the value of its reference — see"
                + " docs/configuration.md"),
        of(
            "many-problems-at-once",
            BASE.replace("user: georep", "user: ''") + "apply:\n  workers: 0\nhttp:\n  port: -1\n",
            "many-problems-at-once.yaml:4:9: 'database.user' must be a user name, not blank,"
                + " found '' — see docs/configuration.md",
            "many-problems-at-once.yaml:14:12: 'apply.workers' must be 1 to 64, found '0' —"
                + " write a value in that range, or remove the key for the default (4)",
            "many-problems-at-once.yaml:16:9: 'http.port' must be 0 to 65535, found '-1' —"
                + " write a value in that range, or remove the key for the default (9464)"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("malformed")
  void load_malformedFile_reportsExactProblems(Case c) throws IOException {
    write(
        "emea.yaml", "publication: emea\nregions: [ap-south]\ntables:\n  - table: public.orders\n");

    assertThat(problems(c.name(), c.content())).containsExactlyElementsOf(c.expected());
  }

  /** {@link #BASE} with a {@code tls:} section of these lines under {@code database:}. */
  private static String withTls(String... lines) {
    StringBuilder tls = new StringBuilder("  password: ${env:DB_PASSWORD}\n  tls:\n");
    for (String line : lines) {
      tls.append("    ").append(line).append('\n');
    }
    return BASE.replace("  password: ${env:DB_PASSWORD}\n", tls.toString());
  }

  static Stream<Arguments> tlsProblems() {
    return Stream.of(
        of(
            "tls-unknown-mode",
            withTls("mode: verify"),
            "tls-unknown-mode.yaml:7:11: 'database.tls.mode' must be disable, "
                + "prefer, require, verify-ca or verify-full, found 'verify' — see "
                + "docs/configuration.md"),
        of(
            "tls-missing-root-cert",
            withTls("mode: verify-full", "root-cert: certs/ca.pem"),
            "tls-missing-root-cert.yaml:8:16: database.tls.root-cert names "
                + "certs/ca.pem, which does not exist: correct the path (relative to the "
                + "configuration file) or create the file"),
        of(
            "tls-verify-without-root-cert",
            withTls("mode: verify-ca"),
            "tls-verify-without-root-cert.yaml:7:11: database.tls.mode verify-ca "
                + "needs database.tls.root-cert: set it to the PEM file of the "
                + "certificate authority that signed the server's certificate"),
        of(
            "tls-url-sets-sslmode",
            withTls("mode: verify-full", "root-cert: ca.pem")
                .replace("5432/app", "5432/app?sslmode=require"),
            "tls-url-sets-sslmode.yaml:3:8: database.url sets TLS itself "
                + "('sslmode') while database.tls.* is set (database.tls.mode sets the "
                + "same): set TLS in one place — remove 'sslmode' from database.url and "
                + "use database.tls.mode, or remove database.tls.*"),
        of(
            "tls-pem-key",
            withTls(
                "mode: verify-full", "root-cert: ca.pem", "cert: client.pem", "key: client.key"),
            "tls-pem-key.yaml:10:10: database.tls.key client.key is a PEM file, "
                + "which PgJDBC cannot read: convert it to PKCS#8 DER with 'openssl "
                + "pkcs8 -topk8 -outform DER -nocrypt -in client.key -out client.pk8' "
                + "(or to PKCS#12 .p12 holding the certificate too) and name that file"),
        of(
            "tls-key-without-cert",
            withTls("mode: verify-full", "root-cert: ca.pem", "key: client.pk8"),
            "tls-key-without-cert.yaml:9:10: database.tls.cert and "
                + "database.tls.key go together: give both, or neither (a PKCS#12 "
                + "database.tls.key holds the certificate too)"),
        of(
            "tls-key-password-unset-variable",
            withTls(
                "mode: verify-full",
                "root-cert: ca.pem",
                "cert: client.pem",
                "key: client.pk8",
                "key-password: ${env:NO_SUCH_KEY_PASSWORD}"),
            "tls-key-password-unset-variable.yaml:11:19: environment variable "
                + "NO_SUCH_KEY_PASSWORD (for database.tls.key-password) is not set — set "
                + "NO_SUCH_KEY_PASSWORD in the agent's environment, or use ${file:PATH}"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("tlsProblems")
  void load_invalidTls_reportsTheKeyAndPosition(Case c) throws IOException {
    write("ca.pem", "-----BEGIN CERTIFICATE-----\n");
    write("client.pem", "-----BEGIN CERTIFICATE-----\n");
    write("client.key", "-----BEGIN PRIVATE KEY-----\n");
    write("client.pk8", "DER bytes");

    assertThat(problems(c.name(), c.content())).containsExactlyElementsOf(c.expected());
  }

  /** Writes a PKCS#12 file whose key is named {@code user}, as PgJDBC reads it. */
  private static void writeUserPkcs12(Path file, String password) throws IOException {
    TestCertificates.Issued issued = TestCertificates.authority("ca").issue("georep");
    try (java.io.OutputStream out = Files.newOutputStream(file)) {
      java.security.KeyStore store = java.security.KeyStore.getInstance("PKCS12");
      store.load(null, null);
      store.setKeyEntry(
          "user",
          issued.keys().getPrivate(),
          password.toCharArray(),
          issued.chain().toArray(new java.security.cert.Certificate[0]));
      store.store(out, password.toCharArray());
    } catch (java.security.GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }

  @Test
  void load_pkcs12KeyWithAnotherPassword_namesTheKeyPassword() throws IOException {
    write("ca.pem", "-----BEGIN CERTIFICATE-----\n");
    writeUserPkcs12(write("client.p12", ""), "another-password");

    assertThat(
            problems(
                "tls-p12-password",
                withTls(
                        "mode: verify-full",
                        "root-cert: ca.pem",
                        "key: client.p12",
                        "key-password: ${env:DB_PASSWORD}")
                    .getBytes(StandardCharsets.UTF_8)))
        .singleElement()
        .asString()
        .startsWith(
            "tls-p12-password.yaml:9:10: database.tls.key client.p12 does not open as PKCS#12")
        .contains("set database.tls.key-password to the password of the file")
        .doesNotContain(DB_SECRET);
  }

  @Test
  void load_tls_resolvesFilesAgainstTheFileAndTheKeyPasswordReference() throws IOException {
    write("certs/ca.pem", "-----BEGIN CERTIFICATE-----\n");
    writeUserPkcs12(write("certs/client.p12", ""), DB_SECRET);
    AgentSettings s =
        load(
            withTls(
                "mode: verify-full",
                "root-cert: certs/ca.pem",
                "key: certs/client.p12",
                "key-password: ${env:DB_PASSWORD}"));

    DatabaseTls tls = s.database().tls();
    assertThat(tls.mode()).isEqualTo(DatabaseTls.Mode.VERIFY_FULL);
    assertThat(tls.rootCert()).isEqualTo(dir.resolve("certs/ca.pem"));
    assertThat(tls.key()).isEqualTo(dir.resolve("certs/client.p12"));
    assertThat(tls.keyPassword()).isEqualTo(DB_SECRET);
    assertThat(s.databaseSettings().tls()).isEqualTo(tls);
    assertThat(s.toString()).contains("mode=verify-full").doesNotContain(DB_SECRET);
    assertThat(load(BASE).database().tls()).isEqualTo(DatabaseTls.DEFAULT);
  }

  @Test
  void load_notUtf8_reportsThePosition() throws IOException {
    byte[] bytes = "region: eu-west\ndatabase:\n  user: g\u00e9\n".getBytes(StandardCharsets.UTF_8);
    byte[] latin1 =
        "region: eu-west\ndatabase:\n  user: g\u00e9\n".getBytes(StandardCharsets.ISO_8859_1);

    assertThat(problems("utf8", bytes)).noneMatch(p -> p.contains("UTF-8"));
    assertThat(problems("latin1", latin1))
        .containsExactly(
            "latin1.yaml:3:10: file is not valid UTF-8: byte 0xE9 at byte offset 35 cannot be"
                + " decoded — save the file as UTF-8");
  }

  @Test
  void load_missingFile_namesTheFile() {
    assertThatThrownBy(() -> AgentConfig.create().load(dir.resolve("nowhere.yaml")))
        .isInstanceOf(AgentConfigException.class)
        .hasMessageContaining("nowhere.yaml:1:1: the agent configuration file does not exist");
  }

  @Test
  void load_validFile_resolvesSecretsDefaultsAndKafkaSettings() throws IOException {
    AgentSettings s =
        load(
            BASE.replace(
                    "bootstrap.servers: k1:9092",
                    """
                    bootstrap.servers: [k1:9092, k1b:9092]
                          security.protocol: SASL_SSL
                          sasl:
                            mechanism: SCRAM-SHA-512
                            jaas.config: ${env:JAAS}
                          ssl.truststore.password: ${file:secret.txt}
                          ssl.truststore.location: /etc/georep/trust.p12""")
                + """
                apply:
                  workers: 8
                  retry.max: 10s
                topics:
                  retention: 3d
                  max.message.bytes: 4MiB
                control.gc.interval: 0
                """);

    assertThat(s.region()).isEqualTo(ReplicaId.of("eu-west"));
    assertThat(s.database().password()).isEqualTo(DB_SECRET);
    assertThat(s.database().slotName()).isNull();
    assertThat(s.localRegion().kafka())
        .containsEntry("bootstrap.servers", "k1:9092,k1b:9092")
        .containsEntry("security.protocol", "SASL_SSL")
        .containsEntry("sasl.mechanism", "SCRAM-SHA-512")
        .containsEntry("sasl.jaas.config", JAAS_SECRET)
        .containsEntry("ssl.truststore.password", FILE_SECRET)
        .containsEntry("ssl.truststore.location", "/etc/georep/trust.p12");
    assertThat(s.regionSettings(ReplicaId.of("us-east")).kafka())
        .containsExactly(Map.entry("bootstrap.servers", "k2:9092"));
    assertThat(s.apply().workers()).isEqualTo(8);
    assertThat(s.apply().retryMax()).isEqualTo(Duration.ofSeconds(10));
    assertThat(s.apply().window()).isEqualTo(2_000);
    assertThat(s.topics().retention()).isEqualTo(Duration.ofDays(3));
    assertThat(s.topics().maxMessageBytes()).isEqualTo(4 << 20);
    assertThat(s.control().gcInterval()).isZero();
    assertThat(s.http()).isEqualTo(AgentSettings.Http.DEFAULT);
    assertThat(s.publications()).extracting(p -> p.name()).containsExactly("orders");
  }

  @Test
  void load_defaults_matchTheSettingsDefaults() throws IOException {
    AgentSettings s = load(BASE);

    assertThat(s.topics()).isEqualTo(AgentSettings.Topics.DEFAULT);
    assertThat(s.shipping()).isEqualTo(AgentSettings.Shipping.DEFAULT);
    assertThat(s.apply()).isEqualTo(AgentSettings.Apply.DEFAULT);
    assertThat(s.control()).isEqualTo(AgentSettings.Control.DEFAULT);
    assertThat(s.http()).isEqualTo(AgentSettings.Http.DEFAULT);
    assertThat(s.tracing()).isEqualTo(AgentSettings.Tracing.DEFAULT);
    assertThat(s.tracing().enabled()).isFalse();
  }

  @Test
  void load_tracing_endpointAndRatio() throws IOException {
    AgentSettings s =
        load(
            BASE
                + "tracing:\n  otlp.endpoint: http://127.0.0.1:4318/v1/traces\n"
                + "  sample.ratio: 0.25\n");

    assertThat(s.tracing())
        .isEqualTo(new AgentSettings.Tracing("http://127.0.0.1:4318/v1/traces", 0.25));
    assertThat(s.tracing().enabled()).isTrue();
  }

  @Test
  void load_sharedKafka_isMergedIntoEveryRegionAndOverridable() throws IOException {
    AgentSettings s =
        load(
            """
            region: us-east
            database: {url: 'jdbc:postgresql://db/app', user: georep}
            publications: [orders.yaml]
            kafka:
              bootstrap.servers: shared:9092
              security.protocol: SSL
            regions:
              - eu-west
              - us-east
              - name: ap-south
                kafka: {bootstrap.servers: ap:9092}
            """);

    assertThat(s.regionSettings(ReplicaId.of("eu-west")).kafka())
        .containsEntry("bootstrap.servers", "shared:9092")
        .containsEntry("security.protocol", "SSL");
    assertThat(s.localRegion().bootstrapServers()).isEqualTo("shared:9092");
    assertThat(s.regionSettings(ReplicaId.of("ap-south")).kafka())
        .containsEntry("bootstrap.servers", "ap:9092")
        .containsEntry("security.protocol", "SSL");
    assertThat(s.database().password()).isEmpty();
  }

  @Test
  void load_dottedAndNestedKeys_areEquivalent() throws IOException {
    AgentSettings nested = load(BASE + "shipping:\n  batch:\n    max:\n      transactions: 7\n");
    AgentSettings dotted = load(BASE + "shipping.batch.max.transactions: 7\n");

    assertThat(nested.shipping()).isEqualTo(dotted.shipping());
    assertThat(dotted.shipping().maxBatchTransactions()).isEqualTo(7);
  }

  @Test
  void load_secretFileAndEscapes_resolveAsDocumented() throws IOException {
    write("secrets/db", "line-one\r\n\n");
    AgentSettings s =
        load(
            BASE.replace("${env:DB_PASSWORD}", "'$${not-a-reference}${file:secrets/db}'")
                .replace("user: georep", "user: ${env:DB_PASSWORD}-user"));

    assertThat(s.database().password()).isEqualTo("${not-a-reference}line-one");
    assertThat(s.database().user()).isEqualTo(DB_SECRET + "-user");
  }

  @Test
  void load_publicationPaths_areRelativeToTheConfigurationFile() throws IOException {
    write("shared/publications/orders.yaml", "publication: o\ntables:\n  - table: public.o\n");
    Path config =
        write(
            "conf/agent.yaml",
            BASE.replace("[orders.yaml]", "[../shared/publications/orders.yaml]"));

    AgentSettings s = AgentConfig.withEnvironment(ENV::get).load(config);

    assertThat(s.publications()).extracting(p -> p.name()).containsExactly("o");
    assertThat(s.publications().get(0).position().file())
        .isEqualTo(dir.resolve("conf/../shared/publications/orders.yaml").toString());
  }

  @Test
  void load_invalidPublicationFile_reportsItsOwnPositions() throws IOException {
    write("orders.yaml", "publication: orders\ntabels: []\n");

    assertThat(problems("agent", BASE.getBytes(StandardCharsets.UTF_8)))
        .contains(
            "orders.yaml:2:1: unknown key 'tabels' in publication file — did you mean 'tables'?");
  }

  @Test
  void secrets_neverAppearInToStringOrProblems() throws IOException {
    AgentSettings s =
        load(
            BASE.replace(
                    "bootstrap.servers: k1:9092",
                    "bootstrap.servers: k1:9092\n      sasl.jaas.config: ${env:JAAS}\n      ssl.key.password: ${file:secret.txt}")
                .replace(
                    "jdbc:postgresql://127.0.0.1:5432/app",
                    "jdbc:postgresql://127.0.0.1:5432/app?password=${env:DB_PASSWORD}"));

    assertThat(s.localRegion().kafka()).containsEntry("ssl.key.password", FILE_SECRET);
    assertThat(s.database().jdbcUrl()).endsWith(DB_SECRET);
    assertThat(s.toString()).doesNotContain(DB_SECRET, JAAS_SECRET, FILE_SECRET);
    assertThat(s.database().toString()).doesNotContain(DB_SECRET);
    assertThat(s.regions().toString()).doesNotContain(JAAS_SECRET, FILE_SECRET);
  }

  @Test
  void resolveReferences_outsideAFile_namesTheVariable() {
    AgentConfig config = AgentConfig.withEnvironment(ENV::get);

    assertThat(config.resolveReferences("${env:DB_PASSWORD}", "--password")).isEqualTo(DB_SECRET);
    assertThat(config.resolveReferences("plain", "--password")).isEqualTo("plain");
    assertThatThrownBy(() -> config.resolveReferences("${env:NOPE}", "--password"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage(
            "environment variable NOPE (for --password) is not set — set NOPE in the agent's"
                + " environment, or use ${file:PATH}");
  }

  private static final Path DOC = Path.of("..", "docs", "configuration.md");
  private static final String BEGIN = "<!-- keys: generated from AgentKeys.ALL -->\n";
  private static final String END = "<!-- end of keys -->\n";

  /**
   * The reference table in {@code docs/configuration.md} is generated from {@link AgentKeys#ALL};
   * run with {@code -Dgeorep.docs.update=true} to rewrite it.
   */
  @Test
  void docs_keyTable_isGeneratedFromTheDeclaredKeys() throws IOException {
    String doc = Files.readString(DOC);
    int begin = doc.indexOf(BEGIN);
    int end = doc.indexOf(END);
    assertThat(begin).as("%s has the markers %s and %s", DOC, BEGIN, END).isNotNegative();
    assertThat(end).isGreaterThan(begin);
    String expected = AgentConfig.keyTable();
    String actual = doc.substring(begin + BEGIN.length(), end);
    if (!actual.equals(expected) && Boolean.getBoolean("georep.docs.update")) {
      Files.writeString(
          DOC, doc.substring(0, begin + BEGIN.length()) + expected + doc.substring(end));
      actual = expected;
    }
    assertThat(actual)
        .as("the key table in %s (regenerate: -Dgeorep.docs.update=true)", DOC)
        .isEqualTo(expected);
  }

  @Test
  void docs_listTheKafkaSettingsTheAgentOwns() throws IOException {
    String doc = Files.readString(DOC).replaceAll("\\s+", " ");

    assertThat(AgentConfig.AGENT_KAFKA_SETTINGS.keySet())
        .as("Kafka settings the agent owns, missing from %s", DOC)
        .filteredOn(name -> !doc.contains("`" + name + "`"))
        .isEmpty();
  }

  /** The annotated example in {@code docs/configuration.md} uses only valid keys and values. */
  @Test
  void docs_example_loads() throws IOException {
    Matcher m =
        Pattern.compile("## Example\\n+```yaml\\n(.*?)```", Pattern.DOTALL)
            .matcher(Files.readString(DOC));
    assertThat(m.find()).as("%s has an example", DOC).isTrue();
    write("publications/orders.yaml", "publication: orders\ntables:\n  - table: public.orders\n");
    write("publications/profiles.yaml", "publication: profiles\ntables:\n  - table: public.p\n");
    String yaml = m.group(1).replaceAll("\\$\\{file:/run/secrets/[^}]*}", "\\${file:secret.txt}");

    AgentSettings s =
        AgentConfig.withEnvironment(name -> "value-of-" + name).load(write("example.yaml", yaml));

    assertThat(s.regions()).hasSizeGreaterThanOrEqualTo(2);
    assertThat(s.toString()).doesNotContain("value-of-", FILE_SECRET);
  }
}
