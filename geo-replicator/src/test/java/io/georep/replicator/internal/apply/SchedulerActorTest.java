package io.georep.replicator.internal.apply;

import static org.assertj.core.api.Assertions.assertThat;

import io.georep.connector.ColumnSchema;
import io.georep.connector.RowChange;
import io.georep.connector.ScalarType;
import io.georep.connector.SourceTransaction;
import io.georep.connector.TableId;
import io.georep.connector.TableSchema;
import io.georep.connector.Value;
import io.georep.connector.spi.ApplyException;
import io.georep.connector.spi.ApplyRetryException;
import io.georep.connector.spi.OriginProgress;
import io.georep.publication.PublicationParser;
import io.georep.replicator.AgentSettings;
import io.georep.replicator.internal.RetryBudget;
import io.georep.replicator.internal.UnclassifiedFailure;
import io.georep.replicator.internal.metrics.AgentMetrics;
import io.georep.replicator.internal.receive.ReceiverActor;
import io.georep.replicator.internal.status.AgentState;
import io.georep.replicator.internal.status.Heartbeat;
import io.georep.replicator.internal.status.StatusView;
import io.georep.vectorclock.HybridTimestamp;
import io.georep.vectorclock.ReplicaId;
import io.georep.vectorclock.VersionVector;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The scheduler actor with stand-in workers (a test probe) and receivers (this test). */
class SchedulerActorTest {
  private static final ReplicaId A = ReplicaId.of("a");
  private static final ReplicaId B = ReplicaId.of("b");
  private static final TableSchema T =
      TableSchema.of(
          TableId.of("public", "t"),
          List.of(
              ColumnSchema.key("id", ScalarType.INT4, 1),
              ColumnSchema.of("v", ScalarType.TEXT, true)));

  private ActorTestKit kit;
  private TestProbe<WorkerActor.Apply> workers;
  private final Map<ReplicaId, Window> windows = new ConcurrentHashMap<>();
  private final AtomicReference<ActorRef<SchedulerActor.Command>> scheduler =
      new AtomicReference<>();
  private AgentState state;
  private AgentSettings settings;
  private AgentMetrics metrics;

  @BeforeEach
  void start() {
    kit = ActorTestKit.create();
    workers = kit.createTestProbe();
    state = new AgentState();
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
                    AgentSettings.Region.of("here", "127.0.0.1:1"),
                    AgentSettings.Region.of("a", "127.0.0.1:1"),
                    AgentSettings.Region.of("b", "127.0.0.1:1")))
            .withApply(
                new AgentSettings.Apply(
                    1, 10, 100, 1L << 20, Duration.ofMillis(10), Duration.ofMillis(50)));
    metrics = new AgentMetrics(settings.region(), () -> 0L, state);
    metrics.registerOrigin(A, state.origin(A), () -> 0L, Duration.ofSeconds(15));
    ActorRef<WorkerActor.Apply> probe = workers.getRef();
    SchedulerActor.Environment env =
        new SchedulerActor.Environment() {
          @Override
          public Map<ReplicaId, OriginProgress> progress() {
            return Map.of();
          }

          @Override
          public Behavior<WorkerActor.Command> worker(int index) {
            return Behaviors.receive(WorkerActor.Command.class)
                .onMessage(
                    WorkerActor.Apply.class,
                    m -> {
                      probe.tell(m);
                      return Behaviors.same();
                    })
                .build();
          }

          @Override
          public Behavior<ReceiverActor.Command> receiver(
              ReplicaId origin, Window window, ActorRef<SchedulerActor.Command> ref) {
            windows.put(origin, window);
            scheduler.set(ref);
            return Behaviors.empty();
          }

          @Override
          public void close() {}
        };
    kit.spawn(SchedulerActor.create(settings, state, metrics, () -> env));
  }

  @AfterEach
  void stop() {
    kit.shutdownTestKit();
  }

  private static Received tx(ReplicaId origin, long seq, long previous, int id) {
    return tx(origin, seq, previous, id, VersionVector.empty());
  }

  private static Received tx(
      ReplicaId origin, long seq, long previous, int id, VersionVector others) {
    VersionVector context = previous == 0 ? others : others.advance(origin, previous);
    RowChange insert =
        new RowChange.Insert(T, Map.of("id", new Value.Int4(id), "v", new Value.Text("x")));
    return new Received(
        new SourceTransaction(
            origin, seq, new HybridTimestamp(seq, 0, origin), context, List.of(insert)),
        previous,
        seq,
        1);
  }

  /** Admits as a receiver does: takes a window permit per transaction first. */
  private void admit(ReplicaId origin, Received... txs) throws Exception {
    awaitReceivers();
    for (Received r : txs) {
      assertThat(windows.get(origin).tryAcquire(r.weightKib(), 1_000)).isTrue();
    }
    scheduler.get().tell(new SchedulerActor.Admit(List.of(txs), windows.get(origin)));
  }

  private void awaitReceivers() {
    workers.awaitAssert(
        Duration.ofSeconds(5),
        () -> {
          assertThat(windows).containsKeys(A, B);
          return null;
        });
  }

  @Test
  void admit_appliedByAWorker_advancesTheVectorAndReturnsThePermits() throws Exception {
    admit(A, tx(A, 10, 0, 1), tx(A, 20, 10, 2));

    WorkerActor.Apply apply = workers.receiveMessage(Duration.ofSeconds(5));
    assertThat(apply.group()).extracting(Entry::toString).containsExactly("a:10", "a:20");
    apply.replyTo().tell(new SchedulerActor.WorkerApplied(0, apply.group()));

    workers.awaitAssert(
        Duration.ofSeconds(5),
        () -> {
          assertThat(state.applied.get()).isEqualTo(VersionVector.empty().advance(A, 20));
          assertThat(windows.get(A).availableTransactions()).isEqualTo(100);
          return null;
        });
  }

  @Test
  void admit_withPermitsOfAnotherWindow_isIgnored() throws Exception {
    awaitReceivers();
    // As a receiver of an earlier start of the scheduler would: its window is not the current one.
    Window stale = new Window(100, 1L << 20);
    assertThat(stale.tryAcquire(1, 0)).isTrue();
    scheduler.get().tell(new SchedulerActor.Admit(List.of(tx(A, 10, 0, 1)), stale));
    admit(B, tx(B, 5, 0, 2));

    WorkerActor.Apply apply = workers.receiveMessage(Duration.ofSeconds(5));

    assertThat(apply.group()).extracting(Entry::toString).containsExactly("b:5");
    assertThat(windows.get(A).availableTransactions()).isEqualTo(100);
  }

  @Test
  void workerFailsTransiently_theTransactionIsRetried() throws Exception {
    admit(A, tx(A, 10, 0, 1));
    WorkerActor.Apply first = workers.receiveMessage(Duration.ofSeconds(5));
    first
        .replyTo()
        .tell(
            new SchedulerActor.WorkerFailed(
                0,
                first.group(),
                new ApplyRetryException(ApplyRetryException.Reason.UNAVAILABLE, "down", null)));

    WorkerActor.Apply retry = workers.receiveMessage(Duration.ofSeconds(5));

    assertThat(retry.group()).extracting(Entry::toString).containsExactly("a:10");
  }

  @Test
  void schemaDrift_parksTheTransactionWithAnAlertAndAMeter_othersApply_resumesWhenItApplies()
      throws Exception {
    ApplyRetryException drift =
        new ApplyRetryException(
            ApplyRetryException.Reason.SCHEMA_DRIFT,
            T.id(),
            "table public.t differs from the origin's: column w of the origin's table is missing"
                + " here",
            null);
    admit(A, tx(A, 10, 0, 1));
    WorkerActor.Apply first = workers.receiveMessage(Duration.ofSeconds(5));
    assertThat(first.group()).extracting(Entry::toString).containsExactly("a:10");
    first.replyTo().tell(new SchedulerActor.WorkerFailed(0, first.group(), drift));
    admit(A, tx(A, 20, 10, 2));

    // a:10 keeps failing (the DDL has not run here) while a:20, another row, applies.
    boolean appliedOther = false;
    int parkedAttempts = 0;
    while (!appliedOther || parkedAttempts < 3) {
      WorkerActor.Apply apply = workers.receiveMessage(Duration.ofSeconds(5));
      List<String> group = apply.group().stream().map(Entry::toString).toList();
      if (group.contains("a:10")) {
        parkedAttempts++;
        apply.replyTo().tell(new SchedulerActor.WorkerFailed(0, apply.group(), drift));
      } else {
        assertThat(group).containsExactly("a:20");
        apply.replyTo().tell(new SchedulerActor.WorkerApplied(0, apply.group()));
        appliedOther = true;
      }
    }
    workers.awaitAssert(
        Duration.ofSeconds(5),
        () -> {
          assertThat(state.origin(A).transactionsApplied.get()).isEqualTo(1);
          assertThat(new StatusView(settings, state, metrics, () -> 0L).status().alerts())
              .containsExactly(
                  "apply of origin a: table public.t parked: table public.t differs from the"
                      + " origin's: column w of the origin's table is missing here");
          assertThat(metrics.scrape())
              .contains("georep_origin_parked_tables{origin=\"a\",region=\"here\"} 1.0");
          return null;
        });
    assertThat(state.haltOf(A)).isEmpty();

    // The same DDL ran here: the next attempt applies, and the table resumes.
    WorkerActor.Apply retry = workers.receiveMessage(Duration.ofSeconds(5));
    assertThat(retry.group()).extracting(Entry::toString).containsExactly("a:10");
    retry.replyTo().tell(new SchedulerActor.WorkerApplied(0, retry.group()));
    workers.awaitAssert(
        Duration.ofSeconds(5),
        () -> {
          assertThat(state.applied.get()).isEqualTo(VersionVector.empty().advance(A, 20));
          assertThat(new StatusView(settings, state, metrics, () -> 0L).status().alerts())
              .isEmpty();
          assertThat(metrics.scrape())
              .contains("georep_origin_parked_tables{origin=\"a\",region=\"here\"} 0.0");
          return null;
        });
  }

  @Test
  void poisonTransaction_haltsOnlyItsOrigin() throws Exception {
    admit(A, tx(A, 10, 0, 1));
    WorkerActor.Apply poison = workers.receiveMessage(Duration.ofSeconds(5));
    poison
        .replyTo()
        .tell(
            new SchedulerActor.WorkerPoisoned(
                0, poison.group(), new ApplyException("table public.t has no column v")));

    workers.awaitAssert(
        Duration.ofSeconds(5),
        () -> {
          assertThat(state.haltOf(A))
              .hasValueSatisfying(
                  h ->
                      assertThat(h)
                          .contains("poison transaction a:10")
                          .contains("topic georep.a.changes partition 0 offset 10"));
          return null;
        });
    admit(B, tx(B, 5, 0, 1));
    assertThat(workers.receiveMessage(Duration.ofSeconds(5)).group())
        .extracting(Entry::toString)
        .containsExactly("b:5");
    assertThat(state.haltOf(B)).isEmpty();
  }

  @Test
  void workerFailsUnexpectedly_retriedWithinTheBudget_thenHaltsTheOriginWithAnAlert()
      throws Exception {
    admit(A, tx(A, 10, 0, 1));
    for (int attempt = 1; attempt <= RetryBudget.ATTEMPTS; attempt++) {
      WorkerActor.Apply apply = workers.receiveMessage(Duration.ofSeconds(5));
      assertThat(apply.group()).extracting(Entry::toString).containsExactly("a:10");
      assertThat(state.haltOf(A)).isEmpty();
      apply
          .replyTo()
          .tell(
              new SchedulerActor.WorkerFailed(
                  0,
                  apply.group(),
                  new UnclassifiedFailure(
                      "worker 0 failed applying [a:10]", new NullPointerException("bug"))));
    }

    workers.awaitAssert(
        Duration.ofSeconds(5),
        () -> {
          assertThat(state.haltOf(A))
              .hasValueSatisfying(
                  h ->
                      assertThat(h)
                          .contains("poison transaction a:10")
                          .contains("topic georep.a.changes partition 0 offset 10")
                          .contains("failed " + RetryBudget.ATTEMPTS + " times")
                          .contains("NullPointerException: bug"));
          return null;
        });
    workers.expectNoMessage(Duration.ofMillis(200));
    assertThat(metrics.scrape()).contains("georep_origin_halted{origin=\"a\",region=\"here\"} 1");
  }

  @Test
  void contextNamesARegionNotInAgentYaml_alertAndMeterNameTheRegionAndTheOrigin() throws Exception {
    admit(A, tx(A, 10, 0, 1, VersionVector.empty().advance(ReplicaId.of("z"), 7)));

    workers.awaitAssert(
        Duration.ofSeconds(5),
        () -> {
          assertThat(new StatusView(settings, state, metrics, () -> 0L).status().alerts())
              .anySatisfy(
                  a ->
                      assertThat(a)
                          .contains("origin a's transactions wait for region z")
                          .contains("not in agent.yaml's regions")
                          .contains("add region z"));
          assertThat(metrics.scrape())
              .contains("georep_gate_unknown_regions{origin=\"a\",region=\"here\"} 1");
          return null;
        });
    workers.expectNoMessage(Duration.ofMillis(100));
  }

  @Test
  void gapTheOriginReportsAcknowledged_andStreamReadToItsEnd_haltsTheOriginWithAnAlert()
      throws Exception {
    admit(A, tx(A, 10, 0, 1));
    WorkerActor.Apply apply = workers.receiveMessage(Duration.ofSeconds(5));
    apply.replyTo().tell(new SchedulerActor.WorkerApplied(0, apply.group()));
    // 20 never arrives; 30 and 40 follow it.
    admit(A, tx(A, 30, 20, 3), tx(A, 40, 30, 4));
    workers.awaitAssert(
        Duration.ofSeconds(5),
        () -> {
          assertThat(new StatusView(settings, state, metrics, () -> 0L).status().alerts())
              .anySatisfy(
                  a ->
                      assertThat(a)
                          .contains("apply of origin a stalled")
                          .contains("gap after seq 10"));
          return null;
        });
    assertThat(state.haltOf(A)).isEmpty();

    // The origin reports 40 acknowledged by Kafka; the receiver keeps reading to the end.
    state.heartbeats.put(
        A,
        new AgentState.SeenHeartbeat(
            new Heartbeat(A, VersionVector.empty(), 40, 40, 0, 0), System.currentTimeMillis()));
    workers.awaitAssert(
        Duration.ofSeconds(10),
        () -> {
          state.origin(A).readsToEnd.incrementAndGet();
          assertThat(state.haltOf(A))
              .hasValueSatisfying(
                  h ->
                      assertThat(h)
                          .contains("georep.a.changes has a gap after seq 10")
                          .contains("transaction 30 at offset 30 follows 20")
                          .contains("re-synchronise")
                          .contains("georep resync here --from a"));
          return null;
        });
    assertThat(metrics.scrape()).contains("georep_origin_halted{origin=\"a\",region=\"here\"} 1");
  }
}
