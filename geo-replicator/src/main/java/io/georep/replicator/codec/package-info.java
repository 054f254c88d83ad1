/**
 * The wire codec: how a batch of source transactions crosses regions.
 *
 * <p>{@link io.georep.replicator.codec.BatchCodec} encodes a {@link
 * io.georep.replicator.codec.WireBatch} into one frame and decodes it back; decoding fails only
 * with subclasses of {@link io.georep.replicator.codec.WireFormatException}, one per way a frame
 * can be wrong. The byte layout and the evolution rule are in {@code docs/wire-format.md}.
 */
package io.georep.replicator.codec;
