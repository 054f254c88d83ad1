package io.georep.replicator.internal.verify;

import java.io.PrintWriter;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Compares published tables across regions while applications write ({@code georep verify}):
 *
 * <ol>
 *   <li>every region waits until it has applied what every region had committed when the check
 *       began (a merged session token, {@code georep.wait_for}): the common causal point;
 *   <li>without a load bound, every region first hashes the whole table (one scan); equal digests
 *       end the table's check;
 *   <li>otherwise each table is split into chunks of keys by the first region's key order; every
 *       region hashes the chunk at once with the others (a row count and the XOR of its rows'
 *       64-bit hashes) in its database, so only a digest per chunk crosses the network;
 *   <li>a chunk whose digests differ is compared row by row (key and row hash);
 *   <li>rows that differ are re-checked at a new causal point, up to {@code rounds} times: those
 *       that were only in flight settle; the rest are reported with every region's values.
 * </ol>
 *
 * Tables without a key are compared whole, as multisets of rows. Not thread-safe; one run.
 *
 * <p>About 700 lines: the causal point, the chunk loop, the re-check rounds and the row reads share
 * the regions, their connections and the thread that queries each region at once; the seam to split
 * along is the SQL of one region's reads (chunk digest, bound, row hashes and values), which would
 * become a class per database once another connector is verified.
 */
public final class Verifier implements AutoCloseable {
  /** What to check and how hard to load the databases. */
  public record Options(
      int chunkRows, long maxRowsPerSecond, Duration settleTimeout, int rounds, int maxReported) {}

  /** One region's connection. */
  public record Region(String name, Connection connection) {}

  /**
   * One row that differs: its key, each region's row as JSON (null where it is missing) and, where
   * georep holds state for it, the latest write it merged (its row version).
   *
   * @param key the key values, as text
   * @param rows per region, the row as JSON, or null
   * @param versions per region, the latest write merged into the row (regions without state absent)
   */
  public record Difference(
      List<String> key, Map<String, String> rows, Map<String, String> versions) {
    /**
     * Returns this difference with each region's row version.
     *
     * @param byRegion per region, the latest write georep merged into the row (absent: none)
     * @return the difference with versions
     */
    public Difference withVersions(Map<String, String> byRegion) {
      return new Difference(key, rows, Map.copyOf(byRegion));
    }
  }

  /**
   * The outcome for one table.
   *
   * @param table {@code schema.table}
   * @param rows rows compared (in the first region)
   * @param chunks chunks compared
   * @param status one of: identical; rows differ (the text is "different"); unsettled (rows written
   *     during every re-check, neither shown equal nor different); missing; schema differs; skipped
   * @param detail what differs, for the statuses other than identical
   * @param differences the rows that differ (at most {@code maxReported})
   * @param differing how many rows differ (0 for a table without a key: its rows are not listed)
   * @param settled rows that differed at first and agreed on a re-check (writes in flight)
   */
  public record TableResult(
      String table,
      long rows,
      int chunks,
      String status,
      String detail,
      List<Difference> differences,
      int differing,
      int settled) {
    /** Whether every region holds the same rows. */
    public boolean identical() {
      return status.equals("identical");
    }
  }

  private final List<Region> regions;
  private final Options options;
  private final PrintWriter progress;

  /** Keys per query when candidate rows are read again. */
  private static final int RECHECK_BATCH = 500;

  /** One thread per region: each region's query of a step runs at once with the others'. */
  private final ExecutorService perRegion;

  private long scanned;
  private final long started = System.nanoTime();

  /**
   * Creates a verifier.
   *
   * @param regions the regions, the first one's key order splits the chunks
   * @param options the options
   * @param progress where progress lines go
   */
  public Verifier(List<Region> regions, Options options, PrintWriter progress) {
    this.regions = List.copyOf(regions);
    this.options = Objects.requireNonNull(options);
    this.progress = progress;
    AtomicInteger threads = new AtomicInteger();
    this.perRegion =
        Executors.newFixedThreadPool(
            this.regions.size(),
            r -> {
              Thread t = new Thread(r, "verify-region-" + threads.incrementAndGet());
              t.setDaemon(true);
              return t;
            });
  }

  /** A query of one region. */
  @FunctionalInterface
  private interface RegionQuery<T> {
    T run(Region region) throws SQLException;
  }

  /**
   * Runs a query in every region at once, each on its own connection.
   *
   * @return the results in region order
   */
  private <T> List<T> inEveryRegion(RegionQuery<T> query) throws SQLException {
    List<Future<T>> running = new ArrayList<>();
    for (Region r : regions) {
      running.add(perRegion.submit(() -> query.run(r)));
    }
    List<T> out = new ArrayList<>();
    SQLException failed = null;
    for (Future<T> f : running) {
      try {
        out.add(f.get());
      } catch (ExecutionException e) {
        if (failed == null) {
          failed =
              e.getCause() instanceof SQLException sql
                  ? sql
                  : new SQLException(String.valueOf(e.getCause()), e.getCause());
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new SQLException("interrupted", e);
      }
    }
    if (failed != null) {
      throw failed;
    }
    return out;
  }

  /** Stops the per-region threads. */
  @Override
  public void close() {
    perRegion.shutdownNow();
  }

  /**
   * Waits until every region has applied what every region had committed now.
   *
   * @return how long it took, or a message naming the region that did not get there in time
   * @throws SQLException if a region cannot be asked
   */
  public String causalPoint() throws SQLException {
    long t0 = System.nanoTime();
    List<String> tokens = new ArrayList<>();
    for (Region r : regions) {
      try {
        tokens.add(one(r.connection(), "SELECT georep.session_token()"));
      } catch (SQLException e) {
        if ("3F000".equals(e.getSQLState()) || "42883".equals(e.getSQLState())) {
          throw new SQLException(
              "region "
                  + r.name()
                  + "'s database has no georep schema (or an old one without"
                  + " georep.session_token): verify compares regions whose agents have run; start"
                  + " its agent once ("
                  + e.getMessage().lines().findFirst().orElse("")
                  + ")",
              e.getSQLState(),
              e);
        }
        throw e;
      }
    }
    String merged;
    try (PreparedStatement q =
        regions.get(0).connection().prepareStatement("SELECT georep.merge_tokens(VARIADIC ?)")) {
      q.setArray(1, regions.get(0).connection().createArrayOf("text", tokens.toArray()));
      try (ResultSet rs = q.executeQuery()) {
        rs.next();
        merged = rs.getString(1);
      }
    }
    for (Region r : regions) {
      try (PreparedStatement q =
          r.connection().prepareStatement("SELECT georep.wait_for(?, ?::interval)")) {
        q.setString(1, merged);
        q.setString(2, options.settleTimeout().toMillis() + " milliseconds");
        q.execute();
      } catch (SQLException e) {
        if ("GR001".equals(e.getSQLState()) || "GR002".equals(e.getSQLState())) {
          return "region "
              + r.name()
              + " did not reach the common point within "
              + options.settleTimeout().toSeconds()
              + " s ("
              + e.getMessage()
              + "); rows in flight are re-checked";
        }
        throw e;
      }
    }
    return String.format(Locale.ROOT, "reached in %.1f s", (System.nanoTime() - t0) / 1e9);
  }

  /**
   * Compares one table in every region.
   *
   * @param shapes the table's shape in each region (null where the table is missing)
   * @return the outcome
   * @throws SQLException if a region cannot be read
   */
  public TableResult verify(Map<String, TableShape> shapes) throws SQLException {
    TableShape first = shapes.get(regions.get(0).name());
    String table = first.display();
    for (Region r : regions) {
      TableShape s = shapes.get(r.name());
      if (s == null) {
        return new TableResult(table, 0, 0, "missing", "no table in " + r.name(), List.of(), 0, 0);
      }
      if (!s.columns().equals(first.columns()) || !s.keys().equals(first.keys())) {
        return new TableResult(
            table,
            0,
            0,
            "schema differs",
            regions.get(0).name()
                + " has "
                + first.columns()
                + " keyed by "
                + first.keys().stream().map(TableShape.Key::name).toList()
                + ", "
                + r.name()
                + " has "
                + s.columns()
                + " keyed by "
                + s.keys().stream().map(TableShape.Key::name).toList(),
            List.of(),
            0,
            0);
      }
    }
    return first.keys().isEmpty() ? keyless(first) : keyed(first);
  }

  private TableResult keyless(TableShape t) throws SQLException {
    String sql =
        "SELECT count(*), coalesce(sum(h::numeric), 0)::text FROM (SELECT "
            + t.rowHash()
            + " AS h FROM "
            + t.sql()
            + ") s";
    Map<String, String> digests = new LinkedHashMap<>();
    List<Object[]> each =
        inEveryRegion(
            r -> {
              try (PreparedStatement q = r.connection().prepareStatement(sql);
                  ResultSet rs = q.executeQuery()) {
                rs.next();
                return new Object[] {rs.getLong(1), rs.getString(2)};
              }
            });
    for (int i = 0; i < regions.size(); i++) {
      digests.put(regions.get(i).name(), each.get(i)[0] + " rows, digest " + each.get(i)[1]);
    }
    long rows = (Long) each.get(0)[0];
    throttle(rows);
    boolean same = new LinkedHashSet<>(digests.values()).size() == 1;
    return new TableResult(
        t.display(),
        rows,
        1,
        same ? "identical" : "different",
        same ? "" : "a table without a key, compared as a multiset of rows: " + digests,
        List.of(),
        0,
        0);
  }

  private TableResult keyed(TableShape t) throws SQLException {
    if (options.maxRowsPerSecond() == 0) {
      // Unbounded: the whole table's digest first, one scan per region, all at once. Equal
      // digests end it (the usual case); otherwise the chunk walk below finds the rows.
      List<Object[]> whole = inEveryRegion(r -> chunkDigest(r.connection(), t, null, null, false));
      Set<String> distinct = new LinkedHashSet<>();
      whole.forEach(d -> distinct.add(d[0] + "/" + d[1]));
      long rows = (Long) whole.get(0)[0];
      throttle(rows);
      if (distinct.size() == 1) {
        return new TableResult(t.display(), rows, 1, "identical", "", List.of(), 0, 0);
      }
      progress.printf(
          Locale.ROOT,
          "  %s: the whole table's digests differ; comparing by chunks%n",
          t.display());
      progress.flush();
    }
    List<List<String>> differing = new ArrayList<>();
    List<String> lo = null;
    int chunks = 0;
    long rows = 0;
    long lastReport = System.nanoTime();
    List<String> hi = boundary(t, lo);
    while (true) {
      chunks++;
      Map<String, Object[]> digests = new LinkedHashMap<>();
      List<String> from = lo;
      List<String> to = hi;
      Region first = regions.get(0);
      // The first region also finds the next chunk's upper key, in the same query.
      List<Object[]> each =
          inEveryRegion(
              r -> chunkDigest(r.connection(), t, from, to, r.equals(first) && to != null));
      for (int i = 0; i < regions.size(); i++) {
        digests.put(regions.get(i).name(), each.get(i));
      }
      long chunkRows = (Long) digests.get(regions.get(0).name())[0];
      rows += chunkRows;
      throttle(chunkRows);
      Set<String> distinct = new LinkedHashSet<>();
      digests.values().forEach(d -> distinct.add(d[0] + "/" + d[1]));
      if (distinct.size() > 1) {
        differing.addAll(rowDifferences(t, lo, hi));
      }
      if (System.nanoTime() - lastReport > 2_000_000_000L) {
        lastReport = System.nanoTime();
        progress.printf(
            Locale.ROOT,
            "  %s: %,d rows in %,d chunks, %,d rows/s%n",
            t.display(),
            rows,
            chunks,
            Math.round(scanned / Math.max(1e-3, (System.nanoTime() - started) / 1e9)));
        progress.flush();
      }
      if (hi == null) {
        break;
      }
      lo = hi;
      hi = nextBoundary(each.get(0));
    }
    int found = differing.size();
    // A row diverged when its regions disagree in two consecutive re-checks with nothing changed
    // in between; one whose rows keep changing is in flight (written during every re-check).
    Map<List<String>, List<String>> last = new LinkedHashMap<>();
    List<List<String>> remaining = differing;
    List<List<String>> diverged = new ArrayList<>();
    for (int round = 0; round < options.rounds() && !remaining.isEmpty(); round++) {
      causalPoint();
      List<List<String>> still = new ArrayList<>();
      List<List<String>> candidates = remaining;
      List<Map<List<String>, String>> each = inEveryRegion(r -> hashes(r, t, candidates));
      for (List<String> key : remaining) {
        List<String> hashes = new ArrayList<>();
        for (Map<List<String>, String> region : each) {
          hashes.add(String.valueOf(region.get(key)));
        }
        if (new LinkedHashSet<>(hashes).size() == 1) {
          last.remove(key);
        } else if (hashes.equals(last.get(key))) {
          diverged.add(key);
        } else {
          last.put(key, hashes);
          still.add(key);
        }
      }
      remaining = still;
    }
    List<List<String>> unsettled = remaining;
    remaining = diverged;
    List<Difference> report = new ArrayList<>();
    for (List<String> key : remaining) {
      if (report.size() >= options.maxReported()) {
        break;
      }
      Map<String, String> byRegion = new LinkedHashMap<>();
      for (Region r : regions) {
        byRegion.put(r.name(), rowJson(r.connection(), t, key));
      }
      report.add(new Difference(key, byRegion, Map.of()));
    }
    List<String> unsettledKeys = new ArrayList<>();
    for (List<String> key : unsettled) {
      unsettledKeys.add(String.join(", ", key));
    }
    String status =
        !remaining.isEmpty() ? "different" : !unsettled.isEmpty() ? "unsettled" : "identical";
    return new TableResult(
        t.display(),
        rows,
        chunks,
        status,
        switch (status) {
          case "different" ->
              remaining.size()
                  + " rows differ"
                  + (unsettled.isEmpty()
                      ? ""
                      : "; " + unsettled.size() + " rows were written during every re-check");
          case "unsettled" ->
              unsettled.size()
                  + " rows were written during every re-check, keys "
                  + unsettledKeys
                  + ": run verify again, or with more --rounds";
          default -> "";
        },
        report,
        remaining.size(),
        found - remaining.size() - unsettled.size());
  }

  /** The upper key of the chunk after {@code lo} (inclusive), or null when it runs to the end. */
  private List<String> boundary(TableShape t, List<String> lo) throws SQLException {
    String sql =
        "SELECT "
            + t.keyTexts()
            + " FROM "
            + t.sql()
            + (lo == null ? "" : " WHERE " + t.keyTuple() + " > " + t.paramTuple())
            + " ORDER BY "
            + t.orderBy()
            + " OFFSET ? LIMIT 1";
    try (PreparedStatement q = regions.get(0).connection().prepareStatement(sql)) {
      int i = bind(q, 1, lo);
      q.setInt(i, options.chunkRows() - 1);
      try (ResultSet rs = q.executeQuery()) {
        if (!rs.next()) {
          return null;
        }
        return keyOf(rs, t.keys().size());
      }
    }
  }

  private String range(TableShape t, List<String> lo, List<String> hi) {
    List<String> where = new ArrayList<>();
    if (lo != null) {
      where.add(t.keyTuple() + " > " + t.paramTuple());
    }
    if (hi != null) {
      where.add(t.keyTuple() + " <= " + t.paramTuple());
    }
    return where.isEmpty() ? "" : " WHERE " + String.join(" AND ", where);
  }

  /**
   * A chunk's row count and digest in one region; with {@code next}, also the upper key of the
   * chunk after it (null when that one runs to the end), as {@link #boundary} finds it.
   */
  private Object[] chunkDigest(
      Connection c, TableShape t, List<String> lo, List<String> hi, boolean next)
      throws SQLException {
    String sql =
        "SELECT count(*), coalesce(bit_xor(h), 0)::text"
            + (next
                ? ", (SELECT ARRAY["
                    + t.keys().stream()
                        .map(k -> TableShape.quote(k.name()) + "::text")
                        .collect(java.util.stream.Collectors.joining(", "))
                    + "] FROM "
                    + t.sql()
                    + " WHERE "
                    + t.keyTuple()
                    + " > "
                    + t.paramTuple()
                    + " ORDER BY "
                    + t.orderBy()
                    + " OFFSET ? LIMIT 1)"
                : "")
            + " FROM (SELECT "
            + t.rowHash()
            + " AS h FROM "
            + t.sql()
            + range(t, lo, hi)
            + ") s";
    try (PreparedStatement q = c.prepareStatement(sql)) {
      int i = 1;
      if (next) {
        i = bind(q, i, hi);
        q.setInt(i++, options.chunkRows() - 1);
      }
      bind(q, bind(q, i, lo), hi);
      try (ResultSet rs = q.executeQuery()) {
        rs.next();
        if (!next) {
          return new Object[] {rs.getLong(1), rs.getString(2)};
        }
        java.sql.Array a = rs.getArray(3);
        return new Object[] {
          rs.getLong(1), rs.getString(2), a == null ? null : List.of((String[]) a.getArray())
        };
      }
    }
  }

  /** The next chunk's upper key that the first region's digest query found (null: to the end). */
  @SuppressWarnings("unchecked")
  private static List<String> nextBoundary(Object[] firstRegion) {
    return firstRegion.length > 2 ? (List<String>) firstRegion[2] : null;
  }

  private List<List<String>> rowDifferences(TableShape t, List<String> lo, List<String> hi)
      throws SQLException {
    String sql =
        "SELECT "
            + t.keyTexts()
            + ", "
            + t.rowHash()
            + " FROM "
            + t.sql()
            + range(t, lo, hi)
            + " ORDER BY "
            + t.orderBy();
    List<Map<List<String>, String>> each =
        inEveryRegion(
            r -> {
              Map<List<String>, String> hashes = new LinkedHashMap<>();
              try (PreparedStatement q = r.connection().prepareStatement(sql)) {
                bind(q, bind(q, 1, lo), hi);
                try (ResultSet rs = q.executeQuery()) {
                  int n = t.keys().size();
                  while (rs.next()) {
                    hashes.put(keyOf(rs, n), rs.getString(n + 1));
                  }
                }
              }
              return hashes;
            });
    Map<List<String>, Map<String, String>> byKey = new LinkedHashMap<>();
    for (int i = 0; i < regions.size(); i++) {
      String name = regions.get(i).name();
      each.get(i)
          .forEach(
              (key, hash) ->
                  byKey.computeIfAbsent(key, k -> new LinkedHashMap<>()).put(name, hash));
    }
    List<List<String>> out = new ArrayList<>();
    byKey.forEach(
        (key, hashes) -> {
          if (hashes.size() != regions.size() || new LinkedHashSet<>(hashes.values()).size() > 1) {
            out.add(key);
          }
        });
    return out;
  }

  /**
   * Reads each region's row with a key.
   *
   * @param t the table's shape
   * @param key the key values, as text
   * @return per region, the row as JSON, or null where it is missing
   * @throws SQLException if a region cannot be read
   */
  public Map<String, String> rows(TableShape t, List<String> key) throws SQLException {
    Map<String, String> out = new LinkedHashMap<>();
    for (Region r : regions) {
      out.put(r.name(), rowJson(r.connection(), t, key));
    }
    return out;
  }

  /**
   * Tells whether every region holds the same row with a key (or none has it), compared as verify
   * compares rows.
   *
   * @param t the table's shape
   * @param key the key values, as text
   * @return true if they agree
   * @throws SQLException if a region cannot be read
   */
  public boolean agree(TableShape t, List<String> key) throws SQLException {
    Set<String> hashes = new LinkedHashSet<>();
    for (Region r : regions) {
      hashes.add(String.valueOf(rowHash(r.connection(), t, key)));
    }
    return hashes.size() == 1;
  }

  /** Each key's row hash in one region (keys it lacks are absent), in batches of keys. */
  private static Map<List<String>, String> hashes(Region r, TableShape t, List<List<String>> keys)
      throws SQLException {
    Map<List<String>, String> out = new LinkedHashMap<>();
    int n = t.keys().size();
    for (int from = 0; from < keys.size(); from += RECHECK_BATCH) {
      List<List<String>> batch = keys.subList(from, Math.min(keys.size(), from + RECHECK_BATCH));
      String sql =
          "SELECT "
              + t.keyTexts()
              + ", "
              + t.rowHash()
              + " FROM "
              + t.sql()
              + " WHERE "
              + t.keyTuple()
              + " IN ("
              + String.join(", ", java.util.Collections.nCopies(batch.size(), t.paramTuple()))
              + ")";
      try (PreparedStatement q = r.connection().prepareStatement(sql)) {
        int i = 1;
        for (List<String> key : batch) {
          i = bind(q, i, key);
        }
        try (ResultSet rs = q.executeQuery()) {
          while (rs.next()) {
            out.put(keyOf(rs, n), rs.getString(n + 1));
          }
        }
      }
    }
    return out;
  }

  private String rowHash(Connection c, TableShape t, List<String> key) throws SQLException {
    return rowValue(c, t, t.rowHash(), key);
  }

  private String rowJson(Connection c, TableShape t, List<String> key) throws SQLException {
    return rowValue(c, t, "to_jsonb(r)::text", key);
  }

  /** One expression over the row with a key, or null where the region has no such row. */
  private String rowValue(Connection c, TableShape t, String expression, List<String> key)
      throws SQLException {
    String sql =
        "SELECT "
            + expression
            + " FROM "
            + t.sql()
            + " r WHERE "
            + t.keyTuple()
            + " = "
            + t.paramTuple();
    try (PreparedStatement q = c.prepareStatement(sql)) {
      bind(q, 1, key);
      try (ResultSet rs = q.executeQuery()) {
        return rs.next() ? rs.getString(1) : null;
      }
    }
  }

  private void throttle(long rows) {
    scanned += rows;
    if (options.maxRowsPerSecond() <= 0) {
      return;
    }
    double due = (double) scanned / options.maxRowsPerSecond();
    double elapsed = (System.nanoTime() - started) / 1e9;
    if (due > elapsed) {
      try {
        Thread.sleep((long) ((due - elapsed) * 1000));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }

  private static int bind(PreparedStatement q, int from, List<String> key) throws SQLException {
    if (key == null) {
      return from;
    }
    for (String v : key) {
      q.setString(from++, v);
    }
    return from;
  }

  private static List<String> keyOf(ResultSet rs, int n) throws SQLException {
    List<String> key = new ArrayList<>(n);
    for (int i = 1; i <= n; i++) {
      key.add(rs.getString(i));
    }
    return key;
  }

  private static String one(Connection c, String sql) throws SQLException {
    try (PreparedStatement q = c.prepareStatement(sql);
        ResultSet rs = q.executeQuery()) {
      rs.next();
      return rs.getString(1);
    }
  }
}
