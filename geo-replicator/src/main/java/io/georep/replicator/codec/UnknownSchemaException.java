package io.georep.replicator.codec;

import java.util.Set;
import java.util.TreeSet;

/**
 * The frame's envelope schema fingerprint is not one this reader knows: the batch was written by a
 * georep version this one cannot read (a newer minor version, or an older one that is no longer
 * supported).
 */
public final class UnknownSchemaException extends WireFormatException {
  private static final long serialVersionUID = 1L;

  private final long fingerprint;

  /**
   * Creates the exception.
   *
   * @param fingerprint the frame's schema fingerprint
   * @param formatVersion the frame's format version, such as {@code 1.0}; never null
   * @param known the fingerprints this reader knows; never null
   */
  public UnknownSchemaException(long fingerprint, String formatVersion, Set<Long> known) {
    super(
        "unknown envelope schema fingerprint "
            + hex(fingerprint)
            + " (format "
            + formatVersion
            + "); this reader knows "
            + describe(known)
            + "; upgrade this agent to the version of the agent that wrote the batch (a reader"
            + " reads the current minor version and the earlier ones of its major version)");
    this.fingerprint = fingerprint;
  }

  /**
   * Returns the unknown fingerprint.
   *
   * @return the fingerprint from the frame
   */
  public long fingerprint() {
    return fingerprint;
  }

  private static String hex(long fingerprint) {
    return String.format("0x%016x", fingerprint);
  }

  private static String describe(Set<Long> known) {
    StringBuilder sb = new StringBuilder();
    for (long f : new TreeSet<>(known)) {
      sb.append(sb.length() == 0 ? "" : ", ").append(hex(f));
    }
    return sb.toString();
  }
}
