package io.georep.replicator.internal.http;

import io.georep.replicator.AgentStatus;
import io.georep.replicator.internal.metrics.AgentMetrics;
import io.georep.replicator.internal.status.StatusView;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The dashboard's time series, kept in the agent so that a page opened now shows the last hour:
 * every {@value #INTERVAL_SECONDS} s, the conflicts counted since start by type and by table, and
 * each origin's lag; the last {@value #SAMPLES} samples. The page turns the counts into rates.
 */
final class DashboardHistory implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(DashboardHistory.class);
  static final int INTERVAL_SECONDS = 5;
  static final int SAMPLES = 720;

  private final StatusView view;
  private final AgentMetrics metrics;
  private final LongSupplier clock;
  private final ArrayDeque<Map<String, Object>> samples = new ArrayDeque<>();
  private final ScheduledExecutorService timer;

  DashboardHistory(StatusView view, AgentMetrics metrics, LongSupplier clock) {
    this.view = view;
    this.metrics = metrics;
    this.clock = clock;
    this.timer =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "georep-dashboard-history");
              t.setDaemon(true);
              return t;
            });
    // sample() catches its own failures, so the schedule never ends with an exception.
    java.util.concurrent.Future<?> unused =
        timer.scheduleAtFixedRate(this::sample, 0, INTERVAL_SECONDS, TimeUnit.SECONDS);
  }

  private void sample() {
    try {
      Map<String, Long> byType = new TreeMap<>();
      Map<String, Long> byTable = new TreeMap<>();
      metrics
          .conflictCounts()
          .forEach(
              (table, types) ->
                  types.forEach(
                      (type, n) -> {
                        byType.merge(type, n, Long::sum);
                        byTable.merge(table, n, Long::sum);
                      }));
      Map<String, Double> lag = new TreeMap<>();
      AgentStatus status = view.status();
      status.origins().forEach((origin, o) -> lag.put(origin, o.lagSeconds()));
      Map<String, Object> s = new LinkedHashMap<>();
      s.put("t", clock.getAsLong());
      s.put("conflictsByType", byType);
      s.put("conflictsByTable", byTable);
      s.put("lagSeconds", lag);
      synchronized (samples) {
        samples.addLast(s);
        while (samples.size() > SAMPLES) {
          samples.removeFirst();
        }
      }
    } catch (RuntimeException e) {
      LOG.warn("dashboard history sample failed", e);
    }
  }

  /**
   * Returns the samples, oldest first.
   *
   * @return a copy
   */
  List<Map<String, Object>> samples() {
    synchronized (samples) {
      return new ArrayList<>(samples);
    }
  }

  @Override
  public void close() {
    timer.shutdownNow();
  }
}
