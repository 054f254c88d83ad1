package io.georep.publication;

import io.georep.publication.spi.TypeCategory;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.Optional;
import java.util.Set;

/**
 * The conflict resolvers georep ships, by the names publication files use; the vocabulary the
 * {@code conflict-resolvers} module implements.
 *
 * <p>Row resolvers decide between two whole versions of a row and are set per table; column
 * resolvers merge one column and are set per column. Delta-shipped column resolvers send the change
 * ({@code after − before}, added or removed elements), so their tables need {@code REPLICA IDENTITY
 * FULL} for the old value.
 */
public enum BuiltInResolver {
  /** Last writer wins by hybrid timestamp, then region id (the default). */
  LWW("lww", Scope.ROW, false, null),
  /** Per-column last writer wins. */
  COLUMN_LWW("column-lww", Scope.COLUMN, false, null),
  /** The first committed version stays. */
  FIRST_WRITER_WINS("first-writer-wins", Scope.ROW, false, null),
  /** The version from the region earlier in an ordered list wins. */
  REGION_PRIORITY("region-priority", Scope.ROW, false, null),
  /** A delete beats a concurrent update. */
  DELETE_WINS("delete-wins", Scope.ROW, false, null),
  /** An update beats a concurrent delete. */
  UPDATE_WINS("update-wins", Scope.ROW, false, null),
  /** The losing version is kept in the conflict log. */
  KEEP_BOTH("keep-both", Scope.ROW, false, null),
  /** Concurrent increments add up. */
  COUNTER("counter", Scope.COLUMN, true, EnumSet.of(TypeCategory.INTEGER, TypeCategory.DECIMAL)),
  /** Grow-only counter: increments add up, decreases are ignored (and undone). */
  G_COUNTER("g-counter", Scope.COLUMN, true, EnumSet.of(TypeCategory.INTEGER)),
  /** The greatest value wins. */
  MAX(
      "max",
      Scope.COLUMN,
      false,
      EnumSet.of(
          TypeCategory.INTEGER,
          TypeCategory.DECIMAL,
          TypeCategory.FLOAT,
          TypeCategory.DATETIME,
          TypeCategory.TEXT)),
  /** The least value wins. */
  MIN(
      "min",
      Scope.COLUMN,
      false,
      EnumSet.of(
          TypeCategory.INTEGER,
          TypeCategory.DECIMAL,
          TypeCategory.FLOAT,
          TypeCategory.DATETIME,
          TypeCategory.TEXT)),
  /** Observed-remove set over an array column: concurrent adds and removes both survive. */
  OR_SET("or-set", Scope.COLUMN, true, EnumSet.of(TypeCategory.ARRAY)),
  /** Grow-only set over an array column. */
  G_SET("g-set", Scope.COLUMN, true, EnumSet.of(TypeCategory.ARRAY)),
  /** Two-phase set over an array column: an element once removed can never be added again. */
  TWO_PHASE_SET("2p-set", Scope.COLUMN, true, EnumSet.of(TypeCategory.ARRAY));

  /** Where a resolver is set. */
  public enum Scope {
    /** Per table, deciding between row versions. */
    ROW,
    /** Per column, merging values. */
    COLUMN
  }

  /** The prefix of custom resolver names, e.g. {@code custom:loyalty-points}. */
  public static final String CUSTOM_PREFIX = "custom:";

  private final String fileName;
  private final Scope scope;
  private final boolean deltaShipped;

  // Unmodifiable and never exposed, so the enum stays immutable.
  @SuppressWarnings("ImmutableEnumChecker")
  private final Set<TypeCategory> fits;

  BuiltInResolver(String fileName, Scope scope, boolean deltaShipped, Set<TypeCategory> fits) {
    this.fileName = fileName;
    this.scope = scope;
    this.deltaShipped = deltaShipped;
    this.fits = Set.copyOf(fits == null ? EnumSet.allOf(TypeCategory.class) : fits);
  }

  /** Returns the name publication files use. */
  public String fileName() {
    return fileName;
  }

  /** Returns whether this resolver is set per table or per column. */
  public Scope scope() {
    return scope;
  }

  /** Returns whether the column ships deltas and so needs the old value. */
  public boolean deltaShipped() {
    return deltaShipped;
  }

  /** Returns whether a column of {@code category} can use this resolver. */
  public boolean fits(TypeCategory category) {
    return fits.contains(category);
  }

  /** Returns the resolver named {@code name} in files, or empty. */
  public static Optional<BuiltInResolver> byFileName(String name) {
    return Arrays.stream(values()).filter(r -> r.fileName.equals(name)).findFirst();
  }
}
