package io.georep.replicator.internal.http;

import com.sun.net.httpserver.HttpExchange;
import io.georep.replicator.internal.metrics.AgentMetrics;
import io.georep.replicator.internal.status.StatusView;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.function.LongSupplier;

/**
 * The dashboard: a page at {@code /ui/} (and {@code /}, which redirects there) made of static
 * assets inside the agent's jar, its charting library (uPlot, from its webjar) at {@code
 * /ui/vendor/}, and {@code GET /api/dashboard}, the JSON document the page polls: the status
 * document, alerts with their runbook lines, conflicts by table, type and resolver, and the history
 * the agent keeps ({@link DashboardHistory}). The latest conflicts come from {@code
 * /api/conflicts}. No external service, no CDN: the page works where only the agent is reachable.
 */
final class DashboardEndpoints implements AutoCloseable {
  /** How often the page polls, in seconds. */
  static final int REFRESH_SECONDS = 2;

  private static final String ASSETS = "io/georep/replicator/ui/";
  private static final Map<String, String> FILES =
      Map.of(
          "index.html", "text/html; charset=utf-8",
          "dashboard.js", "text/javascript; charset=utf-8",
          "dashboard.css", "text/css; charset=utf-8");

  private final StatusView view;
  private final AgentMetrics metrics;
  private final DashboardHistory history;
  private final String uplotPath;

  DashboardEndpoints(StatusView view, AgentMetrics metrics, LongSupplier clock) {
    this.view = view;
    this.metrics = metrics;
    this.history = new DashboardHistory(view, metrics, clock);
    this.uplotPath = "META-INF/resources/webjars/uplot/" + uplotVersion() + "/dist/";
  }

  private static String uplotVersion() {
    Properties p = new Properties();
    try (InputStream in =
        DashboardEndpoints.class
            .getClassLoader()
            .getResourceAsStream("META-INF/maven/org.webjars.npm/uplot/pom.properties")) {
      if (in == null) {
        throw new IllegalStateException(
            "the dashboard's charting library (org.webjars.npm:uplot) is not on the classpath");
      }
      p.load(in);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return p.getProperty("version");
  }

  void register(StatusServer.Routes routes) {
    routes.add(
        "/",
        ex -> {
          if (ex.getRequestURI().getPath().equals("/")) {
            ex.getResponseHeaders().set("Location", "/ui/");
            ex.sendResponseHeaders(302, -1);
            ex.close();
          } else {
            notFound(ex);
          }
        });
    routes.add("/ui", this::asset);
    routes.add(
        "/api/dashboard",
        ex -> StatusServer.respond(ex, 200, "application/json", StatusServer.json(document())));
  }

  private void asset(HttpExchange ex) throws IOException {
    String path = ex.getRequestURI().getPath();
    if (path.equals("/ui")) {
      ex.getResponseHeaders().set("Location", "/ui/");
      ex.sendResponseHeaders(302, -1);
      ex.close();
      return;
    }
    String name = path.substring("/ui/".length());
    if (name.isEmpty()) {
      name = "index.html";
    }
    String resource;
    String type;
    if (FILES.containsKey(name)) {
      resource = ASSETS + name;
      type = FILES.get(name);
    } else if (name.equals("vendor/uPlot.iife.min.js")) {
      resource = uplotPath + "uPlot.iife.min.js";
      type = "text/javascript; charset=utf-8";
    } else if (name.equals("vendor/uPlot.min.css")) {
      resource = uplotPath + "uPlot.min.css";
      type = "text/css; charset=utf-8";
    } else {
      notFound(ex);
      return;
    }
    byte[] bytes;
    try (InputStream in = DashboardEndpoints.class.getClassLoader().getResourceAsStream(resource)) {
      if (in == null) {
        notFound(ex);
        return;
      }
      bytes = in.readAllBytes();
    }
    try {
      ex.getResponseHeaders().set("Content-Type", type);
      ex.getResponseHeaders().set("Cache-Control", "no-cache");
      ex.sendResponseHeaders(200, bytes.length);
      try (OutputStream out = ex.getResponseBody()) {
        out.write(bytes);
      }
    } finally {
      ex.close();
    }
  }

  private static void notFound(HttpExchange ex) throws IOException {
    byte[] body =
        ("no page at " + ex.getRequestURI().getPath() + "; the dashboard is at /ui/\n")
            .getBytes(StandardCharsets.UTF_8);
    try {
      ex.getResponseHeaders().set("Content-Type", "text/plain; charset=utf-8");
      ex.sendResponseHeaders(404, body.length);
      try (OutputStream out = ex.getResponseBody()) {
        out.write(body);
      }
    } finally {
      ex.close();
    }
  }

  /**
   * Returns the document the page polls.
   *
   * @return {@code refreshSeconds}, {@code historyIntervalSeconds}, {@code status} (as {@code
   *     /api/status}), {@code alerts} (each with its runbook line), {@code conflicts} (by table,
   *     then type), {@code conflictsByType}, {@code conflictsByResolver} and {@code history}
   */
  Map<String, Object> document() {
    Map<String, Object> doc = new LinkedHashMap<>();
    Map<String, Object> status = view.document();
    doc.put("region", status.get("region"));
    doc.put("refreshSeconds", REFRESH_SECONDS);
    doc.put("historyIntervalSeconds", DashboardHistory.INTERVAL_SECONDS);
    doc.put("status", status);
    List<Map<String, String>> alerts = new ArrayList<>();
    Object raw = status.get("alerts");
    if (raw instanceof List<?> list) {
      for (Object a : list) {
        alerts.add(Runbook.annotate(String.valueOf(a)));
      }
    }
    doc.put("alerts", alerts);
    Map<String, Map<String, Long>> byTable = metrics.conflictCounts();
    Map<String, Long> byType = new java.util.TreeMap<>();
    byTable.forEach((t, types) -> types.forEach((type, n) -> byType.merge(type, n, Long::sum)));
    doc.put("conflicts", byTable);
    doc.put("conflictsByType", byType);
    doc.put("conflictsByResolver", metrics.conflictCountsByResolver());
    doc.put("history", history.samples());
    return doc;
  }

  @Override
  public void close() {
    history.close();
  }
}
