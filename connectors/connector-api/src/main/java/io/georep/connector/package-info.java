/**
 * The change model shared by every georep module: what a connector captures, what crosses regions
 * and what an applier writes.
 *
 * <p>A {@link io.georep.connector.SourceTransaction} is one committed transaction of one origin
 * region: its identity {@code (origin, seq)}, its hybrid-logical-clock commit timestamp, its causal
 * context and its {@link io.georep.connector.RowChange}s. Each row change refers to the {@link
 * io.georep.connector.TableSchema} it was captured under, so a change is interpretable on its own:
 * which columns exist, their {@link io.georep.connector.ColumnType}s, nullability and which of them
 * form the key.
 *
 * <p>Every type here is an immutable value with value equality, validated when constructed: an
 * instance that exists is consistent with its schema. Invalid arguments are rejected with {@link
 * java.lang.IllegalArgumentException} (and null references with {@link
 * java.lang.NullPointerException}) naming the table and column. Messages never include row data,
 * which may be personal data.
 */
package io.georep.connector;
