package io.georep.replicator.internal.verify;

import io.georep.connector.RowKey;
import io.georep.connector.TableId;
import io.georep.connector.spi.RowRestoring;
import java.io.PrintWriter;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.function.Function;

/**
 * Makes the regions match a chosen region for named rows ({@code georep repair}): every region
 * whose table row was changed behind georep's back has the row restored to its replicated state
 * ({@link RowRestoring}), which, at a common causal point, holds the same writes as the chosen
 * region's; rows whose difference is not such a change (states that differ, a chosen region that
 * was itself changed behind georep's back) are reported, not touched.
 *
 * <p>Not thread-safe; one run.
 */
public final class Repairer {
  /**
   * One region: its verifier connection, its applier's restore, and its capture's name.
   *
   * @param name the region
   * @param restorer its applier
   * @param captureName its capture (replication slot)
   */
  public record Region(String name, RowRestoring restorer, String captureName) {}

  /**
   * What became of one named row.
   *
   * @param key the key values, as text
   * @param status {@code identical} (nothing to do), {@code repaired}, {@code would repair} (a dry
   *     run), or why it was not: {@code source changed}, {@code changed since}, {@code states
   *     differ}, {@code still differs}
   * @param detail what to do about a row not repaired; empty otherwise
   * @param actions per region, what the restore did or would do ({@code restored}, {@code
   *     consistent}, {@code changed since}); absent for regions not asked
   * @param before per region, the row as JSON before (null: missing)
   * @param after per region, the row as JSON after an applied repair; empty in a dry run
   */
  public record RowResult(
      List<String> key,
      String status,
      String detail,
      Map<String, String> actions,
      Map<String, String> before,
      Map<String, String> after) {}

  private final Verifier verifier;
  private final List<Region> regions;
  private final String source;
  private final boolean apply;
  private final Duration captureWait;
  private final PrintWriter progress;

  /**
   * Creates a repairer.
   *
   * @param verifier the verifier over the same regions (reads and compares rows)
   * @param regions every region
   * @param source the region the others are made to match
   * @param apply whether to write; false: a dry run
   * @param captureWait how long each region's capture may take to fold its local writes
   * @param progress where progress lines go
   */
  public Repairer(
      Verifier verifier,
      List<Region> regions,
      String source,
      boolean apply,
      Duration captureWait,
      PrintWriter progress) {
    this.verifier = Objects.requireNonNull(verifier);
    this.regions = List.copyOf(regions);
    this.source = Objects.requireNonNull(source);
    this.apply = apply;
    this.captureWait = Objects.requireNonNull(captureWait);
    this.progress = Objects.requireNonNull(progress);
  }

  /**
   * Repairs named rows of one table.
   *
   * @param table the table
   * @param shape its shape (as verify compares it)
   * @param keys the rows' keys, as text
   * @param parse turns a key as text into the connector's key
   * @return per key, what became of it
   * @throws SQLException if a region cannot be read
   */
  public List<RowResult> repair(
      TableId table,
      TableShape shape,
      List<List<String>> keys,
      Function<List<String>, RowKey> parse)
      throws SQLException {
    Map<List<String>, Map<String, String>> before = new LinkedHashMap<>();
    Map<List<String>, RowResult> results = new LinkedHashMap<>();
    List<List<String>> differing = new ArrayList<>();
    for (List<String> key : new LinkedHashSet<>(keys)) {
      Map<String, String> rows = verifier.rows(shape, key);
      before.put(key, rows);
      if (verifier.agree(shape, key)) {
        results.put(key, new RowResult(key, "identical", "", Map.of(), rows, Map.of()));
      } else {
        differing.add(key);
      }
    }
    if (differing.isEmpty()) {
      return new ArrayList<>(results.values());
    }
    Map<RowKey, List<String>> byRowKey = new LinkedHashMap<>();
    for (List<String> key : differing) {
      byRowKey.put(parse.apply(key), key);
    }
    Map<List<String>, Map<String, String>> actions = new LinkedHashMap<>();
    differing.forEach(k -> actions.put(k, new LinkedHashMap<>()));
    // The chosen region must itself show its state: a row changed behind georep's back there is
    // not what the other regions hold, and cannot be restored into them.
    Region from = region(source);
    Set<List<String>> sourceChanged = new LinkedHashSet<>();
    for (RowRestoring.Restored r :
        from.restorer()
            .restore(
                table, List.copyOf(byRowKey.keySet()), false, from.captureName(), captureWait)) {
      List<String> key = byRowKey.get(r.key());
      actions.get(key).put(source, word(r.outcome()));
      if (r.outcome() == RowRestoring.Restored.Outcome.RESTORED) {
        sourceChanged.add(key);
      }
    }
    List<RowKey> targets = new ArrayList<>();
    byRowKey.forEach(
        (rowKey, key) -> {
          if (!sourceChanged.contains(key)) {
            targets.add(rowKey);
          }
        });
    for (Region r : regions) {
      if (r.name().equals(source) || targets.isEmpty()) {
        continue;
      }
      progress.println(
          "  "
              + shape.display()
              + ": "
              + (apply ? "restoring " : "checking ")
              + targets.size()
              + " rows in "
              + r.name());
      progress.flush();
      for (RowRestoring.Restored done :
          r.restorer().restore(table, targets, apply, r.captureName(), captureWait)) {
        actions.get(byRowKey.get(done.key())).put(r.name(), word(done.outcome()));
      }
    }
    if (apply) {
      verifier.causalPoint();
    }
    for (List<String> key : differing) {
      Map<String, String> did = actions.get(key);
      String status;
      String detail;
      Map<String, String> after = Map.of();
      if (sourceChanged.contains(key)) {
        status = "source changed";
        detail =
            source
                + "'s own row was changed behind georep's back: repair "
                + source
                + " from another region first, or write the row through the application";
      } else if (did.containsValue("changed since")) {
        status = "changed since";
        detail = "the row was written while repair ran; run verify and repair again";
      } else if (!did.containsValue("restored")) {
        status = "states differ";
        detail =
            "no region's row was changed behind georep's back, yet they differ: writes in flight"
                + " (run verify again) or a region missing writes (georep resync REGION)";
      } else if (!apply) {
        status = "would repair";
        detail = "";
      } else {
        after = verifier.rows(shape, key);
        boolean same = verifier.agree(shape, key);
        status = same ? "repaired" : "still differs";
        detail =
            same
                ? ""
                : "restored, yet the regions' states differ: writes in flight (run verify again)"
                    + " or a region missing writes (georep resync REGION)";
      }
      results.put(key, new RowResult(key, status, detail, did, before.get(key), after));
    }
    List<RowResult> out = new ArrayList<>();
    for (List<String> key : new LinkedHashSet<>(keys)) {
      out.add(results.get(key));
    }
    return out;
  }

  private Region region(String name) {
    for (Region r : regions) {
      if (r.name().equals(name)) {
        return r;
      }
    }
    throw new IllegalArgumentException("no region " + name);
  }

  private static String word(RowRestoring.Restored.Outcome outcome) {
    return switch (outcome) {
      case CONSISTENT -> "consistent";
      case CHANGED_SINCE -> "changed since";
      case RESTORED -> "restored";
    };
  }
}
