package io.georep.resolver.spi;

import io.georep.connector.Value;
import io.georep.vectorclock.Dot;
import java.util.Objects;

/**
 * What a resolver decided: one of the versions wins ({@link Chosen}), or, for a column decision
 * only, a new value merged from them ({@link Merged}).
 */
public sealed interface Resolution {
  /**
   * Returns the resolution that picks a version.
   *
   * @param version the winner; never null; must be one of the conflict set's versions
   * @return the resolution
   */
  static Resolution choose(Version version) {
    return new Chosen(version.dot());
  }

  /**
   * Returns the resolution that merges the versions of a column into a new value.
   *
   * @param value the column's new value; a datum the column accepts (NULL only if nullable)
   * @return the resolution
   */
  static Resolution merge(Value value) {
    return new Merged(value);
  }

  /**
   * The version with this dot wins.
   *
   * @param dot the winner's dot; never null
   */
  record Chosen(Dot dot) implements Resolution {
    /** Validates the dot. */
    public Chosen {
      Objects.requireNonNull(dot, "dot");
    }
  }

  /**
   * The column takes this merged value (column decisions only).
   *
   * @param value the value; never null; a datum
   */
  record Merged(Value value) implements Resolution {
    /**
     * Validates the value.
     *
     * @throws IllegalArgumentException if the value is a column operation, not a datum
     */
    public Merged {
      Objects.requireNonNull(value, "value");
      if (!value.isDatum()) {
        throw new IllegalArgumentException("a merged value must be a datum, got a " + value.kind());
      }
    }
  }
}
