package io.georep.publication;

import java.util.Comparator;
import java.util.Objects;

/**
 * A place in a publication file: the file name as the user gave it, and a 1-based line and column.
 *
 * <p>Columns count Unicode code points, so a position points at the character an editor shows.
 * Positions order by file, then line, then column. Instances are immutable and thread-safe.
 *
 * @param file the file name as given to the parser, never null
 * @param line the 1-based line number
 * @param column the 1-based column number
 */
public record SourcePosition(String file, int line, int column)
    implements Comparable<SourcePosition> {

  private static final Comparator<SourcePosition> ORDER =
      Comparator.comparing(SourcePosition::file)
          .thenComparingInt(SourcePosition::line)
          .thenComparingInt(SourcePosition::column);

  /**
   * Creates a position.
   *
   * @throws NullPointerException if {@code file} is null
   * @throws IllegalArgumentException if {@code line} or {@code column} is less than 1
   */
  public SourcePosition {
    Objects.requireNonNull(file, "file");
    if (line < 1 || column < 1) {
      throw new IllegalArgumentException(
          "line and column are 1-based, got " + line + ":" + column + " in " + file);
    }
  }

  /** Returns the position of the first character of {@code file}. */
  public static SourcePosition startOf(String file) {
    return new SourcePosition(file, 1, 1);
  }

  @Override
  public int compareTo(SourcePosition other) {
    return ORDER.compare(this, other);
  }

  /** Returns {@code file:line:column}, the form editors and terminals turn into links. */
  @Override
  public String toString() {
    return file + ":" + line + ":" + column;
  }
}
