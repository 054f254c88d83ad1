package io.georep.replicator.internal;

import io.georep.connector.ColumnSchema;
import io.georep.connector.RowChange;
import io.georep.connector.ScalarType;
import io.georep.connector.SourceTransaction;
import io.georep.connector.TableId;
import io.georep.connector.TableSchema;
import io.georep.connector.Value;
import io.georep.vectorclock.HybridTimestamp;
import io.georep.vectorclock.ReplicaId;
import io.georep.vectorclock.VersionVector;
import java.util.List;
import java.util.Map;

/** Transactions of a chosen size, for the byte bounds (shipping permits, apply window). */
public final class SizedTransactions {
  private static final ReplicaId ORIGIN = ReplicaId.of("here");
  private static final TableSchema T =
      TableSchema.of(
          TableId.of("public", "t"),
          List.of(
              ColumnSchema.key("id", ScalarType.INT4, 1),
              ColumnSchema.of("v", ScalarType.TEXT, true)));

  private SizedTransactions() {}

  /**
   * Returns a one-row insert whose text column holds {@code textBytes} characters.
   *
   * @param textBytes the text's length
   * @return the transaction
   */
  public static SourceTransaction tx(int textBytes) {
    RowChange insert =
        new RowChange.Insert(
            T, Map.of("id", new Value.Int4(1), "v", new Value.Text("x".repeat(textBytes))));
    return new SourceTransaction(
        ORIGIN, 10, new HybridTimestamp(10, 0, ORIGIN), VersionVector.empty(), List.of(insert));
  }
}
