package io.georep.connector.spi;

import io.georep.connector.TableId;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * One row of a region's conflict log, as stored: what {@code georep conflicts} and {@code
 * /api/conflicts} show. Versions are the log's JSON objects ({@code {"dot": "us-east:42", "origin":
 * "us-east", "seq": 42, "hlc": {"wall": …, "logical": …}, "kind": "update", "tombstone": false,
 * "values": {…}}}), kept as text so that nothing is lost in display. Immutable and thread-safe.
 *
 * @param id the log's sequence number, increasing in detection order
 * @param detectedAt when this region detected it
 * @param conflictId the pair of dots, the same in every region that detects it
 * @param type the conflict type's tag, such as {@code update-delete}
 * @param table the row's table
 * @param key the row's key, a JSON array
 * @param resolver the resolver (or resolvers, comma-separated) that decided
 * @param winner {@code local}, {@code remote} or {@code merged}
 * @param columns the contested columns; copied
 * @param local the stored version, JSON
 * @param remote the incoming version, JSON
 * @param keptLoser the losing version kept for manual resolution, JSON
 */
public record LoggedConflict(
    long id,
    Instant detectedAt,
    String conflictId,
    String type,
    TableId table,
    String key,
    String resolver,
    String winner,
    List<String> columns,
    String local,
    String remote,
    Optional<String> keptLoser) {
  /** Validates the row and copies the column list. */
  public LoggedConflict {
    Objects.requireNonNull(detectedAt, "detectedAt");
    Objects.requireNonNull(conflictId, "conflictId");
    Objects.requireNonNull(type, "type");
    Objects.requireNonNull(table, "table");
    Objects.requireNonNull(key, "key");
    Objects.requireNonNull(resolver, "resolver");
    Objects.requireNonNull(winner, "winner");
    columns = List.copyOf(columns);
    Objects.requireNonNull(local, "local");
    Objects.requireNonNull(remote, "remote");
    Objects.requireNonNull(keptLoser, "keptLoser");
  }
}
