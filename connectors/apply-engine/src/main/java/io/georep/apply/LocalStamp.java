package io.georep.apply;

import io.georep.vectorclock.Dot;
import io.georep.vectorclock.HybridTimestamp;
import io.georep.vectorclock.VersionVector;
import java.util.Objects;

/**
 * The identity of a local transaction as the capture stamped it: what a local write is merged as.
 *
 * @param dot its dot in the local region's stream; never null
 * @param timestamp its commit HLC; never null
 * @param context its causal context; never null
 */
public record LocalStamp(Dot dot, HybridTimestamp timestamp, VersionVector context) {
  /** Validates the stamp. */
  public LocalStamp {
    Objects.requireNonNull(dot, "dot");
    Objects.requireNonNull(timestamp, "timestamp");
    Objects.requireNonNull(context, "context");
  }
}
