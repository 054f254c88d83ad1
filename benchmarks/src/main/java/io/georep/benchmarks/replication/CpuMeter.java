package io.georep.benchmarks.replication;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;

/**
 * CPU time of processes from Linux's {@code /proc/<pid>/stat} (user + system, in clock ticks of 10
 * ms). A PostgreSQL server's CPU is its postmaster's own and reaped children's time plus the time
 * of its live children, so it only grows, also across backends that exit.
 */
final class CpuMeter {
  private static final long NANOS_PER_TICK = 10_000_000L; // CLK_TCK = 100 on Linux

  private CpuMeter() {}

  /**
   * Returns a process's CPU time so far.
   *
   * @param pid the process
   * @param withChildren whether to add the time of its reaped children
   * @return nanoseconds, or 0 if the process is gone
   */
  static long processNanos(long pid, boolean withChildren) {
    long[] f = stat(pid);
    if (f == null) {
      return 0;
    }
    long ticks = f[1] + f[2] + (withChildren ? f[3] + f[4] : 0);
    return ticks * NANOS_PER_TICK;
  }

  /**
   * Returns the postmaster pid of the server a connection is on (the parent of its backend).
   *
   * @param c a connection
   * @return the postmaster's pid
   * @throws SQLException if the backend's pid cannot be read
   */
  static long postmasterOf(Connection c) throws SQLException {
    long backend = Workload.queryLong(c, "SELECT pg_backend_pid()");
    long[] f = stat(backend);
    if (f == null) {
      throw new IllegalStateException(
          "cannot read /proc/" + backend + "/stat: the benchmark needs Linux's /proc");
    }
    return f[0];
  }

  /**
   * Returns the CPU time of a PostgreSQL server: the postmaster with its reaped children, plus
   * every live child.
   *
   * @param postmaster the postmaster's pid
   * @return nanoseconds
   */
  static long serverNanos(long postmaster) {
    long total = processNanos(postmaster, true);
    try (DirectoryStream<Path> procs = Files.newDirectoryStream(Path.of("/proc"), "[0-9]*")) {
      for (Path p : procs) {
        long pid = Long.parseLong(p.getFileName().toString());
        long[] f = stat(pid);
        if (f != null && f[0] == postmaster) {
          total += (f[1] + f[2]) * NANOS_PER_TICK;
        }
      }
    } catch (IOException e) {
      throw new java.io.UncheckedIOException("cannot list /proc", e);
    }
    return total;
  }

  /** Returns {ppid, utime, stime, cutime, cstime} of a process, or null if it is gone. */
  private static long[] stat(long pid) {
    String line;
    try {
      line = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
    } catch (IOException e) {
      return null;
    }
    // The command name (field 2) may contain spaces; fields after the last ')' are fixed.
    String[] f = line.substring(line.lastIndexOf(')') + 2).trim().split(" ", -1);
    // f[0] is field 3 (state): ppid is field 4, utime 14, stime 15, cutime 16, cstime 17.
    return new long[] {
      Long.parseLong(f[1]),
      Long.parseLong(f[11]),
      Long.parseLong(f[12]),
      Long.parseLong(f[13]),
      Long.parseLong(f[14])
    };
  }
}
