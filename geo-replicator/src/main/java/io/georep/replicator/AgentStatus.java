package io.georep.replicator;

import io.georep.vectorclock.ReplicaId;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A snapshot of an agent's state: what {@code /api/status} and {@code georep status} show.
 * Immutable.
 *
 * @param region the agent's region
 * @param ready whether every stream is running (capture, shipping, every origin's apply)
 * @param capture the local capture and shipping
 * @param origins the apply state of every remote origin, by origin
 * @param regions the last heartbeat seen of every region, by region
 * @param stableFrontier the causally stable frontier last used for garbage collection (by origin
 *     name)
 * @param conflicts conflicts counted since start, by table, then conflict type
 * @param initialCopy the initial copy's progress by table, if the capture's slot started with one
 *     since the agent started; empty otherwise
 * @param alerts active alerts, one line each
 * @param warnings standing warnings, one line each: conditions that need an operator but stop
 *     nothing (a topic with one replica, a region's clock beyond the skew bound); they never make
 *     the agent unready
 */
public record AgentStatus(
    ReplicaId region,
    boolean ready,
    CaptureStatus capture,
    Map<String, OriginStatus> origins,
    Map<String, RegionStatus> regions,
    Map<String, Long> stableFrontier,
    Map<String, Map<String, Long>> conflicts,
    Map<String, TableCopy> initialCopy,
    List<String> alerts,
    List<String> warnings) {

  /** Copies the collections. */
  public AgentStatus {
    origins = Map.copyOf(origins);
    regions = Map.copyOf(regions);
    stableFrontier = Map.copyOf(stableFrontier);
    conflicts = Map.copyOf(conflicts);
    initialCopy = Map.copyOf(initialCopy);
    alerts = List.copyOf(alerts);
    warnings = List.copyOf(warnings);
  }

  /**
   * The initial copy's progress for one table.
   *
   * @param rowsCopied rows read so far
   * @param estimatedRows the server's estimate of the table's rows when the copy started, or -1
   * @param percent 0 to 100 as far as the estimate tells (100 when done), or -1 if unknown
   * @param done whether the table is complete
   * @param rowsPerSecond rows read per second since the table's copy started
   * @param etaSeconds seconds left at that rate, 0 when done, or -1 if unknown
   */
  public record TableCopy(
      long rowsCopied,
      long estimatedRows,
      int percent,
      boolean done,
      double rowsPerSecond,
      long etaSeconds) {}

  /**
   * The local capture and shipping.
   *
   * @param state {@code running}, {@code restarting} or {@code halted}
   * @param capturedSeq the seq of the last captured transaction (0: none yet)
   * @param shippedSeq the seq of the last transaction Kafka acknowledged (0: none yet)
   * @param transactionsShipped transactions acknowledged since start
   * @param error the last failure, if any
   */
  public record CaptureStatus(
      String state,
      long capturedSeq,
      long shippedSeq,
      long transactionsShipped,
      Optional<String> error) {}

  /**
   * The apply state of one remote origin.
   *
   * @param state {@code running}, {@code restarting} or {@code halted}
   * @param appliedSeq the applied watermark (every transaction up to it is applied here)
   * @param transactionsApplied transactions applied since start
   * @param pendingTransactions received but not yet applied (the lag in transactions)
   * @param recordsBehind stream records of the origin not yet read, or -1 if unknown
   * @param lagSeconds how far behind the origin this region's apply is, in seconds
   * @param halt why the origin's stream halted (a poison record: topic, partition, offset), if it
   *     did
   */
  public record OriginStatus(
      String state,
      long appliedSeq,
      long transactionsApplied,
      long pendingTransactions,
      long recordsBehind,
      double lagSeconds,
      Optional<String> halt) {}

  /**
   * A region as its last heartbeat showed it.
   *
   * @param up whether a heartbeat arrived within {@code control.region.timeout}
   * @param lastHeartbeat when the last heartbeat was sent, if one was seen
   * @param applied the region's applied vector (by origin name)
   * @param shippedSeq the last seq the region shipped
   */
  public record RegionStatus(
      boolean up, Optional<Instant> lastHeartbeat, Map<String, Long> applied, long shippedSeq) {
    /** Copies the vector. */
    public RegionStatus {
      applied = Map.copyOf(applied);
    }
  }
}
