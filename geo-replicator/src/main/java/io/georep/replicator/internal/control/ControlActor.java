package io.georep.replicator.internal.control;

import io.georep.connector.spi.RegionDatabase;
import io.georep.replicator.AgentSettings;
import io.georep.replicator.internal.UnclassifiedFailure;
import io.georep.replicator.internal.status.AgentState;
import io.georep.replicator.internal.status.Heartbeat;
import io.georep.replicator.internal.transport.KafkaClients;
import io.georep.replicator.internal.transport.RecordSigner;
import io.georep.replicator.internal.transport.StreamRecords;
import io.georep.replicator.internal.transport.TopicProvisioner;
import io.georep.vectorclock.RetriableGeorepException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.LongSupplier;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.PostStop;
import org.apache.pekko.actor.typed.PreRestart;
import org.apache.pekko.actor.typed.SupervisorStrategy;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The control stream and garbage collection: publishes this region's heartbeat (applied vector,
 * captured and shipped seq) to {@code <prefix>.control} on its own cluster every {@code
 * control.heartbeat.interval}; reads the control topic of every cluster in use (one thread per
 * distinct cluster) into {@link AgentState#heartbeats} and each origin's {@link
 * io.georep.replicator.internal.status.OriginLag}, for region health and lag; and every {@code
 * control.gc.interval} removes tombstones and stamps below the causally stable frontier (computed
 * by the scheduler from the streams, see {@code Schedule.stableFrontier}); at every heartbeat it
 * writes what each region has applied into the database ({@link RegionProgressWriter}). Transient
 * failures restart it with backoff; heartbeats are best-effort (a lost one is followed by the
 * next).
 */
public final class ControlActor {
  private static final Logger LOG = LoggerFactory.getLogger(ControlActor.class);

  /** The control actor's protocol. */
  public sealed interface Command {}

  private enum Beat implements Command {
    INSTANCE
  }

  private enum Collect implements Command {
    INSTANCE
  }

  /** The subject of the warning shown while the control stream cannot start. */
  static final String SETUP_WARNING = "control-stream";

  private ControlActor() {}

  /**
   * Returns the supervised control behaviour.
   *
   * @param settings the agent's settings
   * @param database the region's database (for garbage collection)
   * @param state the agent state
   * @param clock the wall clock (ms)
   * @return the behaviour
   */
  public static Behavior<Command> create(
      AgentSettings settings, RegionDatabase database, AgentState state, LongSupplier clock) {
    Behavior<Command> behavior =
        Behaviors.setup(
            context ->
                Behaviors.withTimers(
                    timers -> {
                      KafkaProducer<byte[], byte[]> producer;
                      try {
                        state.warn(
                            settings.topics().control(),
                            TopicProvisioner.ensureControl(
                                    settings.localRegion(), settings.topics())
                                .warning());
                        producer =
                            KafkaClients.producer(
                                settings.localRegion(),
                                settings.topics(),
                                "georep-control-" + settings.region(),
                                1L << 20);
                      } catch (RuntimeException e) {
                        // Heartbeats stop while this lasts (other regions show this one down);
                        // the status says why, and the actor restarts with backoff.
                        state.warn(
                            SETUP_WARNING,
                            Optional.of(
                                "control stream cannot start: "
                                    + e.getMessage()
                                    + "; retrying with backoff (no heartbeats are sent meanwhile)"));
                        throw e instanceof RetriableGeorepException r
                            ? r
                            : new UnclassifiedFailure("control stream cannot start", e);
                      }
                      state.warn(SETUP_WARNING, Optional.empty());
                      List<ControlReader> readers = new ArrayList<>();
                      Map<String, AgentSettings.Region> clusters = new LinkedHashMap<>();
                      for (AgentSettings.Region r : settings.regions()) {
                        clusters.putIfAbsent(r.bootstrapServers(), r);
                      }
                      for (AgentSettings.Region r : clusters.values()) {
                        ControlReader reader = new ControlReader(settings, r, state, clock);
                        readers.add(reader);
                        reader.start();
                      }
                      timers.startTimerWithFixedDelay(
                          Beat.INSTANCE, settings.control().heartbeatInterval());
                      if (!settings.control().gcInterval().isZero()) {
                        timers.startTimerWithFixedDelay(
                            Collect.INSTANCE, settings.control().gcInterval());
                      }
                      GarbageCollector gc =
                          new GarbageCollector(
                              database, state, settings.control().conflictLogRetention(), clock);
                      RegionProgressWriter progress =
                          new RegionProgressWriter(settings, state, clock, database::openApplier);
                      String topic = settings.topics().control();
                      RecordSigner signer = RecordSigner.of(settings.signing());
                      return Behaviors.receive(Command.class)
                          .onMessageEquals(
                              Beat.INSTANCE,
                              () -> {
                                Heartbeat h =
                                    new Heartbeat(
                                        settings.region(),
                                        state.applied.get(),
                                        state.capturedSeq.get(),
                                        state.shippedSeq.get(),
                                        clock.getAsLong(),
                                        state.shippedWallMillis.get());
                                byte[] beat = h.encode();
                                java.util.concurrent.Future<?> unused =
                                    producer.send(
                                        new ProducerRecord<>(
                                            topic,
                                            null,
                                            settings
                                                .region()
                                                .name()
                                                .getBytes(java.nio.charset.StandardCharsets.UTF_8),
                                            beat,
                                            signer.sign(beat)),
                                        (metadata, error) -> {
                                          if (error != null) {
                                            LOG.debug("heartbeat not sent: {}", error.toString());
                                          }
                                        });
                                progress.run();
                                return Behaviors.same();
                              })
                          .onMessageEquals(
                              Collect.INSTANCE,
                              () -> {
                                gc.run();
                                return Behaviors.same();
                              })
                          .onSignal(PostStop.class, s -> close(producer, readers, gc, progress))
                          .onSignal(PreRestart.class, s -> close(producer, readers, gc, progress))
                          .build();
                    }));
    return Behaviors.supervise(behavior)
        .onFailure(
            RetriableGeorepException.class,
            SupervisorStrategy.restartWithBackoff(
                Duration.ofMillis(200), Duration.ofSeconds(10), 0.2));
  }

  private static Behavior<Command> close(
      KafkaProducer<byte[], byte[]> producer,
      List<ControlReader> readers,
      GarbageCollector gc,
      RegionProgressWriter progress) {
    for (ControlReader r : readers) {
      r.stop();
    }
    producer.close(Duration.ofSeconds(1));
    gc.close();
    progress.close();
    return Behaviors.same();
  }

  /** Reads one cluster's control topic into the agent state. */
  private static final class ControlReader {
    private final AgentSettings settings;
    private final AgentSettings.Region cluster;
    private final AgentState state;
    private final LongSupplier clock;
    private final RecordSigner signer;
    private final Thread thread;
    private volatile boolean running = true;
    private volatile KafkaConsumer<byte[], byte[]> consumer;

    ControlReader(
        AgentSettings settings,
        AgentSettings.Region cluster,
        AgentState state,
        LongSupplier clock) {
      this.settings = settings;
      this.cluster = cluster;
      this.state = state;
      this.clock = clock;
      this.signer = RecordSigner.of(settings.signing());
      this.thread =
          new Thread(this::run, "georep-control-" + settings.region() + "-" + cluster.name());
      this.thread.setDaemon(true);
    }

    void start() {
      thread.start();
    }

    void stop() {
      running = false;
      KafkaConsumer<byte[], byte[]> c = consumer;
      if (c != null) {
        c.wakeup();
      }
      try {
        thread.join(5_000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }

    /** The subject of this reader's warning in the agent state. */
    private String subject() {
      return "control-stream " + cluster.name();
    }

    private void run() {
      while (running) {
        try {
          TopicProvisioner.ensureControl(cluster, settings.topics());
          try (KafkaConsumer<byte[], byte[]> c =
              KafkaClients.consumer(
                  cluster, settings.topics(), "georep-control-reader-" + settings.region())) {
            consumer = c;
            TopicPartition tp = new TopicPartition(settings.topics().control(), 0);
            c.assign(List.of(tp));
            long end = c.endOffsets(List.of(tp)).get(tp);
            long begin = c.beginningOffsets(List.of(tp)).get(tp);
            c.seek(tp, Math.max(begin, end - 200));
            state.warn(subject(), Optional.empty());
            while (running) {
              for (ConsumerRecord<byte[], byte[]> r : c.poll(Duration.ofMillis(500))) {
                String forged = signer.problem(r.headers(), r.value());
                if (forged != null) {
                  // A heartbeat moves garbage collection and the status: one not signed by a
                  // region of the topology is not used. The stream goes on (heartbeats are
                  // state, not changes); the warning stays until the agent restarts: it is a
                  // security
                  // event to look into, not a passing state.
                  String warning =
                      "a heartbeat refused at "
                          + tp
                          + " offset "
                          + r.offset()
                          + ": "
                          + forged
                          + "; find what writes to the control topic";
                  if (!warning.equals(state.warnings.get(subject() + " signature"))) {
                    LOG.warn("{}", warning);
                  }
                  state.warn(subject() + " signature", Optional.of(warning));
                  continue;
                }
                try {
                  // Records before the end offset at assignment are history (up to 200 of
                  // them): a region that stopped long ago must not count as up for a timeout.
                  state.heard(Heartbeat.decode(r.value()), clock.getAsLong(), r.offset() >= end);
                } catch (RuntimeException e) {
                  LOG.warn(
                      "ignoring a malformed heartbeat at {} offset {}: {}",
                      tp,
                      r.offset(),
                      StreamRecords.printable(e.getMessage()));
                }
              }
            }
          }
        } catch (WakeupException e) {
          return;
        } catch (RuntimeException e) {
          // Any failure (the cluster unreachable, a client that cannot be built, a bug): the
          // reader retries, and the status shows it until the stream is read again; regions whose
          // heartbeats came through this cluster meanwhile show down and their lag grows.
          if (running) {
            String warning =
                "control stream of "
                    + cluster.name()
                    + " ("
                    + cluster.bootstrapServers()
                    + ") cannot be read: "
                    + e
                    + "; retrying every second (check regions["
                    + cluster.name()
                    + "].kafka)";
            if (!warning.equals(state.warnings.get(subject()))) {
              LOG.warn("control stream of {} failed, retrying: {}", cluster, e.toString());
            }
            state.warn(subject(), Optional.of(warning));
            try {
              Thread.sleep(1_000);
            } catch (InterruptedException ie) {
              Thread.currentThread().interrupt();
              return;
            }
          }
        } finally {
          consumer = null;
        }
      }
    }
  }
}
