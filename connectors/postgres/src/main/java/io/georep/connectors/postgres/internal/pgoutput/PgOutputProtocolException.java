package io.georep.connectors.postgres.internal.pgoutput;

import io.georep.vectorclock.GeorepException;

/**
 * A {@code pgoutput} message that does not follow the protocol: truncated, with an unknown type or
 * an impossible length. The capture stops at such a message; it never skips it, because a skipped
 * change would make the regions diverge.
 */
public final class PgOutputProtocolException extends GeorepException {
  private static final long serialVersionUID = 1L;

  PgOutputProtocolException(String message) {
    super(message);
  }
}
