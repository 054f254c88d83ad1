package io.georep.replicator.internal.apply;

import io.georep.connector.spi.ApplyRetryException;
import io.georep.replicator.internal.status.AgentState;
import io.georep.vectorclock.ReplicaId;
import io.georep.vectorclock.RetriableGeorepException;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The tables whose changes wait for a DDL to run here (schema drift, {@link
 * ApplyRetryException.Reason#SCHEMA_DRIFT}), per origin: each is an alert in the status and counts
 * in {@code georep_origin_parked_tables} ({@link AgentState.OriginState#parked}) from the first
 * transaction that drifts until every drifted transaction of that origin and table has applied.
 * Owned by the scheduler actor; not thread-safe.
 */
final class DriftedTables {
  private static final Logger LOG = LoggerFactory.getLogger(DriftedTables.class);

  private record Table(ReplicaId origin, String name) {}

  private final AgentState state;

  /** The table each drifted transaction waits for, by admission. */
  private final Map<Long, Table> waiting = new HashMap<>();

  DriftedTables(AgentState state, Iterable<ReplicaId> origins) {
    this.state = state;
    for (ReplicaId origin : origins) {
      // A restarted scheduler starts without them: transactions still drifting drift again.
      state.origin(origin).parked.clear();
    }
  }

  /**
   * Records a failed group's transaction if it drifted; the first of its table raises the alert.
   *
   * @return whether the failure is schema drift of a group of one
   */
  boolean drifted(List<Entry> group, RetriableGeorepException failure) {
    if (!(failure instanceof ApplyRetryException drift)
        || drift.reason() != ApplyRetryException.Reason.SCHEMA_DRIFT
        || group.size() != 1) {
      return false;
    }
    drifted(group.get(0), drift);
    return true;
  }

  private void drifted(Entry e, ApplyRetryException failure) {
    String name = failure.table().map(Object::toString).orElse("?");
    waiting.put(e.admission, new Table(e.origin(), name));
    if (state.origin(e.origin()).parked.put(name, failure.getMessage()) == null) {
      LOG.warn(
          "apply of origin {}: table {} parked at {}: {}",
          e.origin(),
          name,
          e.tx().dot(),
          failure.getMessage());
    }
  }

  /** Records that a transaction applied; its table resumes once no drifted one is left. */
  void applied(long admission) {
    Table t = waiting.remove(admission);
    if (t != null && !waiting.containsValue(t)) {
      state.origin(t.origin()).parked.remove(t.name());
      LOG.info("apply of origin {}: table {} resumed", t.origin(), t.name());
    }
  }

  /** Forgets an origin's tables when it halts: its halt is the alert. */
  void halted(ReplicaId origin) {
    waiting.values().removeIf(t -> t.origin().equals(origin));
    state.origin(origin).parked.clear();
  }
}
