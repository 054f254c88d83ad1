package io.georep.replicator.internal.apply;

import io.georep.vectorclock.ReplicaId;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.ToLongFunction;

/**
 * Holds back transactions until their causal context is applied here (DESIGN.md §4).
 *
 * <h2>Design</h2>
 *
 * <p>A transaction of origin {@code o} passes when, for every entry {@code (r, s)} of its horizon
 * (its causal context, raised to the highest seq its origin had applied where that origin's
 * per-table workers applied out of order) with {@code r} neither this region nor {@code o}, this
 * region's applied watermark of {@code r} is at least {@code s}. Waiting for the context alone let
 * a transaction pass before one its origin had applied above the watermark and its writer had read
 * (a child before its parent, a delete before the insert it removes). Waiting for the horizon's
 * prefix waits for the gaps below it too, which cannot deadlock: every transaction it waits for
 * committed, in real time, before the waiting one. This region's own transactions are committed
 * here by definition; the entry for {@code o} names the transaction's predecessor in its own
 * stream, whose order per row the scheduler's conflict keys keep (and whose foreign-key
 * dependencies the scheduler's retry barrier covers), so waiting for it would serialise every
 * origin for nothing. Watermarks are contiguous prefixes of the streams (seqs are commit LSNs, so
 * "covers {@code s}" means "has applied everything of {@code r} up to {@code s}"), and contexts
 * only grow along a stream, so a later transaction of an origin never passes before an earlier one
 * that waits.
 *
 * <p>Each waiting transaction is indexed under its first unmet dependency {@code (r, s)} only; when
 * {@code r}'s watermark moves to {@code w}, the entries indexed at or below {@code w} are checked
 * again (and re-indexed under their next unmet dependency). Released entries are returned in
 * admission order, so equal-key transactions enter the key queues in stream order. Not thread-safe;
 * owned by the scheduler.
 */
final class CausalGate {
  private final ReplicaId local;
  private final Map<ReplicaId, TreeMap<Long, List<Entry>>> waiting = new HashMap<>();
  private int size;

  CausalGate(ReplicaId local) {
    this.local = local;
  }

  /** Offers an entry: returns true if its context is applied, else indexes it and returns false. */
  boolean offer(Entry e, ToLongFunction<ReplicaId> applied) {
    ReplicaId[] unmet = new ReplicaId[1];
    long need = firstUnmet(e, applied, unmet);
    if (need == 0) {
      return true;
    }
    waiting
        .computeIfAbsent(unmet[0], r -> new TreeMap<>())
        .computeIfAbsent(need, s -> new ArrayList<>())
        .add(e);
    size++;
    return false;
  }

  /**
   * Returns the entries released by {@code origin}'s watermark reaching {@code watermark}, in
   * admission order; entries still missing another dependency are re-indexed.
   */
  List<Entry> advanced(ReplicaId origin, long watermark, ToLongFunction<ReplicaId> applied) {
    TreeMap<Long, List<Entry>> byNeed = waiting.get(origin);
    if (byNeed == null) {
      return List.of();
    }
    List<Entry> candidates = new ArrayList<>();
    Iterator<Map.Entry<Long, List<Entry>>> it =
        byNeed.headMap(watermark, true).entrySet().iterator();
    while (it.hasNext()) {
      candidates.addAll(it.next().getValue());
      it.remove();
    }
    if (byNeed.isEmpty()) {
      waiting.remove(origin);
    }
    size -= candidates.size();
    List<Entry> released = new ArrayList<>();
    for (Entry e : candidates) {
      if (e.dropped) {
        continue;
      }
      if (offer(e, applied)) {
        released.add(e);
      }
    }
    released.sort((a, b) -> Long.compare(a.admission, b.admission));
    return released;
  }

  /** Removes the waiting entries of an origin (its stream halted). */
  void drop(ReplicaId origin) {
    for (TreeMap<Long, List<Entry>> byNeed : waiting.values()) {
      for (List<Entry> list : byNeed.values()) {
        int before = list.size();
        list.removeIf(e -> e.origin().equals(origin));
        size -= before - list.size();
      }
    }
  }

  /** Returns the number of waiting entries. */
  int size() {
    return size;
  }

  private long firstUnmet(Entry e, ToLongFunction<ReplicaId> applied, ReplicaId[] unmet) {
    for (Map.Entry<ReplicaId, Long> dep : e.tx().horizon().entries().entrySet()) {
      ReplicaId r = dep.getKey();
      if (r.equals(local) || r.equals(e.origin())) {
        continue;
      }
      if (applied.applyAsLong(r) < dep.getValue()) {
        unmet[0] = r;
        return dep.getValue();
      }
    }
    return 0;
  }
}
