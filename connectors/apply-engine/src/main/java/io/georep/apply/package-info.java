/**
 * The database-independent apply algorithm: how one replicated write becomes the local row.
 *
 * <p>{@link io.georep.apply.ApplyEngine} folds the local writes a row received since it was last
 * synchronised, merges the remote write ({@link io.georep.resolver.RowMerge}), decides what to
 * write back, resolves unique-key clashes ({@link io.georep.resolver.UniqueClashPolicy}) and
 * applies the parent-deleted rule. Everything a database does — locks, reading rows and their
 * metadata, telling which local transaction wrote a row, SQL — is behind {@link
 * io.georep.apply.RowStore}, which a connector implements once per database transaction.
 */
package io.georep.apply;
