package io.georep.testkit;

import static java.nio.charset.StandardCharsets.UTF_8;

import java.io.OutputStream;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import kafka.server.BrokerServer;
import org.apache.kafka.common.network.ListenerName;
import org.apache.kafka.common.test.KafkaClusterTestKit;
import org.apache.kafka.common.test.TestKitNodes;

/**
 * A real Kafka broker running inside this JVM: one combined KRaft node (broker and controller) on
 * loopback, from Kafka's {@code KafkaClusterTestKit}, with the settings a single node needs
 * (replication factor 1 for the internal topics, no rebalance delay, no automatic topic creation).
 *
 * <p>Besides the default listener ({@link #bootstrapServers()}), a broker may have <em>advertised
 * listeners</em>: each binds its own free loopback port ({@link #listenerPort(String)}) but tells
 * clients to connect to a port of the caller's choice, typically a {@link LoopbackProxy} in front
 * of it. Kafka hands a client the advertised address of the listener it bootstrapped from, so a
 * client that bootstraps through the proxy reaches the broker only through it — cutting the proxy
 * really cuts that client off, while others keep working.
 *
 * <p>A broker may also have a TLS listener ({@link Builder#tlsListener}, {@link
 * #secureBootstrapServers()}): SCRAM-SHA-512 over TLS or mutual TLS, for tests of the agent's Kafka
 * security settings. Its other listeners stay PLAINTEXT, so a test can still set the broker up and
 * inspect it without credentials.
 *
 * <p>Thread-safe. {@link #close()} stops the broker and is idempotent; it deletes the broker's
 * directory only if the broker created it itself (no directory was given to the {@link Builder}).
 */
public final class EmbeddedKafka implements AutoCloseable {
  private final KafkaClusterTestKit cluster;
  private final Path directory;
  private final boolean ownsDirectory;
  private final Map<String, Integer> advertised;
  private final boolean secure;
  private volatile boolean closed;

  private EmbeddedKafka(
      KafkaClusterTestKit cluster,
      Path directory,
      boolean ownsDirectory,
      Map<String, Integer> advertised,
      boolean secure) {
    this.cluster = cluster;
    this.directory = directory;
    this.ownsDirectory = ownsDirectory;
    this.advertised = Map.copyOf(advertised);
    this.secure = secure;
  }

  /**
   * Starts a broker with only the default listener, its data in a new temporary directory that
   * {@link #close()} deletes.
   *
   * @return the running broker
   * @throws IllegalStateException if it cannot start
   */
  public static EmbeddedKafka start() {
    return builder().start();
  }

  /**
   * Returns a builder, to add advertised listeners, choose the directory or set broker properties.
   *
   * @return a new builder
   */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * Returns the bootstrap servers of the default listener.
   *
   * @return {@code host:port}
   */
  public String bootstrapServers() {
    return cluster.bootstrapServers();
  }

  /**
   * Returns the bootstrap servers of the TLS listener: {@code localhost:port} of every broker, the
   * name its certificate must hold for clients that verify host names (Kafka's default).
   *
   * @return {@code localhost:port[,localhost:port...]}
   * @throws IllegalStateException if the broker was built without {@link Builder#tlsListener}
   */
  public String secureBootstrapServers() {
    if (!secure) {
      throw new IllegalStateException("the broker has no TLS listener; add one with tlsListener");
    }
    StringBuilder servers = new StringBuilder();
    for (BrokerServer broker : cluster.brokers().values()) {
      servers.append(servers.length() == 0 ? "" : ",").append("localhost:");
      servers.append(broker.socketServer().boundPort(new ListenerName(Builder.SECURE)));
    }
    return servers.toString();
  }

  /**
   * Returns the port an advertised listener is bound to: where a proxy in front of it forwards.
   *
   * @param name the listener's name, as given to {@link Builder#advertisedListener}
   * @return the bound port
   * @throws IllegalArgumentException if there is no such listener
   */
  public int listenerPort(String name) {
    String key = name.toUpperCase(Locale.ROOT);
    if (!advertised.containsKey(key)) {
      throw new IllegalArgumentException(
          "the broker has no advertised listener " + name + "; it has " + advertised.keySet());
    }
    BrokerServer broker = cluster.brokers().values().iterator().next();
    return broker.socketServer().boundPort(new ListenerName(key));
  }

  /**
   * Returns the directory holding the broker's data.
   *
   * @return the directory
   */
  public Path directory() {
    return directory;
  }

  /**
   * Stops the broker and, if it created its directory, deletes it. Idempotent.
   *
   * @throws IllegalStateException if the broker does not stop cleanly
   */
  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    try {
      cluster.close();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (Exception e) {
      throw new IllegalStateException("cannot stop the embedded Kafka broker: " + e, e);
    } finally {
      if (ownsDirectory) {
        Directories.deleteRecursively(directory);
      }
    }
  }

  @Override
  public String toString() {
    return "EmbeddedKafka[" + bootstrapServers() + ", advertised " + advertised + "]";
  }

  /** Settings of an {@link EmbeddedKafka} before it starts. Not thread-safe. */
  public static final class Builder {
    private static final String LISTENER = "EXTERNAL";
    private static final String CONTROLLER = "CONTROLLER";
    private static final String SECURE = "SECURE";

    private Path directory;
    private int brokers = 1;
    private final Map<String, Integer> advertised = new LinkedHashMap<>();
    private final Map<String, String> properties = new LinkedHashMap<>();
    private TlsListener tls;

    private Builder() {
      // A single node: internal topics cannot have more replicas than one, and consumer groups
      // stall without these.
      properties.put("offsets.topic.replication.factor", "1");
      properties.put("offsets.topic.num.partitions", "1");
      properties.put("transaction.state.log.replication.factor", "1");
      properties.put("transaction.state.log.min.isr", "1");
      properties.put("group.initial.rebalance.delay.ms", "0");
      properties.put("auto.create.topics.enable", "false");
      properties.put("message.max.bytes", String.valueOf(16 << 20));
    }

    /**
     * Puts the broker's data in {@code directory} (created if missing), which {@link
     * EmbeddedKafka#close()} then keeps. Without it, the data goes to a new temporary directory
     * that close deletes.
     *
     * @param directory the directory; never null
     * @return this builder
     */
    public Builder directory(Path directory) {
      this.directory = Objects.requireNonNull(directory, "directory");
      return this;
    }

    /**
     * Adds a listener bound to a free loopback port that advertises {@code
     * 127.0.0.1:advertisedPort} to its clients.
     *
     * @param name the listener's name: a letter, then letters, digits or underscores (case does not
     *     matter); not {@code EXTERNAL} or {@code CONTROLLER}
     * @param advertisedPort the port clients are told to connect to, 1 to 65535
     * @return this builder
     * @throws IllegalArgumentException if the name is invalid or taken, or the port out of range
     */
    public Builder advertisedListener(String name, int advertisedPort) {
      Objects.requireNonNull(name, "name");
      String key = name.toUpperCase(Locale.ROOT);
      if (!key.matches("[A-Z][A-Z0-9_]{0,63}")) {
        throw new IllegalArgumentException(
            "listener name '" + name + "' must be a letter followed by letters, digits or '_'");
      }
      if (key.equals(LISTENER)
          || key.equals(CONTROLLER)
          || key.equals(SECURE)
          || advertised.containsKey(key)) {
        throw new IllegalArgumentException("listener name '" + name + "' is already taken");
      }
      if (advertisedPort < 1 || advertisedPort > 65535) {
        throw new IllegalArgumentException(
            "advertised port of listener " + name + " must be 1 to 65535, got " + advertisedPort);
      }
      advertised.put(key, advertisedPort);
      return this;
    }

    /**
     * Adds a TLS listener named {@code SECURE} on a free port, advertised as {@code localhost}
     * ({@link EmbeddedKafka#secureBootstrapServers()}). Its SCRAM users, if any, exist before
     * {@link #start()} returns.
     *
     * @param listener the listener's protocol, stores and users; never null
     * @return this builder
     */
    public Builder tlsListener(TlsListener listener) {
      this.tls = Objects.requireNonNull(listener, "listener");
      return this;
    }

    /**
     * Starts this many brokers (the first one also the KRaft controller) instead of one, for tests
     * of replication between brokers; not with advertised listeners.
     *
     * @param count how many brokers, 1 to 5
     * @return this builder
     * @throws IllegalArgumentException if the count is out of range
     */
    public Builder brokers(int count) {
      if (count < 1 || count > 5) {
        throw new IllegalArgumentException("brokers must be 1 to 5, got " + count);
      }
      this.brokers = count;
      return this;
    }

    /**
     * Sets a broker property ({@code server.properties}), overriding the defaults.
     *
     * @param name the property
     * @param value its value
     * @return this builder
     */
    public Builder brokerProperty(String name, String value) {
      properties.put(Objects.requireNonNull(name, "name"), Objects.requireNonNull(value, "value"));
      return this;
    }

    /**
     * Formats the broker's storage, starts it and waits until it serves.
     *
     * @return the running broker
     * @throws IllegalStateException if it cannot start
     */
    public EmbeddedKafka start() {
      if (brokers > 1 && !advertised.isEmpty()) {
        throw new IllegalStateException(
            "advertised listeners are for a single broker; this builder has " + brokers);
      }
      boolean owns = directory == null;
      Path dir = directory;
      KafkaClusterTestKit cluster = null;
      try {
        dir = owns ? Files.createTempDirectory("georep-kafka-") : Files.createDirectories(dir);
        TestKitNodes nodes =
            new TestKitNodes.Builder()
                .setCombined(true)
                .setNumBrokerNodes(brokers)
                .setNumControllerNodes(1)
                .setBaseDirectory(dir)
                .build();
        KafkaClusterTestKit.Builder b = new KafkaClusterTestKit.Builder(nodes);
        // The test kit deletes only what it created; the owner of the directory decides here.
        b.setDeleteOnClose(false);
        properties.forEach(b::setConfigProp);
        if (!advertised.isEmpty() || tls != null) {
          StringBuilder listeners =
              new StringBuilder(LISTENER + "://localhost:0," + CONTROLLER + "://localhost:0");
          StringBuilder advertisedListeners = new StringBuilder(LISTENER + "://localhost:0");
          StringBuilder protocols =
              new StringBuilder(LISTENER + ":PLAINTEXT," + CONTROLLER + ":PLAINTEXT");
          advertised.forEach(
              (name, port) -> {
                listeners.append(',').append(name).append("://127.0.0.1:0");
                advertisedListeners.append(',').append(name).append("://127.0.0.1:").append(port);
                protocols.append(',').append(name).append(":PLAINTEXT");
              });
          if (tls != null) {
            listeners.append(',').append(SECURE).append("://localhost:0");
            advertisedListeners.append(',').append(SECURE).append("://localhost:0");
            protocols.append(',').append(SECURE).append(':').append(tls.protocol());
            tls.brokerProperties(SECURE).forEach(b::setConfigProp);
          }
          b.setConfigProp("listeners", listeners.toString());
          b.setConfigProp("advertised.listeners", advertisedListeners.toString());
          b.setConfigProp("listener.security.protocol.map", protocols.toString());
        }
        cluster = b.build();
        formatQuietly(cluster);
        cluster.startup();
        cluster.waitForReadyBrokers();
        EmbeddedKafka kafka = new EmbeddedKafka(cluster, dir, owns, advertised, tls != null);
        if (tls != null && !tls.users().isEmpty()) {
          ScramUsers.create(cluster, tls, kafka.secureBootstrapServers());
        }
        return kafka;
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw failure(cluster, dir, owns, e);
      } catch (Exception e) {
        throw failure(cluster, dir, owns, e);
      }
    }

    /**
     * Formats the storage. Kafka's formatter reports to {@code System.out}, which would mix its
     * lines into the caller's console output; they are dropped (it reports failures by throwing).
     * The swap is brief and serialised, but a line another thread prints to {@code System.out}
     * meanwhile is dropped too.
     */
    private static void formatQuietly(KafkaClusterTestKit cluster) throws Exception {
      synchronized (Builder.class) {
        PrintStream console = System.out;
        System.setOut(new PrintStream(OutputStream.nullOutputStream(), false, UTF_8));
        try {
          cluster.format();
        } finally {
          System.setOut(console);
        }
      }
    }

    private static IllegalStateException failure(
        KafkaClusterTestKit cluster, Path dir, boolean owns, Exception cause) {
      if (cluster != null) {
        try {
          cluster.close();
        } catch (Exception e) {
          cause.addSuppressed(e);
        }
      }
      if (owns && dir != null) {
        try {
          Directories.deleteRecursively(dir);
        } catch (UncheckedIOException e) {
          cause.addSuppressed(e);
        }
      }
      return new IllegalStateException(
          "cannot start the embedded Kafka broker in " + dir + ": " + cause, cause);
    }
  }
}
