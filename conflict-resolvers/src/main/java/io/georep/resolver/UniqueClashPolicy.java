package io.georep.resolver;

import io.georep.connector.RowKey;
import io.georep.connector.TableSchema;
import io.georep.resolver.internal.ValueOrder;
import io.georep.resolver.spi.Version;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * Decides a clash between two <em>different</em> rows (different primary keys) on a unique key
 * other than the primary key, such as two regions inserting a user with the same e-mail address.
 *
 * <p>The row merge sees one row at a time and cannot detect this; the applier does, when the
 * database rejects an apply with a unique violation. It then calls this pure function with the
 * stored row's and the incoming row's deciding versions, removes the loser (or renames its unique
 * value, per its configuration) and writes the {@link Conflict} (with the loser kept) to the
 * conflict log. Implementations must be deterministic functions of the two rows, like resolvers.
 */
public interface UniqueClashPolicy {
  /**
   * One side of a clash: the row's key and its deciding version (values should include the unique
   * columns).
   *
   * @param key the row's primary key; never null
   * @param version the row's current version; never null
   */
  record ClashingRow(RowKey key, Version version) {
    /** Validates the row. */
    public ClashingRow {
      Objects.requireNonNull(key, "key");
      Objects.requireNonNull(version, "version");
    }
  }

  /**
   * The decision: which row stays, and the conflict record to log.
   *
   * @param winner {@link Conflict.Winner#LOCAL} if the stored row stays (the incoming row is not
   *     applied), {@link Conflict.Winner#REMOTE} if the incoming row replaces it
   * @param conflict the record, of type {@link ConflictType#UNIQUE_KEY_CLASH}, with the loser kept
   */
  record Outcome(Conflict.Winner winner, Conflict conflict) {
    /** Validates the outcome. */
    public Outcome {
      Objects.requireNonNull(winner, "winner");
      Objects.requireNonNull(conflict, "conflict");
      if (winner == Conflict.Winner.MERGED) {
        throw new IllegalArgumentException("a unique key clash keeps one row, it cannot merge");
      }
    }
  }

  /**
   * Decides a clash.
   *
   * @param table the table; never null
   * @param uniqueColumns the columns of the violated unique key; never null
   * @param stored the row the database holds; never null
   * @param incoming the row being applied; never null
   * @return the decision; never null
   */
  Outcome decide(
      TableSchema table, List<String> uniqueColumns, ClashingRow stored, ClashingRow incoming);

  /**
   * Returns the default policy: the row whose version has the later hybrid timestamp stays (then
   * the greater primary key, should both rows come from one transaction), and the other row is
   * removed and kept in the conflict log.
   *
   * @return the policy; stateless and thread-safe
   */
  static UniqueClashPolicy lastWriterWins() {
    return (table, uniqueColumns, stored, incoming) -> {
      int c = incoming.version().timestamp().compareTo(stored.version().timestamp());
      if (c == 0) {
        c = compareKeys(incoming.key(), stored.key());
      }
      Conflict.Winner winner = c > 0 ? Conflict.Winner.REMOTE : Conflict.Winner.LOCAL;
      Version loser = winner == Conflict.Winner.REMOTE ? stored.version() : incoming.version();
      return new Outcome(
          winner,
          new Conflict(
              ConflictType.UNIQUE_KEY_CLASH,
              table.id(),
              incoming.key(),
              stored.version(),
              incoming.version(),
              winner,
              "lww",
              uniqueColumns,
              Optional.of(loser)));
    };
  }

  private static int compareKeys(RowKey a, RowKey b) {
    for (int i = 0; i < Math.min(a.size(), b.size()); i++) {
      int c = ValueOrder.INSTANCE.compare(a.get(i), b.get(i));
      if (c != 0) {
        return c;
      }
    }
    return Integer.compare(a.size(), b.size());
  }
}
