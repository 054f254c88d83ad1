package io.georep.publication;

import java.util.Collections;
import java.util.EnumSet;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * One publication file, parsed: a named set of table rules, the operations that replicate and the
 * regions they flow to. Immutable and thread-safe.
 *
 * @param name the publication name ({@code [a-z][a-z0-9_]*}), never null
 * @param position where the file names it, never null
 * @param description free text from the file, or empty
 * @param regions where changes flow, never null
 * @param operations which operations replicate, never empty; copied
 * @param tables the table rules in file order, never empty; copied
 */
public record Publication(
    String name,
    SourcePosition position,
    Optional<String> description,
    RegionTarget regions,
    Set<Operation> operations,
    List<TableRule> tables) {

  /**
   * The prefix of native publication names; {@code georep_orders} for publication {@code orders}.
   */
  public static final String NATIVE_PREFIX = "georep_";

  /**
   * Creates a publication.
   *
   * @throws NullPointerException if an argument or element is null
   * @throws IllegalArgumentException if {@code operations} or {@code tables} is empty
   */
  public Publication {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(position, "position");
    Objects.requireNonNull(description, "description");
    Objects.requireNonNull(regions, "regions");
    if (operations.isEmpty() || tables.isEmpty()) {
      throw new IllegalArgumentException(
          "publication " + name + " needs at least one operation and one table");
    }
    operations = Collections.unmodifiableSet(EnumSet.copyOf(operations));
    tables = List.copyOf(tables);
  }

  /** Returns the name of the native PostgreSQL publication: {@code georep_<name>}. */
  public String nativeName() {
    return NATIVE_PREFIX + name;
  }

  /** Returns whether updates or deletes replicate (which needs a replica identity). */
  public boolean replicatesOldRows() {
    return operations.contains(Operation.UPDATE) || operations.contains(Operation.DELETE);
  }
}
