package io.georep.connectors.postgres;

import io.georep.connectors.postgres.internal.capture.TruncateTriggers;
import io.georep.publication.Publication;
import java.util.List;

/**
 * The SQL of the {@code georep_truncate} trigger the capture puts on every published table (a
 * TRUNCATE replicates as the deletes of its rows, or is refused where the publications leave
 * truncate out: docs/conflicts.md, "Truncate"), for {@code georep publication plan}.
 */
public final class PostgresTruncateTriggers {
  private PostgresTruncateTriggers() {}

  /**
   * Returns the statements that create the trigger on every table of the publications.
   *
   * @param publications the publications; never null
   * @return two statements per table (create, enable always), without semicolons
   */
  public static List<String> statements(List<Publication> publications) {
    return TruncateTriggers.statements(publications);
  }
}
