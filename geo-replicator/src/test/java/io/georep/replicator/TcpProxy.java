package io.georep.replicator;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A loopback TCP proxy for fault tests: forwards every connection to a target port; {@link #cut()}
 * closes every open connection and refuses new ones (accepted and closed at once) until {@link
 * #heal()}; {@link #block(Direction)} is a one-way partition: the bytes of one direction are held
 * (the connections stay open, as with packets lost one way and retransmitted) until {@link
 * #heal()}. Runs on daemon threads; {@link #close()} stops it.
 */
final class TcpProxy implements AutoCloseable {
  private final ServerSocket server;
  private final int target;
  private final List<Socket> open = new CopyOnWriteArrayList<>();
  private volatile boolean cut;
  private volatile Direction blocked;

  /** A direction of the proxied traffic. */
  enum Direction {
    /** From the client (an agent) to the target (the broker). */
    TO_TARGET,
    /** From the target back to the client. */
    FROM_TARGET
  }

  private volatile boolean closed;

  TcpProxy(int port, int target) throws IOException {
    this.server = new ServerSocket();
    this.server.setReuseAddress(true);
    this.server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port));
    this.target = target;
    Thread accept = new Thread(this::accept, "tcp-proxy-" + port);
    accept.setDaemon(true);
    accept.start();
  }

  private void accept() {
    while (!closed) {
      try {
        Socket client = server.accept();
        if (cut) {
          client.close();
          continue;
        }
        Socket upstream = new Socket(InetAddress.getLoopbackAddress(), target);
        open.add(client);
        open.add(upstream);
        pipe(client, upstream, Direction.TO_TARGET);
        pipe(upstream, client, Direction.FROM_TARGET);
      } catch (IOException e) {
        if (closed) {
          return;
        }
      }
    }
  }

  private void pipe(Socket from, Socket to, Direction direction) {
    Thread t =
        new Thread(
            () -> {
              byte[] buffer = new byte[64 << 10];
              try (InputStream in = from.getInputStream();
                  OutputStream out = to.getOutputStream()) {
                int n;
                while ((n = in.read(buffer)) >= 0) {
                  while (blocked == direction && !from.isClosed()) {
                    Thread.sleep(10);
                  }
                  out.write(buffer, 0, n);
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
            "tcp-proxy-pipe");
    t.setDaemon(true);
    t.start();
  }

  private void closeQuietly(Socket s) {
    open.remove(s);
    try {
      s.close();
    } catch (IOException e) {
      // Closing a socket that is already gone.
    }
  }

  /** Cuts the link: closes every connection and refuses new ones. */
  void cut() {
    cut = true;
    for (Socket s : open) {
      closeQuietly(s);
    }
  }

  /** Holds the bytes of one direction (a one-way partition) until {@link #heal()}. */
  void block(Direction direction) {
    blocked = direction;
  }

  /** Heals the link: new connections are accepted and held bytes flow again. */
  void heal() {
    cut = false;
    blocked = null;
  }

  @Override
  public void close() throws IOException {
    closed = true;
    cut();
    server.close();
  }
}
