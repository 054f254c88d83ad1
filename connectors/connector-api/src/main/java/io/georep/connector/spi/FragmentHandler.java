package io.georep.connector.spi;

import io.georep.connector.SourceTransaction;

/**
 * A {@link TransactionHandler} that can take a large transaction in consecutive fragments, so that
 * a source never holds a whole large transaction in memory.
 *
 * <p>A capability: a source checks whether its handler implements this interface. A source hands a
 * transaction whose change count exceeds its fragment size as consecutive calls of {@link
 * #onFragment}, with {@code index} 0, 1, 2, … and {@code last} true on the final one; no other call
 * intervenes. Every fragment carries the transaction's origin, {@code seq}, commit timestamp and
 * causal context, and the next slice of its changes in commit order; concatenated, their changes
 * are the transaction's. Smaller transactions still arrive through {@link #onTransaction}. The
 * fragments form one atomic transaction: receivers must apply all of them or none, and {@link
 * ChangeSource#acknowledge} covers the transaction only once every fragment is durable. After a
 * restart a source may deliver the fragments again from index 0, identical.
 *
 * <p>A handler that does not implement this interface receives every transaction whole.
 */
public interface FragmentHandler extends TransactionHandler {
  /**
   * Receives the next fragment of a large transaction.
   *
   * @param fragment the transaction's identity, timestamp and context with the next slice of its
   *     changes; never null
   * @param index the fragment's position in the transaction, from 0
   * @param last whether this is the transaction's final fragment
   */
  void onFragment(SourceTransaction fragment, int index, boolean last);
}
