package io.georep.replicator;

import io.georep.connector.DatabaseUrl;
import io.georep.connector.spi.DatabaseTls;
import io.georep.publication.Publication;
import io.georep.vectorclock.ReplicaId;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * The complete, validated configuration of one {@link Agent}: the programmatic form of {@code
 * agent.yaml} (see {@code docs/configuration.md}). Immutable; the compact constructor validates
 * every setting and reports every problem at once; {@link #toString()} never shows a secret.
 *
 * @param region this agent's region: the origin of everything its database's applications write;
 *     never null
 * @param database the local database; never null
 * @param publications the publications replicated (the same files in every region); not empty;
 *     copied
 * @param regions every region of the topology, this one included, with the Kafka cluster that holds
 *     its stream; at least two; copied
 * @param topics stream naming, partitions and retention; never null
 * @param shipping batching of captured transactions; never null
 * @param apply the apply pipeline; never null
 * @param control heartbeats and garbage collection; never null
 * @param http the status, health and metrics endpoint; never null
 * @param tracing OpenTelemetry tracing; never null
 * @param signing the keys records are signed and checked with; never null ({@link Signing#NONE} for
 *     unsigned)
 *     <p>About 1,000 lines: the record and its nested settings records, each small and validating
 *     its own keys, so the whole programmatic configuration is one type.
 */
public record AgentSettings(
    ReplicaId region,
    Database database,
    List<Publication> publications,
    List<Region> regions,
    Topics topics,
    Shipping shipping,
    Apply apply,
    Control control,
    Http http,
    Tracing tracing,
    Signing signing) {

  /**
   * Returns what the connector opens this region's database with.
   *
   * @return the database settings
   */
  public io.georep.connector.spi.DatabaseSettings databaseSettings() {
    return new io.georep.connector.spi.DatabaseSettings(
        database.jdbcUrl(),
        database.user(),
        database.password(),
        region,
        publications,
        database.slotName(),
        database.copyChunkRows(),
        database.copyParallel(),
        apply.maxGroupTransactions(),
        database.tls());
  }

  /**
   * Validates the settings.
   *
   * @throws IllegalArgumentException listing every invalid setting by its {@code agent.yaml} key
   */
  public AgentSettings {
    List<String> problems = new ArrayList<>();
    if (region == null) {
      problems.add("region is required");
    }
    if (database == null) {
      problems.add("database is required");
    }
    if (publications == null || publications.isEmpty()) {
      problems.add("publications must name at least one publication file");
    } else {
      publications = List.copyOf(publications);
    }
    if (regions == null || regions.size() < 2) {
      problems.add("regions must list every region of the topology, at least two");
    } else {
      regions = List.copyOf(regions);
      Set<ReplicaId> seen = new java.util.HashSet<>();
      for (Region r : regions) {
        if (!seen.add(r.name())) {
          problems.add("regions lists " + r.name() + " twice");
        }
      }
      if (region != null && !seen.contains(region)) {
        problems.add("regions must include this agent's own region " + region);
      }
    }
    if (topics == null) {
      problems.add("topics is required");
    }
    if (shipping == null) {
      problems.add("shipping is required");
    }
    if (apply == null) {
      problems.add("apply is required");
    }
    if (control == null) {
      problems.add("control is required");
    }
    if (http == null) {
      problems.add("http is required");
    }
    if (tracing == null) {
      problems.add("tracing is required");
    }
    if (signing == null) {
      problems.add("signing is required");
    }
    if (!problems.isEmpty()) {
      throw new IllegalArgumentException(
          "invalid agent settings:\n  - " + String.join("\n  - ", problems));
    }
  }

  /**
   * Returns settings with every optional part at its default.
   *
   * @param region this region
   * @param database the local database
   * @param publications the publications
   * @param regions every region with its Kafka cluster
   * @return the settings
   * @throws IllegalArgumentException if a setting is invalid
   */
  public static AgentSettings of(
      ReplicaId region, Database database, List<Publication> publications, List<Region> regions) {
    return new AgentSettings(
        region,
        database,
        publications,
        regions,
        Topics.DEFAULT,
        Shipping.DEFAULT,
        Apply.DEFAULT,
        Control.DEFAULT,
        Http.DEFAULT,
        Tracing.DEFAULT,
        Signing.NONE);
  }

  /**
   * Returns the settings of this agent's own region.
   *
   * @return the region's settings
   */
  public Region localRegion() {
    return regionSettings(region);
  }

  /**
   * Returns the settings of a region.
   *
   * @param name the region
   * @return its settings
   * @throws IllegalArgumentException if the region is not configured
   */
  public Region regionSettings(ReplicaId name) {
    for (Region r : regions) {
      if (r.name().equals(name)) {
        return r;
      }
    }
    throw new IllegalArgumentException("region " + name + " is not configured");
  }

  /**
   * Returns the other regions, whose streams this agent applies.
   *
   * @return the remote regions in configuration order
   */
  public List<Region> remoteRegions() {
    return regions.stream().filter(r -> !r.name().equals(region)).toList();
  }

  /** Returns a copy with other topic settings. */
  public AgentSettings withTopics(Topics t) {
    return new AgentSettings(
        region,
        database,
        publications,
        regions,
        t,
        shipping,
        apply,
        control,
        http,
        tracing,
        signing);
  }

  /** Returns a copy with other shipping settings. */
  public AgentSettings withShipping(Shipping s) {
    return new AgentSettings(
        region, database, publications, regions, topics, s, apply, control, http, tracing, signing);
  }

  /** Returns a copy with other apply settings. */
  public AgentSettings withApply(Apply a) {
    return new AgentSettings(
        region,
        database,
        publications,
        regions,
        topics,
        shipping,
        a,
        control,
        http,
        tracing,
        signing);
  }

  /** Returns a copy with other control settings. */
  public AgentSettings withControl(Control c) {
    return new AgentSettings(
        region,
        database,
        publications,
        regions,
        topics,
        shipping,
        apply,
        c,
        http,
        tracing,
        signing);
  }

  /** Returns a copy with other HTTP settings. */
  public AgentSettings withHttp(Http h) {
    return new AgentSettings(
        region,
        database,
        publications,
        regions,
        topics,
        shipping,
        apply,
        control,
        h,
        tracing,
        signing);
  }

  /**
   * Returns these settings with other signing keys.
   *
   * @param k the keys
   * @return the settings
   */
  public AgentSettings withSigning(Signing k) {
    return new AgentSettings(
        region,
        database,
        publications,
        regions,
        topics,
        shipping,
        apply,
        control,
        http,
        tracing,
        k);
  }

  /**
   * Returns these settings with other tracing settings.
   *
   * @param t the tracing settings
   * @return the settings
   */
  public AgentSettings withTracing(Tracing t) {
    return new AgentSettings(
        region,
        database,
        publications,
        regions,
        topics,
        shipping,
        apply,
        control,
        http,
        t,
        signing);
  }

  /** Returns the settings without secrets. */
  @Override
  public String toString() {
    return "AgentSettings[region="
        + region
        + ", database="
        + database
        + ", publications="
        + publications.stream().map(Publication::name).toList()
        + ", regions="
        + regions
        + ", topics="
        + topics
        + ", shipping="
        + shipping
        + ", apply="
        + apply
        + ", control="
        + control
        + ", http="
        + http
        + ", signing="
        + signing
        + "]";
  }

  /**
   * The local PostgreSQL database ({@code database.*}).
   *
   * @param jdbcUrl {@code database.url}, a JDBC URL of a supported database ({@link Connectors});
   *     never null
   * @param user {@code database.user}; never null or blank
   * @param password {@code database.password}; never null (empty for none); never shown
   * @param slotName {@code database.slot}, the logical replication slot; null for the default
   *     {@code georep_<region>}
   * @param copyChunkRows {@code database.copy.chunk.rows}, rows per chunk of the initial copy
   * @param copyParallel {@code database.copy.parallel}, tables the initial copy reads at once
   * @param tls {@code database.tls.*}, how every connection to the database uses TLS; never null
   *     ({@link DatabaseTls#DEFAULT} for the driver's defaults); its files must be readable
   */
  public record Database(
      String jdbcUrl,
      String user,
      String password,
      String slotName,
      int copyChunkRows,
      int copyParallel,
      DatabaseTls tls) {

    /**
     * Database settings without TLS settings of their own (the driver's defaults and what the URL
     * says).
     *
     * @param jdbcUrl the JDBC URL
     * @param user the user
     * @param password the password (empty for none)
     * @param slotName the slot, or null for the default
     * @param copyChunkRows rows per chunk of the initial copy
     * @param copyParallel tables the initial copy reads at once
     */
    public Database(
        String jdbcUrl,
        String user,
        String password,
        String slotName,
        int copyChunkRows,
        int copyParallel) {
      this(jdbcUrl, user, password, slotName, copyChunkRows, copyParallel, DatabaseTls.DEFAULT);
    }

    /**
     * Database settings with the initial copy's defaults.
     *
     * @param jdbcUrl the JDBC URL
     * @param user the user
     * @param password the password (empty for none)
     * @param slotName the slot, or null for the default
     */
    public Database(String jdbcUrl, String user, String password, String slotName) {
      this(
          jdbcUrl,
          user,
          password,
          slotName,
          AgentKeys.DATABASE_COPY_CHUNK_ROWS.defaultValue(),
          AgentKeys.DATABASE_COPY_PARALLEL.defaultValue());
    }

    /**
     * Validates the database settings.
     *
     * @throws IllegalArgumentException naming each invalid key
     */
    public Database {
      List<String> problems = new ArrayList<>();
      if (Connectors.find(jdbcUrl).isEmpty()) {
        problems.add("database.url must be " + Connectors.supportedForms());
      }
      if (user == null || user.isBlank()) {
        problems.add("database.user is required");
      }
      if (password == null) {
        problems.add("database.password must not be null (empty for none)");
      }
      if (slotName != null) {
        AgentKeys.check(problems, AgentKeys.DATABASE_SLOT, slotName);
      }
      AgentKeys.check(problems, AgentKeys.DATABASE_COPY_CHUNK_ROWS, copyChunkRows);
      AgentKeys.check(problems, AgentKeys.DATABASE_COPY_PARALLEL, copyParallel);
      if (tls == null) {
        problems.add("database.tls must not be null (DatabaseTls.DEFAULT for none)");
      } else {
        checkTls(problems, jdbcUrl, tls);
      }
      if (!problems.isEmpty()) {
        throw new IllegalArgumentException(String.join("; ", problems));
      }
    }

    /**
     * Opens a plain JDBC connection as these settings say, for the command line's tools and the
     * HTTP API's reads (not the capture or apply, which pool their own).
     *
     * @param applicationName what the database shows for the session, such as {@code georep
     *     conflicts}
     * @return the connection; the caller closes it
     * @throws SQLException if the database cannot be reached or refuses the login
     */
    public Connection connect(String applicationName) throws SQLException {
      return Connectors.forUrl(jdbcUrl).connect(jdbcUrl, user, password, tls, applicationName);
    }

    /** Adds the problems of the TLS settings: files that cannot be read, keys that conflict. */
    private static void checkTls(List<String> problems, String jdbcUrl, DatabaseTls tls) {
      if (tls.isDefault()) {
        return;
      }
      readable(problems, "database.tls.root-cert", tls.rootCert());
      readable(problems, "database.tls.cert", tls.cert());
      readable(problems, "database.tls.key", tls.key());
      if ((tls.mode() == DatabaseTls.Mode.VERIFY_CA || tls.mode() == DatabaseTls.Mode.VERIFY_FULL)
          && tls.rootCert() == null) {
        problems.add(
            "database.tls.mode "
                + tls.mode().configName()
                + " needs database.tls.root-cert: set it to the PEM file of the certificate"
                + " authority that signed the server's certificate");
      }
      if (!problems.isEmpty()) {
        return;
      }
      Optional<io.georep.connector.spi.Connector> connector = Connectors.find(jdbcUrl);
      if (connector.isPresent()) {
        try {
          connector.get().tlsProperties(jdbcUrl, tls);
        } catch (IllegalArgumentException e) {
          problems.add(e.getMessage());
        }
      }
    }

    private static void readable(List<String> problems, String key, Path file) {
      if (file == null) {
        return;
      }
      if (!Files.isRegularFile(file)) {
        problems.add(
            key
                + " names "
                + file
                + ", which "
                + (Files.exists(file) ? "is not a file" : "does not exist")
                + ": correct the path (relative to the configuration file) or create the file");
      } else if (!Files.isReadable(file)) {
        problems.add(
            key + " names " + file + ", which the agent cannot read: let the agent's user read it");
      }
    }

    /** Returns the settings with the password hidden. */
    @Override
    public String toString() {
      return "Database[url="
          + DatabaseUrl.masked(jdbcUrl)
          + ", user="
          + user
          + ", password=***, slot="
          + slotName
          + (tls.isDefault() ? "" : ", tls=" + tls)
          + "]";
    }
  }

  /**
   * One region of the topology and the Kafka cluster holding its stream ({@code regions[]}).
   * Regions may share a cluster or each have their own.
   *
   * @param name the region; never null
   * @param kafka the Kafka client properties for that cluster: {@code bootstrap.servers} and any
   *     TLS/SASL settings ({@code security.protocol}, {@code ssl.*}, {@code sasl.*}), passed
   *     through to the clients; copied; values are secrets and never shown
   */
  public record Region(ReplicaId name, Map<String, String> kafka) {
    /**
     * Validates the region.
     *
     * @throws IllegalArgumentException if the name is missing or {@code bootstrap.servers} is not
     *     set
     */
    public Region {
      Objects.requireNonNull(name, "name");
      kafka = Map.copyOf(new LinkedHashMap<>(kafka));
      String bootstrap = kafka.get("bootstrap.servers");
      if (bootstrap == null || bootstrap.isBlank()) {
        throw new IllegalArgumentException(
            "regions[" + name + "].kafka.bootstrap.servers is required");
      }
    }

    /**
     * Returns the region with only {@code bootstrap.servers}.
     *
     * @param name the region name
     * @param bootstrapServers the cluster's bootstrap servers
     * @return the region
     */
    public static Region of(String name, String bootstrapServers) {
      return new Region(ReplicaId.of(name), Map.of("bootstrap.servers", bootstrapServers));
    }

    /**
     * Returns the cluster's bootstrap servers.
     *
     * @return the bootstrap servers
     */
    public String bootstrapServers() {
      return kafka.get("bootstrap.servers");
    }

    /** Returns the name and bootstrap servers; other client properties are hidden. */
    @Override
    public String toString() {
      return name + "@" + bootstrapServers() + (kafka.size() > 1 ? " (+client settings)" : "");
    }
  }

  /**
   * Stream topics ({@code topics.*}). The changes of region {@code r} go to {@code
   * <prefix>.<r>.changes}; heartbeats to {@code <prefix>.control}.
   *
   * @param prefix {@code topics.prefix}; default {@code georep}
   * @param partitions {@code topics.partitions}; 1 (the stream of an origin is totally ordered)
   * @param replicationFactor {@code topics.replication.factor} for topics the agent creates; 1 to
   *     16, or -1 for the broker default
   * @param retention {@code topics.retention}: how long a region may be down before its backlog is
   *     lost; at least one hour, or zero for unlimited
   * @param maxMessageBytes {@code topics.max.message.bytes}: the largest batch record
   */
  public record Topics(
      String prefix,
      int partitions,
      int replicationFactor,
      Duration retention,
      int maxMessageBytes) {
    /** The defaults: those of the {@code topics.*} keys ({@link AgentKeys}). */
    public static final Topics DEFAULT =
        new Topics(
            AgentKeys.TOPICS_PREFIX.defaultValue(),
            AgentKeys.TOPICS_PARTITIONS.defaultValue(),
            AgentKeys.TOPICS_REPLICATION_FACTOR.defaultValue(),
            AgentKeys.TOPICS_RETENTION.defaultValue(),
            Math.toIntExact(AgentKeys.TOPICS_MAX_MESSAGE_BYTES.defaultValue()));

    /**
     * Validates the topic settings.
     *
     * @throws IllegalArgumentException naming each invalid key
     */
    public Topics {
      List<String> problems = new ArrayList<>();
      AgentKeys.check(problems, AgentKeys.TOPICS_PREFIX, prefix);
      AgentKeys.check(problems, AgentKeys.TOPICS_PARTITIONS, partitions);
      AgentKeys.check(problems, AgentKeys.TOPICS_REPLICATION_FACTOR, replicationFactor);
      AgentKeys.check(problems, AgentKeys.TOPICS_RETENTION, retention);
      AgentKeys.check(problems, AgentKeys.TOPICS_MAX_MESSAGE_BYTES, (long) maxMessageBytes);
      if (!problems.isEmpty()) {
        throw new IllegalArgumentException(String.join("; ", problems));
      }
    }

    /**
     * Returns the changes topic of an origin.
     *
     * @param origin the origin region
     * @return {@code <prefix>.<origin>.changes}
     */
    public String changes(ReplicaId origin) {
      return prefix + "." + origin.name() + ".changes";
    }

    /**
     * Returns the control topic.
     *
     * @return {@code <prefix>.control}
     */
    public String control() {
      return prefix + ".control";
    }
  }

  /**
   * Batching of captured transactions into stream records ({@code shipping.*}).
   *
   * @param maxBatchTransactions {@code shipping.batch.max.transactions}: transactions per record
   * @param maxBatchChanges {@code shipping.batch.max.changes}: row changes per record; also caps
   *     the capture's hand-off batch ({@code source.postgres.stamp.batch.changes}), which the
   *     shipping permits do not cover
   * @param linger {@code shipping.linger}: how long a partial batch waits for more
   * @param maxInFlightTransactions {@code shipping.max.in.flight.transactions}: captured
   *     transactions not yet acknowledged by Kafka; beyond it the capture waits (backpressure)
   * @param maxInFlightBytes {@code shipping.max.in.flight.bytes}: the same bound in estimated heap
   *     bytes of those transactions (they keep their permits until the local folding is done with
   *     them too); also the producer's {@code buffer.memory} (at least {@code
   *     topics.max.message.bytes}), and a quarter of it caps a record's estimated size; at least 1
   *     MiB
   */
  public record Shipping(
      int maxBatchTransactions,
      int maxBatchChanges,
      Duration linger,
      int maxInFlightTransactions,
      long maxInFlightBytes) {
    /** The defaults: those of the {@code shipping.*} keys ({@link AgentKeys}). */
    public static final Shipping DEFAULT =
        new Shipping(
            AgentKeys.SHIPPING_BATCH_MAX_TRANSACTIONS.defaultValue(),
            AgentKeys.SHIPPING_BATCH_MAX_CHANGES.defaultValue(),
            AgentKeys.SHIPPING_LINGER.defaultValue(),
            AgentKeys.SHIPPING_MAX_IN_FLIGHT_TRANSACTIONS.defaultValue(),
            AgentKeys.SHIPPING_MAX_IN_FLIGHT_BYTES.defaultValue());

    /**
     * Validates the shipping settings.
     *
     * @throws IllegalArgumentException naming each invalid key
     */
    public Shipping {
      List<String> problems = new ArrayList<>();
      AgentKeys.check(problems, AgentKeys.SHIPPING_BATCH_MAX_TRANSACTIONS, maxBatchTransactions);
      AgentKeys.check(problems, AgentKeys.SHIPPING_BATCH_MAX_CHANGES, maxBatchChanges);
      AgentKeys.check(problems, AgentKeys.SHIPPING_LINGER, linger);
      AgentKeys.check(
          problems, AgentKeys.SHIPPING_MAX_IN_FLIGHT_TRANSACTIONS, maxInFlightTransactions);
      AgentKeys.check(problems, AgentKeys.SHIPPING_MAX_IN_FLIGHT_BYTES, maxInFlightBytes);
      if (maxInFlightTransactions < maxBatchTransactions) {
        problems.add(
            "shipping.max.in.flight.transactions must be at least"
                + " shipping.batch.max.transactions");
      }
      if (!problems.isEmpty()) {
        throw new IllegalArgumentException(String.join("; ", problems));
      }
    }
  }

  /**
   * The apply pipeline ({@code apply.*}).
   *
   * @param workers {@code apply.workers}: per-table workers, each with its own database connection
   * @param maxGroupTransactions {@code apply.group.max.transactions}: small source transactions
   *     coalesced into one database transaction
   * @param window {@code apply.window.transactions}: transactions of one origin received but not
   *     yet part of its applied prefix; beyond it the receiver stops reading (backpressure); also
   *     bounds the applier's above-set (at most 10,000)
   * @param windowBytes {@code apply.window.bytes}: the same window in estimated heap bytes of those
   *     transactions (a transaction larger than the window takes all of it and is received alone);
   *     an eighth of it sizes the consumer's fetches; at least 1 MiB
   * @param retryMin {@code apply.retry.min}: first backoff of a retriable failure
   * @param retryMax {@code apply.retry.max}: longest backoff
   */
  public record Apply(
      int workers,
      int maxGroupTransactions,
      int window,
      long windowBytes,
      Duration retryMin,
      Duration retryMax) {
    /** The defaults: those of the {@code apply.*} keys ({@link AgentKeys}). */
    public static final Apply DEFAULT =
        new Apply(
            AgentKeys.APPLY_WORKERS.defaultValue(),
            AgentKeys.APPLY_GROUP_MAX_TRANSACTIONS.defaultValue(),
            AgentKeys.APPLY_WINDOW_TRANSACTIONS.defaultValue(),
            AgentKeys.APPLY_WINDOW_BYTES.defaultValue(),
            AgentKeys.APPLY_RETRY_MIN.defaultValue(),
            AgentKeys.APPLY_RETRY_MAX.defaultValue());

    /**
     * Validates the apply settings.
     *
     * @throws IllegalArgumentException naming each invalid key
     */
    public Apply {
      List<String> problems = new ArrayList<>();
      AgentKeys.check(problems, AgentKeys.APPLY_WORKERS, workers);
      AgentKeys.check(problems, AgentKeys.APPLY_GROUP_MAX_TRANSACTIONS, maxGroupTransactions);
      AgentKeys.check(problems, AgentKeys.APPLY_WINDOW_TRANSACTIONS, window);
      AgentKeys.check(problems, AgentKeys.APPLY_WINDOW_BYTES, windowBytes);
      AgentKeys.check(problems, AgentKeys.APPLY_RETRY_MIN, retryMin);
      AgentKeys.check(problems, AgentKeys.APPLY_RETRY_MAX, retryMax);
      if (retryMax != null && retryMin != null && retryMax.compareTo(retryMin) < 0) {
        problems.add("apply.retry.max must be at least apply.retry.min");
      }
      if (!problems.isEmpty()) {
        throw new IllegalArgumentException(String.join("; ", problems));
      }
    }
  }

  /**
   * Heartbeats on the control stream and metadata garbage collection ({@code control.*}).
   *
   * @param heartbeatInterval {@code control.heartbeat.interval}: how often this agent publishes its
   *     applied vector
   * @param regionTimeout {@code control.region.timeout}: a region without a heartbeat for this long
   *     is reported down
   * @param gcInterval {@code control.gc.interval}: how often tombstones and stamps below the
   *     causally stable frontier are removed; zero disables
   * @param conflictLogRetention {@code control.conflict.log.retention}: how long entries of {@code
   *     georep.conflict_log} are kept; zero keeps them forever
   * @param maxLag {@code control.max.lag}: the lag bound of the consistency controls; zero is none
   */
  public record Control(
      Duration heartbeatInterval,
      Duration regionTimeout,
      Duration gcInterval,
      Duration conflictLogRetention,
      Duration maxLag) {
    /** The default {@code control.conflict.log.retention}. */
    public static final Duration DEFAULT_CONFLICT_LOG_RETENTION =
        AgentKeys.CONTROL_CONFLICT_LOG_RETENTION.defaultValue();

    /** The defaults: those of the {@code control.*} keys ({@link AgentKeys}). */
    public static final Control DEFAULT =
        new Control(
            AgentKeys.CONTROL_HEARTBEAT_INTERVAL.defaultValue(),
            AgentKeys.CONTROL_REGION_TIMEOUT.defaultValue(),
            AgentKeys.CONTROL_GC_INTERVAL.defaultValue());

    /**
     * Creates the control settings with the default conflict log retention.
     *
     * @param heartbeatInterval {@code control.heartbeat.interval}
     * @param regionTimeout {@code control.region.timeout}
     * @param gcInterval {@code control.gc.interval}
     */
    public Control(Duration heartbeatInterval, Duration regionTimeout, Duration gcInterval) {
      this(
          heartbeatInterval,
          regionTimeout,
          gcInterval,
          DEFAULT_CONFLICT_LOG_RETENTION,
          Duration.ZERO);
    }

    /**
     * Returns these settings with another lag bound.
     *
     * @param bound {@code control.max.lag}; zero is none
     * @return the settings
     */
    public Control withMaxLag(Duration bound) {
      return new Control(heartbeatInterval, regionTimeout, gcInterval, conflictLogRetention, bound);
    }

    /**
     * Validates the control settings.
     *
     * @throws IllegalArgumentException naming each invalid key
     */
    public Control {
      List<String> problems = new ArrayList<>();
      AgentKeys.check(problems, AgentKeys.CONTROL_HEARTBEAT_INTERVAL, heartbeatInterval);
      AgentKeys.check(problems, AgentKeys.CONTROL_REGION_TIMEOUT, regionTimeout);
      AgentKeys.check(problems, AgentKeys.CONTROL_GC_INTERVAL, gcInterval);
      AgentKeys.check(problems, AgentKeys.CONTROL_CONFLICT_LOG_RETENTION, conflictLogRetention);
      AgentKeys.check(problems, AgentKeys.CONTROL_MAX_LAG, maxLag);
      if (regionTimeout != null
          && heartbeatInterval != null
          && regionTimeout.compareTo(heartbeatInterval) <= 0) {
        problems.add("control.region.timeout must be longer than control.heartbeat.interval");
      }
      if (!problems.isEmpty()) {
        throw new IllegalArgumentException(String.join("; ", problems));
      }
    }
  }

  /**
   * The HTTP endpoint ({@code http.*}): {@code /metrics}, {@code /health}, {@code /api/status}.
   *
   * @param enabled {@code http.enabled}
   * @param host {@code http.host}: the address to bind; default {@code 127.0.0.1}
   * @param port {@code http.port}: 0 for any free port
   * @param token {@code http.token}: the bearer token every path but {@code /health/live} needs;
   *     null for none, allowed only on a loopback address; never shown
   * @param tlsKeystore {@code http.tls.keystore}: a PKCS#12 file to serve HTTPS with; null for
   *     plain HTTP
   * @param tlsKeystorePassword {@code http.tls.keystore-password}; null for none; never shown
   */
  public record Http(
      boolean enabled,
      String host,
      int port,
      String token,
      String tlsKeystore,
      String tlsKeystorePassword) {
    /** The defaults: those of the {@code http.*} keys ({@link AgentKeys}). */
    public static final Http DEFAULT =
        new Http(
            AgentKeys.HTTP_ENABLED.defaultValue(),
            AgentKeys.HTTP_HOST.defaultValue(),
            AgentKeys.HTTP_PORT.defaultValue());

    /**
     * Plain HTTP without a token.
     *
     * @param enabled whether to serve
     * @param host the address to bind: a loopback address
     * @param port the port, 0 for any
     */
    public Http(boolean enabled, String host, int port) {
      this(enabled, host, port, null, null, null);
    }

    /**
     * Validates the HTTP settings.
     *
     * @throws IllegalArgumentException naming each invalid key
     */
    public Http {
      List<String> problems = new ArrayList<>();
      AgentKeys.check(problems, AgentKeys.HTTP_HOST, host);
      AgentKeys.check(problems, AgentKeys.HTTP_PORT, port);
      if (token != null) {
        AgentKeys.check(problems, AgentKeys.HTTP_TOKEN, token);
      } else if (enabled && host != null && !loopback(host)) {
        problems.add(
            "http.token is required when http.host is "
                + host
                + ", not a loopback address (without it anyone who reaches the port reads the"
                + " status and the conflict log): set http.token: ${env:GEOREP_HTTP_TOKEN}, or"
                + " bind 127.0.0.1");
      }
      if (tlsKeystorePassword != null && tlsKeystore == null) {
        problems.add("http.tls.keystore-password is set without http.tls.keystore");
      }
      if (!problems.isEmpty()) {
        throw new IllegalArgumentException(String.join("; ", problems));
      }
    }

    private static boolean loopback(String host) {
      return host.equals("localhost")
          || host.startsWith("127.")
          || host.equals("::1")
          || host.equals("[::1]");
    }

    /** Returns the settings without the token and password. */
    @Override
    public String toString() {
      return "Http[enabled="
          + enabled
          + ", host="
          + host
          + ", port="
          + port
          + ", token="
          + (token == null ? "none" : "***")
          + ", tls="
          + (tlsKeystore == null ? "off" : tlsKeystore)
          + "]";
    }
  }

  /**
   * The keys records are signed and checked with ({@code signing.*}): HMAC-SHA-256 over each
   * changes and control record, the key's id in a header (docs/security.md). With no key, records
   * are neither signed nor checked.
   *
   * @param keyId {@code signing.key.id}: the key this agent signs with; null for none
   * @param key {@code signing.key.secret}; never shown
   * @param secondKeyId {@code signing.second-key.id}: a key accepted but not signed with, for
   *     rotation; null for none
   * @param secondKey {@code signing.second-key.secret}; never shown
   * @param required {@code signing.required}: refuse unsigned records (with a key set)
   */
  public record Signing(
      String keyId, String key, String secondKeyId, String secondKey, boolean required) {
    /** No keys: records are not signed, and none is checked. */
    public static final Signing NONE = new Signing(null, null, null, null);

    /**
     * Keys that refuse unsigned records.
     *
     * @param keyId the signing key's id, or null for none
     * @param key the signing key
     * @param secondKeyId the second key's id, or null
     * @param secondKey the second key
     */
    public Signing(String keyId, String key, String secondKeyId, String secondKey) {
      this(keyId, key, secondKeyId, secondKey, true);
    }

    /**
     * Validates the keys.
     *
     * @throws IllegalArgumentException naming each invalid key
     */
    public Signing {
      List<String> problems = new ArrayList<>();
      pair(problems, "signing.key", keyId, key);
      pair(problems, "signing.second-key", secondKeyId, secondKey);
      if (keyId == null && secondKeyId != null) {
        problems.add("signing.second-key is set without signing.key: set signing.key first");
      }
      if (keyId != null && keyId.equals(secondKeyId)) {
        problems.add("signing.second-key.id must differ from signing.key.id, both are " + keyId);
      }
      if (keyId != null) {
        AgentKeys.check(problems, AgentKeys.SIGNING_KEY_ID, keyId);
        AgentKeys.check(problems, AgentKeys.SIGNING_KEY_SECRET, key);
      }
      if (secondKeyId != null) {
        AgentKeys.check(problems, AgentKeys.SIGNING_SECOND_KEY_ID, secondKeyId);
        AgentKeys.check(problems, AgentKeys.SIGNING_SECOND_KEY_SECRET, secondKey);
      }
      if (!problems.isEmpty()) {
        throw new IllegalArgumentException(String.join("; ", problems));
      }
    }

    private static void pair(List<String> problems, String name, String id, String secret) {
      if ((id == null) != (secret == null)) {
        problems.add(
            name
                + (id == null ? ".id is missing" : ".secret is missing")
                + ": set both "
                + name
                + ".id and "
                + name
                + ".secret");
      }
    }

    /**
     * Returns whether records are signed and checked.
     *
     * @return whether a key is set
     */
    public boolean enabled() {
      return keyId != null;
    }

    /** Returns the key ids, never the keys. */
    @Override
    public String toString() {
      return enabled()
          ? "Signing[key="
              + keyId
              + (secondKeyId == null ? "" : ", second-key=" + secondKeyId)
              + (required ? "" : ", unsigned accepted")
              + "]"
          : "Signing[off]";
    }
  }

  /**
   * OpenTelemetry traces ({@code tracing.*}): off unless an OTLP endpoint is set.
   *
   * @param otlpEndpoint {@code tracing.otlp.endpoint}: the OTLP/HTTP traces URL; null for off
   * @param sampleRatio {@code tracing.sample.ratio}: the share of local transactions traced
   */
  public record Tracing(String otlpEndpoint, double sampleRatio) {
    /** Tracing off, with the default ratio. */
    public static final Tracing DEFAULT =
        new Tracing(null, Double.parseDouble(AgentKeys.TRACING_SAMPLE_RATIO.defaultValue()));

    /**
     * Validates the tracing settings.
     *
     * @throws IllegalArgumentException naming each invalid key
     */
    public Tracing {
      List<String> problems = new ArrayList<>();
      if (otlpEndpoint != null) {
        AgentKeys.check(problems, AgentKeys.TRACING_OTLP_ENDPOINT, otlpEndpoint);
      }
      if (!(sampleRatio >= 0 && sampleRatio <= 1)) {
        problems.add("tracing.sample.ratio must be a number from 0 to 1, got " + sampleRatio);
      }
      if (!problems.isEmpty()) {
        throw new IllegalArgumentException(String.join("; ", problems));
      }
    }

    /**
     * Tells whether traces are exported.
     *
     * @return whether an endpoint is set
     */
    public boolean enabled() {
      return otlpEndpoint != null;
    }
  }
}
