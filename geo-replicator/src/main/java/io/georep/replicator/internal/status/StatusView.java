package io.georep.replicator.internal.status;

import io.georep.replicator.AgentSettings;
import io.georep.replicator.AgentStatus;
import io.georep.replicator.internal.metrics.AgentMetrics;
import io.georep.vectorclock.ReplicaId;
import io.georep.vectorclock.VersionVector;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.function.LongSupplier;

/**
 * Builds {@link AgentStatus} snapshots and the {@code /health} and {@code /api/status} documents
 * (plain maps and lists, rendered as JSON) from the agent state. Thread-safe.
 */
public final class StatusView {
  private final AgentSettings settings;
  private final AgentState state;
  private final AgentMetrics metrics;
  private final LongSupplier clock;

  /**
   * Creates the view.
   *
   * @param settings the settings
   * @param state the state
   * @param metrics the meters (conflict counts)
   * @param clock the wall clock
   */
  public StatusView(
      AgentSettings settings, AgentState state, AgentMetrics metrics, LongSupplier clock) {
    this.settings = settings;
    this.state = state;
    this.metrics = metrics;
    this.clock = clock;
  }

  /**
   * Returns a snapshot.
   *
   * @return the status
   */
  public AgentStatus status() {
    long now = clock.getAsLong();
    Map<String, AgentStatus.OriginStatus> origins = new TreeMap<>();
    List<String> alerts = new ArrayList<>();
    boolean ready = state.captureState.get() == AgentState.StreamState.RUNNING;
    if (state.captureState.get() == AgentState.StreamState.HALTED) {
      alerts.add("capture halted: " + state.captureError.get());
    } else if (state.captureState.get() == AgentState.StreamState.STARTING
        && state.captureError.get() != null) {
      alerts.add("capture restarting: " + state.captureError.get());
    }
    for (AgentSettings.Region r : settings.remoteRegions()) {
      AgentState.OriginState s = state.origin(r.name());
      Optional<String> halt = Optional.ofNullable(s.halt.get());
      halt.ifPresent(h -> alerts.add("apply of origin " + r.name() + " halted: " + h));
      String failure = s.failure.get();
      if (halt.isEmpty() && s.state.get() == AgentState.StreamState.STARTING && failure != null) {
        alerts.add("receiver of origin " + r.name() + " restarting: " + failure);
      }
      String gap = s.gap.get();
      if (halt.isEmpty() && gap != null) {
        alerts.add("apply of origin " + r.name() + " stalled: " + gap);
      }
      if (halt.isEmpty()) {
        new TreeMap<>(s.parked)
            .forEach(
                (table, why) ->
                    alerts.add(
                        "apply of origin " + r.name() + ": table " + table + " parked: " + why));
      }
      for (ReplicaId unknown : new java.util.TreeSet<>(s.waitsForUnknown)) {
        alerts.add(unknownRegion(r.name(), unknown));
      }
      double lagSeconds = s.lagSeconds(now, settings.control().regionTimeout().toMillis());
      Duration bound = settings.control().maxLag();
      if (!bound.isZero() && lagSeconds * 1000 > bound.toMillis()) {
        alerts.add(
            String.format(
                java.util.Locale.ROOT,
                "origin %s lags here by %.1f s, over control.max.lag (%s): georep.wait_for(…,"
                    + " fail_fast => true) fails at once for tokens that need it",
                r.name(),
                lagSeconds,
                bound.toString().substring(2).toLowerCase(java.util.Locale.ROOT)));
      }
      ready &= s.state.get() == AgentState.StreamState.RUNNING;
      origins.put(
          r.name().name(),
          new AgentStatus.OriginStatus(
              s.state.get().name().toLowerCase(java.util.Locale.ROOT),
              s.appliedSeq.get(),
              s.transactionsApplied.get(),
              s.pending.get(),
              s.recordsBehind.get(),
              lagSeconds,
              halt));
    }
    Map<String, AgentStatus.RegionStatus> regions = new TreeMap<>();
    for (AgentSettings.Region r : settings.regions()) {
      AgentState.SeenHeartbeat seen = state.heartbeats.get(r.name());
      if (seen == null) {
        regions.put(
            r.name().name(), new AgentStatus.RegionStatus(false, Optional.empty(), Map.of(), 0));
      } else {
        boolean up =
            seen.receivedAtMillis() != 0
                && now - seen.receivedAtMillis() <= settings.control().regionTimeout().toMillis();
        regions.put(
            r.name().name(),
            new AgentStatus.RegionStatus(
                up,
                Optional.of(Instant.ofEpochMilli(seen.heartbeat().sentAtMillis())),
                names(seen.heartbeat().applied()),
                seen.heartbeat().shippedSeq()));
      }
    }
    return new AgentStatus(
        settings.region(),
        ready,
        new AgentStatus.CaptureStatus(
            state.captureState.get().name().toLowerCase(java.util.Locale.ROOT),
            state.capturedSeq.get(),
            state.shippedSeq.get(),
            state.transactionsShipped.get(),
            Optional.ofNullable(state.captureError.get())),
        origins,
        regions,
        names(state.stableFrontier.get()),
        metrics.conflictCounts(),
        copies(),
        alerts,
        List.copyOf(new TreeMap<>(state.warnings).values()));
  }

  /**
   * Returns the alert of an origin whose transactions wait for a region this agent does not know.
   *
   * @param origin the waiting origin
   * @param unknown the region its causal contexts name
   * @return the alert
   */
  public static String unknownRegion(ReplicaId origin, ReplicaId unknown) {
    return "origin "
        + origin
        + "'s transactions wait for region "
        + unknown
        + ", which is not in agent.yaml's regions: they cannot be applied until it is; add region "
        + unknown
        + " (with its kafka settings) to regions and restart the agent";
  }

  private Map<String, AgentStatus.TableCopy> copies() {
    Map<String, AgentStatus.TableCopy> out = new TreeMap<>();
    state
        .copyProgress
        .tables()
        .forEach(
            (table, t) ->
                out.put(
                    table,
                    new AgentStatus.TableCopy(
                        t.rowsCopied(),
                        t.estimatedRows(),
                        t.percent(),
                        t.done(),
                        t.rowsPerSecond(),
                        t.etaSeconds())));
    return out;
  }

  private static Map<String, Long> names(VersionVector v) {
    Map<String, Long> m = new TreeMap<>();
    for (Map.Entry<ReplicaId, Long> e : v.entries().entrySet()) {
      m.put(e.getKey().name(), e.getValue());
    }
    return m;
  }

  /**
   * Returns the {@code /health} document: {@code live} (the process serves), {@code ready} (every
   * stream runs), the state of each stream and the alerts.
   *
   * @return the document
   */
  public Map<String, Object> health() {
    AgentStatus s = status();
    Map<String, Object> doc = new LinkedHashMap<>();
    doc.put("status", s.ready() ? "UP" : "DOWN");
    doc.put("live", true);
    doc.put("ready", s.ready());
    doc.put("region", s.region().name());
    doc.put("capture", s.capture().state());
    Map<String, Object> origins = new TreeMap<>();
    s.origins()
        .forEach(
            (name, o) -> {
              Map<String, Object> m = new LinkedHashMap<>();
              m.put("state", o.state());
              o.halt().ifPresent(h -> m.put("halt", h));
              origins.put(name, m);
            });
    doc.put("origins", origins);
    doc.put("alerts", s.alerts());
    doc.put("warnings", s.warnings());
    return doc;
  }

  /**
   * Returns the {@code /api/status} document.
   *
   * @return the document
   */
  public Map<String, Object> document() {
    AgentStatus s = status();
    Map<String, Object> doc = new LinkedHashMap<>();
    doc.put("region", s.region().name());
    doc.put("ready", s.ready());
    Map<String, Object> capture = new LinkedHashMap<>();
    capture.put("state", s.capture().state());
    capture.put("capturedSeq", s.capture().capturedSeq());
    capture.put("shippedSeq", s.capture().shippedSeq());
    capture.put("transactionsShipped", s.capture().transactionsShipped());
    s.capture().error().ifPresent(e -> capture.put("error", e));
    doc.put("capture", capture);
    Map<String, Object> origins = new TreeMap<>();
    s.origins()
        .forEach(
            (name, o) -> {
              Map<String, Object> m = new LinkedHashMap<>();
              m.put("state", o.state());
              m.put("appliedSeq", o.appliedSeq());
              m.put("transactionsApplied", o.transactionsApplied());
              m.put("lagTransactions", o.pendingTransactions());
              m.put("lagSeconds", o.lagSeconds());
              m.put("lagRecords", o.recordsBehind());
              o.halt().ifPresent(h -> m.put("halt", h));
              origins.put(name, m);
            });
    doc.put("origins", origins);
    Map<String, Object> regions = new TreeMap<>();
    s.regions()
        .forEach(
            (name, r) -> {
              Map<String, Object> m = new LinkedHashMap<>();
              m.put("up", r.up());
              r.lastHeartbeat().ifPresent(t -> m.put("lastHeartbeat", t.toString()));
              m.put("applied", r.applied());
              m.put("shippedSeq", r.shippedSeq());
              regions.put(name, m);
            });
    doc.put("regions", regions);
    doc.put("stableFrontier", s.stableFrontier());
    doc.put("conflicts", s.conflicts());
    Map<String, Object> copy = new TreeMap<>();
    s.initialCopy()
        .forEach(
            (table, t) -> {
              Map<String, Object> m = new LinkedHashMap<>();
              m.put("rowsCopied", t.rowsCopied());
              m.put("estimatedRows", t.estimatedRows());
              m.put("percent", t.percent());
              m.put("done", t.done());
              m.put("rowsPerSecond", Math.round(t.rowsPerSecond()));
              m.put("etaSeconds", t.etaSeconds());
              copy.put(table, m);
            });
    doc.put("initialCopy", copy);
    doc.put("alerts", s.alerts());
    doc.put("warnings", s.warnings());
    return doc;
  }
}
