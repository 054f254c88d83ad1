package io.georep.replicator.internal.receive;

import io.georep.connector.RowChange;
import io.georep.connector.SourceTransaction;
import io.georep.connector.TableId;
import io.georep.connector.spi.OriginProgress;
import io.georep.publication.Publication;
import io.georep.publication.TableRule;
import io.georep.replicator.AgentSettings;
import io.georep.replicator.codec.BatchCodec;
import io.georep.replicator.codec.WireBatch;
import io.georep.replicator.codec.WireFormatException;
import io.georep.replicator.internal.UnclassifiedFailure;
import io.georep.replicator.internal.apply.Received;
import io.georep.replicator.internal.apply.Window;
import io.georep.replicator.internal.metrics.AgentMetrics;
import io.georep.replicator.internal.metrics.AgentTracing;
import io.georep.replicator.internal.status.AgentState;
import io.georep.replicator.internal.transport.KafkaClients;
import io.georep.replicator.internal.transport.RecordSigner;
import io.georep.replicator.internal.transport.StreamRecords;
import io.georep.replicator.internal.transport.TopicProvisioner;
import io.georep.vectorclock.GeorepException;
import io.georep.vectorclock.ReplicaId;
import io.georep.vectorclock.RetriableGeorepException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Set;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.Supplier;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetOutOfRangeException;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads one remote origin's changes stream and hands its transactions to the scheduler.
 *
 * <h2>Design</h2>
 *
 * <ul>
 *   <li><b>Position from the database, not from Kafka.</b> No consumer group: the partition is
 *       assigned manually and, at every (re)start, the consumer seeks to the offset stored with the
 *       origin's durable apply watermark ({@code georep.apply_progress.watermark_offset}, committed
 *       with the rows). Everything after the watermark is in that record or later; what was applied
 *       already is dropped by seq. No stored offset: from the beginning of the stream. An offset
 *       that retention deleted is not skipped silently: the origin halts with an alert.
 *   <li><b>Backpressure.</b> One permit of the origin's window per transaction handed on, and its
 *       estimated size in KiB; the scheduler returns permits as the origin's applied prefix
 *       advances. Without permits this thread stops polling (no group, so no session to lose) and
 *       Kafka keeps the backlog. Beyond the window it holds one decoded record at most (the rest of
 *       the record whose transactions wait for permits; the origin's shipper caps a record's
 *       estimated size) and the consumer's fetches, which {@link KafkaClients#changesConsumer}
 *       sizes from the window.
 *   <li><b>Poison records.</b> A frame the codec rejects, or a batch of another origin, halts this
 *       origin only: one ERROR line names topic, partition, offset and the reason, {@code /health}
 *       shows it, and nothing after it is applied (skipping it would make the regions diverge).
 *   <li><b>Fragments.</b> A transaction shipped in fragments is put back together ({@link
 *       FragmentAssembler}) and handed on whole once its last fragment arrives, with the offset of
 *       that fragment's record; an incomplete run of fragments (the origin ships it again) is
 *       dropped. Its changes are held in memory until then, outside the window.
 *   <li><b>Region filter.</b> Changes of tables whose publication does not flow to this region are
 *       removed; the transaction still goes on (possibly empty) so that the watermark advances over
 *       it and no causal context waits for it.
 * </ul>
 */
public final class StreamReceiver implements Runnable {
  private static final Logger LOG = LoggerFactory.getLogger(StreamReceiver.class);

  private final AgentSettings settings;
  private final RecordSigner signer;
  private final ReplicaId origin;
  private final String topic;
  private final Supplier<OriginProgress> progress;
  private final Window window;
  private final Consumer<List<Received>> sink;
  private final Consumer<String> halt;
  private final Consumer<GeorepException> failure;
  private final AgentMetrics metrics;
  private final AgentState.OriginState state;
  private final Function<byte[], WireBatch> decoder;
  private final Set<TableId> excluded = new HashSet<>();
  private final Set<TableId> included = new HashSet<>();
  private final FragmentAssembler fragments;
  private volatile boolean running = true;
  private volatile KafkaConsumer<byte[], byte[]> consumer;
  private volatile long position = -1;

  /**
   * Creates a receiver; {@link #run} reads until {@link #stop}.
   *
   * @param settings the agent's settings
   * @param origin the origin read
   * @param progress reads the origin's durable progress (at start)
   * @param window the origin's window permits
   * @param sink receives admitted transactions, in stream order
   * @param halt receives the reason when a poison record halts the origin
   * @param failure receives a transient failure (the owner restarts the receiver)
   * @param metrics the meters
   * @param state the origin's state
   * @param decoder decodes a record's value ({@link BatchCodec#decode} in the agent)
   */
  public StreamReceiver(
      AgentSettings settings,
      ReplicaId origin,
      Supplier<OriginProgress> progress,
      Window window,
      Consumer<List<Received>> sink,
      Consumer<String> halt,
      Consumer<GeorepException> failure,
      AgentMetrics metrics,
      AgentState.OriginState state,
      Function<byte[], WireBatch> decoder) {
    this.settings = settings;
    this.signer = RecordSigner.of(settings.signing());
    this.decoder = decoder;
    this.fragments =
        new FragmentAssembler(frame -> filter(decoder.apply(frame).transactions().get(0)));
    this.origin = origin;
    this.topic = settings.topics().changes(origin);
    this.progress = progress;
    this.window = window;
    this.sink = sink;
    this.halt = halt;
    this.failure = failure;
    this.metrics = metrics;
    this.state = state;
    for (Publication p : settings.publications()) {
      for (TableRule rule : p.tables()) {
        TableId id = TableId.of(rule.table().schema(), rule.table().name());
        if (p.regions().includes(settings.region().name())) {
          included.add(id);
        } else {
          excluded.add(id);
        }
      }
    }
    excluded.removeAll(included);
  }

  /**
   * Returns the offset of the record being handled (or last handled), -1 before the first: where a
   * failure happened.
   *
   * @return the offset
   */
  public long position() {
    return position;
  }

  /** Stops reading; the thread ends soon after. */
  public void stop() {
    running = false;
    KafkaConsumer<byte[], byte[]> c = consumer;
    if (c != null) {
      c.wakeup();
    }
  }

  @Override
  public void run() {
    AgentSettings.Region region = settings.regionSettings(origin);
    TopicPartition tp = new TopicPartition(topic, 0);
    try {
      TopicProvisioner.ensureChanges(region, settings.topics(), topic);
      OriginProgress start = progress.get();
      try (KafkaConsumer<byte[], byte[]> c = open(region)) {
        consumer = c;
        c.assign(List.of(tp));
        if (start.streamOffset() >= 0) {
          c.seek(tp, start.streamOffset());
        } else {
          c.seekToBeginning(List.of(tp));
        }
        LOG.info(
            "receiving {} from offset {} (applied watermark {})",
            topic,
            start.streamOffset() >= 0 ? start.streamOffset() : "beginning",
            start.watermark());
        state.state.set(AgentState.StreamState.RUNNING);
        state.failure.set(null);
        while (running) {
          ConsumerRecords<byte[], byte[]> records = c.poll(Duration.ofMillis(200));
          for (ConsumerRecord<byte[], byte[]> record : records) {
            position = record.offset();
            if (!running || !handle(record)) {
              return;
            }
          }
          OptionalLong lag = c.currentLag(tp);
          if (lag.isPresent()) {
            state.recordsBehind.set(lag.getAsLong());
            if (lag.getAsLong() == 0) {
              // Read to the end: what decides whether a gap in the stream is permanent.
              state.readsToEnd.incrementAndGet();
            }
          }
        }
      }
    } catch (WakeupException e) {
      // stop() was called.
    } catch (OffsetOutOfRangeException e) {
      String reason =
          "the position of "
              + topic
              + " partition 0 stored with the applied watermark is no longer in the stream"
              + " (retention deleted records not yet applied here): "
              + e.getMessage()
              + "; raise topics.retention and re-synchronise this region: stop this agent and run"
              + " georep resync "
              + settings.region()
              + " --from "
              + origin
              + " (docs/verify.md)";
      LOG.error("apply of origin {} halted: {}", origin, reason);
      halt.accept(reason);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (GeorepException e) {
      if (running) {
        failure.accept(e);
      }
    } catch (KafkaException e) {
      if (running) {
        failure.accept(new RetriableGeorepException("receiving " + topic + " failed: " + e, e));
      }
    } catch (RuntimeException | Error e) {
      // Unclassified (a bug, an OutOfMemoryError decoding a record): reported, never a thread that
      // ends silently while the origin's state says RUNNING. The owner retries it within its
      // budget, then halts the origin with an alert naming the offset.
      if (running) {
        failure.accept(
            new UnclassifiedFailure(
                "receiving "
                    + topic
                    + (position < 0 ? "" : " failed at offset " + position)
                    + " unexpectedly",
                e));
      }
    } finally {
      consumer = null;
      // An open run is read again from its first fragment by the next receiver.
      fragments.close();
    }
  }

  /**
   * Creates the consumer. A failure here is not the network (the constructor connects nowhere): a
   * bad keystore, an unknown SASL mechanism. It is unclassified, so it is retried a few times and
   * then halts the origin with the cause, instead of being retried forever as a transient error.
   */
  private KafkaConsumer<byte[], byte[]> open(AgentSettings.Region region) {
    try {
      return KafkaClients.changesConsumer(
          settings, region, "georep-" + settings.region() + "-from-" + origin);
    } catch (KafkaException e) {
      throw new UnclassifiedFailure(
          "cannot create the Kafka consumer of "
              + topic
              + " (check regions["
              + origin
              + "].kafka: TLS and SASL settings)",
          e.getCause() == null ? e : e.getCause());
    }
  }

  /** Decodes and hands on one record; returns false if it halted the origin. */
  private boolean handle(ConsumerRecord<byte[], byte[]> record) throws InterruptedException {
    WireBatch batch = null;
    String problem = signer.problem(record.headers(), record.value());
    try {
      if (problem != null) {
        metrics.forgedRecord(origin);
      } else if (record.value() == null) {
        problem = "the record has no value";
      } else {
        batch = decoder.apply(record.value());
        problem =
            batch.origin().equals(origin)
                ? null
                : "the batch is of origin " + batch.origin() + ", not of the topic's " + origin;
      }
    } catch (WireFormatException | IllegalArgumentException e) {
      // The codec's message may quote what the record holds (names, text): untrusted.
      problem = StreamRecords.printable(e.getMessage(), 1_000);
    }
    if (problem != null || batch == null) {
      String reason =
          "poison record in topic "
              + record.topic()
              + " partition "
              + record.partition()
              + " offset "
              + record.offset()
              + ": "
              + problem
              + " (first seq header "
              + StreamRecords.printable(
                  StreamRecords.header(record.headers(), StreamRecords.FIRST_SEQ))
              + "); re-synchronise this region: stop this agent and run georep resync "
              + settings.region()
              + " --from "
              + origin
              + " (docs/verify.md)";
      LOG.error(
          "{}; apply of origin {} halted here — skipping the record would make the regions"
              + " diverge. Find what wrote it (the producer of the topic) first",
          reason,
          origin);
      halt.accept(reason);
      return false;
    }
    metrics.received(
        origin, record.value().length, StreamRecords.uncompressedLength(record.value()));
    List<SourceTransaction> transactions;
    if (batch.isFragment()) {
      FragmentAssembler.Step step = fragments.fragment(batch, record.value());
      dropped(step, record.offset());
      if (step.complete() == null) {
        return true;
      }
      // Complete: its identity goes on with its fragments on disk, applied in parts.
      SourceTransaction head = step.complete();
      int weight = window.weight(head);
      while (!window.tryAcquire(weight, 100)) {
        if (!running) {
          step.parts().close();
          return false;
        }
      }
      sink.accept(
          List.of(
              new Received(
                  head, Received.predecessor(head), record.offset(), weight, step.parts())));
      return true;
    } else {
      dropped(fragments.interrupt(), record.offset());
      transactions = batch.transactions();
    }
    List<Received> out = new ArrayList<>();
    Map<Long, String> traces =
        metrics.tracing().enabled()
            ? AgentTracing.parse(StreamRecords.header(record.headers(), AgentTracing.HEADER))
            : Map.of();
    long arrived = traces.isEmpty() ? 0 : AgentTracing.epochNanos();
    for (SourceTransaction tx : transactions) {
      SourceTransaction filtered = filter(tx);
      int weight = window.weight(filtered);
      while (!window.tryAcquire(weight, 0)) {
        if (!out.isEmpty()) {
          sink.accept(out);
          out = new ArrayList<>();
        }
        if (window.tryAcquire(weight, 100)) {
          break;
        }
        if (!running) {
          return false;
        }
      }
      String traceparent = traces.get(tx.seq());
      out.add(
          new Received(
              filtered,
              Received.predecessor(tx),
              record.offset(),
              weight,
              null,
              traceparent == null ? null : new Received.Trace(traceparent, arrived)));
    }
    if (!out.isEmpty()) {
      sink.accept(out);
    }
    return true;
  }

  private void dropped(FragmentAssembler.Step step, long offset) {
    if (step.droppedFragments() > 0) {
      LOG.info("{} offset {}: dropped {}", topic, offset, step.dropped());
      metrics.fragmentsDropped(origin, step.droppedFragments());
    }
  }

  private SourceTransaction filter(SourceTransaction tx) {
    if (excluded.isEmpty()) {
      return tx;
    }
    List<RowChange> kept = new ArrayList<>(tx.changes().size());
    for (RowChange c : tx.changes()) {
      if (!excluded.contains(c.tableId())) {
        kept.add(c);
      }
    }
    return kept.size() == tx.changes().size() ? tx : tx.withChanges(kept);
  }
}
