package io.georep.replicator.internal.metrics;

import io.georep.connector.SourceTransaction;
import io.georep.replicator.AgentSettings;
import io.georep.vectorclock.ReplicaId;
import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.api.trace.propagation.W3CTraceContextPropagator;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.propagation.TextMapGetter;
import io.opentelemetry.exporter.otlp.http.trace.OtlpHttpSpanExporter;
import io.opentelemetry.sdk.resources.Resource;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.export.BatchSpanProcessor;
import io.opentelemetry.sdk.trace.samplers.Sampler;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * OpenTelemetry traces of transactions, off unless {@code tracing.otlp.endpoint} is set (or an
 * {@link OpenTelemetry} is given, as tests and embedding applications do). A sampled local
 * transaction gets a {@code georep.capture} span (from its commit to the send of its record) and a
 * {@code georep.ship} span (to Kafka's acknowledgement); the ship span's W3C trace context travels
 * in the record's {@value #HEADER} header, one entry per traced transaction ({@code
 * seq=traceparent;…}). Each region that applies the transaction adds {@code georep.receive} (from
 * the record's arrival to the scheduler's admission), {@code georep.gate} (waiting for its causal
 * context) and {@code georep.apply} (a worker's database transaction) under the same trace id.
 * Spans of the receiving side are recorded when the apply commits, with the times measured on the
 * way. Thread-safe.
 */
public final class AgentTracing implements AutoCloseable {
  /** The record header that carries the trace contexts of a batch's traced transactions. */
  public static final String HEADER = "georep.trace";

  private static final AttributeKey<String> REGION = AttributeKey.stringKey("georep.region");
  private static final AttributeKey<String> ORIGIN = AttributeKey.stringKey("georep.origin");
  private static final AttributeKey<Long> SEQ = AttributeKey.longKey("georep.seq");
  private static final AttributeKey<Long> CHANGES = AttributeKey.longKey("georep.changes");
  private static final AttributeKey<String> TOPIC =
      AttributeKey.stringKey("messaging.destination.name");
  private static final TextMapGetter<Map<String, String>> GETTER =
      new TextMapGetter<>() {
        @Override
        public String get(Map<String, String> carrier, String key) {
          return carrier == null ? null : carrier.get(key);
        }
      };

  private final Tracer tracer;
  private final String region;
  private final SdkTracerProvider owned;

  private AgentTracing(Tracer tracer, String region, SdkTracerProvider owned) {
    this.tracer = tracer;
    this.region = region;
    this.owned = owned;
  }

  /**
   * Returns tracing that records nothing.
   *
   * @return tracing off
   */
  public static AgentTracing off() {
    return new AgentTracing(null, null, null);
  }

  /**
   * Returns the tracing the settings ask for: off, or spans exported over OTLP/HTTP in batches,
   * sampled at {@code tracing.sample.ratio} for local transactions and following the origin's
   * decision for received ones.
   *
   * @param settings the agent's settings
   * @return the tracing; close it when the agent stops
   */
  public static AgentTracing from(AgentSettings settings) {
    AgentSettings.Tracing t = settings.tracing();
    if (!t.enabled()) {
      return off();
    }
    SdkTracerProvider provider =
        SdkTracerProvider.builder()
            .setResource(
                Resource.getDefault()
                    .merge(
                        Resource.create(
                            Attributes.of(
                                AttributeKey.stringKey("service.name"),
                                "georep-agent",
                                REGION,
                                settings.region().name()))))
            .setSampler(Sampler.parentBased(Sampler.traceIdRatioBased(t.sampleRatio())))
            .addSpanProcessor(
                BatchSpanProcessor.builder(
                        OtlpHttpSpanExporter.builder().setEndpoint(t.otlpEndpoint()).build())
                    .build())
            .build();
    return new AgentTracing(
        provider.get("io.georep.replicator"), settings.region().name(), provider);
  }

  /**
   * Returns tracing through an existing OpenTelemetry instance (not closed by {@link #close}).
   *
   * @param openTelemetry the instance
   * @param region this agent's region, an attribute of every span
   * @return the tracing
   */
  public static AgentTracing of(OpenTelemetry openTelemetry, ReplicaId region) {
    return new AgentTracing(openTelemetry.getTracer("io.georep.replicator"), region.name(), null);
  }

  /**
   * Tells whether spans are recorded.
   *
   * @return whether tracing is on
   */
  public boolean enabled() {
    return tracer != null;
  }

  /** The traces of one batch being shipped; ends their ship spans with the acknowledgement. */
  public static final class Shipment {
    private final List<Span> spans;
    private final String header;

    private Shipment(List<Span> spans, String header) {
      this.spans = spans;
      this.header = header;
    }

    /**
     * Returns the {@value #HEADER} header's value, or null when no transaction is traced.
     *
     * @return the value
     */
    public String header() {
      return header;
    }

    /**
     * Ends the ship spans.
     *
     * @param error the failure, or null once Kafka acknowledged the record
     */
    public void done(Throwable error) {
      for (Span s : spans) {
        if (error != null) {
          s.setStatus(StatusCode.ERROR, error.toString());
        }
        s.end();
      }
    }
  }

  private static final Shipment NONE = new Shipment(List.of(), null);

  /**
   * Starts the traces of a batch about to be sent: for each transaction the sampler keeps, a
   * capture span from its commit to now and a ship span from now.
   *
   * @param batch the batch's transactions (only those it completes)
   * @param topic the stream's topic
   * @return the shipment; {@link Shipment#done} ends it
   */
  public Shipment ship(List<SourceTransaction> batch, String topic) {
    if (tracer == null || batch.isEmpty()) {
      return NONE;
    }
    long now = epochNanos();
    List<Span> spans = new ArrayList<>();
    StringBuilder header = new StringBuilder();
    for (SourceTransaction tx : batch) {
      long commit = TimeUnit.MILLISECONDS.toNanos(tx.commitTimestamp().wallTimeMillis());
      Span capture =
          tracer
              .spanBuilder("georep.capture")
              .setNoParent()
              .setSpanKind(SpanKind.INTERNAL)
              .setStartTimestamp(Math.min(commit, now), TimeUnit.NANOSECONDS)
              .setAllAttributes(attributes(tx.origin().name(), tx.seq(), tx.changes().size()))
              .startSpan();
      if (!capture.getSpanContext().isSampled()) {
        capture.end(now, TimeUnit.NANOSECONDS);
        continue;
      }
      capture.end(now, TimeUnit.NANOSECONDS);
      Span ship =
          tracer
              .spanBuilder("georep.ship")
              .setParent(Context.root().with(capture))
              .setSpanKind(SpanKind.PRODUCER)
              .setStartTimestamp(now, TimeUnit.NANOSECONDS)
              .setAllAttributes(attributes(tx.origin().name(), tx.seq(), tx.changes().size()))
              .setAttribute(TOPIC, topic)
              .startSpan();
      spans.add(ship);
      Map<String, String> carrier = new HashMap<>();
      W3CTraceContextPropagator.getInstance().inject(Context.root().with(ship), carrier, Map::put);
      if (header.length() > 0) {
        header.append(';');
      }
      header.append(tx.seq()).append('=').append(carrier.get("traceparent"));
    }
    return spans.isEmpty() ? NONE : new Shipment(spans, header.toString());
  }

  /**
   * Parses a {@value #HEADER} header.
   *
   * @param header its value, or null
   * @return the trace context of each traced seq; empty for none
   */
  public static Map<Long, String> parse(String header) {
    Map<Long, String> out = new HashMap<>();
    if (header == null || header.isEmpty()) {
      return out;
    }
    for (String entry : header.split(";", -1)) {
      int eq = entry.indexOf('=');
      if (eq > 0) {
        try {
          out.put(Long.parseLong(entry.substring(0, eq)), entry.substring(eq + 1));
        } catch (NumberFormatException e) {
          // A malformed entry traces nothing; the record itself is unaffected.
        }
      }
    }
    return out;
  }

  /**
   * The times a received transaction's spans are made of, all in nanoseconds since the epoch.
   *
   * @param traceparent the origin's ship span context, from the record header
   * @param received when its record arrived
   * @param admitted when the scheduler admitted it
   * @param gatePassed when its causal context was applied (its gate opened)
   * @param dispatched when a worker got it
   */
  public record Received(
      String traceparent, long received, long admitted, long gatePassed, long dispatched) {}

  /**
   * Records the spans of a transaction applied here.
   *
   * @param origin its origin
   * @param seq its seq
   * @param changes its row changes
   * @param times when each step began
   */
  public void applied(ReplicaId origin, long seq, long changes, Received times) {
    if (tracer == null) {
      return;
    }
    long now = epochNanos();
    Context parent =
        W3CTraceContextPropagator.getInstance()
            .extract(Context.root(), Map.of("traceparent", times.traceparent()), GETTER);
    Attributes attrs = attributes(origin.name(), seq, changes);
    span("georep.receive", SpanKind.CONSUMER, parent, attrs, times.received(), times.admitted());
    span("georep.gate", SpanKind.INTERNAL, parent, attrs, times.admitted(), times.gatePassed());
    span("georep.apply", SpanKind.INTERNAL, parent, attrs, times.dispatched(), now);
  }

  private void span(
      String name, SpanKind kind, Context parent, Attributes attrs, long start, long end) {
    long s = start <= 0 ? end : start;
    tracer
        .spanBuilder(name)
        .setParent(parent)
        .setSpanKind(kind)
        .setStartTimestamp(s, TimeUnit.NANOSECONDS)
        .setAllAttributes(attrs)
        .startSpan()
        .end(Math.max(s, end), TimeUnit.NANOSECONDS);
  }

  private Attributes attributes(String origin, long seq, long changes) {
    return Attributes.of(REGION, region, ORIGIN, origin, SEQ, seq, CHANGES, changes);
  }

  /**
   * Returns the current time in nanoseconds since the epoch (microsecond precision).
   *
   * @return the time
   */
  public static long epochNanos() {
    Instant now = Instant.now();
    return TimeUnit.SECONDS.toNanos(now.getEpochSecond()) + now.getNano();
  }

  /** Flushes and stops the exporter this tracing created; nothing for a given instance. */
  @Override
  public void close() {
    if (owned != null) {
      owned.close();
    }
  }
}
