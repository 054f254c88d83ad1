package io.georep.replicator;

import io.georep.connector.spi.DatabaseSettings;
import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Every key of {@code agent.yaml}, declared once: name, type, default, allowed values, validator
 * and documentation. {@link AgentConfig} walks a file against {@link #ALL}; {@link AgentSettings}
 * takes its defaults from the keys and validates each value with its key ({@link Key#check});
 * {@code docs/configuration.md} holds the table {@code AgentConfig.keyTable()} prints from them
 * (checked by a test). The relations between keys ({@code apply.retry.max} at least {@code
 * apply.retry.min}, …) are the settings records' own.
 *
 * <p>A key is typed ({@code Key<Integer>} for {@code apply.workers}): the loader reads a parsed
 * value with {@link Key#from}, the records read defaults with {@link Key#defaultValue()}, without a
 * cast or a second declaration. The initial copy's defaults come from the connector SPI's {@link
 * DatabaseSettings}, and {@code database.url} accepts what an installed connector accepts.
 *
 * <p>About 1,050 lines: one declaration per key with the documentation {@code config check} and the
 * reference table show, which is most of it; the key type and the parsers of its defaults.
 */
public final class AgentKeys {
  private AgentKeys() {}

  // Before the keys: their constructors parse their defaults.
  private static final Pattern BYTES = Pattern.compile("(\\d{1,19})\\s*(B|KiB|MiB|GiB|TiB)?");
  private static final Pattern DURATION = Pattern.compile("(\\d{1,18})\\s*(ms|s|m|h|d)");
  private static final long KIB = 1L << 10;
  private static final long MIB = 1L << 20;
  private static final long TIB = 1L << 40;

  /** The type of a configuration value. */
  public enum Type {
    /** Text. */
    STRING("string", String.class),
    /** A whole number. */
    INT("int", Integer.class),
    /**
     * A byte count: a number, or with a suffix {@code KiB}, {@code MiB}, {@code GiB}, {@code TiB}.
     */
    BYTES("bytes", Long.class),
    /**
     * A duration: {@code 20ms}, {@code 1s}, {@code 5m}, {@code 2h}, {@code 7d}, {@code 0} or ISO.
     */
    DURATION("duration", Duration.class),
    /** {@code true} or {@code false}. */
    BOOLEAN("boolean", Boolean.class),
    /** A list of file paths. */
    FILES("list of files", Void.class),
    /** The list of regions. */
    REGIONS("list", Void.class),
    /** A mapping of Kafka client properties. */
    KAFKA("map", Void.class);

    private final String label;
    private final Class<?> valueClass;

    Type(String label, Class<?> valueClass) {
      this.label = label;
      this.valueClass = valueClass;
    }

    /**
     * Returns the name of the type as the reference documentation shows it.
     *
     * @return the label
     */
    public String label() {
      return label;
    }
  }

  /** Checks a parsed value; returns what is allowed if the value is not, else null. */
  interface Check<T> {
    String violation(T value);
  }

  /**
   * One declared key of {@code agent.yaml}: its name, type, default, allowed values and meaning.
   * Immutable.
   *
   * @param <T> the type of its parsed value ({@link Void} for the structural keys)
   */
  public static final class Key<T> {
    private final String name;
    private final Type type;
    private final String defaultYaml;
    private final String defaultText;
    private final String allowed;
    private final String doc;
    private final String example;
    private final boolean secrets;
    private final Check<T> check;
    private final T defaultValue;

    Key(
        String name,
        Type type,
        String defaultYaml,
        String defaultText,
        String allowed,
        String doc,
        String example,
        boolean secrets,
        Check<T> check) {
      this.name = name;
      this.type = type;
      this.defaultYaml = defaultYaml;
      this.defaultText = defaultText;
      this.allowed = allowed;
      this.doc = doc;
      this.example = example;
      this.secrets = secrets;
      this.check = check;
      this.defaultValue = defaultYaml == null ? null : cast(parseDefault(type, defaultYaml));
      if (defaultValue != null && check != null && check.violation(defaultValue) != null) {
        throw new AssertionError("the default of " + name + " is outside what it allows");
      }
    }

    /**
     * Returns the dotted key, such as {@code apply.workers}.
     *
     * @return the name
     */
    public String name() {
      return name;
    }

    /**
     * Returns the type.
     *
     * @return the type
     */
    public Type type() {
      return type;
    }

    /**
     * Returns the default as written in YAML; empty for a required key or a default computed from
     * other keys (see {@link #defaultText()}).
     *
     * @return the default's text
     */
    public Optional<String> defaultYaml() {
      return Optional.ofNullable(defaultYaml);
    }

    /**
     * Returns the default, parsed.
     *
     * @return the value
     * @throws IllegalStateException if the key has no default of its own
     */
    public T defaultValue() {
      if (defaultValue == null) {
        throw new IllegalStateException(name + " has no default of its own");
      }
      return defaultValue;
    }

    /**
     * Returns the default as the documentation shows it ({@code required} for a required key).
     *
     * @return the text
     */
    public String defaultText() {
      return defaultText;
    }

    /**
     * Returns whether the key must be given.
     *
     * @return true if required
     */
    public boolean required() {
      return defaultText.equals("required");
    }

    /**
     * Returns the allowed values as the documentation shows them, or {@code —} for any.
     *
     * @return the text
     */
    public String allowed() {
      return allowed;
    }

    /**
     * Returns what the key means.
     *
     * @return the documentation
     */
    public String doc() {
      return doc;
    }

    /** Returns an example value for messages, or null. */
    String example() {
      return example;
    }

    /**
     * Returns whether the value may contain {@code ${env:…}} and {@code ${file:…}} references.
     *
     * @return true for secret-capable keys
     */
    public boolean acceptsSecrets() {
      return secrets;
    }

    /**
     * Checks a value against what the key allows.
     *
     * @param value the value; null counts as missing
     * @return null if the value is allowed, else {@code "<key> must be <allowed>"}, or {@code
     *     "<key> is required"} for null
     */
    public String check(T value) {
      if (value == null) {
        return name + " is required";
      }
      String violation = violation(value);
      return violation == null ? null : name + " must be " + violation;
    }

    /** What the key allows if the value (parsed for this key's type) is outside it, else null. */
    String violation(Object value) {
      return check == null ? null : check.violation(cast(value));
    }

    /** Reads this key's parsed value from the loader's values by key name; null if absent. */
    T from(Map<String, Object> values) {
      return cast(values.get(name));
    }

    @SuppressWarnings("unchecked") // the type's value class is the class of T
    private T cast(Object value) {
      return (T) type.valueClass.cast(value);
    }

    boolean scalar() {
      return type != Type.FILES && type != Type.REGIONS && type != Type.KAFKA;
    }

    @Override
    public String toString() {
      return name;
    }
  }

  /** Adds a key's complaint about a value, if it has one, to a list of problems. */
  static <T> void check(List<String> problems, Key<T> key, T value) {
    String problem = key.check(value);
    if (problem != null) {
      problems.add(problem);
    }
  }

  private static <T extends Number> Check<T> range(long min, long max, String allowed) {
    return v -> {
      long n = v.longValue();
      return n < min || n > max ? allowed : null;
    };
  }

  private static Check<Duration> durationRange(
      Duration min, Duration max, boolean zero, String allowed) {
    return d -> {
      if (zero && d.isZero()) {
        return null;
      }
      return d.compareTo(min) < 0 || d.compareTo(max) > 0 ? allowed : null;
    };
  }

  private static Check<String> pattern(String regex, String allowed) {
    Pattern p = Pattern.compile(regex);
    return v -> p.matcher(v).matches() ? null : allowed;
  }

  private static <T> Key<T> key(
      String name, Type type, String def, String allowed, Check<T> check, String doc) {
    return new Key<>(
        name,
        type,
        def,
        def == null ? "required" : "`" + def + "`",
        allowed,
        doc,
        null,
        false,
        check);
  }

  private static <T> Key<T> required(
      String name, Type type, String allowed, Check<T> check, String example, String doc) {
    return new Key<>(name, type, null, "required", allowed, doc, example, false, check);
  }

  private static Key<String> optional(
      String name, String defaultText, String allowed, Check<String> check, String doc) {
    return new Key<>(name, Type.STRING, null, defaultText, allowed, doc, null, false, check);
  }

  private static Key<Void> structure(
      String name, Type type, String defaultText, String example, String doc) {
    return new Key<>(name, type, null, defaultText, "—", doc, example, type == Type.KAFKA, null);
  }

  private static <T> Key<T> withSecrets(Key<T> k) {
    return new Key<>(
        k.name, k.type, k.defaultYaml, k.defaultText, k.allowed, k.doc, k.example, true, k.check);
  }

  /** {@code region}. */
  public static final Key<String> REGION =
      required(
          "region",
          Type.STRING,
          "1–64 of `A-Z a-z 0-9 . _ -`",
          null,
          "eu-west",
          "this agent's region: the origin of everything its database's applications write;"
              + " used in topic names, metric tags and metadata, and must appear in"
              + " `regions`");

  /** {@code database.url}. */
  public static final Key<String> DATABASE_URL =
      withSecrets(
          required(
              "database.url",
              Type.STRING,
              "`jdbc:postgresql:…`",
              url -> Connectors.find(url).isPresent() ? null : Connectors.supportedForms(),
              "jdbc:postgresql://127.0.0.1:5432/app",
              "JDBC URL of the local PostgreSQL (14+, `wal_level=logical`); a `password=`"
                  + " parameter in it is masked wherever the URL is shown"));

  /** {@code database.user}. */
  public static final Key<String> DATABASE_USER =
      withSecrets(
          required(
              "database.user",
              Type.STRING,
              "not blank",
              pattern("(?s).*\\S.*", "a user name, not blank"),
              "georep",
              "database user: needs `REPLICATION`, owns the published tables and may create"
                  + " schema `georep`"));

  /** {@code database.password}. */
  public static final Key<String> DATABASE_PASSWORD =
      withSecrets(
          key(
              "database.password",
              Type.STRING,
              "",
              "—",
              null,
              "the password; write a secret reference (`${env:NAME}`, `${file:PATH}`), never"
                  + " the password itself; never shown"));

  /** {@code database.slot}. */
  public static final Key<String> DATABASE_SLOT =
      new Key<>(
          "database.slot",
          Type.STRING,
          null,
          "`georep_<region>`",
          "1–63 of `a-z 0-9 _`",
          "the logical replication slot (created if missing; with it, an initial copy of the"
              + " published rows)",
          null,
          false,
          pattern("[a-z0-9_]{1,63}", "1 to 63 characters of a-z, 0-9 and _"));

  /** {@code database.copy.chunk.rows}. */
  public static final Key<Integer> DATABASE_COPY_CHUNK_ROWS =
      key(
          "database.copy.chunk.rows",
          Type.INT,
          String.valueOf(DatabaseSettings.DEFAULT_COPY_CHUNK_ROWS),
          "100–1000000",
          range(100, 1_000_000, "100 to 1000000"),
          "rows per chunk of the initial copy: one transaction on the database that holds the"
              + " table in SHARE mode (writers wait for it) and carries the rows into the WAL;"
              + " a restarted copy reads at most the chunk it was reading again");

  /** {@code database.copy.parallel}. */
  public static final Key<Integer> DATABASE_COPY_PARALLEL =
      key(
          "database.copy.parallel",
          Type.INT,
          String.valueOf(DatabaseSettings.DEFAULT_COPY_PARALLEL),
          "1–16",
          range(1, 16, "1 to 16"),
          "tables the initial copy reads at once, each over its own connection");

  /** {@code database.tls.mode}. */
  public static final Key<String> DATABASE_TLS_MODE =
      new Key<>(
          "database.tls.mode",
          Type.STRING,
          null,
          "the driver's (PgJDBC: `prefer`)",
          "`disable`, `prefer`, `require`, `verify-ca`, `verify-full`",
          "TLS of every connection to the database (PgJDBC `sslmode`): `verify-full` in"
              + " production — the server's certificate must be signed by"
              + " `database.tls.root-cert` and name the host of `database.url`; `require` and"
              + " `prefer` encrypt without checking who answers",
          null,
          false,
          pattern(
              "disable|prefer|require|verify-ca|verify-full",
              "disable, prefer, require, verify-ca or verify-full"));

  /** {@code database.tls.root-cert}. */
  public static final Key<String> DATABASE_TLS_ROOT_CERT =
      new Key<>(
          "database.tls.root-cert",
          Type.STRING,
          null,
          "none",
          "a readable file",
          "PEM file of the certificate authority that signed the server's certificate"
              + " (PgJDBC `sslrootcert`), relative to this file; required by `verify-ca` and"
              + " `verify-full`",
          null,
          false,
          null);

  /** {@code database.tls.cert}. */
  public static final Key<String> DATABASE_TLS_CERT =
      new Key<>(
          "database.tls.cert",
          Type.STRING,
          null,
          "none",
          "a readable file",
          "client certificate (PEM or DER) for a certificate login (PgJDBC `sslcert`; its CN is"
              + " the user), relative to this file; with `database.tls.key`",
          null,
          false,
          null);

  /** {@code database.tls.key}. */
  public static final Key<String> DATABASE_TLS_KEY =
      new Key<>(
          "database.tls.key",
          Type.STRING,
          null,
          "none",
          "a readable `.pk8` or `.p12` file",
          "client key (PgJDBC `sslkey`), relative to this file: PKCS#8 DER (`.pk8`; PEM keys"
              + " are refused — PgJDBC cannot read them) or PKCS#12 (`.p12`/`.pfx`, holding the"
              + " certificate too)",
          null,
          false,
          null);

  /** {@code database.tls.key-password}. */
  public static final Key<String> DATABASE_TLS_KEY_PASSWORD =
      withSecrets(
          new Key<>(
              "database.tls.key-password",
              Type.STRING,
              null,
              "none",
              "—",
              "password of an encrypted `database.tls.key` (PgJDBC `sslpassword`); write a"
                  + " secret reference (`${env:NAME}`, `${file:PATH}`); never shown",
              null,
              false,
              null));

  /** {@code publications}. */
  public static final Key<Void> PUBLICATIONS =
      structure(
          "publications",
          Type.FILES,
          "required",
          "publications: [orders.yaml]",
          "publication files ([publications.md](publications.md)), relative to this file;"
              + " the same files in every region");

  /** {@code kafka}. */
  public static final Key<Void> KAFKA =
      structure(
          "kafka",
          Type.KAFKA,
          "none",
          "kafka:\n  bootstrap.servers: kafka:9092",
          "Kafka client settings shared by every region (a shared cluster); a region's own"
              + " `kafka` entries override them");

  /** {@code regions}. */
  public static final Key<Void> REGIONS =
      structure(
          "regions",
          Type.REGIONS,
          "required",
          "regions:\n  - name: eu-west\n  - name: us-east",
          "every region of the topology, this one included, at least two; an entry is a name,"
              + " or a mapping with `name` and `kafka`");

  /** {@code regions[].name}. */
  public static final Key<Void> REGIONS_NAME =
      structure(
          "regions[].name",
          Type.STRING,
          "required",
          "- name: eu-west",
          "the region's name (as its agent's `region`)");

  /** {@code regions[].kafka}. */
  public static final Key<Void> REGIONS_KAFKA =
      structure(
          "regions[].kafka",
          Type.KAFKA,
          "the shared `kafka`",
          "kafka:\n  bootstrap.servers: kafka-eu:9092",
          "Kafka client settings of the cluster holding the region's stream:"
              + " `bootstrap.servers` (required here or in the shared `kafka`) and any client"
              + " property (`security.protocol`, `ssl.*`, `sasl.*`, …), passed through");

  /** {@code topics.prefix}. */
  public static final Key<String> TOPICS_PREFIX =
      key(
          "topics.prefix",
          Type.STRING,
          "georep",
          "1–100 of `A-Z a-z 0-9 . _ -`",
          pattern("[A-Za-z0-9._-]{1,100}", "1 to 100 characters of A-Z, a-z, 0-9, '.', '_', '-'"),
          "topic names: `<prefix>.<region>.changes`, `<prefix>.control`");

  /** {@code topics.partitions}. */
  public static final Key<Integer> TOPICS_PARTITIONS =
      key(
          "topics.partitions",
          Type.INT,
          "1",
          "1",
          range(1, 1, "1 (an origin's stream is one ordered partition)"),
          "partitions per changes topic; must be 1: the causal gate and the watermark rely on"
              + " one ordered stream per origin");

  /** {@code topics.replication.factor}. */
  public static final Key<Integer> TOPICS_REPLICATION_FACTOR =
      key(
          "topics.replication.factor",
          Type.INT,
          "-1",
          "-1, 1–16",
          n -> n == -1 || (n >= 1 && n <= 16) ? null : "1 to 16, or -1",
          "replication factor of topics the agent creates (-1: the broker's default); they get"
              + " `min.insync.replicas` = min(2, RF), and a topic with one replica is warned"
              + " about");

  /** {@code topics.retention}. */
  public static final Key<Duration> TOPICS_RETENTION =
      key(
          "topics.retention",
          Type.DURATION,
          "7d",
          "0, ≥ 1h",
          durationRange(
              Duration.ofHours(1),
              Duration.ofDays(365L * 100),
              true,
              "0 (unlimited) or at least 1h"),
          "retention of created changes topics: how long a region may be down and still"
              + " catch up (`0`: unlimited)");

  /** {@code topics.max.message.bytes}. */
  public static final Key<Long> TOPICS_MAX_MESSAGE_BYTES =
      key(
          "topics.max.message.bytes",
          Type.BYTES,
          "8MiB",
          "64KiB–1GiB",
          range(64 * KIB, 1L << 30, "64KiB to 1GiB"),
          "the largest batch record (topic `max.message.bytes`, producer" + " `max.request.size`)");

  /** {@code shipping.batch.max.transactions}. */
  public static final Key<Integer> SHIPPING_BATCH_MAX_TRANSACTIONS =
      key(
          "shipping.batch.max.transactions",
          Type.INT,
          "500",
          "1–100000",
          range(1, 100_000, "1 to 100000"),
          "transactions per stream record");

  /** {@code shipping.batch.max.changes}. */
  public static final Key<Integer> SHIPPING_BATCH_MAX_CHANGES =
      key(
          "shipping.batch.max.changes",
          Type.INT,
          "20000",
          "≥ 1",
          range(1, Integer.MAX_VALUE, "at least 1"),
          "row changes per stream record");

  /** {@code shipping.linger}. */
  public static final Key<Duration> SHIPPING_LINGER =
      key(
          "shipping.linger",
          Type.DURATION,
          "20ms",
          "0–10s",
          durationRange(Duration.ZERO, Duration.ofSeconds(10), true, "0 to 10s"),
          "how long a partial batch waits for more transactions");

  /** {@code shipping.max.in.flight.transactions}. */
  public static final Key<Integer> SHIPPING_MAX_IN_FLIGHT_TRANSACTIONS =
      key(
          "shipping.max.in.flight.transactions",
          Type.INT,
          "5000",
          "≥ `shipping.batch.max.transactions`",
          range(1, Integer.MAX_VALUE, "at least 1"),
          "captured transactions not yet acknowledged by Kafka; beyond it the capture waits");

  /** {@code shipping.max.in.flight.bytes}. */
  public static final Key<Long> SHIPPING_MAX_IN_FLIGHT_BYTES =
      key(
          "shipping.max.in.flight.bytes",
          Type.BYTES,
          "32MiB",
          "1MiB–1TiB",
          range(MIB, TIB, "1MiB to 1TiB"),
          "the same bound in estimated heap bytes");

  /** {@code apply.workers}. */
  public static final Key<Integer> APPLY_WORKERS =
      key(
          "apply.workers",
          Type.INT,
          "4",
          "1–64",
          range(1, 64, "1 to 64"),
          "per-table apply workers, each with its own database connection");

  /** {@code apply.group.max.transactions}. */
  public static final Key<Integer> APPLY_GROUP_MAX_TRANSACTIONS =
      key(
          "apply.group.max.transactions",
          Type.INT,
          String.valueOf(DatabaseSettings.DEFAULT_MAX_GROUP_TRANSACTIONS),
          "1–10000",
          range(1, 10_000, "1 to 10000"),
          "small source transactions coalesced into one database transaction");

  /** {@code apply.window.transactions}. */
  public static final Key<Integer> APPLY_WINDOW_TRANSACTIONS =
      key(
          "apply.window.transactions",
          Type.INT,
          "2000",
          "1–10000",
          range(1, 10_000, "1 to 10000 (the applier's above-set bound)"),
          "per origin: received but not yet applied (the applied prefix); beyond it the"
              + " receiver stops reading");

  /** {@code apply.window.bytes}. */
  public static final Key<Long> APPLY_WINDOW_BYTES =
      key(
          "apply.window.bytes",
          Type.BYTES,
          "32MiB",
          "1MiB–1TiB",
          range(MIB, TIB, "1MiB to 1TiB"),
          "the same window in estimated heap bytes");

  /** {@code apply.retry.min}. */
  public static final Key<Duration> APPLY_RETRY_MIN =
      key(
          "apply.retry.min",
          Type.DURATION,
          "50ms",
          "1ms–1h",
          durationRange(Duration.ofMillis(1), Duration.ofHours(1), false, "1ms to 1h"),
          "first backoff after a retriable failure");

  /** {@code apply.retry.max}. */
  public static final Key<Duration> APPLY_RETRY_MAX =
      key(
          "apply.retry.max",
          Type.DURATION,
          "5s",
          "≥ `apply.retry.min`, ≤ 1h",
          durationRange(Duration.ofMillis(1), Duration.ofHours(1), false, "1ms to 1h"),
          "longest backoff");

  /** {@code control.heartbeat.interval}. */
  public static final Key<Duration> CONTROL_HEARTBEAT_INTERVAL =
      key(
          "control.heartbeat.interval",
          Type.DURATION,
          "1s",
          "10ms–1h",
          durationRange(Duration.ofMillis(10), Duration.ofHours(1), false, "10ms to 1h"),
          "how often the agent publishes its heartbeat (applied vector) on"
              + " `<prefix>.control`");

  /** {@code control.region.timeout}. */
  public static final Key<Duration> CONTROL_REGION_TIMEOUT =
      key(
          "control.region.timeout",
          Type.DURATION,
          "15s",
          "> `control.heartbeat.interval`",
          durationRange(Duration.ofMillis(11), Duration.ofDays(1), false, "11ms to 1d"),
          "a region without a heartbeat for this long is shown down"
              + " (`georep_region_up` 0), and its silence counts in"
              + " `georep_replication_lag_seconds`");

  /** {@code control.gc.interval}. */
  public static final Key<Duration> CONTROL_GC_INTERVAL =
      key(
          "control.gc.interval",
          Type.DURATION,
          "1m",
          "0, 1s–1d",
          durationRange(Duration.ofSeconds(1), Duration.ofDays(1), true, "0 (off) or 1s to 1d"),
          "how often tombstones and stamps below the causally stable frontier are removed, and"
              + " how often a region that shipped nothing while it applied others' transactions"
              + " with changes writes a causal tick, so the other regions' frontiers move (`0`: off)");

  /** {@code control.conflict.log.retention}. */
  public static final Key<Duration> CONTROL_CONFLICT_LOG_RETENTION =
      key(
          "control.conflict.log.retention",
          Type.DURATION,
          "30d",
          "0, 1h–3650d",
          durationRange(
              Duration.ofHours(1), Duration.ofDays(3650), true, "0 (forever) or 1h to 3650d"),
          "how long entries of `georep.conflict_log` are kept; older ones are removed by the"
              + " garbage collection (`0`: forever)");

  /** {@code control.max.lag}. */
  public static final Key<Duration> CONTROL_MAX_LAG =
      key(
          "control.max.lag",
          Type.DURATION,
          "0",
          "0, 1s–30d",
          durationRange(Duration.ofSeconds(1), Duration.ofDays(30), true, "0 (off) or 1s to 30d"),
          "lag bound: an origin applied here with more lag raises an alert, and"
              + " `georep.wait_for(…, fail_fast => true)` fails at once instead of waiting"
              + " (`0`: no bound; docs/consistency.md)");

  /** {@code http.enabled}. */
  public static final Key<Boolean> HTTP_ENABLED =
      key(
          "http.enabled",
          Type.BOOLEAN,
          "true",
          "`true`, `false`",
          null,
          "serve the dashboard (`/ui/`; docs/dashboard.md), `/metrics`, `/health`, `/api/status`,"
              + " `/api/conflicts` and the consistency endpoints (`/api/session-token`,"
              + " `/api/wait-for`, `/api/wait-replicated`; docs/consistency.md)");

  /** {@code http.host}. */
  public static final Key<String> HTTP_HOST =
      key(
          "http.host",
          Type.STRING,
          "127.0.0.1",
          "an address",
          pattern("\\S+", "an address or host name"),
          "address to bind (`0.0.0.0`: every interface)");

  /** {@code http.port}. */
  public static final Key<Integer> HTTP_PORT =
      key(
          "http.port",
          Type.INT,
          "9464",
          "0–65535",
          range(0, 65_535, "0 to 65535"),
          "port (`0`: any free port)");

  /** {@code http.token}. */
  public static final Key<String> HTTP_TOKEN =
      withSecrets(
          optional(
              "http.token",
              "none: no authentication",
              "16 or more characters",
              pattern("(?s).{16,}", "a token of at least 16 characters"),
              "a bearer token every request but `/health/live` must carry (`Authorization: Bearer"
                  + " <token>`, or HTTP Basic with the token as password, for a browser); write a"
                  + " secret reference (`${env:NAME}`, `${file:PATH}`); required when `http.host`"
                  + " is not a loopback address (docs/security.md)"));

  /** {@code http.tls.keystore}. */
  public static final Key<String> HTTP_TLS_KEYSTORE =
      optional(
          "http.tls.keystore",
          "none: plain HTTP",
          "a PKCS#12 file",
          null,
          "serve HTTPS with the key and certificate chain in this PKCS#12 file (a relative path"
              + " is resolved against the working directory)");

  /** {@code http.tls.keystore-password}. */
  public static final Key<String> HTTP_TLS_KEYSTORE_PASSWORD =
      withSecrets(
          optional(
              "http.tls.keystore-password",
              "none: empty",
              "—",
              null,
              "the PKCS#12 file's password; write a secret reference, never the password itself"));

  /** {@code signing.key.id}. */
  public static final Key<String> SIGNING_KEY_ID =
      optional(
          "signing.key.id",
          "none: records are not signed",
          "1–32 of `A-Z a-z 0-9 . _ -`",
          pattern("[A-Za-z0-9._-]{1,32}", "1 to 32 of A-Z a-z 0-9 . _ -"),
          "the id of the key this agent signs its records with (HMAC-SHA-256, header"
              + " `georep.key`); every region of a topology holds the same keys"
              + " (docs/security.md)");

  /** {@code signing.key.secret}. */
  public static final Key<String> SIGNING_KEY_SECRET =
      withSecrets(
          optional(
              "signing.key.secret",
              "none",
              "32 or more characters",
              pattern("(?s).{32,}", "a secret of at least 32 characters"),
              "the signing key; write a secret reference (`${env:NAME}`, `${file:PATH}`), never"
                  + " the key itself; never shown"));

  /** {@code signing.required}. */
  public static final Key<Boolean> SIGNING_REQUIRED =
      key(
          "signing.required",
          Type.BOOLEAN,
          "true",
          "`true`, `false`",
          null,
          "with `signing.key` set: refuse records without a signature (`false` accepts them,"
              + " while signing is being turned on region by region; a record signed with a"
              + " wrong key is refused either way; docs/security.md)");

  /** {@code signing.second-key.id}. */
  public static final Key<String> SIGNING_SECOND_KEY_ID =
      optional(
          "signing.second-key.id",
          "none",
          "1–32 of `A-Z a-z 0-9 . _ -`",
          pattern("[A-Za-z0-9._-]{1,32}", "1 to 32 of A-Z a-z 0-9 . _ -"),
          "a second key accepted on received records but not used to sign: the key being"
              + " rotated in or out (docs/security.md)");

  /** {@code signing.second-key.secret}. */
  public static final Key<String> SIGNING_SECOND_KEY_SECRET =
      withSecrets(
          optional(
              "signing.second-key.secret",
              "none",
              "32 or more characters",
              pattern("(?s).{32,}", "a secret of at least 32 characters"),
              "the second key; a secret reference; never shown"));

  /** {@code tracing.otlp.endpoint}. */
  public static final Key<String> TRACING_OTLP_ENDPOINT =
      new Key<>(
          "tracing.otlp.endpoint",
          Type.STRING,
          null,
          "none: tracing off",
          "an http(s) URL",
          "OpenTelemetry traces of sampled transactions (capture, ship, receive, causal gate,"
              + " apply), sent over OTLP/HTTP to this URL, such as"
              + " `http://127.0.0.1:4318/v1/traces` (docs/dashboard.md)",
          null,
          false,
          pattern("https?://\\S+", "an http:// or https:// URL"));

  /** {@code tracing.sample.ratio}. */
  public static final Key<String> TRACING_SAMPLE_RATIO =
      key(
          "tracing.sample.ratio",
          Type.STRING,
          "0.01",
          "0–1",
          pattern("0(\\.[0-9]+)?|1(\\.0+)?|\\.[0-9]+", "a number from 0 to 1"),
          "the share of local transactions traced; the regions that apply one trace it when"
              + " its origin did");

  /**
   * Every key of {@code agent.yaml}, in documentation order: the scalar keys, and the structural
   * keys {@code publications}, {@code kafka}, {@code regions}, {@code regions[].name} and {@code
   * regions[].kafka}.
   */
  public static final List<Key<?>> ALL =
      List.of(
          REGION,
          DATABASE_URL,
          DATABASE_USER,
          DATABASE_PASSWORD,
          DATABASE_SLOT,
          DATABASE_COPY_CHUNK_ROWS,
          DATABASE_COPY_PARALLEL,
          DATABASE_TLS_MODE,
          DATABASE_TLS_ROOT_CERT,
          DATABASE_TLS_CERT,
          DATABASE_TLS_KEY,
          DATABASE_TLS_KEY_PASSWORD,
          PUBLICATIONS,
          KAFKA,
          REGIONS,
          REGIONS_NAME,
          REGIONS_KAFKA,
          TOPICS_PREFIX,
          TOPICS_PARTITIONS,
          TOPICS_REPLICATION_FACTOR,
          TOPICS_RETENTION,
          TOPICS_MAX_MESSAGE_BYTES,
          SHIPPING_BATCH_MAX_TRANSACTIONS,
          SHIPPING_BATCH_MAX_CHANGES,
          SHIPPING_LINGER,
          SHIPPING_MAX_IN_FLIGHT_TRANSACTIONS,
          SHIPPING_MAX_IN_FLIGHT_BYTES,
          APPLY_WORKERS,
          APPLY_GROUP_MAX_TRANSACTIONS,
          APPLY_WINDOW_TRANSACTIONS,
          APPLY_WINDOW_BYTES,
          APPLY_RETRY_MIN,
          APPLY_RETRY_MAX,
          CONTROL_HEARTBEAT_INTERVAL,
          CONTROL_REGION_TIMEOUT,
          CONTROL_GC_INTERVAL,
          CONTROL_CONFLICT_LOG_RETENTION,
          CONTROL_MAX_LAG,
          HTTP_ENABLED,
          HTTP_HOST,
          HTTP_PORT,
          HTTP_TOKEN,
          HTTP_TLS_KEYSTORE,
          HTTP_TLS_KEYSTORE_PASSWORD,
          SIGNING_KEY_ID,
          SIGNING_KEY_SECRET,
          SIGNING_REQUIRED,
          SIGNING_SECOND_KEY_ID,
          SIGNING_SECOND_KEY_SECRET,
          TRACING_OTLP_ENDPOINT,
          TRACING_SAMPLE_RATIO);

  private static Object parseDefault(Type type, String text) {
    return switch (type) {
      case INT -> Integer.valueOf(text);
      case BYTES -> Objects.requireNonNull(bytes(text), text);
      case DURATION -> Objects.requireNonNull(duration(text), text);
      case BOOLEAN -> Boolean.valueOf(text);
      case STRING -> text;
      case FILES, REGIONS, KAFKA -> null;
    };
  }

  /**
   * Parses a byte count: digits with an optional unit {@code B}, {@code KiB}, {@code MiB}, {@code
   * GiB}, {@code TiB}; a count past the range of a long is {@link Long#MAX_VALUE}.
   *
   * @param t the text, stripped
   * @return the count, or null if the text is not one
   */
  static Long bytes(String t) {
    Matcher m = BYTES.matcher(t);
    if (!m.matches()) {
      return null;
    }
    int shift =
        switch (m.group(2) == null ? "B" : m.group(2)) {
          case "KiB" -> 10;
          case "MiB" -> 20;
          case "GiB" -> 30;
          case "TiB" -> 40;
          default -> 0;
        };
    try {
      long n = Long.parseLong(m.group(1));
      return n > Long.MAX_VALUE >> shift ? Long.MAX_VALUE : n << shift;
    } catch (NumberFormatException e) {
      return Long.MAX_VALUE;
    }
  }

  /**
   * Parses a duration: {@code 0}, digits with a unit {@code ms}, {@code s}, {@code m}, {@code h},
   * {@code d}, or ISO-8601 ({@code PT1S}).
   *
   * @param t the text, stripped
   * @return the duration, or null if the text is not one
   */
  static Duration duration(String t) {
    return durationOrNull(t);
  }

  /**
   * Parses a duration as the configuration writes it ({@code 500ms}, {@code 10s}, {@code 2m},
   * {@code 1h}, {@code 7d}, {@code 0}, or ISO-8601 {@code PT10S}).
   *
   * @param text the text
   * @return the duration
   * @throws IllegalArgumentException if the text is not a duration
   */
  public static Duration parseDuration(String text) {
    Duration d = durationOrNull(text.strip());
    if (d == null) {
      throw new IllegalArgumentException("not a duration: " + text);
    }
    return d;
  }

  private static Duration durationOrNull(String t) {
    if (t.equals("0")) {
      return Duration.ZERO;
    }
    Matcher m = DURATION.matcher(t);
    if (m.matches()) {
      long n = Long.parseLong(m.group(1));
      return switch (m.group(2)) {
        case "ms" -> Duration.ofMillis(n);
        case "s" -> Duration.ofSeconds(n);
        case "m" -> Duration.ofMinutes(n);
        case "h" -> Duration.ofHours(n);
        default -> Duration.ofDays(Math.min(n, 365L * 1000));
      };
    }
    if (t.toUpperCase(Locale.ROOT).startsWith("P")) {
      try {
        return Duration.parse(t.toUpperCase(Locale.ROOT));
      } catch (DateTimeParseException e) {
        return null;
      }
    }
    return null;
  }
}
