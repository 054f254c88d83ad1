package io.georep.replicator;

import static org.assertj.core.api.Assertions.assertThat;

import io.georep.connector.ColumnSchema;
import io.georep.connector.RowChange;
import io.georep.connector.ScalarType;
import io.georep.connector.SourceTransaction;
import io.georep.connector.TableId;
import io.georep.connector.TableSchema;
import io.georep.connector.Value;
import io.georep.connector.spi.OriginProgress;
import io.georep.publication.PublicationParser;
import io.georep.replicator.codec.BatchCodec;
import io.georep.replicator.codec.WireBatch;
import io.georep.replicator.internal.RetryBudget;
import io.georep.replicator.internal.apply.Received;
import io.georep.replicator.internal.apply.Window;
import io.georep.replicator.internal.metrics.AgentMetrics;
import io.georep.replicator.internal.receive.ReceiverActor;
import io.georep.replicator.internal.status.AgentState;
import io.georep.replicator.internal.status.StatusView;
import io.georep.testkit.Await;
import io.georep.testkit.EmbeddedKafka;
import io.georep.vectorclock.HybridTimestamp;
import io.georep.vectorclock.ReplicaId;
import io.georep.vectorclock.VersionVector;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * A receiver thread that fails unexpectedly decoding a record (issue 15) is never silently dead: it
 * restarts with backoff, and when it keeps failing at the same offset its origin halts with an
 * alert in {@code /health} naming topic, offset and cause, and {@code georep_origin_halted} reads
 * 1. Runs the receiver on a real Kafka broker; only the decoder is replaced, to fail on demand.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ReceiverFailureIT {
  private static final ReplicaId A = ReplicaId.of("a");
  private static final ReplicaId B = ReplicaId.of("b");
  private static final TableSchema T =
      TableSchema.of(
          TableId.of("public", "t"),
          List.of(
              ColumnSchema.key("id", ScalarType.INT4, 1),
              ColumnSchema.of("v", ScalarType.TEXT, true)));

  private EmbeddedKafka kafka;
  private ActorTestKit kit;
  private AgentSettings settings;
  private final AgentState state = new AgentState();
  private AgentMetrics metrics;

  @BeforeAll
  void start() throws Exception {
    kafka = EmbeddedKafka.start();
    kit = ActorTestKit.create();
    settings =
        AgentSettings.of(
                ReplicaId.of("here"),
                new AgentSettings.Database("jdbc:postgresql://127.0.0.1:1/x", "u", "", null),
                List.of(
                    PublicationParser.create()
                        .parse(
                            "p.yaml",
                            "publication: p\ntables:\n  - table: public.t\n"
                                .getBytes(StandardCharsets.UTF_8))),
                List.of(
                    AgentSettings.Region.of("here", kafka.bootstrapServers()),
                    AgentSettings.Region.of("a", kafka.bootstrapServers()),
                    AgentSettings.Region.of("b", kafka.bootstrapServers())))
            .withApply(
                new AgentSettings.Apply(
                    1, 10, 100, 1L << 20, Duration.ofMillis(10), Duration.ofMillis(100)));
    metrics = new AgentMetrics(settings.region(), () -> 0L, state);
    metrics.registerOrigin(A, state.origin(A), () -> 0L, Duration.ofSeconds(15));
    metrics.registerOrigin(B, state.origin(B), () -> 0L, Duration.ofSeconds(15));
  }

  @AfterAll
  void stop() {
    if (kit != null) {
      kit.shutdownTestKit();
    }
    if (kafka != null) {
      kafka.close();
    }
  }

  /** Writes one batch of one transaction of {@code origin} into its stream. */
  private void write(ReplicaId origin) throws Exception {
    String topic = settings.topics().changes(origin);
    Map<String, Object> config = Map.of("bootstrap.servers", kafka.bootstrapServers());
    try (Admin admin = Admin.create(config)) {
      admin.createTopics(List.of(new NewTopic(topic, 1, (short) 1))).all().get();
    }
    SourceTransaction tx =
        new SourceTransaction(
            origin,
            10,
            new HybridTimestamp(10, 0, origin),
            VersionVector.empty(),
            List.of(
                new RowChange.Insert(
                    T, Map.of("id", new Value.Int4(1), "v", new Value.Text("x")))));
    byte[] frame = BatchCodec.create().encode(new WireBatch(List.of(tx)));
    try (KafkaProducer<byte[], byte[]> producer =
        new KafkaProducer<>(config, new ByteArraySerializer(), new ByteArraySerializer())) {
      producer.send(new ProducerRecord<>(topic, frame)).get();
    }
  }

  private void spawn(ReplicaId origin, List<Received> sink, Function<byte[], WireBatch> decoder) {
    kit.spawn(
        ReceiverActor.create(
            settings,
            origin,
            () -> new OriginProgress(0, 0, -1),
            new Window(100, 1L << 20),
            sink::addAll,
            // What the scheduler does with a halt.
            reason -> state.halt(origin, reason),
            metrics,
            state.origin(origin),
            () -> decoder));
  }

  private List<String> alerts() {
    return new StatusView(settings, state, metrics, () -> 0L).status().alerts();
  }

  @Test
  void decodeThrowsUnexpectedlyEveryTime_restartsThenHaltsTheOriginWithAnAlert() throws Exception {
    write(A);
    List<Received> received = new CopyOnWriteArrayList<>();
    AtomicInteger attempts = new AtomicInteger();

    spawn(
        A,
        received,
        bytes -> {
          attempts.incrementAndGet();
          throw new IllegalStateException("decoder bug");
        });

    Await.until(
        "origin a halted",
        Duration.ofSeconds(60),
        () -> state.origin(A).state.get() == AgentState.StreamState.HALTED);
    assertThat(attempts).hasValue(RetryBudget.ATTEMPTS);
    assertThat(received).isEmpty();
    assertThat(alerts())
        .anySatisfy(
            a ->
                assertThat(a)
                    .startsWith("apply of origin a halted: receiving georep.a.changes")
                    .contains("failed at offset 0")
                    .contains("IllegalStateException: decoder bug")
                    .contains("failed " + RetryBudget.ATTEMPTS + " times"));
    assertThat(metrics.scrape())
        .contains("georep_origin_halted{origin=\"a\",region=\"here\"} 1")
        .contains(
            "georep_restarts_total{component=\"receiver-a\",region=\"here\"} "
                + (RetryBudget.ATTEMPTS - 1));
  }

  @Test
  void decodeRunsOutOfMemoryOnce_restartsAndReceives() throws Exception {
    write(B);
    List<Received> received = new CopyOnWriteArrayList<>();
    AtomicInteger attempts = new AtomicInteger();
    BatchCodec codec = BatchCodec.create();

    spawn(
        B,
        received,
        bytes -> {
          if (attempts.incrementAndGet() == 1) {
            throw new OutOfMemoryError("Java heap space");
          }
          return codec.decode(bytes);
        });

    Await.until("a transaction of b received", Duration.ofSeconds(60), () -> !received.isEmpty());
    assertThat(received.get(0).transaction().dot().toString()).contains("10");
    assertThat(state.origin(B).state.get()).isEqualTo(AgentState.StreamState.RUNNING);
    assertThat(state.haltOf(B)).isEmpty();
    assertThat(metrics.scrape())
        .contains("georep_restarts_total{component=\"receiver-b\",region=\"here\"} 1");
  }
}
