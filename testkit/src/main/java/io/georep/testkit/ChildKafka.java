package io.georep.testkit;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;

/**
 * A real Kafka broker (one combined KRaft node) in a child JVM started from the Kafka jars on the
 * test class path ({@code kafka.tools.StorageTool format}, then {@code kafka.Kafka
 * server.properties}): it can be killed and started again on the same ports and data, for fault
 * tests.
 *
 * <p>Client listeners: {@code PLAINTEXT} advertises itself; each {@code PROXIED<i>} advertises a
 * port of the caller's choice (a {@link LoopbackProxy} in front of it), so that the clients of one
 * agent reach the broker only through its proxy — Kafka hands clients the advertised address of the
 * listener they bootstrapped from.
 */
public final class ChildKafka implements AutoCloseable {
  private final Path dir;
  private final Path properties;
  private final int port;
  private final int[] proxiedPorts;
  private final int[] advertisedProxyPorts;
  private Process process;

  private ChildKafka(
      Path dir, Path properties, int port, int[] proxiedPorts, int[] advertisedProxyPorts) {
    this.dir = dir;
    this.properties = properties;
    this.port = port;
    this.proxiedPorts = proxiedPorts;
    this.advertisedProxyPorts = advertisedProxyPorts;
  }

  /**
   * Formats and starts a broker with one {@code PROXIED} listener. Its listeners and the port that
   * listener advertises ({@link #advertisedProxyPort()}, where a proxy is to listen) are distinct
   * free loopback ports.
   *
   * @return the running broker
   * @throws Exception if it cannot be formatted or started
   */
  public static ChildKafka start() throws Exception {
    return start(1);
  }

  /**
   * Formats and starts a broker with {@code proxied} listeners {@code PROXIED0…}, each advertising
   * a port of its own ({@link #advertisedProxyPort(int)}): one proxy per listener, so that the
   * clients of each region can be cut off on their own.
   *
   * @param proxied how many proxied listeners
   * @return the running broker
   * @throws Exception if it cannot be formatted or started
   */
  public static ChildKafka start(int proxied) throws Exception {
    Path dir = Files.createTempDirectory("georep-kafka-");
    int[] ports = freePorts(2 + 2 * proxied);
    int port = ports[0];
    int controller = ports[1];
    int[] proxiedPorts = new int[proxied];
    int[] advertisedProxyPorts = new int[proxied];
    StringBuilder listeners = new StringBuilder("PLAINTEXT://127.0.0.1:" + port);
    StringBuilder advertised = new StringBuilder("PLAINTEXT://127.0.0.1:" + port);
    StringBuilder protocols = new StringBuilder("PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT");
    for (int i = 0; i < proxied; i++) {
      proxiedPorts[i] = ports[2 + 2 * i];
      advertisedProxyPorts[i] = ports[3 + 2 * i];
      listeners.append(",PROXIED").append(i).append("://127.0.0.1:").append(proxiedPorts[i]);
      advertised
          .append(",PROXIED")
          .append(i)
          .append("://127.0.0.1:")
          .append(advertisedProxyPorts[i]);
      protocols.append(",PROXIED").append(i).append(":PLAINTEXT");
    }
    listeners.append(",CONTROLLER://127.0.0.1:").append(controller);
    Properties p = new Properties();
    p.put("process.roles", "broker,controller");
    p.put("node.id", "1");
    p.put("controller.quorum.voters", "1@127.0.0.1:" + controller);
    p.put("listeners", listeners.toString());
    p.put("advertised.listeners", advertised.toString());
    p.put("listener.security.protocol.map", protocols.toString());
    p.put("controller.listener.names", "CONTROLLER");
    p.put("inter.broker.listener.name", "PLAINTEXT");
    p.put("log.dirs", dir.resolve("data").toString());
    p.put("offsets.topic.replication.factor", "1");
    p.put("transaction.state.log.replication.factor", "1");
    p.put("transaction.state.log.min.isr", "1");
    p.put("group.initial.rebalance.delay.ms", "0");
    p.put("auto.create.topics.enable", "false");
    p.put("message.max.bytes", String.valueOf(16 << 20));
    Path properties = dir.resolve("server.properties");
    try (var out = Files.newBufferedWriter(properties)) {
      p.store(out, "georep fault-test broker");
    }
    run(
        dir,
        "format",
        List.of(
            "kafka.tools.StorageTool",
            "format",
            "-t",
            org.apache.kafka.common.Uuid.randomUuid().toString(),
            "-c",
            properties.toString()),
        Duration.ofMinutes(1));
    ChildKafka kafka = new ChildKafka(dir, properties, port, proxiedPorts, advertisedProxyPorts);
    try {
      kafka.startProcess();
    } catch (Exception | AssertionError e) {
      kafka.close();
      throw e;
    }
    return kafka;
  }

  /**
   * Returns {@code n} distinct free loopback ports: all sockets stay bound until every port is
   * chosen, so the operating system cannot hand out the same port twice.
   */
  private static int[] freePorts(int n) throws IOException {
    List<ServerSocket> sockets = new ArrayList<>();
    try {
      int[] ports = new int[n];
      for (int i = 0; i < n; i++) {
        ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress());
        sockets.add(s);
        ports[i] = s.getLocalPort();
      }
      return ports;
    } finally {
      for (ServerSocket s : sockets) {
        s.close();
      }
    }
  }

  private static List<String> java(List<String> args) {
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.add("-Xmx512m");
    cmd.add("-cp");
    cmd.add(System.getProperty("java.class.path"));
    cmd.add("-Dorg.slf4j.simpleLogger.defaultLogLevel=warn");
    cmd.addAll(args);
    return cmd;
  }

  private static void run(Path dir, String name, List<String> args, Duration timeout)
      throws Exception {
    Process format =
        new ProcessBuilder(java(args))
            .redirectErrorStream(true)
            .redirectOutput(dir.resolve(name + ".log").toFile())
            .start();
    if (!format.waitFor(timeout.toSeconds(), TimeUnit.SECONDS) || format.exitValue() != 0) {
      format.destroyForcibly();
      throw new IllegalStateException(
          name + " failed: " + Files.readString(dir.resolve(name + ".log")));
    }
  }

  private void startProcess() throws Exception {
    process =
        new ProcessBuilder(java(List.of("kafka.Kafka", properties.toString())))
            .redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve("broker.log").toFile()))
            .start();
    // A test JVM that dies (an OutOfMemoryError, a kill) must not leave its broker behind.
    Process started = process;
    Runtime.getRuntime().addShutdownHook(new Thread(started::destroyForcibly, "kill-broker"));
    Await.until(
        "the child broker serves",
        Duration.ofMinutes(1),
        () -> {
          if (!process.isAlive()) {
            throw new IllegalStateException(
                "the broker exited: " + Files.readString(dir.resolve("broker.log")));
          }
          try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(java.net.InetAddress.getLoopbackAddress(), port), 200);
          }
          try (Admin admin =
              Admin.create(
                  Map.of(
                      "bootstrap.servers",
                      bootstrapServers(),
                      "request.timeout.ms",
                      "3000",
                      "default.api.timeout.ms",
                      "3000"))) {
            return admin.describeCluster().nodes().get(3, TimeUnit.SECONDS).size() == 1;
          }
        });
  }

  /**
   * Kills the broker process (SIGKILL): no clean shutdown.
   *
   * @throws InterruptedException if interrupted while waiting for it to exit
   */
  public void kill() throws InterruptedException {
    process.destroyForcibly();
    process.waitFor(30, TimeUnit.SECONDS);
  }

  /**
   * Starts the broker again on the same ports and data.
   *
   * @throws Exception if it does not serve within a minute
   */
  public void restart() throws Exception {
    startProcess();
  }

  /**
   * Returns the bootstrap servers of the {@code PLAINTEXT} listener.
   *
   * @return {@code 127.0.0.1:<port>}
   */
  public String bootstrapServers() {
    return "127.0.0.1:" + port;
  }

  /**
   * Returns the port the first {@code PROXIED} listener advertises to its clients (where a proxy
   * listens).
   *
   * @return the port
   */
  public int advertisedProxyPort() {
    return advertisedProxyPort(0);
  }

  /**
   * Returns the port listener {@code PROXIED<i>} advertises to its clients (where its proxy
   * listens).
   *
   * @param i the listener's index
   * @return the port
   */
  public int advertisedProxyPort(int i) {
    return advertisedProxyPorts[i];
  }

  /**
   * Returns the local port of the first {@code PROXIED} listener (what a proxy forwards to).
   *
   * @return the port
   */
  public int proxiedPort() {
    return proxiedPort(0);
  }

  /**
   * Returns the local port of listener {@code PROXIED<i>} (what its proxy forwards to).
   *
   * @param i the listener's index
   * @return the port
   */
  public int proxiedPort(int i) {
    return proxiedPorts[i];
  }

  /**
   * Tells whether the broker process runs.
   *
   * @return whether it runs
   */
  public boolean isAlive() {
    return process != null && process.isAlive();
  }

  /** Kills the broker and deletes its directory. */
  @Override
  public void close() {
    try {
      if (process != null) {
        kill();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    Directories.deleteRecursively(dir);
  }

  /**
   * Returns an unused id, for unique names.
   *
   * @return a random UUID's text
   */
  public static String id() {
    return UUID.randomUUID().toString();
  }
}
