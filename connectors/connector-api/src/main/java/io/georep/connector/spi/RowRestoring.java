package io.georep.connector.spi;

import io.georep.connector.RowKey;
import io.georep.connector.TableId;
import io.georep.connector.Value;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * An applier capability ({@code georep repair}): makes table rows show their replicated state
 * again, discarding changes made to them behind georep's back. A row's replicated state is the
 * merge of every write georep knows of, so a region whose state holds the same writes as another's
 * shows the same row afterwards, counters and sets included (they are restored as states, not
 * corrected by deltas).
 */
public interface RowRestoring {
  /**
   * What a restore did, or would do, to one row.
   *
   * @param key the row's key
   * @param outcome what happened
   * @param before the table row before (empty: absent)
   * @param after the table row after: what its state shows (empty: absent)
   */
  record Restored(
      RowKey key,
      Outcome outcome,
      Optional<Map<String, Value>> before,
      Optional<Map<String, Value>> after) {
    /** What happened to a row. */
    public enum Outcome {
      /** The table row showed its state: nothing to do. */
      CONSISTENT,
      /** The table row changed while the restore waited for the capture: left alone. */
      CHANGED_SINCE,
      /** The table row was (or, in a dry run, would be) made to show its state again. */
      RESTORED
    }
  }

  /**
   * Restores rows of one table: reads each row's version, waits until this region's capture has
   * folded every local transaction committed before (so that a write georep knows of is never
   * discarded), then, in one transaction that the capture does not ship, makes every row still as
   * read show its state, and logs each row restored in the conflict log as a {@code repair}.
   *
   * @param table the table, published in this region
   * @param keys the rows
   * @param apply whether to write; false: a dry run, rolled back
   * @param captureName the name of this region's capture ({@link RegionDatabase#captureName})
   * @param captureWait how long to wait for the capture
   * @return per row, what was (or would be) done, in key order given
   * @throws IllegalStateException if the table is not published here, or the capture did not get
   *     there in time (its agent is not running)
   */
  List<Restored> restore(
      TableId table, List<RowKey> keys, boolean apply, String captureName, Duration captureWait);

  /**
   * Names the latest write georep merged into each row: its dot and hybrid timestamp, such as
   * {@code eu-west:2417 at 2026-12-07T10:15:02.113Z+0@eu-west}. Reads only.
   *
   * @param table the table, published in this region
   * @param keys the rows
   * @return per row with replicated state, its latest write; rows without state are absent
   * @throws IllegalStateException if the table is not published here or has no key
   */
  Map<RowKey, String> versions(TableId table, List<RowKey> keys);
}
