package io.georep.apply;

import io.georep.connector.RowKey;
import io.georep.connector.TableSchema;
import io.georep.connector.Value;
import io.georep.vectorclock.VersionVector;
import java.sql.SQLException;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The rows of one database transaction, as a connector gives them to the {@link ApplyEngine}: the
 * SPI a database implements so that the apply algorithm runs on it.
 *
 * <h2>Contract</h2>
 *
 * <ul>
 *   <li><b>Locking.</b> {@link #row} locks a row against other appliers and the applications until
 *       the transaction ends, then reads its metadata and its table row; a row asked for twice is
 *       the same instance.
 *   <li><b>Local writes.</b> The store knows which writer last wrote a table row: {@link
 *       #synchronised} says whether it is still the write the applier last synchronised, and {@link
 *       #localWrite} names the local transaction that wrote (or deleted) it since. The engine
 *       merges that write before the remote one; a store that cannot name it yet throws a retriable
 *       {@link io.georep.connector.spi.ApplyRetryException}, never a guess.
 *   <li><b>Writes.</b> {@link #insert}, {@link #update} and {@link #delete} change the table row
 *       and record it as synchronised with the applier; the first two report a violated unique
 *       constraint other than the key instead of failing, with nothing written.
 *   <li><b>Metadata</b> (the states of {@link ApplyRow#dirty()} rows), progress and commit are the
 *       store's own, at the end of the transaction.
 * </ul>
 *
 * <p>Thread safety: none; one instance per database transaction, confined to its thread.
 *
 * @param <R> the store's rows
 */
public interface RowStore<R extends ApplyRow> {
  /**
   * Locks a row and reads its metadata and values; returns the row locked before, if any.
   *
   * @param table the table's schema
   * @param key the row's key
   * @return the row; never null
   * @throws SQLException on a database failure
   */
  R row(TableSchema table, RowKey key) throws SQLException;

  /**
   * Tells whether a present table row still shows what the applier last synchronised, so no local
   * transaction wrote it since.
   *
   * @param row a row with a state and a table row
   * @return true if no local write is to be folded
   */
  boolean synchronised(R row);

  /**
   * Names the local transaction that wrote the row since it was last synchronised: its writer if
   * the table row is present, else the transaction that deleted it.
   *
   * @param row the row
   * @return the local transaction's stamp, whose dot the row's state does not cover yet
   * @throws SQLException on a database failure, or an {@link
   *     io.georep.connector.spi.ApplyRetryException} when it cannot be named yet
   */
  LocalStamp localWrite(R row) throws SQLException;

  /**
   * Records that the table row's current version (or its absence) is now merged into the state.
   *
   * @param row the row
   */
  void markSynchronised(R row);

  /**
   * Returns the unique constraints of a table other than its replication key.
   *
   * @param table the table
   * @return the columns of each constraint by its name; empty if none
   */
  Map<String, List<String>> uniques(TableSchema table);

  /**
   * Inserts an absent row.
   *
   * @param row the row
   * @param columns the columns to write, keys included
   * @param values their values
   * @return the violated unique constraint of {@link #uniques}, with nothing written, or null
   * @throws SQLException on a database failure
   */
  String insert(R row, List<String> columns, List<Value> values) throws SQLException;

  /**
   * Updates columns of a present row.
   *
   * @param row the row
   * @param columns the non-key columns to change; never empty
   * @param values their values
   * @return the violated unique constraint of {@link #uniques}, with nothing written, or null
   * @throws SQLException on a database failure
   */
  String update(R row, List<String> columns, List<Value> values) throws SQLException;

  /**
   * Deletes a present row.
   *
   * @param row the row
   * @throws SQLException on a database failure
   */
  void delete(R row) throws SQLException;

  /**
   * Sends writes the store holds back, before the engine reads rows they could change.
   *
   * @throws SQLException on a database failure
   */
  void flush() throws SQLException;

  /**
   * Finds the row that holds the values a write would give a unique constraint.
   *
   * @param row the row being written
   * @param constraint the violated constraint, a key of {@link #uniques}
   * @param values the values the row is to show, by column name
   * @return the other row's key; empty if it is not visible to this transaction
   * @throws SQLException on a database failure
   */
  Optional<RowKey> clashingRow(R row, String constraint, Map<String, Value> values)
      throws SQLException;

  /**
   * Returns the foreign keys of a table: those it has ({@code references}) or those of other tables
   * that reference it.
   *
   * @param table the table
   * @param referencing true for the keys of tables that reference it, false for its own
   * @return the keys; empty if none
   */
  List<ForeignKey> foreignKeys(TableSchema table, boolean referencing);

  /**
   * Returns the parent row a child write references if that parent was deleted concurrently with
   * the write (the parent-deleted rule).
   *
   * @param fk the child's foreign key
   * @param parent the parent table's schema
   * @param childRow the child row's values by column name
   * @param context the causal context of the child's write
   * @return the deleted parent, or empty if it exists, is unknown, or the write had seen its delete
   * @throws SQLException on a database failure
   */
  Optional<ParentRule.DeletedParent> deletedParent(
      ForeignKey fk, TableSchema parent, Map<String, Value> childRow, VersionVector context)
      throws SQLException;

  /**
   * Returns the keys of the child rows that reference a parent row.
   *
   * @param fk the foreign key
   * @param child the child table's schema
   * @param parentRow the parent row's values by column name
   * @return the children's keys; empty if none
   * @throws SQLException on a database failure
   */
  List<RowKey> children(ForeignKey fk, TableSchema child, Map<String, Value> parentRow)
      throws SQLException;
}
