/**
 * The PostgreSQL connector: {@link io.georep.connectors.postgres.PostgresSchemaCatalog}, the live
 * schema that publication files are validated and planned against; {@link
 * io.georep.connectors.postgres.PostgresChangeSource}, capture with {@code pgoutput} logical
 * decoding, configured by {@link io.georep.connectors.postgres.PostgresSourceConfig}; {@link
 * io.georep.connectors.postgres.PostgresChangeApplier}, exactly-once apply with conflict detection
 * and resolution, configured by {@link io.georep.connectors.postgres.PostgresSinkConfig}; {@link
 * io.georep.connectors.postgres.ApplyMark}, the echo mark the applier writes into each apply
 * transaction; and {@link io.georep.connectors.postgres.InterleavedSequences} for per-region keys.
 */
package io.georep.connectors.postgres;
