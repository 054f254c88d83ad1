package io.georep.connector.spi;

import io.georep.vectorclock.GeorepException;
import java.time.Duration;
import java.util.List;

/**
 * A capability of a {@link RegionApplier}: the consistency controls of the region's database
 * (session tokens and waits for them, docs/consistency.md), for the agent's HTTP API. Each call
 * runs the database's own functions on a connection of its own, so the answers are those an
 * application gets in SQL.
 */
public interface ConsistencyWaits {
  /** Why a wait did not succeed. */
  enum Refusal {
    /** The timeout passed first. */
    TIMEOUT,
    /** An origin the token needs lags here beyond {@code control.max.lag} (fail fast). */
    LAGGING,
    /** The token or another argument is not valid. */
    INVALID,
    /** The database cannot answer yet (no agent has recorded this region). */
    NOT_READY
  }

  /** A wait or token request the database refused; the message is the database's. */
  final class ConsistencyRefusedException extends GeorepException {
    private static final long serialVersionUID = 1L;

    /** Why. */
    private final Refusal refusal;

    /**
     * Creates the exception.
     *
     * @param refusal why
     * @param message the database's message and hint
     */
    public ConsistencyRefusedException(Refusal refusal, String message) {
      super(message);
      this.refusal = refusal;
    }

    /**
     * Returns why.
     *
     * @return the refusal
     */
    public Refusal refusal() {
      return refusal;
    }
  }

  /**
   * Returns the token of everything committed in this region so far and everything it applied.
   *
   * @return the token
   * @throws ConsistencyRefusedException if the database cannot answer yet
   * @throws ApplyRetryException if the database is unavailable
   */
  String sessionToken();

  /**
   * Returns once this region has applied everything the token names.
   *
   * @param token the token
   * @param timeout how long to wait at most
   * @param failFast fail at once when an origin the token needs lags beyond the bound
   * @throws ConsistencyRefusedException on timeout, lag, or an invalid token
   * @throws ApplyRetryException if the database is unavailable
   */
  void waitFor(String token, Duration timeout, boolean failFast);

  /**
   * Returns once the named regions, or at least {@code count} other regions when none are named,
   * have applied everything the token names.
   *
   * @param token the token
   * @param count how many other regions, when {@code regions} is empty
   * @param regions the regions that must have applied it; empty to count instead
   * @param timeout how long to wait at most
   * @throws ConsistencyRefusedException on timeout or invalid arguments
   * @throws ApplyRetryException if the database is unavailable
   */
  void waitReplicated(String token, int count, List<String> regions, Duration timeout);
}
