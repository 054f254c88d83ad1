package io.georep.replicator.internal.metrics;

import io.georep.connector.spi.ConflictReport;
import io.georep.replicator.internal.status.AgentState;
import io.georep.vectorclock.ReplicaId;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.FileDescriptorMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.LongSupplier;

/**
 * The agent's Micrometer meters, registered in a Prometheus registry. Names follow Micrometer's
 * dotted convention; Prometheus renders {@code georep.transactions.applied} as {@code
 * georep_transactions_applied_total}. Every meter is listed in {@code docs/metrics.md}, and every
 * one is registered when the agent starts (for the local stream in the constructor, for each remote
 * origin in {@link #registerOrigin}), so a scrape shows it at zero; only {@code
 * georep_conflicts_total} appears with the first conflict of its table, type and resolver.
 * Thread-safe.
 */
public final class AgentMetrics {
  private static final String CLOCK_SKEW_CLAMPED = "georep.clock.skew.clamped";
  private static final String CLOCK_SKEW_CLAMPED_HELP =
      "Applied timestamps of an origin more than the maximum forward skew (60 s) ahead of the"
          + " local clock, clamped to that bound";
  private final PrometheusMeterRegistry registry;
  private final String region;
  private final Map<String, Counter> counters = new ConcurrentHashMap<>();
  private final Map<String, AtomicLong> gauges = new ConcurrentHashMap<>();
  private final Map<String, AtomicReference<AtomicLong>> queues = new ConcurrentHashMap<>();
  private final Map<String, Map<String, AtomicLong>> conflictCounts = new ConcurrentHashMap<>();
  private final Timer applyBatch;

  /** By meter name, then origin: looked up per applied transaction, so without string building. */
  private final Map<String, Map<String, Timer>> latencies = new ConcurrentHashMap<>();

  private final JvmGcMetrics gc = new JvmGcMetrics();
  private final AgentTracing tracing;

  /**
   * The service-level buckets of every latency histogram: {@code le} buckets a dashboard reads as
   * "the share of transactions visible within 100 ms, 1 s, …".
   */
  static final Duration[] LATENCY_SLOS = {
    Duration.ofMillis(50),
    Duration.ofMillis(100),
    Duration.ofMillis(250),
    Duration.ofMillis(500),
    Duration.ofSeconds(1),
    Duration.ofSeconds(2),
    Duration.ofSeconds(5),
    Duration.ofSeconds(10),
    Duration.ofSeconds(30),
    Duration.ofMinutes(1),
    Duration.ofMinutes(5)
  };

  /**
   * Creates the meters of one agent.
   *
   * @param region the agent's region, a common tag
   * @param clock the wall clock for "seconds behind" gauges
   * @param state the agent's state, read by the lag gauges
   */
  public AgentMetrics(ReplicaId region, LongSupplier clock, AgentState state) {
    this(region, clock, state, AgentTracing.off());
  }

  /**
   * Creates the meters of one agent, with its traces.
   *
   * @param region the agent's region, a common tag
   * @param clock the wall clock for "seconds behind" gauges
   * @param state the agent's state, read by the lag gauges
   * @param tracing the agent's traces (closed with the meters)
   */
  public AgentMetrics(
      ReplicaId region, LongSupplier clock, AgentState state, AgentTracing tracing) {
    this.tracing = tracing;
    this.registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    this.region = region.name();
    registry.config().commonTags("region", this.region);
    this.applyBatch =
        Timer.builder("georep.apply.batch")
            .description("Duration of one apply database transaction (a coalesced group)")
            .publishPercentileHistogram()
            .minimumExpectedValue(Duration.ofMillis(1))
            .maximumExpectedValue(Duration.ofSeconds(30))
            .register(registry);
    new JvmMemoryMetrics().bindTo(registry);
    gc.bindTo(registry);
    new JvmThreadMetrics().bindTo(registry);
    new ClassLoaderMetrics().bindTo(registry);
    new ProcessorMetrics().bindTo(registry);
    new UptimeMetrics().bindTo(registry);
    new FileDescriptorMetrics().bindTo(registry);
    latency(SHIP_LATENCY, this.region);
    Gauge.builder("georep.capture.shipped.seq", state.shippedSeq, AtomicLong::get)
        .description("Seq (commit LSN) of the last local transaction Kafka acknowledged")
        .register(registry);
    Gauge.builder(
            "georep.capture.lag.seconds",
            state,
            s ->
                s.shippedWallMillis.get() == 0 || s.capturedSeq.get() <= s.shippedSeq.get()
                    ? 0
                    : Math.max(0, clock.getAsLong() - s.shippedWallMillis.get()) / 1000.0)
        .description("Seconds since the last acknowledged transaction while others wait")
        .register(registry);
    Gauge.builder(
            "georep.capture.running",
            state,
            s -> s.captureState.get() == AgentState.StreamState.RUNNING ? 1 : 0)
        .description("1 while the capture runs (0: starting, restarting with backoff, or halted)")
        .register(registry);
    Gauge.builder(
            "georep.capture.halted",
            state,
            s -> s.captureState.get() == AgentState.StreamState.HALTED ? 1 : 0)
        .description(
            "1 when the local stream (capture, shipping, folding) is halted by a permanent failure")
        .register(registry);
    Gauge.builder(
            "georep.apply.waiting.for.initial.copy", state, s -> s.copyProgress.settled() ? 0 : 1)
        .description(
            "1 while the apply of other regions waits for this region's initial copy to be"
                + " acknowledged")
        .register(registry);
    // Registered eagerly, so that a scrape shows every meter of the local stream at zero before
    // the first transaction.
    captured(0, 0);
    shipped(0, 0, 0, 0);
    counter(FRAGMENTS_SHIPPED, FRAGMENTS_SHIPPED_HELP, this.region);
    restarted("capture", 0);
  }

  /**
   * Registers the gauges of one remote origin.
   *
   * @param origin the origin
   * @param s its state
   * @param clock the wall clock
   * @param regionTimeout {@code control.region.timeout}: a region not heard from for this long is
   *     down, and its silence counts as lag
   */
  public void registerOrigin(
      ReplicaId origin, AgentState.OriginState s, LongSupplier clock, Duration regionTimeout) {
    counter(CLOCK_SKEW_CLAMPED, CLOCK_SKEW_CLAMPED_HELP, origin.name());
    clockSkewMax(origin.name());
    String o = origin.name();
    latency(REPLICATION_LATENCY, o);
    latency(APPLY_LATENCY, o);
    long timeout = regionTimeout.toMillis();
    Gauge.builder("georep.replication.lag.transactions", s.pending, AtomicLong::get)
        .tag("origin", o)
        .description("Transactions of the origin received but not yet applied here")
        .register(registry);
    Gauge.builder("georep.replication.lag.records", s.recordsBehind, AtomicLong::get)
        .tag("origin", o)
        .description("Stream records of the origin not yet read (-1: unknown)")
        .register(registry);
    Gauge.builder(
            "georep.replication.lag.seconds", s, x -> x.lagSeconds(clock.getAsLong(), timeout))
        .tag("origin", o)
        .description(
            "Age of the oldest transaction the origin reported or sent that is not applied here;"
                + " time since it was last heard from once that exceeds the region timeout")
        .register(registry);
    Gauge.builder("georep.region.up", s, x -> x.lag.up(clock.getAsLong(), timeout) ? 1 : 0)
        .tag("origin", o)
        .description("1 when a heartbeat of the region arrived within control.region.timeout")
        .register(registry);
    Gauge.builder("georep.apply.watermark", s.appliedSeq, AtomicLong::get)
        .tag("origin", o)
        .description("Applied watermark (seq) of the origin")
        .register(registry);
    Gauge.builder(
            "georep.origin.halted", s, x -> x.state.get() == AgentState.StreamState.HALTED ? 1 : 0)
        .tag("origin", o)
        .description("1 when the origin's stream is halted by a permanent failure")
        .register(registry);
    Gauge.builder("georep.origin.parked.tables", s, x -> x.parked.size())
        .tag("origin", o)
        .description(
            "Tables whose changes from the origin wait because the local table differs from the"
                + " origin's (schema drift); they apply once the same DDL runs here")
        .register(registry);
    Gauge.builder("georep.gate.unknown.regions", s, x -> x.waitsForUnknown.size())
        .tag("origin", o)
        .description(
            "Regions the origin's transactions wait for that are not in agent.yaml's regions")
        .register(registry);
    applied(origin, 0, 0);
    received(origin, 0, 0);
    fragmentsDropped(origin, 0);
    rejected(origin, 0);
    restarted("receiver-" + o, 0);
  }

  /**
   * Counts captured transactions.
   *
   * @param transactions transactions
   * @param changes row changes
   */
  public void captured(int transactions, int changes) {
    counter("georep.transactions.captured", "Local transactions captured", region)
        .increment(transactions);
    counter("georep.changes.captured", "Local row changes captured", region).increment(changes);
  }

  /**
   * Counts shipped (acknowledged) transactions and bytes.
   *
   * @param transactions transactions
   * @param changes row changes
   * @param frameBytes bytes of the frame on the wire
   * @param uncompressedBytes bytes of the envelope before LZ4
   */
  public void shipped(int transactions, int changes, long frameBytes, long uncompressedBytes) {
    counter("georep.transactions.shipped", "Local transactions acknowledged by Kafka", region)
        .increment(transactions);
    counter("georep.changes.shipped", "Local row changes acknowledged by Kafka", region)
        .increment(changes);
    wire("sent", region, frameBytes, uncompressedBytes);
  }

  /**
   * Counts a record that carries a fragment of a large local transaction, acknowledged by Kafka.
   */
  public void fragmentShipped() {
    counter(FRAGMENTS_SHIPPED, FRAGMENTS_SHIPPED_HELP, region).increment();
  }

  private static final String FRAGMENTS_SHIPPED = "georep.fragments.shipped";
  private static final String FRAGMENTS_SHIPPED_HELP =
      "Records acknowledged by Kafka that carry a fragment of a large local transaction";

  /**
   * Counts fragments a receiver dropped because their run broke off (the origin ships the
   * transaction again from its first fragment).
   *
   * @param origin the origin of the stream
   * @param fragments how many
   */
  public void fragmentsDropped(ReplicaId origin, int fragments) {
    counter(
            "georep.fragments.dropped",
            "Fragments of an incomplete run dropped by the receiver; the origin ships the"
                + " transaction again",
            origin.name())
        .increment(fragments);
  }

  /**
   * Counts a record of an origin's stream refused for its signature ({@code signing.*}).
   *
   * @param origin the origin whose stream held it
   */
  public void forgedRecord(ReplicaId origin) {
    rejected(origin, 1);
  }

  private void rejected(ReplicaId origin, int records) {
    counter(
            "georep.records.rejected",
            "Records refused for a missing, unknown or wrong signature (signing.key); the"
                + " origin halts on the first",
            origin.name())
        .increment(records);
  }

  /**
   * Counts received bytes.
   *
   * @param origin the origin
   * @param frameBytes the frame's bytes
   * @param uncompressedBytes the envelope's bytes before LZ4
   */
  public void received(ReplicaId origin, long frameBytes, long uncompressedBytes) {
    wire("received", origin.name(), frameBytes, uncompressedBytes);
  }

  private void wire(String direction, String origin, long frame, long uncompressed) {
    String key = direction + "|" + origin;
    counters
        .computeIfAbsent(
            "wire|" + key,
            k ->
                Counter.builder("georep.wire.bytes")
                    .description("Frame bytes on the wire (LZ4-compressed batches)")
                    .baseUnit("bytes")
                    .tags("direction", direction, "origin", origin)
                    .register(registry))
        .increment((double) frame);
    counters
        .computeIfAbsent(
            "wire-uncompressed|" + key,
            k ->
                Counter.builder("georep.wire.uncompressed")
                    .description(
                        "Envelope bytes before LZ4; divided by georep_wire_bytes_total: the"
                            + " compression ratio")
                    .baseUnit("bytes")
                    .tags("direction", direction, "origin", origin)
                    .register(registry))
        .increment((double) uncompressed);
    AtomicLong ratio =
        gauges.computeIfAbsent(
            "ratio|" + key,
            k -> {
              AtomicLong v = new AtomicLong();
              Gauge.builder("georep.wire.compression.ratio", v, x -> x.get() / 1000.0)
                  .description("Uncompressed / compressed bytes of the last frame")
                  .tags("direction", direction, "origin", origin)
                  .register(registry);
              return v;
            });
    if (frame > 0) {
      ratio.set(uncompressed * 1000 / frame);
    }
  }

  /**
   * Records the skew of one applied timestamp of an origin: the largest forward skew seen, and a
   * count of the timestamps clamped to the hybrid clock's bound.
   *
   * @param origin the region whose clock issued the timestamp
   * @param skewMillis how far ahead of the local commit time it was (negative when behind)
   * @param clamped whether it was beyond the bound and clamped
   */
  public void clockSkew(ReplicaId origin, long skewMillis, boolean clamped) {
    if (clamped) {
      counter(CLOCK_SKEW_CLAMPED, CLOCK_SKEW_CLAMPED_HELP, origin.name()).increment();
    }
    clockSkewMax(origin.name()).accumulateAndGet(skewMillis, Math::max);
  }

  private AtomicLong clockSkewMax(String origin) {
    return gauges.computeIfAbsent(
        "clock-skew|" + origin,
        k -> {
          AtomicLong v = new AtomicLong();
          Gauge.builder("georep.clock.skew.max.seconds", v, x -> x.get() / 1000.0)
              .description(
                  "Largest forward skew seen of an origin's applied commit timestamps over the"
                      + " local commit time (0 until one was ahead)")
              .tag("origin", origin)
              .register(registry);
          return v;
        });
  }

  /**
   * Counts applied transactions of an origin.
   *
   * @param origin the origin
   * @param transactions transactions
   * @param changes row changes
   */
  public void applied(ReplicaId origin, int transactions, long changes) {
    counter("georep.transactions.applied", "Remote transactions applied", origin.name())
        .increment(transactions);
    counter("georep.changes.applied", "Remote row changes applied", origin.name())
        .increment((double) changes);
  }

  private static final String SHIP_LATENCY = "georep.ship.latency";
  private static final String REPLICATION_LATENCY = "georep.replication.latency";
  private static final String APPLY_LATENCY = "georep.apply.latency";

  private Timer latency(String name, String tag) {
    return latencies
        .computeIfAbsent(name, n -> new ConcurrentHashMap<>())
        .computeIfAbsent(
            tag,
            k ->
                Timer.builder(name)
                    .description(
                        switch (name) {
                          case SHIP_LATENCY ->
                              "From a local transaction's commit to Kafka's acknowledgement of its"
                                  + " record";
                          case REPLICATION_LATENCY ->
                              "From a transaction's commit in its origin (the origin's clock) to its"
                                  + " apply here: when a write there becomes visible here";
                          default ->
                              "From a transaction's arrival at the apply scheduler to its apply here"
                                  + " (causal gate, queues and the database transaction)";
                        })
                    .tag("origin", tag)
                    .publishPercentileHistogram()
                    .serviceLevelObjectives(LATENCY_SLOS)
                    .minimumExpectedValue(Duration.ofMillis(1))
                    .maximumExpectedValue(Duration.ofMinutes(10))
                    .register(registry));
  }

  /**
   * Records the time from a local commit to Kafka's acknowledgement of the record carrying it.
   *
   * @param millis the time; negative (a clock step) counts as zero
   */
  public void shipLatency(long millis) {
    latency(SHIP_LATENCY, region).record(Math.max(0, millis), TimeUnit.MILLISECONDS);
  }

  /**
   * Records when a remote transaction became visible here.
   *
   * @param origin its origin
   * @param commitToApplyMillis from its commit in the origin (the origin's clock) to now (this
   *     region's clock); negative (clocks that disagree) counts as zero
   * @param receiveToApplyNanos from its arrival at the scheduler to now
   */
  public void visible(ReplicaId origin, long commitToApplyMillis, long receiveToApplyNanos) {
    latency(REPLICATION_LATENCY, origin.name())
        .record(Math.max(0, commitToApplyMillis), TimeUnit.MILLISECONDS);
    latency(APPLY_LATENCY, origin.name())
        .record(Math.max(0, receiveToApplyNanos), TimeUnit.NANOSECONDS);
  }

  /**
   * Returns the agent's traces, which travel with its meters to every stage.
   *
   * @return the tracing (possibly off)
   */
  public AgentTracing tracing() {
    return tracing;
  }

  /**
   * Releases what the JVM meters hold (the GC notification listeners), the registry, and flushes
   * the traces.
   */
  public void close() {
    gc.close();
    registry.close();
    tracing.close();
  }

  /**
   * Records one apply database transaction's duration.
   *
   * @param nanos its duration
   */
  public void applyBatch(long nanos) {
    applyBatch.record(Duration.ofNanos(nanos));
  }

  /**
   * Counts conflicts.
   *
   * @param conflicts the conflicts of one committed apply
   */
  public void conflicts(List<? extends ConflictReport> conflicts) {
    for (ConflictReport c : conflicts) {
      String table = c.table().toString();
      String type = c.typeTag();
      counters
          .computeIfAbsent(
              "conflicts|" + table + "|" + type + "|" + c.resolver(),
              k ->
                  Counter.builder("georep.conflicts")
                      .description("Conflicts detected here, by table, type and resolver")
                      .tags("table", table, "type", type, "resolver", c.resolver())
                      .register(registry))
          .increment();
      conflictCounts
          .computeIfAbsent(table, t -> new ConcurrentHashMap<>())
          .computeIfAbsent(c.typeTag(), t -> new AtomicLong())
          .incrementAndGet();
    }
  }

  /**
   * Returns conflicts counted since start, by table, then type.
   *
   * @return the counts
   */
  public Map<String, Map<String, Long>> conflictCounts() {
    Map<String, Map<String, Long>> out = new java.util.TreeMap<>();
    conflictCounts.forEach(
        (table, byType) -> {
          Map<String, Long> m = new java.util.TreeMap<>();
          byType.forEach((t, n) -> m.put(t, n.get()));
          out.put(table, m);
        });
    return out;
  }

  /**
   * Returns conflicts counted since start, by resolver (as the {@code resolver} tag of {@code
   * georep_conflicts_total} names it), then type.
   *
   * @return the counts
   */
  public Map<String, Map<String, Long>> conflictCountsByResolver() {
    Map<String, Map<String, Long>> out = new java.util.TreeMap<>();
    counters.forEach(
        (key, counter) -> {
          if (key.startsWith("conflicts|")) {
            String[] parts = key.split("\\|", -1);
            out.computeIfAbsent(parts[3], r -> new java.util.TreeMap<>())
                .merge(parts[2], (long) counter.count(), Long::sum);
          }
        });
    return out;
  }

  /**
   * Registers a queue-depth gauge.
   *
   * @param queue the queue's name ({@code gate}, {@code ready}, {@code in-flight}, {@code ship})
   * @param origin the origin it holds, or the local region
   * @param depth the depth
   */
  public void queue(String queue, String origin, AtomicLong depth) {
    // A restarted component registers a new counter under the same name and tags: the gauge reads
    // whichever was registered last (Micrometer keeps the first gauge of a name and tags, and only
    // a weak reference to what it reads).
    AtomicReference<AtomicLong> current =
        queues.computeIfAbsent(
            queue + "|" + origin,
            k -> {
              AtomicReference<AtomicLong> ref = new AtomicReference<>(depth);
              Gauge.builder("georep.queue.depth", ref, r -> r.get().get())
                  .description("Items waiting in an internal queue")
                  .tags("queue", queue, "origin", origin)
                  .register(registry);
              return ref;
            });
    current.set(depth);
  }

  /**
   * Counts a restart of a component after a transient failure.
   *
   * @param component the component
   */
  public void restarted(String component) {
    restarted(component, 1);
  }

  private void restarted(String component, int n) {
    counters
        .computeIfAbsent(
            "restarts|" + component,
            k ->
                Counter.builder("georep.restarts")
                    .description("Restarts of agent components after transient failures")
                    .tag("component", component)
                    .register(registry))
        .increment(n);
  }

  private Counter counter(String name, String description, String origin) {
    return counters.computeIfAbsent(
        name + "|" + origin,
        k ->
            Counter.builder(name)
                .description(description)
                .tag("origin", origin)
                .register(registry));
  }

  /**
   * Returns the registry.
   *
   * @return the registry
   */
  public MeterRegistry registry() {
    return registry;
  }

  /**
   * Returns the Prometheus text exposition.
   *
   * @return the scrape output
   */
  public String scrape() {
    return registry.scrape();
  }
}
