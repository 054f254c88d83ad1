/**
 * The conflict resolver SPI: what a custom resolver plugin implements ({@link
 * io.georep.resolver.spi.ConflictResolver}) and the values it receives and returns.
 *
 * <p>A resolver is a pure, deterministic choice function over the set of concurrent versions of a
 * row (or of one column of a row). Every region calls it with the same set, in whatever order the
 * writes arrived there, so it must depend only on that set, never on time, randomness, the local
 * region or mutable state. See {@link io.georep.resolver.spi.ConflictResolver} for the contract and
 * {@code docs/conflicts.md} for how to package a plugin.
 */
package io.georep.resolver.spi;
