/**
 * The PostgreSQL connector. For now it holds {@link
 * io.georep.connectors.postgres.PostgresSchemaCatalog}, the live schema that publication files are
 * validated and planned against.
 */
package io.georep.connectors.postgres;
