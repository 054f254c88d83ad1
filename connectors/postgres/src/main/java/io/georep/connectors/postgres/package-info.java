/**
 * The PostgreSQL connector: {@link io.georep.connectors.postgres.PostgresSchemaCatalog}, the live
 * schema that publication files are validated and planned against; {@link
 * io.georep.connectors.postgres.PostgresChangeSource}, capture with {@code pgoutput} logical
 * decoding, configured by {@link io.georep.connectors.postgres.PostgresSourceConfig}; and {@link
 * io.georep.connectors.postgres.ApplyMark}, the echo mark the applier writes into each apply
 * transaction.
 */
package io.georep.connectors.postgres;
