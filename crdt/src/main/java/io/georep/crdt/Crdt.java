package io.georep.crdt;

import io.georep.vectorclock.encoding.CompactWriter;

/**
 * A state-based conflict-free replicated data type (CvRDT): an immutable value of a join
 * semilattice.
 *
 * <p>Replicas change their state only through the type's mutators, which inflate it, and exchange
 * states that they {@link #merge}. Because merge is the least upper bound of the lattice, it is
 * commutative, associative and idempotent, so replicas that have merged the same states hold equal
 * states whatever the order and the number of times they received them (Shapiro, Preguiça, Baquero,
 * Zawirski, "Conflict-free Replicated Data Types", SSS 2011).
 *
 * <p>Every implementation is immutable and thread-safe. Equal states have equal {@linkplain
 * #toBytes() encodings}: entries are written in a deterministic order.
 *
 * @param <T> the implementing type itself
 */
public interface Crdt<T extends Crdt<T>> {
  /**
   * Returns the least upper bound of this state and the other: a state that includes every update
   * either includes, and nothing else.
   *
   * @param other the other state; never null
   * @return the merged state; may be {@code this} or {@code other} when one already includes the
   *     other
   */
  T merge(T other);

  /**
   * Writes this state without a type tag, for embedding in a larger encoding. Each type's static
   * {@code readFrom} reads it back.
   *
   * @param out the writer; never null
   */
  void writeTo(CompactWriter out);

  /**
   * Encodes this state as a self-contained byte array: a one-byte type tag, then {@link #writeTo}.
   * Each type's static {@code fromBytes} decodes it.
   *
   * @return a new array; equal states give equal bytes
   */
  byte[] toBytes();
}
