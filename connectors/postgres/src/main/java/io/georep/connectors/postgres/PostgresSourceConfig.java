package io.georep.connectors.postgres;

import io.georep.connector.DatabaseUrl;
import io.georep.connector.spi.DatabaseSettings;
import io.georep.connector.spi.DatabaseTls;
import io.georep.publication.Publication;
import io.georep.vectorclock.ReplicaId;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.function.Function;
import java.util.regex.Pattern;

/**
 * The configuration of a {@link PostgresChangeSource}: where the database is, which region it
 * belongs to, what to capture and how. Immutable; validated when constructed, reporting every
 * problem at once.
 *
 * <p>Configuration keys (for the agent's configuration file) and defaults:
 *
 * <ul>
 *   <li>{@code source.postgres.url} — JDBC URL {@code jdbc:postgresql://host:port/database}
 *   <li>{@code source.postgres.user}, {@code source.postgres.password} — the password is never
 *       printed ({@link #toString()} hides it)
 *   <li>{@code source.postgres.slot.name} — default {@code georep_<region>} (lower-cased, other
 *       characters than {@code [a-z0-9_]} replaced by {@code _})
 *   <li>{@code source.postgres.status.interval} — how often the replication connection reports its
 *       position; default 10 s
 *   <li>{@code source.postgres.fragment.changes} — changes per fragment of a large transaction;
 *       default 10,000
 *   <li>{@code source.postgres.spill.threshold.bytes} — bytes of one transaction kept in memory
 *       before the rest spills to a temporary file; default 8 MiB
 *   <li>{@code source.postgres.spill.directory} — where spill files go; default the JVM's temporary
 *       directory
 *   <li>{@code source.postgres.stamp.batch.changes} — changes gathered before stamping and handing
 *       on a batch of small transactions; default 10,000
 *   <li>{@code source.postgres.initial.copy} — when the slot is created, copy the rows that already
 *       exist (from the slot's exported snapshot) before streaming changes; default true
 * </ul>
 *
 * <p>Salts of hash masks written {@code ${env:NAME}} are read through {@link #environment()} (the
 * process environment unless replaced with {@link #withEnvironment}) once, when the source starts.
 *
 * @param jdbcUrl the JDBC URL of the captured database; never null
 * @param user the database user (needs {@code REPLICATION} and ownership of the published tables to
 *     create the publication); never null
 * @param password the password; never null (empty for none); never logged
 * @param region this region: the origin of every captured transaction; never null
 * @param slotName the logical replication slot to stream from
 * @param publications the publication files whose native publications are streamed; not empty
 * @param statusInterval how often the stream reports its position to the server; positive
 * @param fragmentChanges changes per fragment of a large transaction; at least 1
 * @param spillThresholdBytes bytes of a transaction held in memory before spilling; at least 1 KiB
 * @param spillDirectory the directory for spill files; never null
 * @param stampBatchChanges changes per stamped hand-off batch; at least 1
 * @param initialCopy whether a newly created slot starts with a copy of the existing rows
 * @param copyChunkRows rows per chunk of the initial copy; 100 to 1,000,000
 * @param copyParallel tables the initial copy reads at once; 1 to 16
 * @param environment reads environment variables (mask salts); returns null for an unset one; never
 *     null; never printed
 * @param tls how the capture's connections use TLS ({@code database.tls.*}); never null
 */
public record PostgresSourceConfig(
    String jdbcUrl,
    String user,
    String password,
    ReplicaId region,
    String slotName,
    List<Publication> publications,
    Duration statusInterval,
    int fragmentChanges,
    long spillThresholdBytes,
    Path spillDirectory,
    int stampBatchChanges,
    boolean initialCopy,
    int copyChunkRows,
    int copyParallel,
    Function<String, String> environment,
    DatabaseTls tls) {

  /** The default status interval. */
  public static final Duration DEFAULT_STATUS_INTERVAL = Duration.ofSeconds(10);

  /** The default fragment size, in changes. */
  public static final int DEFAULT_FRAGMENT_CHANGES = 10_000;

  /** The default spill threshold, in bytes. */
  public static final long DEFAULT_SPILL_THRESHOLD_BYTES = 8L << 20;

  private static final Pattern SLOT = Pattern.compile("[a-z0-9_]{1,63}");

  /**
   * Validates the configuration.
   *
   * @throws CaptureException listing every invalid setting by its key
   */
  public PostgresSourceConfig {
    List<String> problems = new ArrayList<>();
    if (jdbcUrl == null || !jdbcUrl.startsWith("jdbc:postgresql:")) {
      problems.add(
          "source.postgres.url must be a PostgreSQL JDBC URL (jdbc:postgresql://host:port/db),"
              + " got "
              + (jdbcUrl == null ? "nothing" : "'" + DatabaseUrl.masked(jdbcUrl) + "'"));
    }
    if (user == null || user.isEmpty()) {
      problems.add("source.postgres.user is required");
    }
    if (password == null) {
      problems.add("source.postgres.password is required (empty for none)");
    }
    if (region == null) {
      problems.add("the region is required");
    }
    if (slotName == null || !SLOT.matcher(slotName).matches()) {
      problems.add(
          "source.postgres.slot.name must be 1 to 63 characters of [a-z0-9_], got "
              + (slotName == null ? "nothing" : "'" + slotName + "'"));
    }
    if (publications == null || publications.isEmpty()) {
      problems.add("at least one publication is required");
    } else {
      publications = List.copyOf(publications);
    }
    if (statusInterval == null || statusInterval.isNegative() || statusInterval.isZero()) {
      problems.add("source.postgres.status.interval must be positive, got " + statusInterval);
    }
    if (fragmentChanges < 1) {
      problems.add("source.postgres.fragment.changes must be at least 1, got " + fragmentChanges);
    }
    if (spillThresholdBytes < 1024) {
      problems.add(
          "source.postgres.spill.threshold.bytes must be at least 1024, got "
              + spillThresholdBytes);
    }
    if (spillDirectory == null) {
      problems.add("source.postgres.spill.directory is required");
    }
    if (stampBatchChanges < 1) {
      problems.add(
          "source.postgres.stamp.batch.changes must be at least 1, got " + stampBatchChanges);
    }
    if (copyChunkRows < 100 || copyChunkRows > 1_000_000) {
      problems.add(
          "database.copy.chunk.rows must be between 100 and 1000000, got " + copyChunkRows);
    }
    if (copyParallel < 1 || copyParallel > 16) {
      problems.add("database.copy.parallel must be between 1 and 16, got " + copyParallel);
    }
    if (environment == null) {
      problems.add("the environment (for mask salts) is required");
    }
    if (tls == null) {
      problems.add("the TLS settings are required (DatabaseTls.DEFAULT for none)");
    }
    if (!problems.isEmpty()) {
      throw new CaptureException(
          "invalid PostgreSQL source configuration:\n  - " + String.join("\n  - ", problems));
    }
  }

  /**
   * Returns a configuration with every optional setting at its default.
   *
   * @param jdbcUrl the JDBC URL
   * @param user the user
   * @param password the password (empty for none)
   * @param region this region
   * @param publications the publications to capture
   * @return the configuration
   * @throws CaptureException if a setting is invalid
   */
  public static PostgresSourceConfig of(
      String jdbcUrl,
      String user,
      String password,
      ReplicaId region,
      List<Publication> publications) {
    return new PostgresSourceConfig(
        jdbcUrl,
        user,
        password,
        region,
        defaultSlotName(Objects.requireNonNull(region, "region")),
        publications,
        DEFAULT_STATUS_INTERVAL,
        DEFAULT_FRAGMENT_CHANGES,
        DEFAULT_SPILL_THRESHOLD_BYTES,
        Path.of(System.getProperty("java.io.tmpdir")),
        DEFAULT_FRAGMENT_CHANGES,
        true,
        DatabaseSettings.DEFAULT_COPY_CHUNK_ROWS,
        DatabaseSettings.DEFAULT_COPY_PARALLEL,
        System::getenv,
        DatabaseTls.DEFAULT);
  }

  /**
   * Returns the default slot name of a region: {@code georep_<region>}, lower-cased, with every
   * character outside {@code [a-z0-9_]} replaced by {@code _}, at most 63 characters.
   *
   * @param region the region; never null
   * @return the slot name
   */
  public static String defaultSlotName(ReplicaId region) {
    String name = ("georep_" + region.name()).toLowerCase(java.util.Locale.ROOT);
    name = name.replaceAll("[^a-z0-9_]", "_");
    return name.length() > 63 ? name.substring(0, 63) : name;
  }

  /**
   * Returns a copy with another slot name.
   *
   * @param slot the slot name
   * @return the new configuration
   */
  public PostgresSourceConfig withSlotName(String slot) {
    return new PostgresSourceConfig(
        jdbcUrl,
        user,
        password,
        region,
        slot,
        publications,
        statusInterval,
        fragmentChanges,
        spillThresholdBytes,
        spillDirectory,
        stampBatchChanges,
        initialCopy,
        copyChunkRows,
        copyParallel,
        environment,
        tls);
  }

  /**
   * Returns a copy that does or does not copy the existing rows when it creates the slot.
   *
   * @param copy whether to copy
   * @return the new configuration
   */
  public PostgresSourceConfig withInitialCopy(boolean copy) {
    return new PostgresSourceConfig(
        jdbcUrl,
        user,
        password,
        region,
        slotName,
        publications,
        statusInterval,
        fragmentChanges,
        spillThresholdBytes,
        spillDirectory,
        stampBatchChanges,
        copy,
        copyChunkRows,
        copyParallel,
        environment,
        tls);
  }

  /**
   * Returns a copy that reads environment variables (mask salts) through {@code variables}.
   *
   * @param variables returns a variable's value, or null if unset; never null
   * @return the new configuration
   */
  public PostgresSourceConfig withEnvironment(Function<String, String> variables) {
    return new PostgresSourceConfig(
        jdbcUrl,
        user,
        password,
        region,
        slotName,
        publications,
        statusInterval,
        fragmentChanges,
        spillThresholdBytes,
        spillDirectory,
        stampBatchChanges,
        initialCopy,
        copyChunkRows,
        copyParallel,
        variables,
        tls);
  }

  /**
   * Returns a copy with other large-transaction settings.
   *
   * @param fragment changes per fragment
   * @param spillBytes the spill threshold in bytes
   * @param directory the spill directory
   * @return the new configuration
   */
  public PostgresSourceConfig withLargeTransactions(int fragment, long spillBytes, Path directory) {
    return new PostgresSourceConfig(
        jdbcUrl,
        user,
        password,
        region,
        slotName,
        publications,
        statusInterval,
        fragment,
        spillBytes,
        directory,
        stampBatchChanges,
        initialCopy,
        copyChunkRows,
        copyParallel,
        environment,
        tls);
  }

  /**
   * Returns a copy with another hand-off batch size.
   *
   * @param changes changes gathered before stamping and handing on a batch
   * @return the new configuration
   */
  public PostgresSourceConfig withStampBatchChanges(int changes) {
    return new PostgresSourceConfig(
        jdbcUrl,
        user,
        password,
        region,
        slotName,
        publications,
        statusInterval,
        fragmentChanges,
        spillThresholdBytes,
        spillDirectory,
        changes,
        initialCopy,
        copyChunkRows,
        copyParallel,
        environment,
        tls);
  }

  /**
   * Returns a copy with other initial-copy settings.
   *
   * @param chunkRows rows per chunk
   * @param parallel tables read at once
   * @return the new configuration
   */
  public PostgresSourceConfig withCopy(int chunkRows, int parallel) {
    return new PostgresSourceConfig(
        jdbcUrl,
        user,
        password,
        region,
        slotName,
        publications,
        statusInterval,
        fragmentChanges,
        spillThresholdBytes,
        spillDirectory,
        stampBatchChanges,
        initialCopy,
        chunkRows,
        parallel,
        environment,
        tls);
  }

  /**
   * Returns a copy whose connections use these TLS settings ({@code database.tls.*}).
   *
   * @param settings the TLS settings; never null
   * @return the new configuration
   */
  public PostgresSourceConfig withTls(DatabaseTls settings) {
    return new PostgresSourceConfig(
        jdbcUrl,
        user,
        password,
        region,
        slotName,
        publications,
        statusInterval,
        fragmentChanges,
        spillThresholdBytes,
        spillDirectory,
        stampBatchChanges,
        initialCopy,
        copyChunkRows,
        copyParallel,
        environment,
        settings);
  }

  /**
   * Returns the names of the native publications streamed: {@code georep_<name>} per publication.
   *
   * @return the names, in configuration order
   */
  public List<String> nativePublicationNames() {
    return publications.stream().map(Publication::nativeName).toList();
  }

  /** Returns the configuration with the password hidden. */
  @Override
  public String toString() {
    return "PostgresSourceConfig[url="
        + DatabaseUrl.masked(jdbcUrl)
        + ", user="
        + user
        + ", password=<hidden>, region="
        + region
        + ", slot="
        + slotName
        + ", publications="
        + nativePublicationNames()
        + ", statusInterval="
        + statusInterval
        + ", fragmentChanges="
        + fragmentChanges
        + ", spillThresholdBytes="
        + spillThresholdBytes
        + ", spillDirectory="
        + spillDirectory
        + ", stampBatchChanges="
        + stampBatchChanges
        + ", initialCopy="
        + initialCopy
        + ", copyChunkRows="
        + copyChunkRows
        + ", copyParallel="
        + copyParallel
        + ", tls="
        + tls
        + "]";
  }
}
