package io.georep.connectors.postgres;

import io.georep.connector.DatabaseUrl;
import io.georep.connector.TableSchema;
import io.georep.connector.spi.ApplyException;
import io.georep.connector.spi.DatabaseSettings;
import io.georep.connector.spi.DatabaseTls;
import io.georep.publication.Publication;
import io.georep.publication.TableRule;
import io.georep.resolver.ResolverRegistry;
import io.georep.resolver.TablePolicy;
import io.georep.resolver.UniqueClashPolicy;
import io.georep.vectorclock.ReplicaId;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.function.Function;

/**
 * The configuration of a {@link PostgresChangeApplier}. Immutable; validated when constructed,
 * reporting every problem at once. {@link #toString()} never shows the password.
 *
 * <table>
 *   <caption>Settings</caption>
 *   <tr><th>component</th><th>config key</th><th>default</th></tr>
 *   <tr><td>jdbcUrl</td><td>{@code sink.postgres.url}</td><td>required</td></tr>
 *   <tr><td>user / password</td><td>{@code sink.postgres.user} / {@code .password}</td>
 *       <td>required / empty</td></tr>
 *   <tr><td>region</td><td>{@code region}</td><td>required</td></tr>
 *   <tr><td>poolSize</td><td>{@code sink.postgres.pool.size}</td><td>{@value #DEFAULT_POOL_SIZE}
 *       </td></tr>
 *   <tr><td>maxGroupTransactions</td><td>{@code sink.postgres.group.max.transactions}</td>
 *       <td>{@value #DEFAULT_MAX_GROUP}</td></tr>
 *   <tr><td>stampWait</td><td>{@code sink.postgres.stamp.wait}</td><td>10 s</td></tr>
 *   <tr><td>connectionTimeout</td><td>{@code sink.postgres.connection.timeout}</td><td>30 s</td>
 *       </tr>
 * </table>
 *
 * @param jdbcUrl the PostgreSQL JDBC URL, {@code jdbc:postgresql://…}; never null
 * @param user the database user; never null or blank
 * @param password the password; never null (empty for trust or peer authentication)
 * @param region this region, whose local writes the capture stamps; never null
 * @param policies the merge policy of each table (from the publications); never null
 * @param uniqueClash decides clashes on unique keys other than the primary key; never null
 * @param poolSize apply connections in the pool; 1 to 64
 * @param maxGroupTransactions the most source transactions one {@code apply} call may coalesce into
 *     one database transaction; 1 to 10,000
 * @param stampWait how long an apply waits for the capture to stamp a local write it must fold
 *     before giving up with a retriable error; 0 to 10 minutes
 * @param connectionTimeout how long to wait for a pooled connection; at least 250 ms
 * @param agentFoldsLocalWrites whether the agent folds every captured local transaction into the
 *     row metadata ({@link PostgresChangeApplier#foldLocal}); then an apply that finds a local
 *     write not folded yet retries later ({@code STAMP_PENDING}) instead of folding it itself as
 *     one write diffed from the row (exact per transaction, see {@code docs/apply.md}); key {@code
 *     sink.postgres.local.folding}, default false (the applier folds)
 * @param tls how the appliers' connections use TLS ({@code database.tls.*}); never null
 */
public record PostgresSinkConfig(
    String jdbcUrl,
    String user,
    String password,
    ReplicaId region,
    Function<TableSchema, TablePolicy> policies,
    UniqueClashPolicy uniqueClash,
    int poolSize,
    int maxGroupTransactions,
    Duration stampWait,
    Duration connectionTimeout,
    boolean agentFoldsLocalWrites,
    DatabaseTls tls) {

  /** The default pool size. */
  public static final int DEFAULT_POOL_SIZE = 2;

  /** The default coalescing limit. */
  public static final int DEFAULT_MAX_GROUP = DatabaseSettings.DEFAULT_MAX_GROUP_TRANSACTIONS;

  /**
   * Validates the configuration.
   *
   * @throws IllegalArgumentException listing every invalid setting with its config key
   */
  public PostgresSinkConfig {
    List<String> problems = new ArrayList<>();
    if (jdbcUrl == null || !jdbcUrl.startsWith("jdbc:postgresql:")) {
      problems.add(
          "sink.postgres.url must be a jdbc:postgresql: URL, got " + DatabaseUrl.masked(jdbcUrl));
    }
    if (user == null || user.isBlank()) {
      problems.add("sink.postgres.user must be set");
    }
    if (password == null) {
      problems.add("sink.postgres.password must not be null (use \"\" for none)");
    }
    if (region == null) {
      problems.add("region must be set");
    }
    if (policies == null) {
      problems.add("the table policies must be set (PostgresSinkConfig.of builds them)");
    }
    if (uniqueClash == null) {
      problems.add("the unique-clash policy must be set (UniqueClashPolicy.lastWriterWins())");
    }
    if (poolSize < 1 || poolSize > 64) {
      problems.add("sink.postgres.pool.size must be 1 to 64, got " + poolSize);
    }
    if (maxGroupTransactions < 1 || maxGroupTransactions > 10_000) {
      problems.add(
          "sink.postgres.group.max.transactions must be 1 to 10000, got " + maxGroupTransactions);
    }
    if (stampWait == null
        || stampWait.isNegative()
        || stampWait.compareTo(Duration.ofMinutes(10)) > 0) {
      problems.add("sink.postgres.stamp.wait must be 0 to 10 minutes, got " + stampWait);
    }
    if (connectionTimeout == null || connectionTimeout.toMillis() < 250) {
      problems.add(
          "sink.postgres.connection.timeout must be at least 250 ms, got " + connectionTimeout);
    }
    if (tls == null) {
      problems.add("the TLS settings are required (DatabaseTls.DEFAULT for none)");
    }
    if (!problems.isEmpty()) {
      throw new IllegalArgumentException(
          "invalid PostgreSQL sink configuration: " + String.join("; ", problems));
    }
  }

  /**
   * Returns a configuration with defaults whose table policies come from the publications' rules
   * and the given resolver registry.
   *
   * @param jdbcUrl the JDBC URL
   * @param user the user
   * @param password the password
   * @param region this region
   * @param publications the publications naming the applied tables and their resolvers
   * @param registry the resolvers, such as {@link ResolverRegistry#load()}
   * @return the configuration
   * @throws IllegalArgumentException if a setting is invalid
   */
  public static PostgresSinkConfig of(
      String jdbcUrl,
      String user,
      String password,
      ReplicaId region,
      List<Publication> publications,
      ResolverRegistry registry) {
    List<Publication> pubs = List.copyOf(publications);
    Objects.requireNonNull(registry, "registry");
    Function<TableSchema, TablePolicy> policies =
        table -> {
          for (Publication p : pubs) {
            for (TableRule rule : p.tables()) {
              if (rule.table().schema().equals(table.id().schema())
                  && rule.table().name().equals(table.id().name())) {
                java.util.Set<String> masked = new java.util.HashSet<>();
                rule.masks().forEach(m -> masked.add(m.column().name()));
                return registry.policyFor(table, rule).withMaskedColumns(masked);
              }
            }
          }
          throw new ApplyException(
              "no publication names table "
                  + table.id()
                  + ", yet a change of it arrived; add the table to a publication of this"
                  + " region with the same resolvers as the origin's");
        };
    return new PostgresSinkConfig(
        jdbcUrl,
        user,
        password,
        region,
        policies,
        UniqueClashPolicy.lastWriterWins(),
        DEFAULT_POOL_SIZE,
        DEFAULT_MAX_GROUP,
        Duration.ofSeconds(10),
        Duration.ofSeconds(30),
        false,
        DatabaseTls.DEFAULT);
  }

  /**
   * Returns a copy with another pool size.
   *
   * @param size connections in the pool; 1 to 64
   * @return the copy
   */
  public PostgresSinkConfig withPoolSize(int size) {
    return new PostgresSinkConfig(
        jdbcUrl,
        user,
        password,
        region,
        policies,
        uniqueClash,
        size,
        maxGroupTransactions,
        stampWait,
        connectionTimeout,
        agentFoldsLocalWrites,
        tls);
  }

  /**
   * Returns a copy with another coalescing limit.
   *
   * @param max the most transactions per apply call
   * @return the copy
   */
  public PostgresSinkConfig withMaxGroupTransactions(int max) {
    return new PostgresSinkConfig(
        jdbcUrl,
        user,
        password,
        region,
        policies,
        uniqueClash,
        poolSize,
        max,
        stampWait,
        connectionTimeout,
        agentFoldsLocalWrites,
        tls);
  }

  /**
   * Returns a copy with another stamp wait.
   *
   * @param wait the wait
   * @return the copy
   */
  public PostgresSinkConfig withStampWait(Duration wait) {
    return new PostgresSinkConfig(
        jdbcUrl,
        user,
        password,
        region,
        policies,
        uniqueClash,
        poolSize,
        maxGroupTransactions,
        wait,
        connectionTimeout,
        agentFoldsLocalWrites,
        tls);
  }

  /**
   * Returns a copy in which the agent folds captured local transactions ({@code
   * sink.postgres.local.folding}).
   *
   * @param agentFolds whether the agent folds them
   * @return the copy
   */
  public PostgresSinkConfig withLocalFolding(boolean agentFolds) {
    return new PostgresSinkConfig(
        jdbcUrl,
        user,
        password,
        region,
        policies,
        uniqueClash,
        poolSize,
        maxGroupTransactions,
        stampWait,
        connectionTimeout,
        agentFolds,
        tls);
  }

  /**
   * Returns a copy whose connections use these TLS settings ({@code database.tls.*}).
   *
   * @param settings the TLS settings; never null
   * @return the copy
   */
  public PostgresSinkConfig withTls(DatabaseTls settings) {
    return new PostgresSinkConfig(
        jdbcUrl,
        user,
        password,
        region,
        policies,
        uniqueClash,
        poolSize,
        maxGroupTransactions,
        stampWait,
        connectionTimeout,
        agentFoldsLocalWrites,
        settings);
  }

  /** Returns the settings without the password. */
  @Override
  public String toString() {
    return "PostgresSinkConfig[url="
        + DatabaseUrl.masked(jdbcUrl)
        + ", user="
        + user
        + ", password=***, region="
        + region
        + ", poolSize="
        + poolSize
        + ", maxGroupTransactions="
        + maxGroupTransactions
        + ", stampWait="
        + stampWait
        + ", connectionTimeout="
        + connectionTimeout
        + ", agentFoldsLocalWrites="
        + agentFoldsLocalWrites
        + ", tls="
        + tls
        + "]";
  }
}
