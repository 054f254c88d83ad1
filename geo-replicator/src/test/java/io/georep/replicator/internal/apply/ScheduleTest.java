package io.georep.replicator.internal.apply;

import static org.assertj.core.api.Assertions.assertThat;

import io.georep.connector.ColumnSchema;
import io.georep.connector.RowChange;
import io.georep.connector.ScalarType;
import io.georep.connector.SourceTransaction;
import io.georep.connector.TableId;
import io.georep.connector.TableSchema;
import io.georep.connector.Value;
import io.georep.replicator.internal.transport.FragmentSpill;
import io.georep.vectorclock.HybridTimestamp;
import io.georep.vectorclock.ReplicaId;
import io.georep.vectorclock.VersionVector;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ScheduleTest {
  private static final ReplicaId HERE = ReplicaId.of("here");
  private static final ReplicaId A = ReplicaId.of("a");
  private static final ReplicaId B = ReplicaId.of("b");

  private static TableSchema table(String name) {
    return TableSchema.of(
        TableId.of("public", name),
        List.of(
            ColumnSchema.key("id", ScalarType.INT4, 1),
            ColumnSchema.of("v", ScalarType.TEXT, true)));
  }

  private static RowChange insert(String table, int id) {
    return new RowChange.Insert(
        table(table), Map.of("id", new Value.Int4(id), "v", new Value.Text("x")));
  }

  /** A transaction of {@code origin} after {@code previous}, with other origins' context. */
  private static Received tx(
      ReplicaId origin, long seq, long previous, VersionVector others, RowChange... changes) {
    VersionVector context = previous == 0 ? others : others.advance(origin, previous);
    return new Received(
        new SourceTransaction(
            origin, seq, new HybridTimestamp(seq, 0, origin), context, List.of(changes)),
        previous,
        seq,
        1);
  }

  private static Schedule schedule(int workers, int maxGroup) {
    return new Schedule(HERE, Map.of(A, 0L, B, 0L), workers, maxGroup);
  }

  private static List<String> dispatched(Schedule s) {
    List<String> out = new ArrayList<>();
    for (Schedule.Dispatch d : s.dispatch()) {
      out.add(d.group().toString());
    }
    return out;
  }

  private static List<Entry> group(Schedule.Dispatch d) {
    return d.group();
  }

  @Test
  void admit_smallTransactionsOfOneWorker_areCoalescedIntoOneGroup() {
    Schedule s = schedule(1, 10);
    s.admit(tx(A, 10, 0, VersionVector.empty(), insert("t", 1)));
    s.admit(tx(A, 20, 10, VersionVector.empty(), insert("t", 2)));

    assertThat(dispatched(s)).containsExactly("[a:10, a:20]");
  }

  @Test
  void admit_sameRow_secondWaitsUntilFirstIsApplied() {
    Schedule s = schedule(1, 10);
    s.admit(tx(A, 10, 0, VersionVector.empty(), insert("t", 1)));
    s.admit(tx(A, 20, 10, VersionVector.empty(), insert("t", 1)));

    List<Schedule.Dispatch> first = s.dispatch();
    assertThat(first).hasSize(1);
    assertThat(group(first.get(0))).extracting(Entry::seq).containsExactly(10L);
    assertThat(s.dispatch()).isEmpty();

    s.applied(first.get(0).worker(), group(first.get(0)));

    assertThat(dispatched(s)).containsExactly("[a:20]");
  }

  /**
   * Region b applied a:20 before a:10 (per-table workers) and a writer in b read a:20's row: b's
   * transaction names a:20 only in its horizon (its context, a prefix, stops before a:10). It must
   * wait here until a:20 is applied, though its context is.
   */
  @Test
  void admit_horizonAboveTheContext_waitsForTheHorizonsPrefix() {
    Schedule s = schedule(2, 10);
    String[] tables = tablesOnDifferentWorkers(2);
    Received child =
        new Received(
            new SourceTransaction(
                B,
                5,
                new HybridTimestamp(5, 0, B),
                VersionVector.empty(),
                VersionVector.of(Map.of(A, 20L)),
                List.of(insert(tables[1], 1))),
            0,
            5,
            1);
    s.admit(child);
    assertThat(s.dispatch()).isEmpty();
    assertThat(s.gateDepth()).isEqualTo(1);

    s.admit(tx(A, 10, 0, VersionVector.empty(), insert(tables[0], 1)));
    List<Schedule.Dispatch> ten = s.dispatch();
    assertThat(ten).hasSize(1);
    s.applied(ten.get(0).worker(), group(ten.get(0)));
    assertThat(s.dispatch()).isEmpty();

    s.admit(tx(A, 20, 10, VersionVector.empty(), insert(tables[0], 2)));
    List<Schedule.Dispatch> twenty = s.dispatch();
    assertThat(twenty).hasSize(1);
    assertThat(group(twenty.get(0))).extracting(Entry::seq).containsExactly(20L);
    s.applied(twenty.get(0).worker(), group(twenty.get(0)));

    assertThat(dispatched(s)).containsExactly("[b:5]");
  }

  @Test
  void admit_disjointRowsOnTwoWorkers_runInParallel() {
    Schedule s = schedule(2, 10);
    String[] tables = tablesOnDifferentWorkers(2);
    s.admit(tx(A, 10, 0, VersionVector.empty(), insert(tables[0], 1)));
    s.admit(tx(B, 7, 0, VersionVector.empty(), insert(tables[1], 1)));

    assertThat(s.dispatch()).hasSize(2);
  }

  @Test
  void applied_outOfStreamOrder_returnsWindowPermitsOnlyAsThePrefixPassesThem() {
    Schedule s = schedule(2, 1);
    String[] tables = tablesOnDifferentWorkers(2);
    s.admit(weighted(tx(A, 10, 0, VersionVector.empty(), insert(tables[0], 1)), 30));
    s.admit(weighted(tx(A, 20, 10, VersionVector.empty(), insert(tables[1], 1)), 50));
    List<Schedule.Dispatch> both = s.dispatch();
    assertThat(both).hasSize(2);
    boolean tenFirst = group(both.get(0)).get(0).seq() == 10;
    Schedule.Dispatch first = both.get(tenFirst ? 0 : 1);
    Schedule.Dispatch second = both.get(tenFirst ? 1 : 0);

    s.applied(second.worker(), group(second));

    assertThat(s.drainReleased()).isEmpty();
    assertThat(s.pending(A)).isEqualTo(2);

    s.applied(first.worker(), group(first));

    Map<ReplicaId, long[]> released = s.drainReleased();
    assertThat(released).containsOnlyKeys(A);
    assertThat(released.get(A)).containsExactly(2L, 80L);
    assertThat(s.drainReleased()).isEmpty();
  }

  private static Received weighted(Received r, int kib) {
    return new Received(r.transaction(), r.previousSeq(), r.offset(), kib);
  }

  private static String[] tablesOnDifferentWorkers(int workers) {
    String first = "t0";
    int w = Math.floorMod(TableId.of("public", first).hashCode(), workers);
    for (int i = 1; ; i++) {
      String name = "t" + i;
      if (Math.floorMod(TableId.of("public", name).hashCode(), workers) != w) {
        return new String[] {first, name};
      }
    }
  }

  @Test
  void gate_contextOfAnotherOrigin_waitsUntilThatOriginIsApplied() {
    Schedule s = schedule(1, 10);
    s.admit(tx(B, 5, 0, VersionVector.empty().advance(A, 10), insert("child", 1)));
    assertThat(s.dispatch()).isEmpty();
    assertThat(s.gateDepth()).isEqualTo(1);

    s.admit(tx(A, 10, 0, VersionVector.empty(), insert("parent", 1)));
    List<Schedule.Dispatch> parent = s.dispatch();
    assertThat(group(parent.get(0))).extracting(Entry::toString).containsExactly("a:10");
    s.applied(parent.get(0).worker(), group(parent.get(0)));

    assertThat(dispatched(s)).containsExactly("[b:5]");
    assertThat(s.gateDepth()).isZero();
  }

  @Test
  void gate_contextOfThisRegionAndOwnOrigin_doesNotWait() {
    Schedule s = schedule(1, 10);
    VersionVector seenHere = VersionVector.empty().advance(HERE, 1_000);

    s.admit(tx(A, 10, 0, seenHere, insert("t", 1)));
    s.admit(tx(A, 20, 10, seenHere, insert("t", 2)));

    assertThat(dispatched(s)).containsExactly("[a:10, a:20]");
  }

  @Test
  void admit_duplicatesAndGaps_areDropped() {
    Schedule s = schedule(1, 10);
    assertThat(s.admit(tx(A, 10, 0, VersionVector.empty(), insert("t", 1))))
        .isEqualTo(Schedule.Admission.ADMITTED);
    assertThat(s.admit(tx(A, 10, 0, VersionVector.empty(), insert("t", 1))))
        .isEqualTo(Schedule.Admission.DUPLICATE);
    assertThat(s.admit(tx(A, 30, 20, VersionVector.empty(), insert("t", 3))))
        .isEqualTo(Schedule.Admission.GAP);
    assertThat(s.admit(tx(A, 20, 10, VersionVector.empty(), insert("t", 2))))
        .isEqualTo(Schedule.Admission.ADMITTED);
  }

  @Test
  void admit_contextNamingAnUnknownRegion_isReportedOncePerOriginAndRegion() {
    Schedule s = schedule(1, 10);
    ReplicaId z = ReplicaId.of("z");
    VersionVector seenZ = VersionVector.empty().advance(z, 5);

    s.admit(tx(A, 10, 0, seenZ, insert("t", 1)));
    s.admit(tx(A, 20, 10, seenZ, insert("t", 2)));

    assertThat(s.hasUnknownWaits()).isTrue();
    assertThat(s.drainUnknownWaits()).containsExactly(new Schedule.UnknownWait(A, z, 10));
    assertThat(s.drainUnknownWaits()).isEmpty();
    assertThat(dispatched(s)).isEmpty();
  }

  @Test
  void admit_waitingForAKnownRegion_isNoUnknownWait() {
    Schedule s = schedule(1, 10);

    s.admit(tx(A, 10, 0, VersionVector.empty().advance(B, 5), insert("t", 1)));

    assertThat(s.drainUnknownWaits()).isEmpty();
    assertThat(s.gateDepth()).isEqualTo(1);
  }

  @Test
  void permanentGap_missingPredecessorAcknowledgedAndStreamReadToTheEnd_isPermanent() {
    Schedule s = schedule(1, 10);
    s.admit(tx(A, 10, 0, VersionVector.empty(), insert("t", 1)));
    s.admit(tx(A, 30, 20, VersionVector.empty(), insert("t", 3)));
    s.admit(tx(A, 40, 30, VersionVector.empty(), insert("t", 4)));

    assertThat(s.gap(A)).contains(new Schedule.Gap(10, 20, 30, 30, 2));
    // The origin has not acknowledged seq 20 (yet): it will re-ship it, however long we read.
    assertThat(s.permanentGap(A, 19, 0)).isEmpty();
    assertThat(s.permanentGap(A, 19, 1_000)).isEmpty();
    // Acknowledged: permanent only once the stream has been read to its end often enough since.
    assertThat(s.permanentGap(A, 20, 1_000)).isEmpty();
    assertThat(s.permanentGap(A, 20, 1_000 + Schedule.READS_TO_END - 1)).isEmpty();
    assertThat(s.permanentGap(A, 20, 1_000 + Schedule.READS_TO_END))
        .contains(new Schedule.Gap(10, 20, 30, 30, 2));
  }

  @Test
  void permanentGap_reShipmentContinuesTheChain_closesTheGap() {
    Schedule s = schedule(1, 10);
    s.admit(tx(A, 10, 0, VersionVector.empty(), insert("t", 1)));
    s.admit(tx(A, 30, 20, VersionVector.empty(), insert("t", 3)));
    assertThat(s.permanentGap(A, 30, 0)).isEmpty();

    // The re-shipment: the missing transaction, then the rest again.
    s.admit(tx(A, 20, 10, VersionVector.empty(), insert("t", 2)));
    s.admit(tx(A, 30, 20, VersionVector.empty(), insert("t", 3)));

    assertThat(s.gap(A)).isEmpty();
    assertThat(s.permanentGap(A, 30, Schedule.READS_TO_END * 2)).isEmpty();
  }

  @Test
  void permanentGap_headOfTheStreamDeletedBeforeFirstRead_isPermanent() {
    Schedule s = schedule(1, 10);
    // Nothing applied here yet, and the first record left names a predecessor: the head is gone.
    assertThat(s.admit(tx(A, 500, 400, VersionVector.empty(), insert("t", 1))))
        .isEqualTo(Schedule.Admission.GAP);

    assertThat(s.permanentGap(A, 900, 3)).isEmpty();
    assertThat(s.permanentGap(A, 900, 3 + Schedule.READS_TO_END))
        .hasValueSatisfying(g -> assertThat(g.lastAdmitted()).isZero());
  }

  @Test
  void applied_outOfOrder_advancesThePrefixOnlyWhenContiguous() {
    Schedule s = schedule(1, 1);
    s.admit(tx(A, 10, 0, VersionVector.empty(), insert("t", 1)));
    s.admit(tx(A, 20, 10, VersionVector.empty(), insert("t", 2)));
    Schedule.Dispatch first = s.dispatch().get(0);
    // The worker fails the first; the second goes ahead and is applied.
    s.failed(first.worker(), group(first), false);
    Schedule.Dispatch second = s.dispatch().get(0);
    s.applied(second.worker(), group(second));

    assertThat(s.applied(A)).isZero();
    assertThat(s.drainReleased()).isEmpty();

    s.unpark(group(first).get(0).admission);
    Schedule.Dispatch retry = s.dispatch().get(0);
    s.applied(retry.worker(), group(retry));

    assertThat(s.applied(A)).isEqualTo(20);
    assertThat(s.drainReleased().get(A)).containsExactly(2, 2);
    assertThat(s.appliedVector()).isEqualTo(VersionVector.empty().advance(A, 20));
  }

  @Test
  void failed_missingParent_waitsForEverythingThatPassedTheGateBefore() {
    Schedule s = schedule(2, 1);
    String[] tables = tablesOnDifferentWorkers(2);
    s.admit(tx(A, 10, 0, VersionVector.empty(), insert(tables[0], 1)));
    s.admit(tx(A, 20, 10, VersionVector.empty(), insert(tables[1], 1)));
    List<Schedule.Dispatch> both = s.dispatch();
    boolean parentFirst = both.get(0).group().get(0).seq() == 10;
    Schedule.Dispatch parent = parentFirst ? both.get(0) : both.get(1);
    Schedule.Dispatch child = parentFirst ? both.get(1) : both.get(0);

    assertThat(s.failed(child.worker(), group(child), true)).isEmpty();
    assertThat(s.dispatch()).isEmpty();

    s.applied(parent.worker(), group(parent));

    assertThat(dispatched(s)).containsExactly("[a:20]");
  }

  /** A transaction shipped in fragments: its identity, with its (empty) spill. */
  private static Received inParts(ReplicaId origin, long seq, long previous) {
    Received r = tx(origin, seq, previous, VersionVector.empty());
    FragmentSpill spill = FragmentSpill.create(frame -> r.transaction()).seal();
    return new Received(r.transaction(), previous, seq, 1, spill);
  }

  @Test
  void admit_transactionInParts_runsAloneAfterEverythingBeforeAndBeforeEverythingAfter() {
    Schedule s = schedule(2, 10);
    String[] tables = tablesOnDifferentWorkers(2);
    s.admit(tx(A, 10, 0, VersionVector.empty(), insert(tables[0], 1)));
    Received large = inParts(B, 5, 0);
    s.admit(large);
    s.admit(tx(A, 20, 10, VersionVector.empty(), insert(tables[1], 2)));
    s.admit(tx(B, 6, 5, VersionVector.empty(), insert(tables[0], 3)));

    // Only a:10 passed before the large b:5; a:20 and b:6 passed after it.
    List<Schedule.Dispatch> first = s.dispatch();
    assertThat(first).hasSize(1);
    assertThat(group(first.get(0))).extracting(Entry::toString).containsExactly("a:10");
    s.applied(first.get(0).worker(), group(first.get(0)));

    List<Schedule.Dispatch> alone = s.dispatch();
    assertThat(alone).hasSize(1);
    assertThat(group(alone.get(0))).extracting(Entry::toString).containsExactly("b:5");
    assertThat(s.dispatch()).isEmpty();
    s.applied(alone.get(0).worker(), group(alone.get(0)));

    List<String> after = new ArrayList<>();
    for (Schedule.Dispatch d : s.dispatch()) {
      for (Entry e : d.group()) {
        after.add(e.toString());
      }
    }
    assertThat(after).containsExactlyInAnyOrder("a:20", "b:6");
    large.parts().close();
  }

  @Test
  void halt_ofATransactionInPartsOrigin_releasesWhatWaitedBehindIt() {
    Schedule s = schedule(1, 10);
    s.admit(tx(A, 10, 0, VersionVector.empty(), insert("t", 1)));
    s.admit(inParts(B, 5, 0));
    s.admit(tx(A, 20, 10, VersionVector.empty(), insert("t", 2)));
    Schedule.Dispatch inFlight = s.dispatch().get(0);
    assertThat(group(inFlight)).extracting(Entry::toString).containsExactly("a:10");

    assertThat(s.halt(B)).isEqualTo(1);
    s.applied(inFlight.worker(), group(inFlight));

    assertThat(dispatched(s)).containsExactly("[a:20]");
  }

  @Test
  void halt_dropsTheOriginsQueuedTransactionsAndReleasesTheirRows() {
    Schedule s = schedule(1, 1);
    s.admit(tx(A, 10, 0, VersionVector.empty(), insert("t", 1)));
    s.admit(tx(A, 20, 10, VersionVector.empty(), insert("t", 2)));
    s.admit(tx(B, 5, 0, VersionVector.empty(), insert("t", 2)));
    Schedule.Dispatch inFlight = s.dispatch().get(0);
    assertThat(group(inFlight)).extracting(Entry::toString).containsExactly("a:10");

    assertThat(s.halt(A)).isEqualTo(1);
    s.applied(inFlight.worker(), group(inFlight));

    assertThat(dispatched(s)).containsExactly("[b:5]");
    assertThat(s.admit(tx(A, 30, 20, VersionVector.empty(), insert("t", 3))))
        .isEqualTo(Schedule.Admission.HALTED);
    assertThat(s.halted(A)).isTrue();
  }

  @Test
  void stableFrontier_isTheMeetOfTheWatermarkContexts() {
    Schedule s = schedule(1, 10);
    assertThat(s.stableFrontier(List.of(A, B))).isEqualTo(VersionVector.empty());
    s.admit(tx(B, 5, 0, VersionVector.empty().advance(HERE, 9), insert("u", 1)));
    s.admit(tx(A, 10, 0, VersionVector.empty().advance(B, 5).advance(HERE, 7), insert("t", 1)));
    for (int round = 0; round < 2; round++) {
      for (Schedule.Dispatch d : s.dispatch()) {
        s.applied(d.worker(), group(d));
      }
    }

    // a: {b:5, here:7} + a:10; b: {here:9} + b:5 -> meet {b:5, here:7}.
    assertThat(s.stableFrontier(List.of(A, B)))
        .isEqualTo(VersionVector.empty().advance(B, 5).advance(HERE, 7));
  }
}
