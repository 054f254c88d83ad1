package io.georep.replicator;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.georep.connector.DatabaseUrl;
import io.georep.connector.spi.DatabaseRefusedException;
import io.georep.connector.spi.RegionDatabase;
import io.georep.replicator.internal.AgentGuardian;
import io.georep.replicator.internal.http.StatusServer;
import io.georep.replicator.internal.metrics.AgentMetrics;
import io.georep.replicator.internal.metrics.AgentTracing;
import io.georep.replicator.internal.status.AgentState;
import io.georep.replicator.internal.status.StatusView;
import io.georep.replicator.internal.transport.KafkaPreflight;
import io.georep.vectorclock.VersionVector;
import io.opentelemetry.api.OpenTelemetry;
import java.sql.SQLException;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;
import org.apache.pekko.actor.typed.ActorSystem;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The georep agent: the sidecar that replicates one region's database with every other region.
 * {@link #start} launches capture and shipping of local transactions to this region's Kafka stream,
 * one receiver per other region, the causal gate and apply scheduler with per-table workers, the
 * control stream (heartbeats, garbage collection), and the HTTP endpoint ({@code /metrics}, {@code
 * /health}, {@code /api/status}). Everything runs on a Pekko Typed actor system, supervised per
 * stream: a transient failure restarts its stream with backoff, a permanent one stops only its
 * stream and raises an alert in {@link #status()} and {@code /health}.
 *
 * <p>Thread-safe. {@link #close()} stops everything and is idempotent; nothing acknowledged is lost
 * by stopping (or by a crash): capture resumes from the slot's confirmed position, apply from the
 * progress committed in the database.
 */
public final class Agent implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(Agent.class);

  private final AgentSettings settings;
  private final AgentState state;
  private final AgentMetrics metrics;
  private final ActorSystem<AgentGuardian.Command> system;
  private final StatusServer http;
  private final StatusView view;
  private volatile boolean closed;

  private Agent(
      AgentSettings settings,
      AgentState state,
      AgentMetrics metrics,
      ActorSystem<AgentGuardian.Command> system,
      StatusServer http,
      StatusView view) {
    this.settings = settings;
    this.state = state;
    this.metrics = metrics;
    this.system = system;
    this.http = http;
    this.view = view;
  }

  /**
   * Starts an agent and returns at once; streams connect in the background (a database or Kafka
   * that is not reachable yet is retried with backoff, visible in {@link #status()}).
   *
   * <p>First, every region's Kafka cluster is asked to accept the agent: a refusal (wrong SASL
   * password, untrusted or misnamed certificate, unreadable key or trust store) fails the start
   * within about 10 s, since retrying could not cure it; a cluster that does not answer is no
   * reason not to start (it is retried in the background, as before).
   *
   * @param settings the settings; never null
   * @return the running agent
   * @throws KafkaAccessException if a region's Kafka cluster refuses the agent; it names the
   *     region, the bootstrap servers and the settings to fix, never a secret
   * @throws java.io.UncheckedIOException if the HTTP endpoint cannot bind its port
   * @throws DatabaseRefusedException if the database refuses the agent's login or TLS fails (a
   *     certificate that does not verify): the message names the setting to fix
   */
  public static Agent start(AgentSettings settings) {
    Objects.requireNonNull(settings, "settings");
    KafkaPreflight.check(settings);
    return start(settings, AgentTracing.from(settings));
  }

  /**
   * Starts an agent whose traces go through an OpenTelemetry instance of the caller's (an
   * application that embeds the agent, or a test with an in-memory exporter) instead of {@code
   * tracing.*}; the instance's own sampler decides which local transactions are traced.
   *
   * @param settings the settings; never null
   * @param openTelemetry the instance; not closed by the agent
   * @return the running agent
   * @throws KafkaAccessException if a region's Kafka cluster refuses the agent (as {@link
   *     #start(AgentSettings)})
   * @throws java.io.UncheckedIOException if the HTTP endpoint cannot bind its port
   * @throws DatabaseRefusedException if the database refuses the agent's login or TLS fails (a
   *     certificate that does not verify): the message names the setting to fix
   */
  public static Agent start(AgentSettings settings, OpenTelemetry openTelemetry) {
    Objects.requireNonNull(settings, "settings");
    KafkaPreflight.check(settings);
    return start(settings, AgentTracing.of(openTelemetry, settings.region()));
  }

  private static Agent start(AgentSettings settings, AgentTracing tracing) {
    LongSupplier clock = System::currentTimeMillis;
    AgentState state = new AgentState(clock);
    AgentMetrics metrics = new AgentMetrics(settings.region(), clock, state, tracing);
    for (AgentSettings.Region r : settings.remoteRegions()) {
      metrics.registerOrigin(
          r.name(), state.origin(r.name()), clock, settings.control().regionTimeout());
    }
    metrics.queue("ship", settings.region().name(), state.shipQueue);
    // The scheduler registers its own queues when it starts; until then they read zero.
    metrics.queue("gate", "all", new AtomicLong());
    metrics.queue("ready", "all", new AtomicLong());
    AgentSettings.Database db = settings.database();
    RegionDatabase database = Connectors.forUrl(db.jdbcUrl()).open(settings.databaseSettings());
    checkLogin(db);
    StatusView view = new StatusView(settings, state, metrics, clock);
    StatusServer http =
        settings.http().enabled()
            ? StatusServer.start(settings.http(), view, metrics, clock, database, settings)
            : null;
    ActorSystem<AgentGuardian.Command> system =
        ActorSystem.create(
            AgentGuardian.create(settings, database, state, metrics, clock),
            "georep",
            pekkoConfig());
    LOG.info("agent of region {} started: {}", settings.region(), settings);
    return new Agent(settings, state, metrics, system, http, view);
  }

  /**
   * Connects once before anything starts, so that what retrying cannot fix — a refused login, a
   * server certificate that does not verify against {@code database.tls.root-cert} or does not name
   * the host — stops the start with the setting to fix ({@link DatabaseRefusedException}) instead
   * of restarting the capture and the appliers forever. A database that cannot be reached yet is
   * not an error here: the capture and apply wait for it, as they do for one that goes away later.
   */
  private static void checkLogin(AgentSettings.Database db) {
    try {
      db.connect("georep agent start").close();
    } catch (SQLException e) {
      LOG.warn(
          "the database {} cannot be reached yet; capture and apply retry until it can: {}",
          DatabaseUrl.masked(db.jdbcUrl()),
          e.getMessage());
    }
  }

  private static Config pekkoConfig() {
    return ConfigFactory.parseMap(
            Map.of(
                "pekko.loggers", java.util.List.of("org.apache.pekko.event.slf4j.Slf4jLogger"),
                "pekko.logging-filter", "org.apache.pekko.event.slf4j.Slf4jLoggingFilter",
                "pekko.loglevel", "INFO",
                "pekko.jvm-exit-on-fatal-error", "off",
                "pekko.coordinated-shutdown.exit-jvm", "off",
                "pekko.coordinated-shutdown.run-by-jvm-shutdown-hook", "off",
                "pekko.actor.default-blocking-io-dispatcher.thread-pool-executor.fixed-pool-size",
                    "32"))
        .withFallback(ConfigFactory.load());
  }

  /**
   * Returns the agent's settings.
   *
   * @return the settings
   */
  public AgentSettings settings() {
    return settings;
  }

  /**
   * Returns a snapshot of the agent's state.
   *
   * @return the status
   */
  public AgentStatus status() {
    return view.status();
  }

  /**
   * Returns the applied vector: per remote origin, the seq up to which everything is applied here.
   *
   * @return the vector
   */
  public VersionVector appliedVector() {
    return state.applied.get();
  }

  /**
   * Returns the seq of the last local transaction Kafka acknowledged (0 if none yet).
   *
   * @return the shipped seq
   */
  public long shippedSeq() {
    return state.shippedSeq.get();
  }

  /**
   * Returns the port of the HTTP endpoint.
   *
   * @return the port, or -1 if it is disabled
   */
  public int httpPort() {
    return http == null ? -1 : http.port();
  }

  /**
   * Returns the Prometheus text exposition of the agent's meters (what {@code /metrics} serves).
   *
   * @return the scrape
   */
  public String scrapeMetrics() {
    return metrics.scrape();
  }

  /** Stops the agent: actors, Kafka clients, connections, HTTP. Idempotent. */
  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    system.terminate();
    try {
      system.getWhenTerminated().toCompletableFuture().get(60, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (java.util.concurrent.ExecutionException | TimeoutException e) {
      LOG.warn(
          "agent of region {} did not stop within {}", settings.region(), Duration.ofMinutes(1));
    }
    if (http != null) {
      http.close();
    }
    metrics.close();
    LOG.info("agent of region {} stopped", settings.region());
  }
}
