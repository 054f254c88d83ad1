package io.georep.publication;

import java.util.List;

/**
 * Which columns of a table replicate: all of them, only listed ones, or all but listed ones.
 * Immutable and thread-safe.
 */
public sealed interface ColumnSelection {

  /** Returns whether {@code column} replicates. */
  boolean selects(String column);

  /** Returns the columns the file lists (empty for {@link All}). */
  List<ColumnRef> listed();

  /** Every column replicates (the default). */
  record All() implements ColumnSelection {
    @Override
    public boolean selects(String column) {
      return true;
    }

    @Override
    public List<ColumnRef> listed() {
      return List.of();
    }
  }

  /**
   * Only the listed columns replicate.
   *
   * @param columns the columns, never empty; copied
   */
  record Include(List<ColumnRef> columns) implements ColumnSelection {
    /** Copies the list. */
    public Include {
      columns = List.copyOf(columns);
    }

    @Override
    public boolean selects(String column) {
      return columns.stream().anyMatch(c -> c.name().equals(column));
    }

    @Override
    public List<ColumnRef> listed() {
      return columns;
    }
  }

  /**
   * Every column but the listed ones replicates.
   *
   * @param columns the excluded columns, never empty; copied
   */
  record Exclude(List<ColumnRef> columns) implements ColumnSelection {
    /** Copies the list. */
    public Exclude {
      columns = List.copyOf(columns);
    }

    @Override
    public boolean selects(String column) {
      return columns.stream().noneMatch(c -> c.name().equals(column));
    }

    @Override
    public List<ColumnRef> listed() {
      return columns;
    }
  }
}
