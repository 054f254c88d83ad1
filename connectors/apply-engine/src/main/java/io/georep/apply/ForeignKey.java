package io.georep.apply;

import io.georep.connector.TableId;
import java.util.List;
import java.util.Objects;

/**
 * A foreign key of the local schema, as the applier's parent-deleted rule needs it: which columns
 * of the child table reference which columns of the parent table, and what the key does when a
 * parent row is deleted.
 *
 * @param name the constraint's name; never null
 * @param child the referencing table; never null
 * @param childColumns the referencing columns, in constraint order; never empty
 * @param parent the referenced table; never null
 * @param parentColumns the referenced columns, in the same order; never empty
 * @param onDelete {@code pg_constraint.confdeltype}: {@code a} no action, {@code r} restrict,
 *     {@code c} cascade, {@code n} set null, {@code d} set default
 */
public record ForeignKey(
    String name,
    TableId child,
    List<String> childColumns,
    TableId parent,
    List<String> parentColumns,
    char onDelete) {
  /** Validates the key and copies the lists. */
  public ForeignKey {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(child, "child");
    Objects.requireNonNull(parent, "parent");
    childColumns = List.copyOf(childColumns);
    parentColumns = List.copyOf(parentColumns);
    if (childColumns.isEmpty() || childColumns.size() != parentColumns.size()) {
      throw new IllegalArgumentException(
          "foreign key " + name + " of " + child + " must pair its columns with " + parent + "'s");
    }
  }
}
