/** Implementation of the publication module: row-filter SQL, text positions, names. May change. */
package io.georep.publication.internal;
