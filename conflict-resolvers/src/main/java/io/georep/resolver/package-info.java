/**
 * Conflict resolution for multi-master replication: the convergent per-row merge the applier runs
 * ({@link io.georep.resolver.RowMerge}), the row metadata it keeps ({@link
 * io.georep.resolver.RowState}), table and column policies built from publication files ({@link
 * io.georep.resolver.TablePolicy}, {@link io.georep.resolver.ResolverRegistry}) and the conflict
 * records it reports ({@link io.georep.resolver.Conflict}).
 *
 * <p>The model: a row's state is a product of join-semilattices (a version vector of everything
 * merged, multi-value registers for existence and ordinary columns, and CRDTs for counter, max, min
 * and set columns), so every region that has merged the same set of writes holds the same bytes,
 * whatever the arrival order. Resolvers are deterministic read functions over the concurrent
 * versions that remain. See {@code docs/conflicts.md}.
 */
package io.georep.resolver;
