package io.georep.publication.spi;

import io.georep.publication.TableName;
import java.util.List;
import java.util.Optional;

/**
 * The live schema of one database, as publication validation and planning need it; implemented by
 * each database connector (for PostgreSQL, by reading {@code pg_catalog}).
 *
 * <p>Implementations may read lazily or take a snapshot; validation assumes the answers do not
 * change during one call. Implementations need not be thread-safe unless documented.
 */
public interface SchemaCatalog {

  /** Returns the server's major version, e.g. {@code 17} (or {@code 14}). */
  int serverMajorVersion();

  /** Returns every user table, used to suggest names for misspelt ones; never null. */
  List<TableName> tables();

  /** Returns the description of {@code table}, or empty if there is no such table. */
  Optional<TableDescription> describe(TableName table);

  /**
   * Returns whether a native publication named exactly {@code name} exists, so the planner emits
   * {@code ALTER PUBLICATION} instead of {@code CREATE PUBLICATION}.
   */
  boolean publicationExists(String name);
}
