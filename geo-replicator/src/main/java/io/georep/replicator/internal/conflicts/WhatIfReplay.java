package io.georep.replicator.internal.conflicts;

import io.georep.connector.TableId;
import io.georep.connector.TableSchema;
import io.georep.connector.spi.Connector;
import io.georep.connector.spi.LoggedConflict;
import io.georep.resolver.Conflict;
import io.georep.resolver.ConflictType;
import io.georep.resolver.WhatIf;
import io.georep.resolver.spi.ConflictResolver;
import io.georep.resolver.spi.Version;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.function.Function;

/**
 * Replays logged conflicts under another resolver ({@link WhatIf}) and reports which outcomes would
 * change. Reads nothing but the log and the tables' schemas; writes nothing.
 */
public final class WhatIfReplay {
  private WhatIfReplay() {}

  /**
   * One conflict whose outcome would change.
   *
   * @param conflict the logged row
   * @param replayed the winner under the other resolver: local, remote or merged
   */
  public record Change(LoggedConflict conflict, String replayed) {}

  /**
   * One conflict the replay could not decide, and why.
   *
   * @param conflict the logged row
   * @param reason what stood in the way
   */
  public record Skipped(LoggedConflict conflict, String reason) {}

  /**
   * The outcome of a replay.
   *
   * @param resolver the resolver replayed under
   * @param replayed conflicts replayed
   * @param changes the conflicts whose winner would change, in log order
   * @param skipped the conflicts that could not be replayed, in log order
   * @param byType changed outcomes per conflict type, sorted by type
   */
  public record Report(
      String resolver,
      int replayed,
      List<Change> changes,
      List<Skipped> skipped,
      Map<String, Integer> byType) {}

  /**
   * Replays conflicts.
   *
   * @param conflicts the logged conflicts
   * @param resolver the resolver to replay under
   * @param schemas each table's schema now, or empty if it is gone or has no key
   * @param connector the database's connector, which parses logged values
   * @return the report
   */
  public static Report run(
      List<LoggedConflict> conflicts,
      ConflictResolver resolver,
      Function<TableId, Optional<TableSchema>> schemas,
      Connector connector) {
    List<Change> changes = new ArrayList<>();
    List<Skipped> skipped = new ArrayList<>();
    Map<String, Integer> byType = new TreeMap<>();
    int replayed = 0;
    for (LoggedConflict c : conflicts) {
      Optional<ConflictType> type = type(c.type());
      if (type.isEmpty()) {
        skipped.add(new Skipped(c, "unknown conflict type '" + c.type() + "'"));
        continue;
      }
      Optional<TableSchema> table = schemas.apply(c.table());
      if (table.isEmpty()) {
        skipped.add(new Skipped(c, "table " + c.table() + " does not exist or has no key now"));
        continue;
      }
      Conflict.Winner winner;
      try {
        Version local = LoggedVersions.parse(c.local(), table.get(), connector);
        Version remote = LoggedVersions.parse(c.remote(), table.get(), connector);
        winner = WhatIf.winner(resolver, table.get(), type.get(), c.columns(), local, remote);
      } catch (RuntimeException e) {
        skipped.add(new Skipped(c, e.getMessage()));
        continue;
      }
      replayed++;
      String replayedWinner = winner.name().toLowerCase(Locale.ROOT);
      if (!replayedWinner.equals(c.winner())) {
        changes.add(new Change(c, replayedWinner));
        byType.merge(c.type(), 1, Integer::sum);
      }
    }
    return new Report(resolver.name(), replayed, changes, skipped, byType);
  }

  private static Optional<ConflictType> type(String tag) {
    for (ConflictType t : ConflictType.values()) {
      if (t.tag().equals(tag)) {
        return Optional.of(t);
      }
    }
    return Optional.empty();
  }
}
