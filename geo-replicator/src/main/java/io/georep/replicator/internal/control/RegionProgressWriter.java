package io.georep.replicator.internal.control;

import io.georep.connector.spi.RegionApplier;
import io.georep.connector.spi.RegionProgressRecording;
import io.georep.connector.spi.RegionProgressRecording.RegionProgress;
import io.georep.replicator.AgentSettings;
import io.georep.replicator.internal.status.AgentState;
import io.georep.vectorclock.ReplicaId;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.LongSupplier;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes, at every heartbeat, what each region has applied as its latest heartbeat said (this one
 * from the agent state) into the region's database ({@link RegionProgressRecording}), where the
 * consistency functions read it ({@code georep.wait_replicated}, docs/consistency.md). The write
 * runs on a thread of its own with an applier of its own, so a slow or unreachable database never
 * delays the heartbeats (which the control actor sends); a beat that finds the previous write still
 * running skips its own, and the next beat writes fresher figures. Never throws: a failure is
 * logged once per kind and tried again at the next heartbeat; waits meanwhile see the regions as
 * they were last written, and time out naming when each was last heard of.
 */
final class RegionProgressWriter implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(RegionProgressWriter.class);

  private final AgentSettings settings;
  private final ReplicaId self;
  private final AgentState state;
  private final LongSupplier clock;
  private final Supplier<RegionApplier> opener;
  private final ExecutorService thread;
  private final AtomicBoolean writing = new AtomicBoolean();
  private volatile RegionApplier applier;
  private volatile boolean closed;
  private String lastFailure;

  RegionProgressWriter(
      AgentSettings settings,
      AgentState state,
      LongSupplier clock,
      Supplier<RegionApplier> opener) {
    this.settings = settings;
    this.self = settings.region();
    this.state = state;
    this.clock = clock;
    this.opener = opener;
    this.thread =
        Executors.newSingleThreadExecutor(
            r -> {
              Thread t = new Thread(r, "georep-region-progress-" + settings.region());
              t.setDaemon(true);
              return t;
            });
  }

  /** A region's number: its place in the regions list, from 1; 0 for a region not listed. */
  private int number(ReplicaId region) {
    List<AgentSettings.Region> listed = settings.regions();
    for (int i = 0; i < listed.size(); i++) {
      if (listed.get(i).name().equals(region)) {
        return i + 1;
      }
    }
    return 0;
  }

  /**
   * Takes every region's progress now and writes it on the writer's thread, unless the previous
   * write is still running.
   */
  void run() {
    if (!writing.compareAndSet(false, true)) {
      return;
    }
    List<RegionProgress> regions = snapshot();
    try {
      thread.execute(
          () -> {
            try {
              write(regions);
            } finally {
              writing.set(false);
            }
          });
    } catch (RejectedExecutionException e) {
      writing.set(false);
    }
  }

  /** Stops the writer's thread and closes its applier. */
  @Override
  public void close() {
    closed = true;
    thread.shutdownNow();
    try {
      thread.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    RegionApplier open = applier;
    if (open != null) {
      applier = null;
      open.close();
    }
  }

  private List<RegionProgress> snapshot() {
    long now = clock.getAsLong();
    Map<ReplicaId, Long> lag = new HashMap<>();
    for (AgentSettings.Region r : settings.regions()) {
      if (!r.name().equals(self)) {
        lag.put(
            r.name(),
            Math.round(
                state
                        .origin(r.name())
                        .lagSeconds(now, settings.control().regionTimeout().toMillis())
                    * 1000));
      }
    }
    List<RegionProgress> regions = new ArrayList<>();
    regions.add(
        new RegionProgress(
            self,
            number(self),
            state.applied.get(),
            state.shippedSeq.get(),
            Instant.ofEpochMilli(now),
            true,
            lag,
            settings.control().maxLag().toMillis()));
    for (AgentState.SeenHeartbeat seen : state.heartbeats.values()) {
      if (seen.heartbeat().region().equals(self)) {
        continue;
      }
      long heard =
          seen.receivedAtMillis() > 0 ? seen.receivedAtMillis() : seen.heartbeat().sentAtMillis();
      regions.add(
          new RegionProgress(
              seen.heartbeat().region(),
              number(seen.heartbeat().region()),
              seen.heartbeat().applied(),
              seen.heartbeat().shippedSeq(),
              Instant.ofEpochMilli(heard),
              false,
              Map.of(),
              0));
    }
    return regions;
  }

  private void write(List<RegionProgress> regions) {
    try {
      if (applier == null) {
        RegionApplier opened = opener.get();
        if (closed) {
          opened.close();
          return;
        }
        applier = opened;
      }
      if (applier instanceof RegionProgressRecording recording) {
        recording.recordRegionProgress(regions);
        if (lastFailure != null) {
          LOG.info("georep.region_progress is written again");
          lastFailure = null;
        }
      }
    } catch (RuntimeException e) {
      String failure = e.getClass().getName();
      if (!failure.equals(lastFailure)) {
        LOG.warn(
            "cannot write georep.region_progress (what georep.wait_replicated reads), tried again"
                + " at the next heartbeat: {}",
            e.getMessage());
        lastFailure = failure;
      }
    }
  }
}
