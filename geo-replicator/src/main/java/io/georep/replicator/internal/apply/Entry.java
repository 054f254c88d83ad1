package io.georep.replicator.internal.apply;

import io.georep.connector.SourceTransaction;
import io.georep.connector.spi.PositionedTransaction;
import io.georep.replicator.internal.metrics.AgentTracing;
import io.georep.vectorclock.ReplicaId;
import java.util.List;

/**
 * A received transaction inside the scheduler: its stream position, its rows, and where it is in
 * the pipeline. Mutable; owned by the {@link Schedule} (one actor's thread).
 */
final class Entry {
  final Received received;
  final long admission;
  final List<ConflictKey> keys;
  final int worker;

  /** When the scheduler admitted it ({@link System#nanoTime()}): the start of apply latency. */
  final long admittedNanos = System.nanoTime();

  /**
   * For a traced transaction: when it was admitted, passed its gate, went to a worker (epoch ns).
   */
  long admittedEpochNanos;

  long gatePassedEpochNanos;
  long dispatchedEpochNanos;

  long passed = -1;
  int waitingKeys;
  int attempts;
  int unclassified;
  boolean passedGate;
  boolean inFlight;
  boolean done;
  boolean dropped;

  Entry(Received received, long admission, List<ConflictKey> keys, int worker) {
    this.received = received;
    this.admission = admission;
    this.keys = keys;
    this.worker = worker;
    if (received.trace() != null) {
      admittedEpochNanos = AgentTracing.epochNanos();
    }
  }

  /** Stamps a traced transaction's step with the time, for its spans. */
  void gatePassed() {
    if (received.trace() != null) {
      gatePassedEpochNanos = AgentTracing.epochNanos();
    }
  }

  void dispatched() {
    if (received.trace() != null) {
      dispatchedEpochNanos = AgentTracing.epochNanos();
    }
  }

  /** Whether it was shipped in fragments: applied alone, in parts, from disk. */
  boolean exclusive() {
    return received.parts() != null;
  }

  SourceTransaction tx() {
    return received.transaction();
  }

  ReplicaId origin() {
    return received.transaction().origin();
  }

  long seq() {
    return received.transaction().seq();
  }

  PositionedTransaction positioned() {
    return new PositionedTransaction(tx(), received.previousSeq(), received.offset());
  }

  @Override
  public String toString() {
    return origin() + ":" + seq();
  }
}
