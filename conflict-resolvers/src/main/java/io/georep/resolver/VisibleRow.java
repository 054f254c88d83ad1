package io.georep.resolver;

import io.georep.connector.Value;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * The row as the database should show it after a merge: whether it exists, and its column values.
 *
 * <p>When the row exists, {@code values} holds the key columns and every non-key column that has a
 * value, in table order; a column never written (an insert that let the database use its default)
 * is absent. When it does not exist, {@code values} is empty. Immutable and thread-safe.
 *
 * @param exists whether the row exists
 * @param values column values by name, datums only; never null, copied; empty unless {@code exists}
 */
public record VisibleRow(boolean exists, Map<String, Value> values) {
  /** The row that does not exist. */
  public static final VisibleRow ABSENT = new VisibleRow(false, Map.of());

  /**
   * Validates the row.
   *
   * @throws IllegalArgumentException if a missing row has values or a value is not a datum
   */
  public VisibleRow {
    values = Collections.unmodifiableMap(new LinkedHashMap<>(Objects.requireNonNull(values)));
    if (!exists && !values.isEmpty()) {
      throw new IllegalArgumentException("a row that does not exist has no values");
    }
    for (Map.Entry<String, Value> e : values.entrySet()) {
      if (!e.getValue().isDatum()) {
        throw new IllegalArgumentException(
            "column '" + e.getKey() + "' must hold a datum, got a " + e.getValue().kind());
      }
    }
  }
}
