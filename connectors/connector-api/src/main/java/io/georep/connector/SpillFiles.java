package io.georep.connector;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The temporary files that hold large transactions on disk (the capture's spilled transactions, the
 * transport's fragments), named after the process that owns them, and the sweep that removes those
 * a killed process left behind.
 *
 * <h2>Design</h2>
 *
 * <p>A process deletes its spill files when a transaction is done and when the JVM exits; a process
 * killed with SIGKILL (or by the kernel's out-of-memory killer) does neither, and its files — up to
 * the size of its largest transactions — stay in the directory for good. So each file's name
 * carries its owner's process id ({@code <prefix><pid>-<random><suffix>}), and the first file a
 * process creates in a directory sweeps that directory once: a file of the same kind whose owner is
 * no longer alive ({@link ProcessHandle#of}) is deleted. A file whose owner is alive is kept,
 * whoever owns it (two agents may share a directory), and so is one whose process id was reused by
 * a live process: the sweep errs on keeping a file, never on deleting one in use.
 *
 * <p>Thread-safe.
 */
public final class SpillFiles {
  private static final Set<String> SWEPT = ConcurrentHashMap.newKeySet();

  private SpillFiles() {}

  /**
   * Creates an empty spill file owned by this process; the first call for a directory and kind
   * sweeps it ({@link #sweep}).
   *
   * @param directory the directory; must exist
   * @param prefix the kind's name prefix, such as {@code "georep-tx-"}
   * @param suffix the kind's name suffix, such as {@code ".spill"}
   * @return the new file and the files the sweep removed (empty after the first call)
   * @throws IOException if the file cannot be created
   */
  public static Created create(Path directory, String prefix, String suffix) throws IOException {
    Objects.requireNonNull(directory, "directory");
    List<Path> removed = List.of();
    if (SWEPT.add(directory.toAbsolutePath().normalize() + "\0" + prefix + "\0" + suffix)) {
      removed = sweep(directory, prefix, suffix);
    }
    Path file =
        Files.createTempFile(directory, prefix + ProcessHandle.current().pid() + "-", suffix);
    return new Created(file, removed);
  }

  /**
   * A new spill file, and what the sweep before it removed.
   *
   * @param file the new file
   * @param removed the files of processes no longer alive that were deleted
   */
  public record Created(Path file, List<Path> removed) {
    /** Copies the list. */
    public Created {
      Objects.requireNonNull(file, "file");
      removed = List.copyOf(removed);
    }
  }

  /**
   * Deletes the spill files of one kind in a directory whose owning process is not alive.
   *
   * @param directory the directory
   * @param prefix the kind's name prefix
   * @param suffix the kind's name suffix
   * @return the files deleted; files of live processes, of other kinds and with names that carry no
   *     process id are left alone
   * @throws IOException if the directory cannot be listed
   */
  public static List<Path> sweep(Path directory, String prefix, String suffix) throws IOException {
    List<Path> removed = new ArrayList<>();
    try (DirectoryStream<Path> files = Files.newDirectoryStream(directory, prefix + "*" + suffix)) {
      for (Path f : files) {
        long owner = owner(f.getFileName().toString(), prefix, suffix);
        if (owner < 0 || ProcessHandle.of(owner).isPresent()) {
          continue;
        }
        try {
          if (Files.deleteIfExists(f)) {
            removed.add(f);
          }
        } catch (NoSuchFileException e) {
          // Removed by another sweeper meanwhile.
        }
      }
    }
    return removed;
  }

  /** The process id in a spill file's name, or -1 if it carries none. */
  static long owner(String name, String prefix, String suffix) {
    if (!name.startsWith(prefix) || !name.endsWith(suffix)) {
      return -1;
    }
    String rest = name.substring(prefix.length(), name.length() - suffix.length());
    int dash = rest.indexOf('-');
    if (dash <= 0) {
      return -1;
    }
    try {
      return Long.parseLong(rest.substring(0, dash));
    } catch (NumberFormatException e) {
      return -1;
    }
  }
}
