package io.georep.replicator.internal.transport;

import io.georep.connector.SourceTransaction;
import io.georep.connector.SpillFiles;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.Objects;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The fragments of one large transaction on disk: the frames as they were shipped (wire-codec
 * frames of {@code WireBatch} fragments), appended one by one and read back one at a time, decoded,
 * as often as an apply or fold is attempted.
 *
 * <h2>Design</h2>
 *
 * <p>A transaction shipped in fragments is merged in parts, fragment by fragment, in one database
 * transaction that holds one fragment in memory ({@code PositionedApply.applyInParts} and {@code
 * LocalWriteFolding.foldInParts}). Until that database transaction commits, every fragment must
 * stay readable: an attempt that fails (a deadlock, a stamp not written yet) starts again from the
 * first fragment, and the stream's records may be long gone from the consumer's buffers. So the
 * receiver keeps the frames of a transaction it assembles here, and the shipper the frames it
 * shipped for the fold, instead of the decoded changes in the heap (what made a 1,000,000-row
 * transaction need gigabytes of heap at both ends). The frames are compressed already: the file is
 * about the size of the transaction on the wire.
 *
 * <p>One temporary file per transaction, in {@code java.io.tmpdir}, deleted by {@link #close} (when
 * the transaction is merged or abandoned) and at the latest when the JVM exits; the files of an
 * agent that was killed are removed by the next agent that spills ({@link SpillFiles}). Reads open
 * the file for each fragment, at its recorded position, so an iteration abandoned half-way holds no
 * file handle. Appending is confined to one thread; reading, after the last append, may happen on
 * another (the file's positions are published by the hand-off between the threads).
 */
public final class FragmentSpill implements Iterable<SourceTransaction>, AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(FragmentSpill.class);

  private final Path file;
  private final FileChannel out;
  private final Function<byte[], SourceTransaction> decode;
  private final List<long[]> frames = new ArrayList<>();
  private long size;
  private long changes;
  private boolean sealed;
  private volatile boolean closed;

  private FragmentSpill(Path file, FileChannel out, Function<byte[], SourceTransaction> decode) {
    this.file = file;
    this.out = out;
    this.decode = decode;
  }

  /**
   * Creates an empty spill file.
   *
   * @param decode decodes a frame into the fragment it carries (with the changes meant for this
   *     region)
   * @return the spill
   * @throws UncheckedIOException if the file cannot be created
   */
  public static FragmentSpill create(Function<byte[], SourceTransaction> decode) {
    Objects.requireNonNull(decode, "decode");
    try {
      SpillFiles.Created created =
          SpillFiles.create(
              Path.of(System.getProperty("java.io.tmpdir")), "georep-spill-", ".frames");
      if (!created.removed().isEmpty()) {
        LOG.info(
            "removed {} fragment spill file(s) left behind by agents that are no longer running: {}",
            created.removed().size(),
            created.removed());
      }
      Path file = created.file();
      file.toFile().deleteOnExit();
      return new FragmentSpill(
          file,
          FileChannel.open(file, StandardOpenOption.WRITE, StandardOpenOption.APPEND),
          decode);
    } catch (IOException e) {
      throw new UncheckedIOException(
          "cannot create a spill file for a large transaction in "
              + System.getProperty("java.io.tmpdir")
              + " (java.io.tmpdir): "
              + e.getMessage()
              + "; give the agent a writable temporary directory with room for its largest"
              + " transaction",
          e);
    }
  }

  /**
   * Appends the next fragment's frame.
   *
   * @param frame the frame, as shipped
   * @param fragmentChanges the fragment's row changes, for {@link #changes()}
   * @throws UncheckedIOException if the disk refuses it
   * @throws IllegalStateException after {@link #seal} or {@link #close}
   */
  public void append(byte[] frame, int fragmentChanges) {
    if (sealed || closed) {
      throw new IllegalStateException("spill " + file + " is " + (closed ? "closed" : "sealed"));
    }
    try {
      ByteBuffer b = ByteBuffer.wrap(frame);
      while (b.hasRemaining()) {
        out.write(b);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(
          "cannot write a large transaction's fragment to " + file + ": " + e.getMessage(), e);
    }
    frames.add(new long[] {size, frame.length});
    size += frame.length;
    changes += fragmentChanges;
  }

  /**
   * Ends appending: the file is complete and is only read from now on.
   *
   * @return this spill
   */
  public FragmentSpill seal() {
    if (!sealed) {
      sealed = true;
      try {
        out.close();
      } catch (IOException e) {
        throw new UncheckedIOException("cannot close " + file + ": " + e.getMessage(), e);
      }
    }
    return this;
  }

  /** Returns the number of fragments appended. */
  public int fragments() {
    return frames.size();
  }

  /** Returns the number of row changes appended. */
  public long changes() {
    return changes;
  }

  /** Returns the bytes on disk. */
  public long bytes() {
    return size;
  }

  /**
   * Reads the fragments back in order, decoding one at a time.
   *
   * @return the fragments
   * @throws IllegalStateException if the spill is not sealed or is closed
   */
  @Override
  public Iterator<SourceTransaction> iterator() {
    if (!sealed || closed) {
      throw new IllegalStateException("spill " + file + " is " + (closed ? "closed" : "open"));
    }
    return new Iterator<>() {
      private int next;

      @Override
      public boolean hasNext() {
        return next < frames.size();
      }

      @Override
      public SourceTransaction next() {
        if (!hasNext()) {
          throw new NoSuchElementException();
        }
        if (closed) {
          throw new IllegalStateException("spill " + file + " was closed while being read");
        }
        long[] at = frames.get(next++);
        byte[] frame = new byte[Math.toIntExact(at[1])];
        try (FileChannel in = FileChannel.open(file, StandardOpenOption.READ)) {
          ByteBuffer b = ByteBuffer.wrap(frame);
          long position = at[0];
          while (b.hasRemaining()) {
            int n = in.read(b, position);
            if (n < 0) {
              throw new IOException("the file ends at " + position + " of " + size + " bytes");
            }
            position += n;
          }
        } catch (IOException e) {
          throw new UncheckedIOException(
              "cannot read fragment " + (next - 1) + " back from " + file + ": " + e.getMessage(),
              e);
        }
        return decode.apply(frame);
      }
    };
  }

  /** Deletes the file. Idempotent. */
  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    try {
      out.close();
      Files.deleteIfExists(file);
    } catch (IOException e) {
      // A file left behind in the temporary directory is deleted when the JVM exits.
    }
  }

  @Override
  public String toString() {
    return file + " (" + frames.size() + " fragments, " + changes + " changes, " + size + " bytes)";
  }
}
