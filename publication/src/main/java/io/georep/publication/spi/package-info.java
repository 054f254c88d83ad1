/**
 * Interfaces the database connectors implement for publication validation and planning: the live
 * {@link io.georep.publication.spi.SchemaCatalog} and the table descriptions it returns.
 */
package io.georep.publication.spi;
