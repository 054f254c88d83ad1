package io.georep.cli.demo;

import io.georep.publication.Publication;
import io.georep.testkit.LoopbackProxy;
import java.io.PrintWriter;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.LongSupplier;

/**
 * One run of {@code georep demo}: several regions on this machine, each an embedded PostgreSQL
 * server with the sample schema and a georep agent, all streams on one in-process Kafka broker; a
 * write load in every region that conflicts on purpose; a live status; faults on a schedule; and at
 * the end a comparison of every table across regions.
 *
 * <p>Lifecycle: {@link #run()} starts everything (the servers in parallel), runs the load, waits
 * until every region has applied everything, compares, and returns the {@link DemoResult}; {@link
 * #close()} stops the load, the agents, the proxies, the broker and the databases, and deletes the
 * data directory unless {@link DemoOptions#keep()}. {@code close()} may be called from another
 * thread while {@code run()} is under way (a Ctrl-C): {@code run()} then ends with a {@link
 * CancellationException}.
 *
 * <p>Every agent reaches the broker through its own {@link LoopbackProxy}, on a broker listener
 * that advertises the proxy's port; a {@code cut} fault closes that proxy, so the region is really
 * partitioned from Kafka — its local writes go on, its stream stops, and after the heal it catches
 * up.
 *
 * <p>This class is the run's orchestration and owns its threads; the jobs live apart: the servers
 * and agents ({@link DemoCluster}), the seeding ({@link Seeding}), the load ({@link Workload}), the
 * faults ({@link FaultSchedule}), the live status ({@link LiveStatus}), the wait for every region
 * to apply everything ({@link Quiescence}) and the verdict ({@link ConvergenceReport}).
 */
public final class Demo implements AutoCloseable {
  private final DemoOptions options;
  private final PrintWriter out;
  private final LongSupplier nanoClock;
  private final List<String> regions;

  private final AtomicBoolean started = new AtomicBoolean();
  private final AtomicBoolean closed = new AtomicBoolean();
  private final CountDownLatch closeDone = new CountDownLatch(1);
  private final StopSignal stopSignal = new StopSignal();
  private volatile boolean closing;

  private final ExecutorService workers = Executors.newCachedThreadPool(Demo::daemon);
  private final ScheduledExecutorService ticker =
      Executors.newSingleThreadScheduledExecutor(Demo::daemon);
  private final DemoCluster cluster;
  private final Workload workload;
  private final LiveStatus status;
  private long startNanos;

  /**
   * Prepares a run; nothing starts before {@link #run()}.
   *
   * @param options what to run
   * @param out where the progress, live status and verdict go
   * @param nanoClock a monotonic clock in nanoseconds ({@code System::nanoTime})
   */
  public Demo(DemoOptions options, PrintWriter out, LongSupplier nanoClock) {
    this.options = options;
    this.out = out;
    this.nanoClock = nanoClock;
    this.regions = options.regionNames();
    this.cluster = new DemoCluster(options, nanoClock, workers, this::print);
    this.workload = new Workload(options, nanoClock, workers);
    this.status = new LiveStatus(options, cluster, workload, nanoClock, this::print);
  }

  private static Thread daemon(Runnable r) {
    Thread t = new Thread(r, "georep-demo");
    t.setDaemon(true);
    return t;
  }

  /**
   * Runs the demo and returns its outcome; also prints it.
   *
   * @return the outcome
   * @throws CancellationException if {@link #close()} was called meanwhile
   * @throws IllegalStateException if a server or an agent cannot start, naming it and why, or if
   *     the demo already ran
   */
  public DemoResult run() {
    if (started.getAndSet(true)) {
      throw new IllegalStateException("a demo runs once; create a new Demo to run again");
    }
    startNanos = nanoClock.getAsLong();
    try {
      printHeader();
      Publication publication = DemoSchema.publication();
      cluster.startServers(startNanos);
      validate(publication);
      cluster.startAgents(publication);
      cluster.awaitReady(startNanos, stopSignal);
      Optional<Duration> first =
          new Seeding(regions, cluster, nanoClock, stopSignal, this::print).seed(startNanos);
      List<String> problems = new ArrayList<>();
      runLoad(problems);
      new Quiescence(options, cluster, nanoClock, stopSignal, this::print).await(problems);
      status.stop();
      ticker.shutdown();
      awaitTicker();
      return new ConvergenceReport(options, cluster, workload, this::print).verify(problems, first);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw cancelled(e);
    } catch (SQLException | RuntimeException e) {
      if (closing) {
        throw cancelled(e);
      }
      if (e instanceof SQLException) {
        throw new IllegalStateException("a database query of the demo failed: " + e, e);
      }
      throw (RuntimeException) e;
    }
  }

  private static CancellationException cancelled(Exception cause) {
    CancellationException c = new CancellationException("the demo was stopped");
    c.initCause(cause);
    return c;
  }

  private void print(String s) {
    if (closing) {
      return;
    }
    synchronized (out) {
      out.println(s);
      out.flush();
    }
  }

  private void printHeader() {
    print(
        "georep demo: "
            + regions.size()
            + " regions ("
            + String.join(", ", regions)
            + "), "
            + options.rate()
            + " writes/s per region for "
            + Durations.format(options.duration())
            + ", seed "
            + options.seed()
            + " (replay the same choices with --seed "
            + options.seed()
            + ")");
    print(
        options.latency().isZero()
            ? "each agent reaches Kafka through a loopback proxy without added latency (--latency)"
            : "each agent reaches Kafka through a loopback proxy that adds "
                + Durations.format(options.latency())
                + " each way (--latency), as between distant regions");
    for (Fault f : options.faults()) {
      print(
          "fault: "
              + f
              + " — "
              + f.region()
              + " is cut off from Kafka "
              + Durations.format(f.start())
              + " into the load, for "
              + Durations.format(f.length()));
    }
  }

  private void validate(Publication publication) throws SQLException {
    try (Connection c = cluster.database(regions.get(0)).connect()) {
      DemoSchema.validate(publication, c);
    }
    print(
        "publication "
            + DemoSchema.PUBLICATION_FILE
            + " is valid against the schema (accounts: counter balance; profiles: column-lww"
            + " fields, or-set tags; orders: lww, FK to accounts)");
  }

  // ---- load, faults, status --------------------------------------------------------------------

  /**
   * Runs the load for the options' duration, with the live status and the faults on their schedule;
   * stops early, recording why in {@code problems}, if a region's load fails. Heals every region
   * before it returns.
   */
  private void runLoad(List<String> problems) throws InterruptedException {
    long loadStartNanos = nanoClock.getAsLong();
    workload.start(cluster::database, loadStartNanos);
    print(
        "write load started in every region; live status every "
            + Durations.format(options.statusInterval())
            + " (lag ← origin: how far this region is behind the origin's writes); Ctrl-C stops"
            + " everything");
    status.start(ticker, loadStartNanos);

    FaultSchedule faults = new FaultSchedule(options.faults(), cluster::proxy, this::print);
    long end = options.duration().toNanos();
    while (true) {
      long now = nanoClock.getAsLong() - loadStartNanos;
      faults.applyDue(now);
      Optional<String> failed = workload.failure();
      if (now >= end || failed.isPresent()) {
        failed.ifPresent(
            f -> {
              print("!! " + f + "; stopping the load");
              problems.add(f);
            });
        break;
      }
      long until = Math.min(faults.nextAt(), end);
      stopSignal.pause(Duration.ofNanos(Math.max(1_000_000, Math.min(until - now, 200_000_000))));
    }
    workload.stopAndAwait();
    cluster.healAll();
    status.settling();
    print(
        String.format(
            Locale.ROOT,
            "load stopped after %.1f s: %,d writes committed, %,d rolled back (deadlock with the"
                + " apply); waiting for every region to apply everything (at most %s)",
            (nanoClock.getAsLong() - loadStartNanos) / 1e9,
            workload.writes(),
            workload.rejected(),
            Durations.format(options.quiescenceTimeout())));
  }

  private void awaitTicker() throws InterruptedException {
    ticker.awaitTermination(10, TimeUnit.SECONDS);
    status.closeConnections();
  }

  // ---- stop -----------------------------------------------------------------------------------

  /**
   * Stops everything this run started — the load, the agents, the proxies, the broker, the
   * databases — and deletes the data directory unless the options keep it. Idempotent; safe to call
   * from another thread (a shutdown hook) while {@link #run()} is under way.
   */
  @Override
  public void close() {
    if (closed.getAndSet(true)) {
      awaitClosed();
      return;
    }
    cluster.refuseNew();
    try {
      stopEverything();
    } finally {
      closeDone.countDown();
    }
  }

  /** Waits for a close under way in another thread (a shutdown hook must not return early). */
  private void awaitClosed() {
    try {
      closeDone.await(3, TimeUnit.MINUTES);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private void stopEverything() {
    workload.stop();
    boolean interrupted = closing;
    closing = true;
    stopSignal.fire();
    List<String> failures = new ArrayList<>();
    // A region still cut off would make its agent wait for Kafka while it stops.
    cluster.healAll();
    ticker.shutdownNow();
    workers.shutdownNow();
    try {
      workers.awaitTermination(10, TimeUnit.SECONDS);
      ticker.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    status.closeConnections();
    String data = cluster.stop(failures);
    synchronized (out) {
      for (String f : failures) {
        out.println("could not stop cleanly: " + f);
      }
      out.println(
          (interrupted ? "stopped early" : "stopped")
              + ": agents, Kafka broker and databases"
              + data);
      out.flush();
    }
  }

  /** Marks the run as interrupted before {@link #close()}, so that it stops printing at once. */
  void interrupt() {
    closing = true;
  }
}
