package io.georep.resolver.spi;

import io.georep.connector.RowChange;
import io.georep.connector.Value;
import io.georep.vectorclock.Dot;
import io.georep.vectorclock.HybridTimestamp;
import io.georep.vectorclock.ReplicaId;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * One version of a row as a resolver or a conflict record sees it: the write that produced it (its
 * dot, hybrid timestamp and kind) and the column values it holds.
 *
 * <p>For a version stored in a row's state, {@code values} are the non-key columns whose current
 * (non-dominated) value this write produced; columns it wrote that a later write has since
 * overwritten, and CRDT columns (counters, max/min, sets), are not included. For an incoming write,
 * {@code values} are the columns it carries, which for updates may be column operations ({@link
 * Value.CounterDelta}, {@link Value.SetDelta}). A delete (tombstone) holds no values.
 *
 * <p>Immutable and thread-safe.
 *
 * @param dot the write's identity {@code (origin, seq)}; never null
 * @param timestamp the write's hybrid commit timestamp, issued by the dot's origin; never null
 * @param kind whether the write was an insert, an update or a delete; never null
 * @param values column values by name, in table order; never null, copied
 */
public record Version(
    Dot dot, HybridTimestamp timestamp, RowChange.Kind kind, Map<String, Value> values) {
  /**
   * Validates the version.
   *
   * @throws IllegalArgumentException if the timestamp was issued by another replica than the dot's
   *     origin
   */
  public Version {
    Objects.requireNonNull(dot, "dot");
    Objects.requireNonNull(timestamp, "timestamp");
    Objects.requireNonNull(kind, "kind");
    if (!timestamp.origin().equals(dot.origin())) {
      throw new IllegalArgumentException(
          "version "
              + dot
              + " has timestamp "
              + timestamp
              + " issued by "
              + timestamp.origin()
              + "; a write's timestamp comes from its origin's clock");
    }
    values = Collections.unmodifiableMap(new LinkedHashMap<>(Objects.requireNonNull(values)));
  }

  /**
   * Returns the region that made the write.
   *
   * @return the dot's origin; never null
   */
  public ReplicaId origin() {
    return dot.origin();
  }

  /**
   * Tells whether this version is a delete (a tombstone: the row does not exist in it).
   *
   * @return true for a delete
   */
  public boolean isTombstone() {
    return kind == RowChange.Kind.DELETE;
  }

  /**
   * Returns {@code kind dot@timestamp} and the column names (never values: they may be personal).
   */
  @Override
  public String toString() {
    return kind.name().toLowerCase(java.util.Locale.ROOT)
        + " "
        + dot
        + " at "
        + timestamp
        + " "
        + values.keySet();
  }
}
