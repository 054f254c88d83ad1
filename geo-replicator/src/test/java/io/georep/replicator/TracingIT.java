package io.georep.replicator;

import static org.assertj.core.api.Assertions.assertThat;

import io.georep.replicator.internal.metrics.AgentTracing;
import io.georep.testkit.Await;
import io.georep.testkit.EmbeddedKafka;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import io.opentelemetry.sdk.trace.samplers.Sampler;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Traces across regions, with an in-memory exporter shared by three real agents: a row inserted in
 * eu-west gives one trace holding eu-west's capture and ship spans and, in both other regions,
 * receive, gate and apply spans whose parent is the ship span (the context travelled in the Kafka
 * record's {@code georep.trace} header), in time order.
 */
class TracingIT {
  private static final AttributeKey<String> REGION = AttributeKey.stringKey("georep.region");
  private static final AttributeKey<Long> CHANGES = AttributeKey.longKey("georep.changes");

  private EmbeddedKafka kafka;
  private Topology topology;
  private InMemorySpanExporter spans;
  private OpenTelemetrySdk otel;

  @BeforeEach
  void start() throws Exception {
    kafka = EmbeddedKafka.start();
    spans = InMemorySpanExporter.create();
    otel =
        OpenTelemetrySdk.builder()
            .setTracerProvider(
                SdkTracerProvider.builder()
                    .setSampler(Sampler.alwaysOn())
                    .addSpanProcessor(SimpleSpanProcessor.create(spans))
                    .build())
            .build();
    topology =
        Topology.databasesOnly(
            Topology.Replicated.WORKLOAD, region -> kafka.bootstrapServers(), s -> s, Map.of());
    topology.tracing(otel);
    for (String region : Topology.REGIONS) {
      topology.startAgent(region);
    }
    topology.awaitReady(Duration.ofMinutes(1));
  }

  @AfterEach
  void stop() throws Exception {
    Topology.closeAll(topology, kafka);
    if (otel != null) {
      otel.close();
    }
  }

  @Test
  void transaction_tracedFromCaptureToApplyInEveryRegion_underOneTraceId() throws Exception {
    topology.db("eu-west").execute("INSERT INTO items (id, name) VALUES (900, 'traced')");
    topology.awaitQuiescence(Duration.ofMinutes(1));

    Await.until(
        "the insert's trace has its spans in all three regions",
        Duration.ofSeconds(30),
        () -> insertTrace().map(t -> t.size() == 8).orElse(false));
    List<SpanData> trace = insertTrace().orElseThrow();
    Map<String, SpanData> byRegionAndName =
        trace.stream()
            .collect(
                Collectors.toMap(s -> s.getAttributes().get(REGION) + " " + s.getName(), s -> s));
    assertThat(byRegionAndName.keySet())
        .containsExactlyInAnyOrder(
            "eu-west georep.capture",
            "eu-west georep.ship",
            "sa-east georep.receive",
            "sa-east georep.gate",
            "sa-east georep.apply",
            "us-east georep.receive",
            "us-east georep.gate",
            "us-east georep.apply");
    SpanData capture = byRegionAndName.get("eu-west georep.capture");
    SpanData ship = byRegionAndName.get("eu-west georep.ship");
    assertThat(ship.getParentSpanId()).isEqualTo(capture.getSpanId());
    assertThat(ship.getStartEpochNanos()).isGreaterThanOrEqualTo(capture.getStartEpochNanos());
    for (String region : List.of("sa-east", "us-east")) {
      SpanData receive = byRegionAndName.get(region + " georep.receive");
      SpanData gate = byRegionAndName.get(region + " georep.gate");
      SpanData apply = byRegionAndName.get(region + " georep.apply");
      for (SpanData s : List.of(receive, gate, apply)) {
        assertThat(s.getParentSpanId())
            .as(s.getName() + " in " + region)
            .isEqualTo(ship.getSpanId());
        assertThat(s.getEndEpochNanos()).isGreaterThanOrEqualTo(s.getStartEpochNanos());
      }
      assertThat(receive.getEndEpochNanos()).isLessThanOrEqualTo(gate.getEndEpochNanos());
      assertThat(gate.getStartEpochNanos()).isLessThanOrEqualTo(apply.getEndEpochNanos());
      assertThat(apply.getEndEpochNanos()).isGreaterThanOrEqualTo(ship.getStartEpochNanos());
    }
    assertThat(AgentTracing.HEADER).isEqualTo("georep.trace");
  }

  /**
   * The trace of the first transaction eu-west captured with a row change: the insert (the markers
   * of the quiescence check come after it), when found.
   */
  private Optional<List<SpanData>> insertTrace() {
    List<SpanData> all = spans.getFinishedSpanItems();
    return all.stream()
        .filter(s -> s.getName().equals("georep.capture"))
        .filter(s -> "eu-west".equals(s.getAttributes().get(REGION)))
        .filter(s -> s.getAttributes().get(CHANGES) != null && s.getAttributes().get(CHANGES) > 0)
        .findFirst()
        .map(c -> all.stream().filter(s -> s.getTraceId().equals(c.getTraceId())).toList());
  }
}
