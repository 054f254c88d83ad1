package io.georep.replicator.internal.http;

import com.sun.net.httpserver.HttpExchange;
import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.georep.connector.spi.ConflictQuery;
import io.georep.connector.spi.Connector;
import io.georep.connector.spi.LoggedConflict;
import io.georep.replicator.AgentSettings;
import io.georep.replicator.Connectors;
import io.georep.replicator.internal.conflicts.ConflictFilter;
import io.georep.replicator.internal.conflicts.ConflictRows;
import java.io.IOException;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code GET /api/conflicts?table=…&type=…&since=…&until=…&key=…&after=…&limit=…&latest=true}: rows
 * of the region's conflict log as {@code georep conflicts --json} shows them, in a JSON document
 * {@code {"region", "conflicts": […], "next"}} where {@code next} is the {@code after} that pages
 * on (or polls for new rows). The filter words are the command's. Reads run on a pool of their own
 * ({@value #THREADS} threads, {@value #QUEUE} queued, 503 beyond), each on a connection of its own
 * that is closed after the read, so a slow database never delays {@code /health} or {@code
 * /metrics}.
 */
final class ConflictEndpoints implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(ConflictEndpoints.class);
  static final int THREADS = 2;
  static final int QUEUE = 16;

  private final AgentSettings.Database database;
  private final String region;
  private final ThreadPoolExecutor reads;
  private HikariDataSource pool;

  ConflictEndpoints(AgentSettings.Database database, String region) {
    this.database = database;
    this.region = region;
    this.reads = StatusServer.boundedPool("georep-http-conflicts", THREADS, QUEUE);
  }

  void register(StatusServer.Routes routes) {
    routes.add("/api/conflicts", this::submit);
  }

  private void submit(HttpExchange ex) throws IOException {
    try {
      reads.execute(
          () -> {
            int status;
            Map<String, Object> body;
            try {
              body = read(StatusServer.query(ex));
              status = 200;
            } catch (IllegalArgumentException e) {
              body = error("invalid", e.getMessage());
              status = 400;
            } catch (SQLException e) {
              body =
                  error(
                      "unavailable",
                      "cannot read georep.conflict_log: "
                          + e.getMessage()
                          + ("42P01".equals(e.getSQLState())
                              ? " (the agent creates it at its first start)"
                              : ""));
              status = 503;
            } catch (RuntimeException e) {
              LOG.warn("HTTP {} failed", ex.getRequestURI(), e);
              body = error("failed", e.toString());
              status = 500;
            }
            try {
              StatusServer.respond(ex, status, "application/json", StatusServer.json(body));
            } catch (IOException e) {
              LOG.debug("HTTP {}: client gone: {}", ex.getRequestURI(), e.toString());
            }
          });
    } catch (RejectedExecutionException e) {
      StatusServer.respond(
          ex,
          503,
          "application/json",
          StatusServer.json(
              error(
                  "busy",
                  "too many conflict-log reads in progress (" + (THREADS + QUEUE) + "); retry")));
    }
  }

  private Map<String, Object> read(Map<String, String> q) throws SQLException {
    long after;
    Integer limit;
    try {
      after = Long.parseLong(q.getOrDefault("after", "0"));
      limit = q.containsKey("limit") ? Integer.valueOf(q.get("limit")) : null;
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("after and limit are whole numbers: " + e.getMessage(), e);
    }
    ConflictQuery query =
        ConflictFilter.of(
            q.get("table"),
            q.get("type"),
            q.get("since"),
            q.get("until"),
            q.get("key"),
            after,
            limit,
            Boolean.parseBoolean(q.getOrDefault("latest", "false")),
            Instant.now());
    Connector connector = Connectors.forUrl(database.jdbcUrl());
    List<LoggedConflict> rows;
    try (Connection c = pool().getConnection()) {
      rows = connector.readConflicts(c, query);
    }
    List<Map<String, Object>> out = new ArrayList<>();
    for (LoggedConflict row : rows) {
      out.add(ConflictRows.json(row));
    }
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("region", region);
    body.put("conflicts", out);
    body.put("next", rows.isEmpty() ? query.afterId() : rows.get(rows.size() - 1).id());
    return body;
  }

  private static Map<String, Object> error(String kind, String message) {
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("error", kind);
    body.put("message", message);
    return body;
  }

  private synchronized HikariDataSource pool() {
    if (pool == null) {
      HikariConfig config = new HikariConfig();
      config.setPoolName("georep-http-conflicts");
      config.setJdbcUrl(database.jdbcUrl());
      config.setUsername(database.user());
      config.setPassword(database.password());
      config.setMaximumPoolSize(THREADS);
      config.setMinimumIdle(0);
      config.setIdleTimeout(60_000);
      config.setConnectionTimeout(10_000);
      config.setReadOnly(true);
      config.addDataSourceProperty("ApplicationName", "georep http conflicts");
      Connectors.forUrl(database.jdbcUrl())
          .tlsProperties(database.jdbcUrl(), database.tls())
          .forEach(config::addDataSourceProperty);
      // Fail on the first read, not at start: the agent serves its page while the database is down.
      config.setInitializationFailTimeout(-1);
      pool = new HikariDataSource(config);
    }
    return pool;
  }

  @Override
  public synchronized void close() {
    reads.shutdownNow();
    if (pool != null) {
      pool.close();
    }
  }
}
