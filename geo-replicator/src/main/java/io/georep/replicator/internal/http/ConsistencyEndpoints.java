package io.georep.replicator.internal.http;

import com.sun.net.httpserver.HttpExchange;
import io.georep.connector.spi.ConsistencyWaits;
import io.georep.connector.spi.ConsistencyWaits.ConsistencyRefusedException;
import io.georep.connector.spi.RegionApplier;
import io.georep.connector.spi.RegionDatabase;
import io.georep.vectorclock.RetriableGeorepException;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The consistency controls over HTTP (docs/consistency.md), for applications that hold a token but
 * no SQL connection: {@code GET /api/session-token}, {@code GET /api/wait-for?token=…&timeout=…
 * [&fail_fast=true]} and {@code GET /api/wait-replicated?token=…&regions=2|eu-west,us-east
 * &timeout=…}. The token may come in the {@code Georep-Session-Token} header instead. Each call
 * runs the database's own function, so HTTP and SQL answer alike: 200 once applied, 504 at the
 * timeout, 503 when failing fast on lag or when the database is unavailable, 400 for a bad
 * argument, each with a JSON body that carries the database's message.
 *
 * <p>Waits run on a pool of their own ({@value #THREADS} threads, {@value #QUEUE} queued, 503
 * beyond), so a crowd of waiting clients never delays {@code /health} or {@code /metrics}; a wait
 * is at most {@value #MAX_TIMEOUT_SECONDS} s.
 */
final class ConsistencyEndpoints implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(ConsistencyEndpoints.class);
  static final int THREADS = 8;
  static final int QUEUE = 64;
  static final long MAX_TIMEOUT_SECONDS = 300;
  static final String TOKEN_HEADER = "Georep-Session-Token";

  private final RegionDatabase database;
  private final ThreadPoolExecutor waits;
  private RegionApplier applier;

  ConsistencyEndpoints(RegionDatabase database) {
    this.database = database;
    this.waits = StatusServer.boundedPool("georep-http-wait", THREADS, QUEUE);
  }

  void register(StatusServer.Routes routes) {
    routes.add("/api/session-token", ex -> submit(ex, this::sessionToken));
    routes.add("/api/wait-for", ex -> submit(ex, this::waitFor));
    routes.add("/api/wait-replicated", ex -> submit(ex, this::waitReplicated));
  }

  /** A handler's answer: status and JSON body. */
  private record Answer(int status, Map<String, Object> body) {}

  private interface Call {
    Answer run(HttpExchange ex, Map<String, String> query);
  }

  private void submit(HttpExchange ex, Call call) throws IOException {
    try {
      waits.execute(
          () -> {
            Answer answer;
            try {
              answer = call.run(ex, StatusServer.query(ex));
            } catch (IllegalArgumentException e) {
              answer = error(400, "invalid", e.getMessage());
            } catch (ConsistencyRefusedException e) {
              answer =
                  switch (e.refusal()) {
                    case TIMEOUT -> error(504, "timeout", e.getMessage());
                    case LAGGING -> error(503, "lagging", e.getMessage());
                    case INVALID -> error(400, "invalid", e.getMessage());
                    case NOT_READY -> error(503, "not-ready", e.getMessage());
                  };
            } catch (RetriableGeorepException e) {
              answer = error(503, "unavailable", e.getMessage());
            } catch (RuntimeException e) {
              LOG.warn("HTTP {} failed", ex.getRequestURI(), e);
              answer = error(500, "failed", e.toString());
            }
            try {
              StatusServer.respond(
                  ex, answer.status(), "application/json", StatusServer.json(answer.body()));
            } catch (IOException e) {
              LOG.debug("HTTP {}: client gone: {}", ex.getRequestURI(), e.toString());
            }
          });
    } catch (RejectedExecutionException e) {
      Answer busy =
          error(
              503,
              "busy",
              "too many waits in progress ("
                  + (THREADS + QUEUE)
                  + "); retry, or wait in SQL with georep.wait_for");
      StatusServer.respond(ex, busy.status(), "application/json", StatusServer.json(busy.body()));
    }
  }

  private Answer sessionToken(HttpExchange ex, Map<String, String> query) {
    String token = waiter().sessionToken();
    return new Answer(200, Map.of("token", token));
  }

  private Answer waitFor(HttpExchange ex, Map<String, String> query) {
    long started = System.nanoTime();
    waiter()
        .waitFor(
            token(ex, query),
            timeout(query),
            Boolean.parseBoolean(query.getOrDefault("fail_fast", "false")));
    return applied(started);
  }

  private Answer waitReplicated(HttpExchange ex, Map<String, String> query) {
    String regions = query.get("regions");
    if (regions == null || regions.isBlank()) {
      throw new IllegalArgumentException(
          "regions is required: a count of other regions (regions=2) or their names"
              + " (regions=eu-west,us-east)");
    }
    long started = System.nanoTime();
    if (regions.strip().chars().allMatch(Character::isDigit)) {
      int count;
      try {
        count = Integer.parseInt(regions.strip());
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException("regions=" + regions + " is not a count", e);
      }
      waiter().waitReplicated(token(ex, query), count, List.of(), timeout(query));
    } else {
      List<String> names = new ArrayList<>();
      for (String name : regions.split(",", -1)) {
        names.add(name.strip());
      }
      waiter().waitReplicated(token(ex, query), 0, names, timeout(query));
    }
    return applied(started);
  }

  private static Answer applied(long startedNanos) {
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("applied", true);
    body.put("waitedMillis", TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startedNanos));
    return new Answer(200, body);
  }

  private static Answer error(int status, String kind, String message) {
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("error", kind);
    body.put("message", message);
    return new Answer(status, body);
  }

  private static String token(HttpExchange ex, Map<String, String> query) {
    String token = query.get("token");
    if (token == null) {
      token = ex.getRequestHeaders().getFirst(TOKEN_HEADER);
    }
    if (token == null || token.isBlank()) {
      throw new IllegalArgumentException(
          "token is required: the query parameter token= or the header " + TOKEN_HEADER);
    }
    return token.strip();
  }

  private static Duration timeout(Map<String, String> query) {
    String text = query.getOrDefault("timeout", "10s");
    Duration timeout;
    try {
      timeout = io.georep.replicator.AgentKeys.parseDuration(text);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(
          "timeout=" + text + " is not a duration (for example 500ms, 10s, 2m)", e);
    }
    if (timeout.toSeconds() > MAX_TIMEOUT_SECONDS) {
      throw new IllegalArgumentException(
          "timeout=" + text + " is over the limit of " + MAX_TIMEOUT_SECONDS + "s");
    }
    return timeout;
  }

  private synchronized ConsistencyWaits waiter() {
    if (applier == null) {
      // One connection per wait thread: a wait holds its connection while the database waits.
      applier = database.openApplier(THREADS);
    }
    if (applier instanceof ConsistencyWaits waits) {
      return waits;
    }
    throw new IllegalArgumentException(
        "this region's connector has no consistency controls (docs/consistency.md)");
  }

  @Override
  public synchronized void close() {
    waits.shutdownNow();
    if (applier != null) {
      applier.close();
    }
  }
}
