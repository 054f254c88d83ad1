package io.georep.connectors.postgres.internal.apply;

import io.georep.connector.spi.ConsistencyWaits.ConsistencyRefusedException;
import io.georep.connector.spi.ConsistencyWaits.Refusal;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * The consistency functions of the {@code georep} schema ({@code session_token}, {@code wait_for},
 * {@code wait_replicated}) called over JDBC, their refusals mapped by SQLSTATE.
 */
public final class ConsistencyCalls {
  private ConsistencyCalls() {}

  /**
   * Calls {@code georep.session_token()} in auto-commit mode.
   *
   * @param c the connection
   * @return the token
   * @throws SQLException if the database fails otherwise than by a refusal
   */
  public static String sessionToken(Connection c) throws SQLException {
    c.setAutoCommit(true);
    try (PreparedStatement s = c.prepareStatement("SELECT georep.session_token()");
        ResultSet rs = s.executeQuery()) {
      rs.next();
      return rs.getString(1);
    } catch (SQLException e) {
      throw refused(e).orElseThrow(() -> e);
    }
  }

  /**
   * Calls {@code georep.wait_for}.
   *
   * @param c the connection
   * @param token the token
   * @param timeout the timeout
   * @param failFast whether to fail fast when lagging
   * @throws SQLException if the database fails otherwise than by a refusal
   */
  public static void waitFor(Connection c, String token, Duration timeout, boolean failFast)
      throws SQLException {
    call(c, "SELECT georep.wait_for(?, ?::interval, ?)", token, failFast, timeout);
  }

  /**
   * Calls {@code georep.wait_replicated} with a count or a list of regions.
   *
   * @param c the connection
   * @param token the token
   * @param count how many other regions, when {@code regions} is empty
   * @param regions the regions named
   * @param timeout the timeout
   * @throws SQLException if the database fails otherwise than by a refusal
   */
  public static void waitReplicated(
      Connection c, String token, int count, List<String> regions, Duration timeout)
      throws SQLException {
    if (regions.isEmpty()) {
      call(c, "SELECT georep.wait_replicated(?, ?::integer, ?::interval)", token, count, timeout);
    } else {
      call(
          c,
          "SELECT georep.wait_replicated(?, ?::text[], ?::interval)",
          token,
          c.createArrayOf("text", regions.toArray()),
          timeout);
    }
  }

  private static void call(Connection c, String sql, String token, Object middle, Duration timeout)
      throws SQLException {
    c.setAutoCommit(true);
    try (PreparedStatement s = c.prepareStatement(sql)) {
      s.setString(1, token);
      if (sql.contains("wait_for")) {
        s.setString(2, timeout.toMillis() + " milliseconds");
        s.setObject(3, middle);
      } else {
        s.setObject(2, middle);
        s.setString(3, timeout.toMillis() + " milliseconds");
      }
      try (ResultSet rs = s.executeQuery()) {
        rs.next();
      }
    } catch (SQLException e) {
      throw refused(e).orElseThrow(() -> e);
    }
  }

  /** The refusal an exception is, by SQLSTATE, with the server's message and hint. */
  private static Optional<ConsistencyRefusedException> refused(SQLException e) {
    String state = e.getSQLState();
    Refusal refusal;
    if ("GR001".equals(state)) {
      refusal = Refusal.TIMEOUT;
    } else if ("GR002".equals(state)) {
      refusal = Refusal.LAGGING;
    } else if ("22023".equals(state) || "22004".equals(state)) {
      refusal = Refusal.INVALID;
    } else if ("55000".equals(state)) {
      refusal = Refusal.NOT_READY;
    } else {
      return Optional.empty();
    }
    // PgJDBC writes "ERROR: <message>" and, on lines of their own, the hint and the context.
    String message = String.valueOf(e.getMessage()).replaceFirst("^ERROR: ", "");
    StringBuilder text = new StringBuilder();
    for (String line : message.split("\n", -1)) {
      String l = line.strip();
      if (l.startsWith("Where:") || l.startsWith("Position:") || l.isEmpty()) {
        continue;
      }
      text.append(text.length() == 0 ? "" : "; ").append(l.replaceFirst("^Hint: ", ""));
    }
    return Optional.of(new ConsistencyRefusedException(refusal, text.toString()));
  }
}
