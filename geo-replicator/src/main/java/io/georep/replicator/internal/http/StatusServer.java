package io.georep.replicator.internal.http;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.sun.net.httpserver.HttpContext;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import com.sun.net.httpserver.HttpServer;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import io.georep.connector.spi.RegionDatabase;
import io.georep.replicator.AgentSettings;
import io.georep.replicator.internal.metrics.AgentMetrics;
import io.georep.replicator.internal.status.StatusView;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The agent's HTTP endpoint on the JDK's {@link HttpServer}: {@code /metrics} (Prometheus text),
 * {@code /health} (liveness and readiness JSON; 200 when ready, 503 otherwise), {@code
 * /health/live} (always 200 while the process serves), {@code /api/status} (JSON) and the
 * consistency controls ({@link ConsistencyEndpoints}) and the conflict log ({@link
 * ConflictEndpoints}) and the dashboard ({@link DashboardEndpoints}, {@code /ui/}). Binds {@code
 * http.host} (loopback by default). With {@code http.tls.keystore} it serves HTTPS; with {@code
 * http.token} every path but {@code /health/live} needs the token ({@link HttpAccess}).
 */
public final class StatusServer implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(StatusServer.class);
  private static final ObjectMapper JSON =
      new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  /** The path that answers without a token: the liveness probe. */
  static final String LIVE = "/health/live";

  /**
   * Threads that read requests and answer the quick paths (they end when idle); slow paths
   * (database reads, waits) hand off to bounded pools of their own. The JDK server reads a request
   * on one of these threads, so only this many clients stalling mid-request would hold them all.
   */
  private static final int THREADS = 32;

  static {
    // The JDK server reads a request on a thread of the executor: a client that sends its
    // request slowly holds that thread. Cap the time a request may take to arrive (unless the
    // operator chose a value), so a few slow clients cannot starve /health.
    if (System.getProperty("sun.net.httpserver.maxReqTime") == null) {
      System.setProperty("sun.net.httpserver.maxReqTime", "10");
    }
  }

  /** Registers a path's handler, behind the token check unless it is {@link #LIVE}. */
  @FunctionalInterface
  interface Routes {
    /**
     * Serves a path and every path below it.
     *
     * @param path the context path
     * @param handler its handler
     */
    void add(String path, HttpHandler handler);
  }

  private final HttpServer server;
  private final ExecutorService executor;
  private final ConsistencyEndpoints consistency;
  private final ConflictEndpoints conflicts;
  private final DashboardEndpoints dashboard;

  private StatusServer(
      HttpServer server,
      ExecutorService executor,
      ConsistencyEndpoints consistency,
      ConflictEndpoints conflicts,
      DashboardEndpoints dashboard) {
    this.server = server;
    this.executor = executor;
    this.consistency = consistency;
    this.conflicts = conflicts;
    this.dashboard = dashboard;
  }

  /**
   * Starts the endpoint.
   *
   * @param http the settings
   * @param view the status source
   * @param metrics the agent's meters: the Prometheus scrape and the dashboard's counts
   * @param clock the wall clock of the dashboard's history
   * @param database the region's database, for the consistency endpoints
   * @param settings the agent's settings: the database the conflict log is read from
   * @return the server
   * @throws UncheckedIOException if the port cannot be bound
   */
  public static StatusServer start(
      AgentSettings.Http http,
      StatusView view,
      AgentMetrics metrics,
      LongSupplier clock,
      RegionDatabase database,
      AgentSettings settings) {
    try {
      InetSocketAddress address = new InetSocketAddress(http.host(), http.port());
      HttpServer server;
      if (http.tlsKeystore() == null) {
        server = HttpServer.create(address, 16);
      } else {
        HttpsServer https = HttpsServer.create(address, 16);
        https.setHttpsConfigurator(new HttpsConfigurator(HttpAccess.tls(http)));
        server = https;
      }
      HttpAccess.TokenCheck guard =
          http.token() == null ? null : new HttpAccess.TokenCheck(http.token());
      Routes routes =
          (path, handler) -> {
            HttpContext context = server.createContext(path, handler);
            if (guard != null && !path.equals(LIVE)) {
              context.setAuthenticator(guard);
            }
          };
      routes.add(
          "/metrics",
          ex -> respond(ex, 200, "text/plain; version=0.0.4; charset=utf-8", metrics.scrape()));
      routes.add(
          LIVE,
          ex -> respond(ex, 200, "application/json", json(Map.of("status", "UP", "live", true))));
      routes.add(
          "/health",
          ex -> {
            Map<String, Object> health = view.health();
            respond(
                ex,
                Boolean.TRUE.equals(health.get("ready")) ? 200 : 503,
                "application/json",
                json(health));
          });
      routes.add("/api/status", ex -> respond(ex, 200, "application/json", json(view.document())));
      ConsistencyEndpoints consistency = new ConsistencyEndpoints(database);
      consistency.register(routes);
      ConflictEndpoints conflicts =
          new ConflictEndpoints(settings.database(), settings.region().name());
      conflicts.register(routes);
      DashboardEndpoints dashboard = new DashboardEndpoints(view, metrics, clock);
      dashboard.register(routes);
      ThreadPoolExecutor executor =
          new ThreadPoolExecutor(
              THREADS,
              THREADS,
              30,
              TimeUnit.SECONDS,
              new java.util.concurrent.LinkedBlockingQueue<>(),
              r -> {
                Thread t = new Thread(r, "georep-http");
                t.setDaemon(true);
                return t;
              });
      executor.allowCoreThreadTimeOut(true);
      server.setExecutor(executor);
      server.start();
      return new StatusServer(server, executor, consistency, conflicts, dashboard);
    } catch (IOException e) {
      throw new UncheckedIOException(
          "cannot serve HTTP on "
              + http.host()
              + ":"
              + http.port()
              + " ("
              + e.getMessage()
              + "); choose another http.port or set http.enabled: false",
          e);
    }
  }

  static String json(Object doc) {
    try {
      return JSON.writeValueAsString(doc);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static void respond(HttpExchange ex, int status, String type, String body) throws IOException {
    try {
      byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
      ex.getResponseHeaders().set("Content-Type", type);
      ex.sendResponseHeaders(status, bytes.length);
      try (OutputStream out = ex.getResponseBody()) {
        out.write(bytes);
      }
    } catch (RuntimeException e) {
      LOG.warn("HTTP {} failed", ex.getRequestURI(), e);
      ex.sendResponseHeaders(500, -1);
    } finally {
      ex.close();
    }
  }

  /**
   * Returns the bound port.
   *
   * @return the port
   */
  public int port() {
    return server.getAddress().getPort();
  }

  /** Stops the server. */
  @Override
  public void close() {
    server.stop(0);
    executor.shutdownNow();
    consistency.close();
    conflicts.close();
    dashboard.close();
  }

  /**
   * Returns a bounded pool of daemon threads for slow endpoints (database calls), so that they
   * never occupy the threads {@code /health} and {@code /metrics} answer on; its queue's overflow
   * is rejected, for a 503.
   *
   * @param name the threads' name
   * @param threads how many threads (they time out when idle)
   * @param queue how many calls may wait
   * @return the pool
   */
  static ThreadPoolExecutor boundedPool(String name, int threads, int queue) {
    ThreadPoolExecutor pool =
        new ThreadPoolExecutor(
            threads,
            threads,
            30,
            TimeUnit.SECONDS,
            new ArrayBlockingQueue<>(queue),
            r -> {
              Thread t = new Thread(r, name);
              t.setDaemon(true);
              return t;
            });
    pool.allowCoreThreadTimeOut(true);
    return pool;
  }

  /**
   * Returns a request's query parameters, decoded.
   *
   * @param ex the request
   * @return the parameters by name, in the order given; the last of a repeated name
   */
  static Map<String, String> query(HttpExchange ex) {
    Map<String, String> out = new LinkedHashMap<>();
    String raw = ex.getRequestURI().getRawQuery();
    if (raw == null || raw.isEmpty()) {
      return out;
    }
    for (String pair : raw.split("&", -1)) {
      int eq = pair.indexOf('=');
      String key = eq < 0 ? pair : pair.substring(0, eq);
      String value = eq < 0 ? "" : pair.substring(eq + 1);
      out.put(
          URLDecoder.decode(key, StandardCharsets.UTF_8),
          URLDecoder.decode(value, StandardCharsets.UTF_8));
    }
    return out;
  }
}
