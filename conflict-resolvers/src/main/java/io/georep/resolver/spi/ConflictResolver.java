package io.georep.resolver.spi;

/**
 * A conflict resolver: a named, deterministic choice between concurrent versions of a row or of a
 * column. The built-ins ({@code lww}, {@code first-writer-wins}, ...) and custom plugins implement
 * it; publication files name it ({@code custom:<name>} for plugins).
 *
 * <h2>Contract</h2>
 *
 * <ul>
 *   <li>{@link #resolve} is a <strong>pure, deterministic function of the set of versions</strong>:
 *       the same set must give the same answer in every region, on every call, whatever the list
 *       order, the local region, the time or any state. It may read the versions' values, dots,
 *       hybrid timestamps, origins and tombstone flags and the table schema, nothing else. A
 *       resolver that breaks this makes regions diverge permanently.
 *   <li>It must also be <em>stable under removal of losers</em> where possible (if {@code a} wins
 *       over {@code {a, b, c}}, it should win over {@code {a, b}}), so that outcomes do not flip as
 *       concurrent writes are superseded; every built-in is.
 *   <li>It is called only when at least two concurrent versions exist; a single version always wins
 *       without a call. For a row decision it returns {@link Resolution.Chosen} (the chosen
 *       version's tombstone flag decides whether the row exists); for a column decision it returns
 *       {@link Resolution.Chosen} or {@link Resolution.Merged} with a value the column accepts.
 *   <li>It must not throw for valid input; an exception, or a result that names no version of the
 *       set, stops the table's apply with an error naming the resolver (a poison row, never a
 *       silent divergence).
 * </ul>
 *
 * <h2>Lifecycle</h2>
 *
 * Plugins are found with {@link java.util.ServiceLoader}: list the class in {@code
 * META-INF/services/io.georep.resolver.spi.ConflictResolver} and give it a public no-argument
 * constructor. The agent creates one instance at start-up and calls it from several apply threads
 * at once, so implementations must be thread-safe (stateless is best).
 */
public interface ConflictResolver {
  /**
   * Returns the resolver's stable name, the one publication files use after {@code custom:}: 1 or
   * more of {@code [A-Za-z0-9._-]}, starting with a letter or digit. It must never change between
   * releases of the plugin, since configuration refers to it.
   *
   * @return the name; never null
   */
  String name();

  /**
   * Chooses between concurrent versions.
   *
   * @param conflict the concurrent versions, at least two; never null
   * @return the decision; never null
   */
  Resolution resolve(ConflictSet conflict);

  /**
   * Tells whether the losing version of a conflict is kept for manual resolution: the applier
   * writes it to {@code georep.conflict_log} with the conflict (as {@code keep-both} does). The
   * default keeps nothing beyond the ordinary conflict record.
   *
   * @return true to keep losers
   */
  default boolean keepsLosers() {
    return false;
  }
}
