package io.georep.testkit;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The loopback proxy against a real echo server on loopback. */
class LoopbackProxyTest {
  private ServerSocket echo;
  private LoopbackProxy proxy;

  @BeforeEach
  void startEcho() throws IOException {
    echo = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
    Thread t =
        new Thread(
            () -> {
              while (!echo.isClosed()) {
                try {
                  Socket s = echo.accept();
                  Thread c =
                      new Thread(
                          () -> {
                            try (s;
                                InputStream in = s.getInputStream();
                                OutputStream out = s.getOutputStream()) {
                              in.transferTo(out);
                            } catch (IOException e) {
                              // The client or the proxy closed the connection.
                            }
                          });
                  c.setDaemon(true);
                  c.start();
                } catch (IOException e) {
                  return;
                }
              }
            });
    t.setDaemon(true);
    t.start();
  }

  @AfterEach
  void stop() throws IOException {
    if (proxy != null) {
      proxy.close();
    }
    echo.close();
  }

  private Socket connect() throws IOException {
    Socket s = new Socket(InetAddress.getLoopbackAddress(), proxy.port());
    // A bound on a test that would otherwise hang; not a timing assertion.
    s.setSoTimeout(30_000);
    return s;
  }

  private static String roundTrip(Socket s, String text) throws IOException {
    byte[] data = text.getBytes(UTF_8);
    s.getOutputStream().write(data);
    s.getOutputStream().flush();
    return new String(s.getInputStream().readNBytes(data.length), UTF_8);
  }

  @Test
  void forwardTo_forwardsBothWays() throws IOException {
    proxy = LoopbackProxy.start("test", echo.getLocalPort());

    try (Socket s = connect()) {
      assertThat(roundTrip(s, "hello")).isEqualTo("hello");
      assertThat(roundTrip(s, "again")).isEqualTo("again");
    }
    assertThat(proxy.connectionsForwarded()).isEqualTo(1);
    assertThat(proxy.address()).isEqualTo("127.0.0.1:" + proxy.port());
  }

  @Test
  void open_withoutTarget_refusesUntilForwardTo() throws IOException {
    proxy = LoopbackProxy.open("test");
    try (Socket s = connect()) {
      assertThat(s.getInputStream().read()).isEqualTo(-1);
    }

    proxy.forwardTo(echo.getLocalPort());
    try (Socket s = connect()) {
      assertThat(roundTrip(s, "now")).isEqualTo("now");
    }
  }

  @Test
  void cut_closesOpenConnectionsAndRefusesNewOnes_healRestores() throws IOException {
    proxy = LoopbackProxy.start("test", echo.getLocalPort());
    Socket before = connect();
    assertThat(roundTrip(before, "up")).isEqualTo("up");

    proxy.cut();

    assertThat(proxy.isCut()).isTrue();
    assertThat(readOrReset(before)).isEqualTo(-1);
    before.close();
    try (Socket during = connect()) {
      assertThat(readOrReset(during)).isEqualTo(-1);
    }

    proxy.heal();

    assertThat(proxy.isCut()).isFalse();
    try (Socket after = connect()) {
      assertThat(roundTrip(after, "back")).isEqualTo("back");
    }
  }

  /** Reads one byte; a connection reset counts as closed. */
  private static int readOrReset(Socket s) throws IOException {
    try {
      return s.getInputStream().read();
    } catch (SocketException e) {
      return -1;
    }
  }

  @Test
  void latency_keepsEveryByteInOrder() throws IOException {
    proxy = LoopbackProxy.start("test", echo.getLocalPort());
    proxy.latency(Duration.ofMillis(20));
    byte[] data = new byte[1 << 20];
    new SplittableRandom(42).nextBytes(data);

    try (Socket s = connect()) {
      Thread writer =
          new Thread(
              () -> {
                try {
                  OutputStream out = s.getOutputStream();
                  for (int at = 0; at < data.length; at += 1000) {
                    out.write(data, at, Math.min(1000, data.length - at));
                  }
                  out.flush();
                } catch (IOException e) {
                  throw new java.io.UncheckedIOException(e);
                }
              });
      writer.start();
      byte[] back = s.getInputStream().readNBytes(data.length);
      assertThat(Arrays.equals(back, data)).isTrue();
    }
    assertThat(proxy.latency()).isEqualTo(Duration.ofMillis(20));
  }

  @Test
  void latency_outOfRange_isRejected() {
    proxy = LoopbackProxy.open("test");

    assertThatThrownBy(() -> proxy.latency(Duration.ofSeconds(11)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("0 to 10 s");
    assertThatThrownBy(() -> proxy.forwardTo(0))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("1 to 65535");
  }

  @Test
  void close_isIdempotent_andClosesOpenConnections() throws IOException {
    proxy = LoopbackProxy.start("test", echo.getLocalPort());
    Socket open = connect();
    assertThat(roundTrip(open, "up")).isEqualTo("up");

    proxy.close();
    proxy.close();

    assertThat(readOrReset(open)).isEqualTo(-1);
    open.close();
  }

  @Test
  void block_holdsOneDirectionWithTheConnectionOpen_healDeliversWhatWasHeld() throws IOException {
    proxy = LoopbackProxy.start("test", echo.getLocalPort());
    try (Socket s = connect()) {
      assertThat(roundTrip(s, "before")).isEqualTo("before");

      proxy.block(LoopbackProxy.Direction.TO_TARGET);
      s.getOutputStream().write("held".getBytes(UTF_8));
      s.getOutputStream().flush();
      s.setSoTimeout(500);
      assertThatThrownBy(() -> s.getInputStream().read())
          .as("no echo while the way to the target is blocked")
          .isInstanceOf(SocketTimeoutException.class);
      assertThat(proxy.toString()).contains("TO_TARGET blocked");

      proxy.heal();
      s.setSoTimeout(30_000);
      assertThat(new String(s.getInputStream().readNBytes(4), UTF_8)).isEqualTo("held");
    }
  }

  @Test
  void open_onAGivenPort_bindsIt() throws IOException {
    int port;
    try (ServerSocket free = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      port = free.getLocalPort();
    }
    proxy = LoopbackProxy.open("test", port);
    proxy.forwardTo(echo.getLocalPort());

    assertThat(proxy.port()).isEqualTo(port);
    try (Socket s = connect()) {
      assertThat(roundTrip(s, "there")).isEqualTo("there");
    }
  }
}
