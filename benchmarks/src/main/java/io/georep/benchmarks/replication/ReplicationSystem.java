package io.georep.benchmarks.replication;

/**
 * A replication system under test, from the source database to the target database, both already
 * holding the benchmark schema. Started once, then measured over several workloads.
 */
interface ReplicationSystem extends AutoCloseable {

  /**
   * Cumulative counters of a system; a workload's figure is the difference of two.
   *
   * @param bytesShipped the bytes that carried the changes from source to target so far
   * @param payloadBytes the part of them that is the changes' own encoding (georep: LZ4 frames;
   *     native: pgoutput messages), without the transport's framing
   * @param detail further counters, for a diagnosis
   * @param agentPid the agents' process, or -1 if the system has none
   * @param heapPeakBytes the agents' peak heap since {@link #resetPeak}, or -1
   */
  record Counters(
      long bytesShipped, long payloadBytes, String detail, long agentPid, long heapPeakBytes) {}

  /** Returns the system's name in the report. */
  String name();

  /**
   * Sets the system up and waits until it replicates.
   *
   * @throws Exception if it cannot start
   */
  void start() throws Exception;

  /**
   * Reads the counters.
   *
   * @return the counters
   * @throws Exception if they cannot be read
   */
  Counters counters() throws Exception;

  /**
   * Starts a new peak-heap window.
   *
   * @throws Exception if the agents do not answer
   */
  void resetPeak() throws Exception;

  /**
   * Returns what the system reports about its state, for a diagnosis when the target does not catch
   * up.
   *
   * @return a description
   */
  String diagnostics();

  /**
   * Stops the system and removes what it set up.
   *
   * @throws java.sql.SQLException if the databases cannot be cleaned up
   */
  @Override
  void close() throws java.sql.SQLException;
}
