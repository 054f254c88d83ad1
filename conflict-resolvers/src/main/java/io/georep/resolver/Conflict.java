package io.georep.resolver;

import io.georep.connector.RowKey;
import io.georep.connector.TableId;
import io.georep.connector.spi.ConflictReport;
import io.georep.resolver.spi.Version;
import io.georep.vectorclock.Dot;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * What happened when an incoming write met a concurrent version of the same row: the record the
 * applier writes to {@code georep.conflict_log} and counts in the conflict metrics.
 *
 * <p>A conflict record is a deterministic function of the stored row state, the incoming write and
 * the table's policy, so two regions that detect the conflict between the same stored version and
 * the same incoming write produce equal records. Which regions detect a given pair of concurrent
 * writes depends on arrival order (a region that receives both after a third write superseded one
 * of them detects nothing), and the two origin regions see the pair with local and remote swapped;
 * {@link #id()} names the pair independently of that orientation. Immutable and thread-safe.
 *
 * @param type what kind of conflict; never null
 * @param table the row's table; never null
 * @param key the row's key; never null
 * @param local the concurrent version already stored; never null
 * @param remote the incoming write; never null
 * @param winner whose version the row now shows; never null
 * @param resolver the name of the resolver (or resolvers, comma-separated) that decided; never null
 * @param columns the columns both versions wrote, in table order; empty when none; copied
 * @param keptLoser the losing version, when the resolver keeps losers ({@code keep-both}) and one
 *     version lost outright; else empty
 */
public record Conflict(
    ConflictType type,
    TableId table,
    RowKey key,
    Version local,
    Version remote,
    Winner winner,
    String resolver,
    List<String> columns,
    Optional<Version> keptLoser)
    implements ConflictReport {

  /** Whose version the row shows after the conflict. */
  public enum Winner {
    /** The stored (local) version won: the incoming write lost its contested part. */
    LOCAL,
    /** The incoming (remote) write won. */
    REMOTE,
    /** Both contributed: different columns kept, CRDT columns merged, or a merged value. */
    MERGED
  }

  /** Validates the record and copies the column list. */
  public Conflict {
    Objects.requireNonNull(type, "type");
    Objects.requireNonNull(table, "table");
    Objects.requireNonNull(key, "key");
    Objects.requireNonNull(local, "local");
    Objects.requireNonNull(remote, "remote");
    Objects.requireNonNull(winner, "winner");
    Objects.requireNonNull(resolver, "resolver");
    columns = List.copyOf(columns);
    Objects.requireNonNull(keptLoser, "keptLoser");
  }

  /**
   * Returns the type's stable tag ({@link ConflictType#tag()}).
   *
   * @return the tag
   */
  @Override
  public String typeTag() {
    return type.tag();
  }

  /**
   * Returns an identity of the pair of concurrent writes that does not depend on which one was
   * local: the two dots in dot order, such as {@code eu-west:17~us-east:42}. Use it to count
   * distinct conflicts across regions.
   *
   * @return the identity; never null
   */
  public String id() {
    Dot a = local.dot();
    Dot b = remote.dot();
    return a.compareTo(b) <= 0 ? a + "~" + b : b + "~" + a;
  }

  /** Returns the type, table, dots, winner and resolver, never row values. */
  @Override
  public String toString() {
    return type.tag()
        + " on "
        + table
        + ": local "
        + local.dot()
        + ", remote "
        + remote.dot()
        + ", winner "
        + winner
        + " by "
        + resolver
        + (columns.isEmpty() ? "" : " on columns " + columns)
        + (keptLoser.isPresent() ? ", loser " + keptLoser.get().dot() + " kept" : "");
  }
}
