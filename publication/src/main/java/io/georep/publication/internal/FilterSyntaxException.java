package io.georep.publication.internal;

/**
 * Thrown by {@link FilterParser} for a row filter outside the supported SQL subset; carries the
 * 0-based offset in the filter text so the caller can turn it into a file position.
 */
public final class FilterSyntaxException extends RuntimeException {

  private static final long serialVersionUID = 1L;

  private final int offset;
  private final String fix;

  FilterSyntaxException(int offset, String message, String fix) {
    super(message);
    this.offset = offset;
    this.fix = fix;
  }

  /** Returns the 0-based offset of the offending character in the filter text. */
  public int offset() {
    return offset;
  }

  /** Returns how to fix the filter; never null. */
  public String fix() {
    return fix;
  }
}
