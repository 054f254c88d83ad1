package io.georep.connectors.postgres.internal.capture;

import io.georep.connector.SpillFiles;
import io.georep.connectors.postgres.CaptureException;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The raw pgoutput messages of one transaction between {@code Begin} and {@code Commit}, held until
 * the commit decides what the transaction is (an apply transaction is dropped whole, wherever its
 * mark appears in it), in bounded memory.
 *
 * <p>Messages are kept as copies of their bytes in memory until the transaction's bytes exceed the
 * spill threshold; then all of them, and every later one, go to a temporary file (length-prefixed
 * records), which {@link #replay} reads back in order and {@link #clear} deletes. Memory is
 * therefore bounded by the threshold whatever the transaction's size. The files of an agent that
 * was killed are removed by the next agent that spills to the directory ({@link SpillFiles}).
 * Confined to the capture thread.
 */
public final class TransactionBuffer implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(TransactionBuffer.class);

  /** Receives replayed messages. */
  @FunctionalInterface
  public interface Consumer {
    /**
     * Receives one message's bytes.
     *
     * @param message the bytes; valid only during the call
     */
    void accept(ByteBuffer message);
  }

  private final long thresholdBytes;
  private final Path directory;
  private final List<byte[]> memory = new ArrayList<>();
  private long memoryBytes;
  private Path file;
  private DataOutputStream out;
  private int count;

  /**
   * Creates an empty buffer.
   *
   * @param thresholdBytes bytes kept in memory before spilling
   * @param directory where spill files go
   */
  public TransactionBuffer(long thresholdBytes, Path directory) {
    this.thresholdBytes = thresholdBytes;
    this.directory = directory;
  }

  /**
   * Appends a message.
   *
   * @param message the message bytes from position to limit; not retained
   */
  public void add(ByteBuffer message) {
    byte[] copy = new byte[message.remaining()];
    message.duplicate().get(copy);
    count++;
    try {
      if (out == null && memoryBytes + copy.length > thresholdBytes) {
        SpillFiles.Created created = SpillFiles.create(directory, "georep-tx-", ".spill");
        if (!created.removed().isEmpty()) {
          LOG.info(
              "removed {} transaction spill file(s) left behind by agents that are no longer"
                  + " running: {}",
              created.removed().size(),
              created.removed());
        }
        file = created.file();
        out = new DataOutputStream(new BufferedOutputStream(Files.newOutputStream(file), 1 << 16));
        for (byte[] held : memory) {
          write(held);
        }
        memory.clear();
        memoryBytes = 0;
      }
      if (out != null) {
        write(copy);
      } else {
        memory.add(copy);
        memoryBytes += copy.length;
      }
    } catch (IOException e) {
      throw new CaptureException(
          "cannot spill a large transaction to "
              + directory
              + " ("
              + e.getMessage()
              + "); free disk space there or set source.postgres.spill.directory",
          e);
    }
  }

  private void write(byte[] bytes) throws IOException {
    out.writeInt(bytes.length);
    out.write(bytes);
  }

  /**
   * Returns whether the transaction spilled to disk.
   *
   * @return true once the threshold was exceeded
   */
  public boolean spilled() {
    return file != null;
  }

  /**
   * Returns the number of messages held.
   *
   * @return the count
   */
  public int size() {
    return count;
  }

  /**
   * Replays every message in order.
   *
   * @param consumer receives each message
   */
  public void replay(Consumer consumer) {
    if (file == null) {
      for (byte[] bytes : memory) {
        consumer.accept(ByteBuffer.wrap(bytes).asReadOnlyBuffer());
      }
      return;
    }
    try {
      out.flush();
      try (DataInputStream in =
          new DataInputStream(new BufferedInputStream(Files.newInputStream(file), 1 << 16))) {
        byte[] scratch = new byte[8192];
        for (int i = 0; i < count; i++) {
          int length = in.readInt();
          if (length > scratch.length) {
            scratch = new byte[Math.max(length, scratch.length * 2)];
          }
          in.readFully(scratch, 0, length);
          consumer.accept(ByteBuffer.wrap(scratch, 0, length).asReadOnlyBuffer());
        }
      }
    } catch (EOFException e) {
      throw new CaptureException("spill file " + file + " is truncated; was it modified?", e);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read spill file " + file, e);
    }
  }

  /** Forgets every message and deletes the spill file, ready for the next transaction. */
  public void clear() {
    memory.clear();
    memoryBytes = 0;
    count = 0;
    if (file != null) {
      try {
        out.close();
        Files.deleteIfExists(file);
      } catch (IOException e) {
        throw new UncheckedIOException("cannot delete spill file " + file, e);
      } finally {
        out = null;
        file = null;
      }
    }
  }

  /** Deletes the spill file, if any. Idempotent. */
  @Override
  public void close() {
    clear();
  }
}
