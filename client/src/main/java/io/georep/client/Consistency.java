package io.georep.client;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.List;
import java.util.Objects;

/**
 * The consistency functions of a region's {@code georep} schema over JDBC (docs/consistency.md):
 * the session token of what a connection committed, and waits for a token in this region or in
 * others. Each call is one statement on the given connection, in its current transaction.
 */
public final class Consistency {
  /** The SQLSTATE of a wait that timed out. */
  public static final String TIMEOUT_SQLSTATE = "GR001";

  /** The SQLSTATE of a wait that failed fast: the region lags beyond {@code control.max.lag}. */
  public static final String LAGGING_SQLSTATE = "GR002";

  private Consistency() {}

  /**
   * Returns the token of what this connection has committed in its region and could have seen there
   * ({@code georep.session_token()}). Call it after the commit, outside the writing transaction, in
   * auto-commit mode (or commit right after it): the token takes effect when its statement commits.
   *
   * @param connection a connection to a region's database
   * @return the token
   * @throws SQLException if the database refuses (no agent has run there, or the transaction wrote)
   */
  public static SessionToken sessionToken(Connection connection) throws SQLException {
    try (PreparedStatement s = connection.prepareStatement("SELECT georep.session_token()");
        ResultSet rs = s.executeQuery()) {
      rs.next();
      return SessionToken.parse(rs.getString(1));
    }
  }

  /**
   * Returns once this connection's region has applied everything the token names, so that the next
   * statement sees it ({@code georep.wait_for}).
   *
   * @param connection a connection in READ COMMITTED
   * @param token the token
   * @param timeout how long to wait at most
   * @throws SQLException with SQLSTATE {@value #TIMEOUT_SQLSTATE} at the timeout (its message names
   *     the origin and how far behind this region is), or another refusal
   */
  public static void waitFor(Connection connection, SessionToken token, Duration timeout)
      throws SQLException {
    call(connection, "SELECT georep.wait_for(?, ?::interval)", token, null, timeout);
  }

  /**
   * As {@link #waitFor(Connection, SessionToken, Duration)}, but fails at once with SQLSTATE
   * {@value #LAGGING_SQLSTATE} when an origin the token needs lags in this region beyond the
   * agent's {@code control.max.lag}, so that the application can serve the session elsewhere.
   *
   * @param connection a connection in READ COMMITTED
   * @param token the token
   * @param timeout how long to wait at most
   * @throws SQLException with SQLSTATE {@value #LAGGING_SQLSTATE} when lagging beyond the bound,
   *     {@value #TIMEOUT_SQLSTATE} at the timeout, or another refusal
   */
  public static void waitForOrFailFast(Connection connection, SessionToken token, Duration timeout)
      throws SQLException {
    call(
        connection,
        "SELECT georep.wait_for(?, ?::interval, fail_fast => true)",
        token,
        null,
        timeout);
  }

  /**
   * Returns once at least {@code regions} other regions have applied the token, as their heartbeats
   * say ({@code georep.wait_replicated}). Refused in a transaction that has written: commit first.
   *
   * @param connection a connection to the region where the token was taken
   * @param token the token
   * @param regions how many other regions must have applied it
   * @param timeout how long to wait at most
   * @throws SQLException with SQLSTATE {@value #TIMEOUT_SQLSTATE} at the timeout, or another
   *     refusal
   */
  public static void waitReplicated(
      Connection connection, SessionToken token, int regions, Duration timeout)
      throws SQLException {
    call(
        connection,
        "SELECT georep.wait_replicated(?, ?::integer, ?::interval)",
        token,
        regions,
        timeout);
  }

  /**
   * Returns once every named region has applied the token ({@code georep.wait_replicated}).
   *
   * @param connection a connection to the region where the token was taken
   * @param token the token
   * @param regions the regions that must have applied it
   * @param timeout how long to wait at most
   * @throws SQLException with SQLSTATE {@value #TIMEOUT_SQLSTATE} at the timeout, or another
   *     refusal
   */
  public static void waitReplicated(
      Connection connection, SessionToken token, List<String> regions, Duration timeout)
      throws SQLException {
    call(
        connection,
        "SELECT georep.wait_replicated(?, ?::text[], ?::interval)",
        token,
        connection.createArrayOf("text", regions.toArray()),
        timeout);
  }

  /**
   * Returns whether an exception is a wait's timeout.
   *
   * @param e the exception
   * @return whether its SQLSTATE is {@value #TIMEOUT_SQLSTATE}
   */
  public static boolean isTimeout(SQLException e) {
    return TIMEOUT_SQLSTATE.equals(e.getSQLState());
  }

  /**
   * Returns whether an exception is a wait that failed fast because the region lags.
   *
   * @param e the exception
   * @return whether its SQLSTATE is {@value #LAGGING_SQLSTATE}
   */
  public static boolean isLagging(SQLException e) {
    return LAGGING_SQLSTATE.equals(e.getSQLState());
  }

  private static void call(
      Connection connection, String sql, SessionToken token, Object middle, Duration timeout)
      throws SQLException {
    Objects.requireNonNull(token, "token");
    if (timeout.isNegative()) {
      throw new IllegalArgumentException("timeout must be zero or more, got " + timeout);
    }
    try (PreparedStatement s = connection.prepareStatement(sql)) {
      int i = 1;
      s.setString(i++, token.toString());
      if (middle != null) {
        s.setObject(i++, middle);
      }
      s.setString(i, timeout.toMillis() + " milliseconds");
      try (ResultSet rs = s.executeQuery()) {
        rs.next();
      }
    }
  }
}
