package io.georep.cli.demo;

import java.time.Duration;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;

/**
 * The outcome of a demo run. Immutable.
 *
 * @param verdict whether every region ended with the same rows and the counters with the sum of all
 *     increments
 * @param problems why the regions did not converge (or the run did not finish), one line each;
 *     empty when converged
 * @param conflictsDetected conflicts the agents detected, by conflict type, summed over regions
 *     (from {@code AgentStatus}); a pair of concurrent writes is usually detected in several
 *     regions
 * @param conflictsResolved distinct conflicts recorded with their winner in the regions' conflict
 *     logs ({@code georep.conflict_log}), by conflict type
 * @param firstReplicatedChange time from the start of the demo until a write in one region was
 *     visible in another, if that happened
 * @param writes transactions the load committed, over all regions
 * @param rejected transactions the load rolled back (deadlocks with the apply), over all regions
 * @param rows rows per table at the end (in the first region), in schema order
 * @param seed the seed of the load
 */
public record DemoResult(
    Verdict verdict,
    List<String> problems,
    Map<String, Long> conflictsDetected,
    Map<String, Long> conflictsResolved,
    Optional<Duration> firstReplicatedChange,
    long writes,
    long rejected,
    Map<String, Long> rows,
    long seed) {

  /** Whether the regions converged. */
  public enum Verdict {
    /** Every region holds the same rows; counters equal the sum of all increments. */
    CONVERGED,
    /** The regions differ, or the run could not get to a comparison. */
    DIVERGED
  }

  /** Copies the collections: conflict types sorted, tables in schema order. */
  public DemoResult {
    Objects.requireNonNull(verdict, "verdict");
    problems = List.copyOf(problems);
    conflictsDetected = Collections.unmodifiableMap(new TreeMap<>(conflictsDetected));
    conflictsResolved = Collections.unmodifiableMap(new TreeMap<>(conflictsResolved));
    Objects.requireNonNull(firstReplicatedChange, "firstReplicatedChange");
    rows = Collections.unmodifiableMap(new LinkedHashMap<>(rows));
  }

  /**
   * Returns whether the regions converged.
   *
   * @return true for {@link Verdict#CONVERGED}
   */
  public boolean converged() {
    return verdict == Verdict.CONVERGED;
  }
}
