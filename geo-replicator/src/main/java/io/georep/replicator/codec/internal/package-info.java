/**
 * The wire codec's implementation: the frame, the Avro envelope and the column vectors. May change
 * at any time; use {@link io.georep.replicator.codec.BatchCodec}.
 */
package io.georep.replicator.codec.internal;
