package io.georep.replicator.internal.apply;

import io.georep.connector.TableId;
import io.georep.vectorclock.ReplicaId;
import io.georep.vectorclock.VersionVector;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * The apply scheduler's state machine: admission of received transactions, the causal gate, the
 * per-row order, the per-table worker queues, the applied prefix per origin, retries and halts.
 * Pure logic without threads or timers, so it is tested directly; {@link SchedulerActor} drives it.
 *
 * <h2>Design</h2>
 *
 * <ol>
 *   <li><b>Admission</b> (per origin, in stream order). A transaction is admitted only if it
 *       continues the chain: its predecessor (the own-origin entry of its causal context) is the
 *       last admitted seq. Lower seqs are duplicates of an at-least-once stream and dropped; a
 *       transaction whose predecessor was never seen follows a gap (a batch Kafka lost after a
 *       producer failure, which the origin re-ships) and is dropped until the chain reaches it. A
 *       gap the origin will never fill (it reports the missing predecessor acknowledged, and the
 *       receiver has read to the end of the stream since) is permanent ({@link #permanentGap}): the
 *       scheduler halts the origin with an alert instead of dropping every later transaction.
 *   <li><b>Causal gate</b> ({@link CausalGate}): waits for the context of other origins. A context
 *       naming a region that is not a remote origin of this agent can never be met; such waits are
 *       reported ({@link #drainUnknownWaits}) for an alert.
 *   <li><b>Conflict keys</b>: after the gate, a transaction joins the FIFO queue of every row it
 *       writes ({@link ConflictKey}); it is ready when it heads all of them, so transactions that
 *       share a row apply in gate order (per-row order, the origin's commit order for one origin)
 *       and transactions with disjoint rows run in parallel. A source transaction is never split:
 *       it is applied all-or-nothing by one worker in one database transaction.
 *   <li><b>Workers</b>: a ready transaction goes to the worker of its first table (hash), so one
 *       table's rows stay on one connection where possible. An idle worker receives up to {@code
 *       maxGroup} ready transactions at once — coalesced into one database transaction.
 *   <li><b>Progress</b>: when a transaction is applied, its origin's prefix advances over every
 *       applied transaction at the head of the stream order; the new watermark releases gate
 *       waiters and one window permit per transaction (backpressure to the receiver). The prefix
 *       here equals the durable watermark the applier computes from predecessors.
 *   <li><b>Retries</b> keep a transaction's rows reserved; it returns alone after a backoff. A
 *       missing foreign-key parent (a child before its parent from the same origin, which the gate
 *       does not order) first waits for the <i>barrier</i>: every transaction that passed the gate
 *       before it must be applied (pass order, the order of the key queues, so barriers and key
 *       waits never form a cycle).
 *   <li><b>Halt</b>: a poison transaction or record stops its origin: its queued transactions are
 *       removed and their rows released; other origins continue.
 * </ol>
 *
 * <p>Bounded: at most {@code window} transactions per origin are admitted beyond its applied prefix
 * (the receiver holds permits), which also bounds the applier's above-set. Not thread-safe.
 *
 * <p>About 670 lines: gate, key queues, barriers and halts share the queues and must change
 * together; the class is kept apart from the actor so that it is tested without Pekko.
 */
final class Schedule {

  /** What admission decided. */
  enum Admission {
    /** Admitted. */
    ADMITTED,
    /** A duplicate (at or below the last admitted seq): dropped. */
    DUPLICATE,
    /** Its predecessor was never admitted (a gap in the stream): dropped. */
    GAP,
    /** Its origin is halted: dropped. */
    HALTED
  }

  /** A group of ready transactions for one worker. */
  record Dispatch(int worker, List<Entry> group) {}

  /**
   * An open gap in an origin's stream: transactions arrive that follow one never received.
   *
   * @param lastAdmitted the last transaction admitted before the gap
   * @param predecessor the predecessor the first transaction after the gap names (the missing
   *     transactions are those after {@code lastAdmitted} up to this one)
   * @param first the seq of the first transaction dropped for the gap
   * @param offset the Kafka offset of the record that carried it
   * @param dropped transactions dropped since the gap opened
   */
  record Gap(long lastAdmitted, long predecessor, long first, long offset, long dropped) {}

  /**
   * A transaction of {@code origin} waits at the gate for {@code region}, which is neither this
   * region nor a remote origin of this agent: no watermark of it will ever advance here.
   *
   * @param origin the waiting transaction's origin
   * @param region the unknown region its causal context names
   * @param seq the waiting transaction
   */
  record UnknownWait(ReplicaId origin, ReplicaId region, long seq) {}

  private static final class Origin {
    long watermark;
    VersionVector watermarkContext;
    long lastAdmitted;
    boolean halted;
    Gap gap;
    long gapProbe = -1;
    final ArrayDeque<Entry> stream = new ArrayDeque<>();
  }

  private final ReplicaId local;
  private final int workers;
  private final int maxGroup;
  private final CausalGate gate;
  private final Set<ReplicaId> known = new HashSet<>();
  private final Set<List<ReplicaId>> reportedUnknown = new HashSet<>();
  private final List<UnknownWait> unknownWaits = new ArrayList<>();
  private final Map<ReplicaId, Origin> origins = new TreeMap<>();
  private final Map<ConflictKey, ArrayDeque<Entry>> rows = new HashMap<>();
  private final List<ArrayDeque<Entry>> ready = new ArrayList<>();
  private final boolean[] busy;

  /** Pass numbers of the transactions past the gate and not yet applied. */
  private final TreeSet<Long> pastGate = new TreeSet<>();

  private final List<Entry> barrier = new ArrayList<>();

  /**
   * The transaction shipped in fragments that passed the gate and is not applied yet, if any: it is
   * applied alone, after everything that passed before it and before everything after it.
   */
  private Entry exclusive;

  /** Transactions that passed the gate after {@link #exclusive}, in pass order, waiting for it. */
  private final ArrayDeque<Entry> held = new ArrayDeque<>();

  private final Map<Long, Entry> parked = new HashMap<>();
  private long admissions;
  private long passes;

  /** Per origin: transactions and KiB of window permits to return. */
  private final Map<ReplicaId, long[]> released = new TreeMap<>();

  /**
   * Creates the schedule.
   *
   * @param local this region
   * @param watermarks the durable applied watermark per remote origin
   * @param workers the number of workers
   * @param maxGroup the most transactions per dispatched group
   */
  Schedule(ReplicaId local, Map<ReplicaId, Long> watermarks, int workers, int maxGroup) {
    this.local = local;
    this.workers = workers;
    this.maxGroup = maxGroup;
    this.gate = new CausalGate(local);
    this.busy = new boolean[workers];
    for (int i = 0; i < workers; i++) {
      ready.add(new ArrayDeque<>());
    }
    known.add(local);
    known.addAll(watermarks.keySet());
    watermarks.forEach(
        (origin, w) -> {
          Origin o = origin(origin);
          o.watermark = w;
          o.lastAdmitted = w;
        });
  }

  private Origin origin(ReplicaId origin) {
    return origins.computeIfAbsent(origin, o -> new Origin());
  }

  /**
   * Admits a received transaction (see the class comment). One not admitted is dropped: the spill
   * of a transaction received in fragments is deleted.
   */
  Admission admit(Received r) {
    Admission a = admitOrDrop(r);
    if (a != Admission.ADMITTED && r.parts() != null) {
      r.parts().close();
    }
    return a;
  }

  private Admission admitOrDrop(Received r) {
    ReplicaId originId = r.transaction().origin();
    if (originId.equals(local)) {
      throw new IllegalArgumentException("a transaction of this region itself: " + r);
    }
    Origin o = origin(originId);
    long seq = r.transaction().seq();
    if (o.halted) {
      return Admission.HALTED;
    }
    if (seq <= o.lastAdmitted) {
      return Admission.DUPLICATE;
    }
    if (r.previousSeq() != o.lastAdmitted) {
      o.gap =
          o.gap == null
              ? new Gap(o.lastAdmitted, r.previousSeq(), seq, r.offset(), 1)
              : new Gap(
                  o.gap.lastAdmitted(),
                  o.gap.predecessor(),
                  o.gap.first(),
                  o.gap.offset(),
                  o.gap.dropped() + 1);
      return Admission.GAP;
    }
    o.lastAdmitted = seq;
    o.gap = null;
    o.gapProbe = -1;
    Entry e = new Entry(r, admissions++, ConflictKey.of(r.transaction()), workerOf(r));
    o.stream.addLast(e);
    if (gate.offer(e, this::applied)) {
      pass(e);
    } else {
      findUnknown(e);
    }
    return Admission.ADMITTED;
  }

  /**
   * Records the regions a waiting transaction's context names that this agent does not know. The
   * gate would hold it (and, once the window is full, its whole origin) forever while the lag of
   * every known origin reads 0; the scheduler turns each into an alert and a meter.
   */
  private void findUnknown(Entry e) {
    for (ReplicaId r : e.tx().horizon().entries().keySet()) {
      if (!known.contains(r)
          && !r.equals(e.origin())
          && reportedUnknown.add(List.of(e.origin(), r))) {
        unknownWaits.add(new UnknownWait(e.origin(), r, e.seq()));
      }
    }
  }

  /**
   * Returns and clears the waits for unknown regions found since the last call (each pair of origin
   * and region once).
   */
  boolean hasUnknownWaits() {
    return !unknownWaits.isEmpty();
  }

  /** Returns and clears the waits for unknown regions found since the last call. */
  List<UnknownWait> drainUnknownWaits() {
    List<UnknownWait> out = List.copyOf(unknownWaits);
    unknownWaits.clear();
    return out;
  }

  /** Reads to the end of the stream after the probe that prove a gap permanent. */
  static final int READS_TO_END = 10;

  /**
   * Returns an origin's open gap if it is permanent: the origin will never re-ship what is missing.
   *
   * <p>A gap is transient when a batch failed in the origin's producer: the origin's shipper then
   * acknowledges nothing after it (its slot stays before the lost batch), restarts and re-ships it,
   * and the re-shipment follows in the stream. So once the origin reports, in its heartbeat, that
   * Kafka has acknowledged the missing predecessor, it will not ship it again; it is in the stream
   * or lost (retention deleted it before this region read it, or the broker lost an acknowledged
   * record). What decides between the two is reading on: the first time the acknowledgement is seen
   * the receiver's count of reads to the end of the stream is noted, and once the receiver has read
   * to the end {@link #READS_TO_END} more times (each after the acknowledgement, and after the
   * consumer fetched the end offset anew) without the chain continuing, the missing transaction is
   * not in the stream. Neither clock nor settings of the origin are involved.
   *
   * @param origin the origin
   * @param acknowledged the origin's last seq acknowledged by Kafka, from its latest heartbeat (-1
   *     if none was seen)
   * @param readsToEnd how many times the receiver has read to the end of the stream (a counter)
   * @return the gap, if permanent
   */
  Optional<Gap> permanentGap(ReplicaId origin, long acknowledged, long readsToEnd) {
    Origin o = origins.get(origin);
    if (o == null || o.halted || o.gap == null || acknowledged < o.gap.predecessor()) {
      if (o != null) {
        o.gapProbe = -1;
      }
      return Optional.empty();
    }
    if (o.gapProbe < 0) {
      o.gapProbe = readsToEnd;
      return Optional.empty();
    }
    return readsToEnd >= o.gapProbe + READS_TO_END ? Optional.of(o.gap) : Optional.empty();
  }

  /**
   * Returns the open gap of an origin, if transactions were dropped because their predecessor was
   * never received and none has continued the chain since.
   */
  Optional<Gap> gap(ReplicaId origin) {
    Origin o = origins.get(origin);
    return o == null || o.halted ? Optional.empty() : Optional.ofNullable(o.gap);
  }

  private int workerOf(Received r) {
    Object affinity =
        r.transaction().changes().isEmpty()
            ? r.transaction().origin()
            : (Object) r.transaction().changes().get(0).tableId();
    return Math.floorMod(affinity.hashCode(), workers);
  }

  private void pass(Entry e) {
    e.passedGate = true;
    e.gatePassed();
    e.passed = passes++;
    pastGate.add(e.passed);
    if (exclusive != null) {
      held.addLast(e);
      return;
    }
    enqueue(e);
  }

  /**
   * Queues a transaction past the gate on its rows. One shipped in fragments has no row keys (its
   * rows are on disk, not in memory): it becomes the {@link #exclusive} one, ready once everything
   * that passed before it is applied, and everything that passes after it waits in {@link #held}.
   */
  private void enqueue(Entry e) {
    if (e.exclusive()) {
      exclusive = e;
      if (barrierPassed(e)) {
        ready.get(e.worker).addLast(e);
      } else {
        barrier.add(e);
      }
      return;
    }
    for (ConflictKey k : e.keys) {
      ArrayDeque<Entry> q = rows.computeIfAbsent(k, x -> new ArrayDeque<>());
      q.addLast(e);
      if (q.size() > 1) {
        e.waitingKeys++;
      }
    }
    if (e.waitingKeys == 0) {
      ready.get(e.worker).addLast(e);
    }
  }

  /** Returns the groups to dispatch now: one per idle worker with ready transactions. */
  List<Dispatch> dispatch() {
    List<Dispatch> out = new ArrayList<>();
    for (int w = 0; w < workers; w++) {
      ArrayDeque<Entry> q = ready.get(w);
      if (busy[w] || q.isEmpty()) {
        continue;
      }
      List<Entry> group = new ArrayList<>();
      Entry first = q.pollFirst();
      group.add(first);
      if (first.attempts == 0 && !first.exclusive()) {
        while (group.size() < maxGroup
            && !q.isEmpty()
            && q.peekFirst().attempts == 0
            && !q.peekFirst().exclusive()) {
          group.add(q.pollFirst());
        }
      }
      for (Entry e : group) {
        e.inFlight = true;
        e.dispatched();
      }
      busy[w] = true;
      out.add(new Dispatch(w, List.copyOf(group)));
    }
    return out;
  }

  /**
   * Records that a worker applied its group (or skipped duplicates): releases the rows, advances
   * the origins' prefixes and the gate.
   */
  void applied(int worker, List<Entry> group) {
    busy[worker] = false;
    List<Entry> toRelease = new ArrayList<>();
    for (Entry e : group) {
      e.inFlight = false;
      e.done = true;
      pastGate.remove(e.passed);
      toRelease.add(e);
    }
    for (Entry e : toRelease) {
      releaseRows(e);
    }
    releaseHeld();
    for (ReplicaId originId : List.copyOf(origins.keySet())) {
      advance(originId);
    }
    checkBarrier();
  }

  /**
   * Once the exclusive transaction is applied or dropped, queues what waited behind it, up to the
   * next exclusive one.
   */
  private void releaseHeld() {
    if (exclusive == null || !(exclusive.done || exclusive.dropped)) {
      return;
    }
    exclusive = null;
    while (exclusive == null && !held.isEmpty()) {
      Entry e = held.pollFirst();
      if (!e.dropped) {
        enqueue(e);
      }
    }
  }

  /**
   * Records that a worker's group failed transiently: the worker is free, the transactions keep
   * their rows and are parked until {@link #unpark} (after a backoff) or, with {@code barrier},
   * until every transaction that passed the gate before them is applied.
   *
   * @return the parked entries' admission numbers, for the caller's timers (empty if barrier-held)
   */
  List<Long> failed(int worker, List<Entry> group, boolean waitForBarrier) {
    busy[worker] = false;
    List<Long> timers = new ArrayList<>();
    for (Entry e : group) {
      e.inFlight = false;
      e.attempts++;
      if (e.dropped) {
        continue;
      }
      if (waitForBarrier && !barrierPassed(e)) {
        barrier.add(e);
      } else {
        parked.put(e.admission, e);
        timers.add(e.admission);
      }
    }
    return timers;
  }

  /** Returns a parked transaction to the front of its worker's queue. */
  void unpark(long admission) {
    Entry e = parked.remove(admission);
    if (e != null && !e.dropped) {
      ready.get(e.worker).addFirst(e);
    }
  }

  /** Returns the attempts so far of a parked transaction (for its backoff), 0 if unknown. */
  int attempts(long admission) {
    Entry e = parked.get(admission);
    return e == null ? 0 : e.attempts;
  }

  /**
   * Whether every transaction that passed the gate before {@code e} is applied. Pass order, not
   * admission order: the key queues are in pass order, so every wait points to an earlier pass and
   * a barrier can never wait for a transaction that waits for it.
   */
  private boolean barrierPassed(Entry e) {
    return pastGate.isEmpty() || pastGate.first() >= e.passed;
  }

  private void checkBarrier() {
    Iterator<Entry> it = barrier.iterator();
    while (it.hasNext()) {
      Entry e = it.next();
      if (e.dropped) {
        it.remove();
      } else if (barrierPassed(e)) {
        it.remove();
        ready.get(e.worker).addFirst(e);
      }
    }
  }

  private void releaseRows(Entry e) {
    for (ConflictKey k : e.keys) {
      ArrayDeque<Entry> q = rows.get(k);
      if (q == null) {
        continue;
      }
      boolean wasHead = q.peekFirst() == e;
      q.remove(e);
      if (wasHead && !q.isEmpty()) {
        Entry next = q.peekFirst();
        next.waitingKeys--;
        if (next.waitingKeys == 0 && !next.dropped) {
          ready.get(next.worker).addLast(next);
        }
      }
      if (q.isEmpty()) {
        rows.remove(k);
      }
    }
  }

  private void advance(ReplicaId originId) {
    Origin o = origins.get(originId);
    long before = o.watermark;
    while (!o.stream.isEmpty() && o.stream.peekFirst().done) {
      Entry e = o.stream.pollFirst();
      if (!o.halted) {
        // A halted origin's stream has holes (dropped transactions): its watermark stays where it
        // was, under-reporting rather than claiming what is not applied.
        o.watermark = e.seq();
        o.watermarkContext = e.tx().causalContext();
      }
      release(originId, e);
    }
    if (o.watermark > before) {
      for (Entry e : gate.advanced(originId, o.watermark, this::applied)) {
        pass(e);
      }
    }
  }

  private void release(ReplicaId origin, Entry e) {
    long[] r = released.computeIfAbsent(origin, x -> new long[2]);
    r[0]++;
    r[1] += e.received.weightKib();
  }

  /**
   * Halts an origin: removes its queued transactions, releases their rows and returns their window
   * permits. Transactions in flight finish normally.
   *
   * @return how many queued transactions were dropped
   */
  int halt(ReplicaId originId) {
    Origin o = origin(originId);
    if (o.halted) {
      return 0;
    }
    o.halted = true;
    gate.drop(originId);
    int dropped = 0;
    for (Entry e : o.stream) {
      if (e.inFlight || e.done) {
        continue;
      }
      e.dropped = true;
      dropped++;
      release(originId, e);
      pastGate.remove(e.passed);
      parked.remove(e.admission);
      for (ArrayDeque<Entry> q : ready) {
        q.remove(e);
      }
      held.remove(e);
      if (e.received.parts() != null) {
        e.received.parts().close();
      }
      if (e.passedGate) {
        releaseRows(e);
      }
    }
    o.stream.removeIf(x -> x.dropped);
    releaseHeld();
    checkBarrier();
    return dropped;
  }

  /**
   * Returns and clears the window permits to release per origin since the last call: {@code
   * [transactions, KiB]}.
   */
  Map<ReplicaId, long[]> drainReleased() {
    Map<ReplicaId, long[]> out = new TreeMap<>(released);
    released.clear();
    return out;
  }

  /** Returns the applied watermark of an origin (this region's own: unbounded). */
  long applied(ReplicaId origin) {
    if (origin.equals(local)) {
      return Long.MAX_VALUE;
    }
    Origin o = origins.get(origin);
    return o == null ? 0 : o.watermark;
  }

  /** Returns the applied vector over the remote origins. */
  VersionVector appliedVector() {
    Map<ReplicaId, Long> m = new HashMap<>();
    origins.forEach(
        (id, o) -> {
          if (o.watermark > 0) {
            m.put(id, o.watermark);
          }
        });
    return VersionVector.of(m);
  }

  /**
   * Returns the causally stable frontier as far as this region can tell from the streams: the meet,
   * over the remote origins, of the causal context of the origin's watermark transaction advanced
   * to the watermark. Every transaction an origin has not delivered yet follows its watermark in
   * its stream, so its context covers that context (contexts grow along a stream) and the
   * watermark; everything before is applied here. So every transaction still to arrive has the
   * frontier in its causal past — the condition tombstone GC needs (docs/apply.md). Empty until
   * every remote origin has had a transaction applied since this schedule started.
   *
   * @param remotes the remote origins
   * @return the frontier
   */
  VersionVector stableFrontier(List<ReplicaId> remotes) {
    VersionVector frontier = null;
    for (ReplicaId r : remotes) {
      Origin o = origins.get(r);
      if (o == null || o.watermarkContext == null) {
        return VersionVector.empty();
      }
      VersionVector v = o.watermarkContext.advance(r, o.watermark);
      frontier = frontier == null ? v : frontier.meet(v);
    }
    return frontier == null ? VersionVector.empty() : frontier;
  }

  /** Returns the admitted but not yet applied transactions of an origin. */
  int pending(ReplicaId origin) {
    Origin o = origins.get(origin);
    return o == null ? 0 : o.stream.size();
  }

  /** Returns the commit wall time of the oldest pending transaction of an origin, 0 if none. */
  long oldestPendingWallMillis(ReplicaId origin) {
    Origin o = origins.get(origin);
    return o == null || o.stream.isEmpty()
        ? 0
        : o.stream.peekFirst().tx().commitTimestamp().wallTimeMillis();
  }

  /** Returns the number of transactions waiting at the causal gate. */
  int gateDepth() {
    return gate.size();
  }

  /** Returns the number of ready transactions not yet dispatched. */
  int readyDepth() {
    int n = 0;
    for (ArrayDeque<Entry> q : ready) {
      n += q.size();
    }
    return n;
  }

  /** Returns whether an origin is halted. */
  boolean halted(ReplicaId origin) {
    Origin o = origins.get(origin);
    return o != null && o.halted;
  }

  /** Returns the tables of the rows currently reserved (for diagnostics). */
  int reservedRows() {
    return rows.size();
  }

  /** Returns the table a group's first transaction writes, for log lines. */
  static TableId firstTable(List<Entry> group) {
    for (Entry e : group) {
      if (!e.tx().changes().isEmpty()) {
        return e.tx().changes().get(0).tableId();
      }
    }
    return null;
  }
}
