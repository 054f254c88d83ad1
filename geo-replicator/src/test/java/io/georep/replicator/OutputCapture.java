package io.georep.replicator;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

/**
 * Keeps a copy of what this JVM prints to {@code System.out} and {@code System.err} (the agents'
 * slf4j-simple log among it) while still printing it, for tests that check what was logged.
 */
final class OutputCapture implements AutoCloseable {
  private final PrintStream originalOut = System.out;
  private final PrintStream originalErr = System.err;
  private final ByteArrayOutputStream copy = new ByteArrayOutputStream();

  private OutputCapture() {
    System.setOut(new PrintStream(new Tee(originalOut, copy), true, StandardCharsets.UTF_8));
    System.setErr(new PrintStream(new Tee(originalErr, copy), true, StandardCharsets.UTF_8));
  }

  /**
   * Starts copying.
   *
   * @return the capture; {@link #close()} restores the streams
   */
  static OutputCapture start() {
    return new OutputCapture();
  }

  /**
   * Returns what was printed since the start.
   *
   * @return the text
   */
  String text() {
    synchronized (copy) {
      return copy.toString(StandardCharsets.UTF_8);
    }
  }

  /** Restores the original streams. */
  @Override
  public void close() {
    System.setOut(originalOut);
    System.setErr(originalErr);
  }

  /** Writes to the original stream and to the copy. */
  private static final class Tee extends OutputStream {
    private final OutputStream first;
    private final OutputStream second;

    Tee(OutputStream first, OutputStream second) {
      this.first = first;
      this.second = second;
    }

    @Override
    public void write(int b) throws IOException {
      first.write(b);
      synchronized (second) {
        second.write(b);
      }
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
      first.write(b, off, len);
      synchronized (second) {
        second.write(b, off, len);
      }
    }
  }
}
