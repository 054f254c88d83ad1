package io.georep.connector.spi;

import io.georep.connector.DatabaseUrl;
import io.georep.publication.Publication;
import io.georep.vectorclock.ReplicaId;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * What every connector is told about its region's database ({@code database.*}, {@code region},
 * {@code publications} and {@code apply.group.max.transactions} of {@code agent.yaml}).
 *
 * @param url the JDBC URL; never null
 * @param user the user; never blank
 * @param password the password, empty for none; never null
 * @param region the local region; never null
 * @param publications the publications replicated; not empty; copied
 * @param captureName the capture position's name (PostgreSQL: the slot), or null for the
 *     connector's default
 * @param copyChunkRows rows per chunk of the initial copy; at least 1
 * @param copyParallel tables copied at once; at least 1
 * @param maxGroupTransactions the most transactions an applier applies in one database transaction;
 *     at least 1
 * @param tls how every connection to the database uses TLS ({@code database.tls.*}); never null
 */
public record DatabaseSettings(
    String url,
    String user,
    String password,
    ReplicaId region,
    List<Publication> publications,
    String captureName,
    int copyChunkRows,
    int copyParallel,
    int maxGroupTransactions,
    DatabaseTls tls) {

  /** Default rows per initial copy chunk ({@code database.copy.chunk.rows}). */
  public static final int DEFAULT_COPY_CHUNK_ROWS = 10_000;

  /** Default tables copied at once ({@code database.copy.parallel}). */
  public static final int DEFAULT_COPY_PARALLEL = 2;

  /**
   * Default transactions applied in one database transaction ({@code
   * apply.group.max.transactions}): the agent's default, and a connector's when used on its own.
   */
  public static final int DEFAULT_MAX_GROUP_TRANSACTIONS = 50;

  /**
   * Settings without TLS settings of their own: the driver's defaults and what the URL says.
   *
   * @param url the JDBC URL
   * @param user the user
   * @param password the password, empty for none
   * @param region the local region
   * @param publications the publications replicated
   * @param captureName the capture position's name, or null for the connector's default
   * @param copyChunkRows rows per chunk of the initial copy
   * @param copyParallel tables copied at once
   * @param maxGroupTransactions the most transactions applied in one database transaction
   * @throws IllegalArgumentException naming every invalid setting
   */
  public DatabaseSettings(
      String url,
      String user,
      String password,
      ReplicaId region,
      List<Publication> publications,
      String captureName,
      int copyChunkRows,
      int copyParallel,
      int maxGroupTransactions) {
    this(
        url,
        user,
        password,
        region,
        publications,
        captureName,
        copyChunkRows,
        copyParallel,
        maxGroupTransactions,
        DatabaseTls.DEFAULT);
  }

  /**
   * Validates the settings.
   *
   * @throws IllegalArgumentException naming every invalid setting
   */
  public DatabaseSettings {
    Objects.requireNonNull(url, "url");
    Objects.requireNonNull(password, "password");
    Objects.requireNonNull(region, "region");
    Objects.requireNonNull(publications, "publications");
    Objects.requireNonNull(tls, "tls");
    publications = List.copyOf(publications);
    List<String> problems = new ArrayList<>();
    if (user == null || user.isBlank()) {
      problems.add("database.user is required");
    }
    if (publications.isEmpty()) {
      problems.add("publications must name at least one publication");
    }
    if (copyChunkRows < 1) {
      problems.add("database.copy.chunk.rows must be at least 1, got " + copyChunkRows);
    }
    if (copyParallel < 1) {
      problems.add("database.copy.parallel must be at least 1, got " + copyParallel);
    }
    if (maxGroupTransactions < 1) {
      problems.add("apply.group.max.transactions must be at least 1, got " + maxGroupTransactions);
    }
    if (!problems.isEmpty()) {
      throw new IllegalArgumentException(String.join("; ", problems));
    }
  }

  /** Shows the settings without the password. */
  @Override
  public String toString() {
    return "DatabaseSettings[url="
        + DatabaseUrl.masked(url)
        + ", user="
        + user
        + ", password=***, region="
        + region
        + ", capture="
        + captureName
        + ", copy="
        + copyChunkRows
        + "x"
        + copyParallel
        + ", group="
        + maxGroupTransactions
        + (tls.isDefault() ? "" : ", tls=" + tls)
        + "]";
  }
}
