package io.georep.testkit;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * A TCP proxy on a free loopback port that forwards every connection to a target port on loopback,
 * and that can be <em>cut</em>: {@link #cut()} closes every open connection and refuses new ones
 * (accepts and closes them at once) until {@link #heal()} — a network partition between the clients
 * behind the proxy and the server, as the clients see it.
 *
 * <p>The proxy binds its port when it is {@linkplain #open(String) opened} and forwards once it has
 * a {@linkplain #forwardTo(int) target}, so its port can be handed to a server (as an advertised
 * address) before the server's own port is known. Until then connections are refused.
 *
 * <p>It can also add a one-way {@linkplain #latency(Duration) latency} to the data in both
 * directions, as a link between distant sites would: data keeps its order and is delivered once its
 * delay has passed. And it can {@linkplain #block(Direction) block} one direction: its bytes are
 * held while the connections stay open, as with packets lost one way and retransmitted, until
 * {@link #heal()}.
 *
 * <p>Thread-safe. Each connection uses four daemon threads, a reader and a writer per direction;
 * {@link #close()} stops everything and is idempotent.
 */
public final class LoopbackProxy implements AutoCloseable {
  private static final int CHUNK_BYTES = 64 << 10;
  private static final int IN_FLIGHT_CHUNKS = 256;

  private final String name;
  private final ServerSocket server;
  private final Set<Socket> open = ConcurrentHashMap.newKeySet();
  private final AtomicLong connections = new AtomicLong();
  private volatile int target;
  private volatile long latencyNanos;
  private volatile boolean cut;
  private volatile Direction blocked;
  private volatile boolean closed;

  /** A direction of the proxied traffic. */
  public enum Direction {
    /** From the client to the target. */
    TO_TARGET,
    /** From the target back to the client. */
    FROM_TARGET
  }

  private LoopbackProxy(String name, ServerSocket server) {
    this.name = name;
    this.server = server;
  }

  /**
   * Binds a proxy to a free loopback port; it refuses connections until {@link #forwardTo(int)}.
   *
   * @param name a name for its threads and messages, e.g. the region behind it
   * @return the proxy
   * @throws UncheckedIOException if no port can be bound
   */
  public static LoopbackProxy open(String name) {
    return open(name, 0);
  }

  /**
   * Binds a proxy to a given loopback port (one picked earlier, for example a port a server
   * advertises); it refuses connections until {@link #forwardTo(int)}.
   *
   * @param name a name for its threads and messages, e.g. the region behind it
   * @param port the port, 0 for a free one
   * @return the proxy
   * @throws UncheckedIOException if the port cannot be bound
   */
  public static LoopbackProxy open(String name, int port) {
    try {
      ServerSocket server = new ServerSocket();
      server.setReuseAddress(true);
      server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port));
      LoopbackProxy proxy = new LoopbackProxy(name, server);
      Thread accept = new Thread(proxy::accept, "loopback-proxy-" + name);
      accept.setDaemon(true);
      accept.start();
      return proxy;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot bind a loopback proxy for " + name, e);
    }
  }

  /**
   * Binds a proxy to a free loopback port that forwards to {@code targetPort}.
   *
   * @param name a name for its threads and messages
   * @param targetPort the loopback port to forward to
   * @return the proxy
   * @throws UncheckedIOException if no port can be bound
   */
  public static LoopbackProxy start(String name, int targetPort) {
    LoopbackProxy proxy = open(name);
    proxy.forwardTo(targetPort);
    return proxy;
  }

  /**
   * Sets the loopback port new connections are forwarded to.
   *
   * @param port the target port, 1 to 65535
   * @throws IllegalArgumentException if the port is out of range
   */
  public void forwardTo(int port) {
    if (port < 1 || port > 65535) {
      throw new IllegalArgumentException("target port must be 1 to 65535, got " + port);
    }
    this.target = port;
  }

  /**
   * Sets the one-way latency added to the data in each direction, from now on.
   *
   * @param latency the latency; zero for none, at most 10 s
   * @throws IllegalArgumentException if it is negative or longer than 10 s
   */
  public void latency(Duration latency) {
    if (latency == null || latency.isNegative() || latency.compareTo(Duration.ofSeconds(10)) > 0) {
      throw new IllegalArgumentException("latency must be 0 to 10 s, got " + latency);
    }
    this.latencyNanos = latency.toNanos();
  }

  /**
   * Returns the one-way latency added in each direction.
   *
   * @return the latency
   */
  public Duration latency() {
    return Duration.ofNanos(latencyNanos);
  }

  /**
   * Returns the port the proxy listens on.
   *
   * @return the port
   */
  public int port() {
    return server.getLocalPort();
  }

  /**
   * Returns the proxy's address, for a client's configuration.
   *
   * @return {@code 127.0.0.1:<port>}
   */
  public String address() {
    return InetAddress.getLoopbackAddress().getHostAddress() + ":" + port();
  }

  /**
   * Returns how many connections the proxy has forwarded since it opened.
   *
   * @return the count
   */
  public long connectionsForwarded() {
    return connections.get();
  }

  /**
   * Cuts the link: closes every open connection and refuses new ones until {@link #heal()}.
   * Idempotent.
   */
  public void cut() {
    cut = true;
    for (Socket s : open) {
      closeQuietly(s);
    }
  }

  /**
   * Holds the bytes of one direction (a one-way partition) until {@link #heal()}; the connections
   * stay open.
   *
   * @param direction the direction to hold
   */
  public void block(Direction direction) {
    blocked = java.util.Objects.requireNonNull(direction, "direction");
  }

  /** Heals the link: new connections are forwarded again, held bytes flow again. Idempotent. */
  public void heal() {
    cut = false;
    blocked = null;
  }

  /**
   * Returns whether the link is cut.
   *
   * @return true between {@link #cut()} and {@link #heal()}
   */
  public boolean isCut() {
    return cut;
  }

  /** Stops accepting, closes every connection and releases the port. Idempotent. */
  @Override
  public void close() {
    closed = true;
    cut();
    try {
      server.close();
    } catch (IOException e) {
      // Nothing is left to release: the socket is closed either way.
    }
  }

  @Override
  public String toString() {
    return "LoopbackProxy["
        + name
        + " "
        + address()
        + " -> "
        + target
        + (cut ? ", cut" : "")
        + (blocked != null ? ", " + blocked + " blocked" : "")
        + "]";
  }

  private void accept() {
    while (!closed) {
      Socket client;
      try {
        client = server.accept();
      } catch (IOException e) {
        // The server socket was closed by close(); anything else ends the proxy too, since an
        // accept loop that keeps failing would only spin.
        return;
      }
      int port = target;
      if (cut || closed || port == 0) {
        closeQuietly(client);
        continue;
      }
      try {
        Socket upstream = new Socket(InetAddress.getLoopbackAddress(), port);
        client.setTcpNoDelay(true);
        upstream.setTcpNoDelay(true);
        open.add(client);
        open.add(upstream);
        connections.incrementAndGet();
        pipe(client, upstream, Direction.TO_TARGET);
        pipe(upstream, client, Direction.FROM_TARGET);
        if (cut) {
          // Cut while connecting: the cut must not miss this connection.
          closeQuietly(client);
          closeQuietly(upstream);
        }
      } catch (IOException e) {
        // The target refused: the client sees a closed connection, as it would without a proxy.
        closeQuietly(client);
      }
    }
  }

  /** A chunk of data in flight, and when it is due at the other end; length -1 ends the data. */
  private static final class Chunk {
    final byte[] data;
    final int length;
    final long dueNanos;

    Chunk(byte[] data, int length, long dueNanos) {
      this.data = data;
      this.length = length;
      this.dueNanos = dueNanos;
    }
  }

  /** The end of a direction's data: the reader saw end-of-stream or an error. */
  private static final Chunk END = new Chunk(new byte[0], -1, 0);

  private void pipe(Socket from, Socket to, Direction direction) {
    BlockingQueue<Chunk> inFlight = new ArrayBlockingQueue<>(IN_FLIGHT_CHUNKS);
    Thread reader =
        new Thread(
            () -> {
              try {
                InputStream in = from.getInputStream();
                while (true) {
                  byte[] buffer = new byte[CHUNK_BYTES];
                  int n = in.read(buffer);
                  if (n < 0) {
                    break;
                  }
                  inFlight.put(new Chunk(buffer, n, System.nanoTime() + latencyNanos));
                }
              } catch (IOException e) {
                // The other side closed, or the proxy cut the connection.
              } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
              } finally {
                // The writer delivers what is in flight, then closes both ends; with a full queue
                // the connection is closed at once.
                if (!inFlight.offer(END)) {
                  closeQuietly(from);
                  closeQuietly(to);
                }
              }
            },
            "loopback-proxy-"
                + name
                + "-"
                + direction.name().toLowerCase(java.util.Locale.ROOT)
                + "-read");
    Thread writer =
        new Thread(
            () -> {
              try {
                OutputStream out = to.getOutputStream();
                while (true) {
                  Chunk c = inFlight.take();
                  if (c.length < 0) {
                    break;
                  }
                  long wait = c.dueNanos - System.nanoTime();
                  while (wait > 0) {
                    LockSupport.parkNanos(wait);
                    wait = c.dueNanos - System.nanoTime();
                  }
                  while (blocked == direction && !to.isClosed()) {
                    Thread.sleep(10);
                  }
                  out.write(c.data, 0, c.length);
                  out.flush();
                }
              } catch (IOException e) {
                // The other side closed, or the proxy cut the connection.
              } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
              } finally {
                closeQuietly(from);
                closeQuietly(to);
              }
            },
            "loopback-proxy-"
                + name
                + "-"
                + direction.name().toLowerCase(java.util.Locale.ROOT)
                + "-write");
    reader.setDaemon(true);
    writer.setDaemon(true);
    reader.start();
    writer.start();
  }

  private void closeQuietly(Socket s) {
    open.remove(s);
    try {
      s.close();
    } catch (IOException e) {
      // Closing a socket that is already gone.
    }
  }
}
