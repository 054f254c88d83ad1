package io.georep.resolver.internal;

import io.georep.connector.Value;
import io.georep.crdt.ElementCodec;
import io.georep.vectorclock.encoding.CompactReader;
import io.georep.vectorclock.encoding.CompactWriter;

/**
 * The elements of array columns as the {@code crdt} module's sets hold them: encoded by {@link
 * ValueCodec}, ordered by {@link ValueOrder}, so that a set column's state is one of the {@code
 * crdt} types and encodes as the rest of a row state does. Stateless and thread-safe.
 */
public final class ValueElements implements ElementCodec<Value> {
  /** The one instance. */
  public static final ValueElements INSTANCE = new ValueElements();

  private ValueElements() {}

  @Override
  public void write(Value element, CompactWriter out) {
    ValueCodec.write(element, out);
  }

  @Override
  public Value read(CompactReader in) {
    return ValueCodec.read(in);
  }

  @Override
  public int compare(Value a, Value b) {
    return ValueOrder.INSTANCE.compare(a, b);
  }
}
