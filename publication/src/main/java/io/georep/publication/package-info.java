/**
 * Publication files: the parsed model ({@link io.georep.publication.Publication} and the records
 * under it), parsing with exact positions ({@link io.georep.publication.PublicationParser}),
 * validation against a live schema ({@link io.georep.publication.PublicationValidator}) and
 * planning into native PostgreSQL publications ({@link io.georep.publication.PublicationPlanner}).
 * Problems are reported as {@link io.georep.publication.PublicationException}.
 */
package io.georep.publication;
