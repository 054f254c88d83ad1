package io.georep.replicator.codec;

/**
 * A length or count is larger than its limit. Decoding refuses it before allocating anything for
 * it; encoding refuses a batch that would exceed a limit (split it into smaller batches).
 */
public final class OversizeFieldException extends WireFormatException {
  private static final long serialVersionUID = 1L;

  private final String field;
  private final long value;
  private final long limit;

  /**
   * Creates the exception.
   *
   * @param field the field, such as {@code uncompressed length}; never null
   * @param value its value
   * @param limit the largest allowed value
   * @param advice what to do about it; never null
   */
  public OversizeFieldException(String field, long value, long limit, String advice) {
    super(field + " " + value + " exceeds the limit of " + limit + "; " + advice);
    this.field = field;
    this.value = value;
    this.limit = limit;
  }

  /**
   * Returns the oversize field's name.
   *
   * @return the field; never null
   */
  public String field() {
    return field;
  }

  /**
   * Returns the oversize value.
   *
   * @return the value
   */
  public long value() {
    return value;
  }

  /**
   * Returns the limit.
   *
   * @return the largest allowed value
   */
  public long limit() {
    return limit;
  }
}
